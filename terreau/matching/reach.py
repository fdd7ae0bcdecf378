"""How far an offer's help goes beyond its own words (pure Python, see scope.py and text.py): whether it
reaches other regions although its text names no remote manner that parse_scope reads (a national scale,
online access), whether it is open to any project of its kind of help, whether it introduces two sides."""

from __future__ import annotations

import re

from terreau.core.french import folded_words

from .scope import Scope

# An offer reaches beyond its region when it says so in any form: a national scale ("édition nationale",
# "territoire national", "réseau de 40 fréquences"), or access online ("plateforme en ligne", "formulaire
# en ligne"), provided it names no area of its own and is not given on site (see offer_reach_remote).
_REACH_RE = re.compile(
    r"\b(?:nationa(?:l|le|les|ux)|frequences|"
    # Access online ("plateforme en ligne", "candidature par formulaire en ligne"), not an object of the
    # help ("aide aux démarches en ligne").
    r"(?:plateformes?|formulaires?|candidatures?|inscriptions?|dossiers?|portail)\s+"
    r"(?:\w+\s+){0,2}?(?:en\s+ligne|sur\s+internet)|"
    r"(?:toute|tout|toutes|tous)\s+(?:la|le|les|l)?\s*(?:france|territoire|pays|regions|departements))\b"
)
_REACH_GATE = ("nation", "ligne", "internet", "fréquences", "france", "territoire", "pays", "région", "visio")
# A manner set apart by a comma or a bracket ("outils numériques, en ligne", "parrainage (Toulouse et visio)"),
# not the object of the help, nor the equipment of a room ("salle équipée (écran et visio)").
_MANNER_RE = re.compile(
    r"[,(]\s*(?:(?!(?:[ée]cran|projecteur|vid[ée]oprojecteur|wifi|sono|tv|t[ée]l[ée]|cam[ée]ra)\b)[\w'’-]+\s+"
    r"(?:et|ou)\s+)?(?:en\s+ligne|(?:en\s+|par\s+)?visio\w*)\b"
)


def offer_reach_remote(text: str, scope: Scope) -> bool:
    """Whether an offer's help reaches other regions although parse_scope did not read "remote": a national
    scale or online access written in any form, with no area of its own, not said to be given on site."""
    if scope.remote or scope.on_site or scope.hard or not scope.empty:
        return False
    low = text.lower()
    if not any(w in low for w in _REACH_GATE):
        return False
    if _MANNER_RE.search(low):
        return True
    return _REACH_RE.search(" ".join(folded_words(low))) is not None


# An offer to introduce both sides to each other ("on met en relation les entreprises qui veulent engager
# leurs salariés avec des assos"): it serves the one who gives as well as the one who receives.
_INTRODUCES_RE = re.compile(r"\b(?:mise?s?|mettons|met|mettre|mettent)\s+en\s+(?:relation|lien|contact)\b")


def introduces(text: str) -> bool:
    """Whether an offer brings two sides together (an introduction service): no side's direction is wrong."""
    low = text.lower()
    if "en relation" not in low and "en lien" not in low and "en contact" not in low:
        return False
    return _INTRODUCES_RE.search(" ".join(folded_words(low))) is not None


# An offer open to any project of its kind: its object is not narrowed by its words ("toute action de
# solidarité", "tous les projets", "quel que soit le domaine", "aide au fonctionnement des associations").
_BROAD_RE = re.compile(
    r"\b(?:toute?s?\s+(?:les\s+)?(?:actions?|projets?|initiatives?|causes?|domaines?|thematiques?)|"
    r"tous\s+(?:les\s+)?(?:projets|domaines|types|secteurs|themes)|tout\s+(?:projet|type|domaine|secteur|theme)|"
    r"quel(?:le)?s?\s+que\s+soi\w+\s+(?:le|la|les|leur|leurs|votre|vos)\s+"
    r"(?:objet|domaine|thematique|theme|projet|secteur|cause)s?|"
    r"fonctionnement\s+(?:des|de\s+vos|de\s+leurs|d)\s*(?:associations?|assos?|structures?)|"
    # A platform where any association posts its missions ("publiez gratuitement vos missions").
    r"(?:publiez|deposez|postez|diffusez|proposez)\s+(?:gratuitement\s+)?(?:vos|votre)\s+(?:missions?|annonces?)|"
    # A volunteering platform: it finds volunteers for any association of its area.
    r"(?:trouvons|orientons|envoyons|dirigeons|proposons)\s+des\s+benevoles\s+(?:pour|vers|aux|a|aupres\s+des)\s+"
    r"(?:les\s+)?(?:associations?|assos?|structures?)|benevoles\s+(?:\w+\s+){0,6}?orient\w*\s+vers\s+(?:les\s+)?"
    r"(?:associations?|assos?|structures?))\b"
)
_BROAD_GATE = ("tout", "tous", "quel", "fonctionnement", "missions", "annonce", "bénévoles")


def broad_object(text: str) -> bool:
    """Whether an offer opens its object to any project of its kind of help (see _BROAD_RE)."""
    low = text.lower()
    if not any(w in low for w in _BROAD_GATE):
        return False
    return _BROAD_RE.search(" ".join(folded_words(low))) is not None
