"""French text analysis for matching: folding, stemming, stop words, the field's lexicon and a few rules.

Pure Python (no Django). `analyse(text)` turns a need or offer into weighted terms:
- word stems (Snowball French stemmer, then accents folded: "tablettes", "Tablette" -> "tablet");
- concept tokens "~name" from lexicon.CONCEPTS ("aînés", "personnes âgées" -> "~seniors");
- the kinds of help the text suggests (used when the type code is missing);
- its territorial scope ("uniquement dans la Vienne", "rayon de 30 km").

Rules for the traps seen in real text: "formation d'un groupe" is not training, "local" is premises only
after a determiner ("un local", "nos locaux"), "réseau wifi" is not a network of contacts, "réseaux
sociaux" is communication, "mobilité européenne" is not transport, "mobilité réduite" is disability.
"""

from __future__ import annotations

import math
import re
from bisect import bisect_left
from dataclasses import dataclass, field
from functools import lru_cache

from terreau.core import french
from terreau.core.french import fold
from terreau.vocabulary import THEMES

from . import lexicon
from .reach import offer_reach_remote  # noqa: F401 (re-exported: text.offer_reach_remote)
from .scope import (  # noqa: F401 (re-exported: text.Scope, text.parse_scope)
    NO_SCOPE,
    Scope,
    parse_scope,
)
from .wordlists import CONTEXT as _CONTEXT
from .wordlists import DETERMINERS as _DETERMINERS
from .wordlists import MONEY_AFTER, MONEY_BEFORE, OBJECT_CONCEPTS
from .wordlists import PLANT_WORDS as _PLANT_WORDS
from .wordlists import PREMISES_NEXT as _PREMISES_NEXT
from .wordlists import STEM_OVERRIDES as _STEM_OVERRIDES

_WORD = re.compile(r"[^\W_]+")
# French stop words and the words that carry no matching information in this field.
_STOP = french.STOP_WORDS | lexicon.NOISE_WORDS

MARKERS = {
    "LOCALNOUN",
    "RESEAUCONTACT",
    "RESEAUSOCIAL",
    "MOBILITEINTER",
    "PRODUCTEURSLOCAUX",
    "FORMGROUPE",
    "SALLESPORT",
    "JEUNESPOUSSES",
    "COLLECTEDONNEES",
    "PARCINFO",
    "JEUNESPOUSSESPLANTES",
    "PORTAGESALARIAL",
    "REGIEQUARTIER",
    "BATTERIEELEC",
    "PLATEFORMELOG",
    "RENOVATION",
    "SOUSARGENT",
    "COACHSPORTIF",
}

_GROUP_WORDS = frozenset(
    ["group", "groupe", "equip", "binom", "collect", "collectif", "comit", "bureau", "promot", "cohort"]
)
_NET_TECH = frozenset(
    ["wifi", "wi", "informatique", "internet", "electrique", "fibre", "ethernet", "telephonique", "local"]
)
_MOBILITY_ABROAD = frozenset(["europeenne", "europeennes", "internationale", "internationales", "erasmus"])
_PRODUCERS = frozenset(
    ["producteurs", "produits", "commerces", "commercants", "artisans", "agriculteurs", "maraichers"]
)


# Derivational endings the Snowball stemmer keeps: the person, the activity and the adjective of one root
# meet ("traducteurs" / "traduction", "bricoleur" / "bricolage", "graphiste" / "graphisme", "jardinier" /
# "jardinage", "comptable" / "compta"). One ending is removed from the stem when a root of at least
# FAMILY_MIN letters remains; the longest ending first.
FAMILY_ENDINGS = ("icien", "ateur", "atric", "nair", "aison", "eur", "eus", "ism", "ist", "iqu", "abl", "ag")
FAMILY_MIN = 5
FAMILY = True


def _family(stem: str) -> str:
    for end in FAMILY_ENDINGS:
        if stem.endswith(end) and len(stem) - len(end) >= FAMILY_MIN:
            return stem[: -len(end)]
    return stem


@lru_cache(maxsize=200_000)
def _stem(word: str) -> str:
    """Snowball French stem of a lower-case word, accents folded afterwards, derivational ending removed."""
    folded = fold(word)
    over = _STEM_OVERRIDES.get(folded)
    if over:
        return over
    st = fold(french.stem(word))
    if (
        st == folded
        and len(folded) > 3
        and (folded[-1] == "x" or (folded[-1] == "s" and folded[-2] not in "su"))
    ):
        # A plural the stemmer leaves whole ("ordis", "vélos", "emplois", "vidéos", "lieux"): its singular's.
        st = fold(french.stem(word[:-1]))
    return _family(st) if FAMILY and not st.isdigit() else st


@lru_cache(maxsize=200_000)
def _word(word: str) -> tuple[str, str, str]:
    return (word, fold(word), _stem(word))


def _raw_tokens(text: str) -> list[tuple[str, str, str]]:
    """(surface, folded, stem) for each word of the text."""
    text = text.replace("’", "'").replace("€", " euros ").lower()
    if "sous-" in text:  # "sous-titres", "sous-traitance": one word, never the money of "des sous"
        text = text.replace("sous-", "sous")
    return [_word(w) for w in _WORD.findall(text)]


_RULE_WORDS = frozenset(
    [
        "local",
        "locaux",
        "locale",
        "locales",
        "reseau",
        "reseaux",
        "mobilite",
        "mobilites",
        "euros",
        "car",
        "cars",
    ]
)
# A price asked ("PC reconditionnés à 60 €", "participation 30 €") is no money given: the amount's words.
_COACH_BEFORE = frozenset(
    ["un", "le", "les", "du", "des", "en", "notre", "votre", "d", "leur", "ce", "nos", "vos"]
)
_PRICE_WORDS = frozenset(
    ["participation", "prix", "tarif", "cout", "vendu", "vendus", "vente", "contre", "forfait", "port"]
)
_RULE_STEMS = frozenset({"format", "form"})
# Trained people (« nos travailleurs formés ») and a shape or fitness (« remise en forme »): no training.
_TRAINED = frozenset(["formé", "formée", "formés", "formées"])
_PASSIVE = frozenset(["etre", "est", "sont", "sera", "seront", "soient", "serez", "etes", "seras"])
_SHAPE = frozenset(["forme", "formes"])
_SHAPE_BEFORE = frozenset(
    ["en", "bonne", "la", "une", "sous", "de", "des", "les", "toutes", "nouvelle", "nouvelles"]
)

_CONTEXT_FORMS = {
    "salles": "salle",
    "collectes": "collecte",
    "collecter": "collecte",
    "parcs": "parc",
    "espaces": "espace",
    "regies": "regie",
    "batteries": "batterie",
    "plateformes": "plateforme",
    "coachs": "coach",
    "coaches": "coach",
}
# "Restauration du four, d'un lavoir": the repair of a thing, not catering.
_REPAIR_NEXT = frozenset(["du", "de", "d", "des"])


_CONTEXT_WORDS = frozenset(["jeune", "jeunes", "restauration", "sous", *_CONTEXT, *_CONTEXT_FORMS])


def _context_rule(out: list[tuple[str, str, str]], i: int) -> None:
    surface, folded, _st = out[i]
    n = len(out)
    if folded in ("jeune", "jeunes"):
        if i + 1 < n and out[i + 1][1] in ("pousse", "pousses"):
            plants = any(t[1] in _PLANT_WORDS for t in out)
            out[i] = (surface, folded, "jeunespoussesplantes" if plants else "jeunespousses")
            out[i + 1] = (out[i + 1][0], out[i + 1][1], "")
        return
    if folded == "sous":
        prev, prev2 = (out[i - 1][1] if i else ""), (out[i - 2][1] if i > 1 else "")
        if prev in {"des", "de", "nos"} and (
            prev2 in MONEY_BEFORE or (out[i + 1][1] if i + 1 < n else "") in MONEY_AFTER
        ):
            out[i] = (surface, "sousargent", "sousargent")  # the folded form too: "sous" is a stop word
        return
    if folded == "restauration":
        if i + 1 < n and out[i + 1][1] in _REPAIR_NEXT:
            out[i] = (surface, folded, "renovation")
        return
    words, marker = _CONTEXT[_CONTEXT_FORMS.get(folded, folded)]
    nxt = next((out[j][1] for j in range(i + 1, min(n, i + 4)) if out[j][1] not in _STOP), "")
    if nxt in words:
        out[i] = (surface, folded, marker)


def _is_price(out: list[tuple[str, str, str]], i: int) -> bool:
    """Whether the amount before "euros" is a price: after a word of price, or "à 60 €" that ends no range of
    amounts ("de 5 000 à 30 000 €", "jusqu'à 10 000 €")."""
    j = i - 1
    while j >= 0 and out[j][1].isdigit():
        j -= 1
    if j == i - 1:
        return False
    if any(out[k][1] in _PRICE_WORDS for k in range(max(0, j - 2), j + 1)):
        return True
    before = out[j - 1][1] if j > 0 else ""
    return out[j][1] == "a" and not before.isdigit() and before != "jusqu"


def _apply_rules(tokens: list[tuple[str, str, str]]) -> list[tuple[str, str, str]]:
    """Rewrites the stems of ambiguous words from their neighbours (see the module docstring)."""
    out = list(tokens)
    n = len(out)
    for i, (surface, folded, st) in enumerate(out):
        if folded not in _RULE_WORDS and st not in _RULE_STEMS:
            if folded in _CONTEXT_WORDS:
                _context_rule(out, i)
            continue
        prev = out[i - 1][1] if i else ""
        nxt = [out[j][1] for j in range(i + 1, min(n, i + 4)) if out[j][1] not in _STOP]
        nxt_stems = [out[j][2] for j in range(i + 1, min(n, i + 4)) if out[j][1] not in _STOP]
        if folded in {"local", "locaux", "locale", "locales"}:
            if folded in {"local", "locaux"} and (
                prev in _DETERMINERS or (i + 1 < n and out[i + 1][1] in _PREMISES_NEXT) or i == 0
            ):
                out[i] = (surface, folded, "localnoun")
            elif prev in _PRODUCERS:
                out[i] = (surface, folded, "producteurslocaux")
            else:
                out[i] = (surface, folded, "localadj")
        elif folded in {"reseau", "reseaux"}:
            if nxt and nxt[0] in {"sociaux", "social"}:
                out[i] = (surface, folded, "reseausocial")
            elif nxt and (nxt[0] in _NET_TECH or nxt[0].startswith("wi")):
                out[i] = (surface, folded, "reseautech")
            else:
                out[i] = (surface, folded, "reseaucontact")
        elif st in {"format", "form"} and nxt_stems and nxt_stems[0] in _GROUP_WORDS:
            out[i] = (surface, folded, "formgroupe")
        elif (surface in _TRAINED and prev not in _PASSIVE) or (surface in _SHAPE and prev in _SHAPE_BEFORE):
            # "Nos travailleurs formés" are trained people (a skill), "remise en forme" is fitness: no training.
            out[i] = (surface, folded, "formeadj")
        elif folded in {"car", "cars"}:
            if prev in _COACH_BEFORE:  # "un car pour la sortie": a coach, not "because"
                out[i] = (surface, "autocar", "autocar")
        elif folded == "euros":
            if _is_price(out, i):
                out[i] = (surface, folded, "prixdemande")
        elif folded in {"mobilite", "mobilites"} and nxt:
            if nxt[0] in _MOBILITY_ABROAD:
                out[i] = (surface, folded, "mobiliteinter")
            elif nxt[0] in {"reduite", "reduites"}:
                out[i] = (surface, folded, "pmr")
    return out


def phrase_stems(phrase: str) -> tuple[str, ...]:
    if phrase in MARKERS:
        return (phrase.lower(),)
    toks = _apply_rules(_raw_tokens(phrase))
    # The same words as analyse() keeps ("e-learning" -> "learning": a one-letter word is never a term).
    stems = tuple(
        st
        for _, folded, st in toks
        if folded not in _STOP and st not in _STOP and (len(st) > 1 or st.isdigit())
    )
    return stems or tuple(st for _, _, st in toks)


def _by_first_stem(entries):
    """[(stems, *values)] -> first stem -> entries, longest phrase first (the scanners try the longest first)."""
    table: dict[str, list] = {}
    for entry in entries:
        table.setdefault(entry[0][0], []).append(entry)
    for group in table.values():
        group.sort(key=lambda e: -len(e[0]))
    return table


def _compile_lexicon() -> tuple[dict[str, list[tuple[tuple[str, ...], str, str]]], dict[str, str]]:
    """first stem -> [(stems, concept, phrase)] longest first; concept -> type."""
    table = _by_first_stem(
        (stems, name, phrase if phrase not in MARKERS else concept.label)
        for name, concept in lexicon.CONCEPTS.items()
        for phrase in concept.phrases
        if (stems := phrase_stems(phrase))
    )
    return table, {n: c.type for n, c in lexicon.CONCEPTS.items() if c.type}


_LEXICON, _CONCEPT_TYPES = _compile_lexicon()
THEME_CODES = list(THEMES)  # the order of topic bits


def _compile_topics() -> dict[str, list[tuple[tuple[str, ...], int]]]:
    """first stem -> [(stems, theme bit)] longest first (lexicon.TOPICS; bits in vocabulary.THEMES order)."""
    return _by_first_stem(
        (stems, 1 << THEME_CODES.index(theme))
        for theme, phrases in lexicon.TOPICS.items()
        for phrase in phrases
        if (stems := phrase_stems(phrase))
    )


_TOPICS = _compile_topics()


def topics_of(stems: tuple[str, ...]) -> int:
    """Theme bits (vocabulary.THEMES order) of the topic phrases found in a text's content stems."""
    bits, i = 0, 0
    while i < len(stems):
        step = 1
        for phrase, bit in _TOPICS.get(stems[i], ()):
            if stems[i : i + len(phrase)] == phrase:
                bits |= bit
                step = max(step, len(phrase))
        i += step
    return bits


_OBJECT_BITS = {"~" + name: 1 << i for i, name in enumerate(OBJECT_CONCEPTS)}
INTERNATIONAL_MOBILITY = _OBJECT_BITS["~mobilite_internationale"]  # Erasmus+, European volunteering


_PARENTS = {n: c.parents for n, c in lexicon.CONCEPTS.items()}


@lru_cache(maxsize=4096)
def _with_parents(name: str) -> tuple[str, ...]:
    out, todo = [], [name]
    while todo:
        n = todo.pop()
        if n not in out:
            out.append(n)
            todo.extend(_PARENTS.get(n, ()))
    return tuple(out)


# --- analysis ----------------------------------------------------------------------------------------


@dataclass
class Analysis:
    terms: dict[str, float] = field(default_factory=dict)  # term -> raw weight (1 + log tf)
    surfaces: dict[str, str] = field(default_factory=dict)  # term -> first surface form seen
    types: frozenset[str] = frozenset()  # kinds of help suggested by the text
    # Kinds named before the purpose ("un véhicule pour aller chercher des denrées": a vehicle, not food).
    main_types: frozenset[str] = frozenset()
    scope: Scope = NO_SCOPE
    gives: bool = False  # the text says "we give" ("nous proposons", "nous prêtons", "à donner")
    seeks: bool = False  # the text says "we look for" ("nous cherchons", "il nous faut")
    topics: int = 0  # theme bits of what the text is about (lexicon.TOPICS; vocabulary.THEMES order)
    objects: int = 0  # bits of the things the help is about (OBJECT_CONCEPTS)


# Who gives and who receives, as the text says it (first person only: "si vous cherchez" says nothing).
_GIVES_RE = re.compile(
    r"\b(?:proposons|offrons|mettons\s+a\s+disposition|pretons|donnons|cedons|partageons|disposons\s+d\w*|"
    r"(?:souhaitons|voudrions|pouvons|aimerions|voulons|souhaite|peut|peuvent|souhaitent|veulent)\s+"
    r"(?:donner|offrir|proposer|preter|ceder|mettre\s+a\s+disposition|partager|faire\s+don|s\s+engager)|"
    r"(?:accueillir|accueilleraient|accueillent|accueillant|recevoir|recevraient|engager)\s+"
    r"(?:\w+\s+)?nos\s+(?:\d+\s+)?(?:salaries|collaborateurs|equipes|employes|volontaires)|"
    r"missions?\s+(?:\w+\s+){0,2}pour\s+nos\s+(?:salaries|collaborateurs|equipes|employes))\b"
)
_GIVES_GATE = frozenset([
    "proposons", "offrons", "mettons", "pretons", "donnons", "cedons", "partageons", "disposons", "donner",
    "offrir", "proposer", "preter", "ceder", "mettre", "partager", "faire", "engager", "accueillir",
    "accueilleraient", "accueillent", "accueillant", "recevraient", "recevoir", "mission", "missions",
])  # fmt: skip
_SEEKS_GATE = frozenset([
    "cherchons", "recherchons", "cherche", "recherche", "besoin", "faut", "manque", "manquons", "trouver",
    "recevoir", "beneficier", "obtenir", "sollicitons", "accueillons", "accueille", "accueillent", "accueil",
])  # fmt: skip
_SEEKS_RE = re.compile(
    r"\b(?:cherchons|recherchons|cherche|(?<!en\s)recherche\s+(?:un|une|des|d(?!\s+emploi))|avons\s+besoin|aurions\s+besoin|"
    r"il\s+nous\s+faut|nous\s+manque|manquons|(?:aimerions|souhaitons|voudrions)\s+(?:trouver|recevoir|"
    r"beneficier|obtenir)|sollicitons|besoin\s+(?:urgent\s+)?d|"
    # "Nous accueillons (volontiers) des bénévoles": a place that receives volunteers' time.
    r"accueill(?:ons|e|ent)\s+(?:\w+\s+)?(?:des|de\s+nouveaux|de\s+nouvelles|les|vos)\s+"
    r"(?:benevoles|volontaires|stagiaires|salaries|equipes|collaborateurs)|"
    # "Accueil de groupes de salariés pour des journées nature": a place that receives a company's staff.
    r"accueil\s+(?:de\s+|d\s+)(?:\w+\s+){0,4}?(?:salaries|equipes\s+d\s+entreprises?))\b"
)
# Looking for the organisations that will receive the help ("on cherche des assos partenaires"): the
# author gives, whatever "cherche" says.
_SEEKS_RECEIVER_RE = re.compile(
    r"\b(?:cherch\w*|recherch\w*)\s+(?:des|une|un|d)\s+(?:assos?|associations?|structures?|beneficiaires)\b"
)


# Concepts that only name a kind of help (money, volunteers, skills, premises, contacts, communication,
# training, equipment). Their words ("financement", "subvention", "bénévoles", "salle"...) are counted once,
# by the concept's token: each such word itself weighs KIND_WORD_WEIGHT, so that naming the kind twice
# (word and token) does not outweigh the object of the help (what the money is for, which equipment); the
# kind itself is scored by the type factor. The words stay in the vector (reasons can name them).
KIND_HEADS = frozenset([
    "financement", "benevoles", "competences", "locaux", "reseau_contacts", "communication", "formation",
    "equipement",
])  # fmt: skip
KIND_WORDS_AS_TOKEN = True
KIND_WORD_WEIGHT = 0.25

_MANNER_WORDS = frozenset(["ligne", "distance", "visio", "visioconference", "telephone"])
_MANNER_BEFORE = frozenset(["en", "a", "par"])

# Words that open the purpose of the help: what follows says what it is for, not what it is.
_PURPOSE = frozenset(["pour", "afin", "destine", "destinee", "destines", "destinees"])


def analyse(text: str) -> Analysis:
    raw = _raw_tokens(text)
    tokens = _apply_rules(raw)
    kept = [
        k
        for k, (_surface, folded, st) in enumerate(tokens)
        if folded not in _STOP and st not in _STOP and (len(st) > 1 or st.isdigit())
    ]
    content = [(tokens[k][0], tokens[k][2]) for k in kept]
    folded_words = [t[1] for t in raw]
    word_set = set(folded_words)
    main_end = len(kept)
    if not _PURPOSE.isdisjoint(word_set):
        purpose_at = min(folded_words.index(w) for w in _PURPOSE & word_set)
        main_end = bisect_left(kept, purpose_at)  # content words before the purpose
    counts: dict[str, int] = {}
    surfaces: dict[str, str] = {}
    # How the help travels ("en ligne", "à distance", "par visio") is the scope's business (remote help), not
    # what the help is about: those words are no term two texts share (phrases still read them).
    manner = {
        j
        for j, k in enumerate(kept)
        if tokens[k][1] in _MANNER_WORDS and k and raw[k - 1][1] in _MANNER_BEFORE
    }
    for j, (surface, st) in enumerate(content):
        if st.isdigit() or j in manner:
            continue
        counts[st] = counts.get(st, 0) + 1
        surfaces.setdefault(st, surface)
    types: set[str] = set()
    main_types: set[str] = set()
    content_stems = tuple(st for _, st in content)
    kind_words: set[str] = set()
    i = 0
    while i < len(content):
        st = content_stems[i]
        matched = 0
        for stems, name, _label in _LEXICON.get(st, ()):
            k = len(stems)
            if matched and k < matched:
                break
            if content_stems[i : i + k] == stems:
                # Every concept that has this phrase (same length) gets its token.
                surface = " ".join(s for s, _ in content[i : i + k])
                for concept in _with_parents(name):
                    term = "~" + concept
                    if matched and term in counts and surfaces.get(term) == surface:
                        continue
                    counts[term] = counts.get(term, 0) + 1
                    surfaces.setdefault(term, surface)
                    if k == 1 and concept == name and name in KIND_HEADS:
                        kind_words.add(content_stems[i])
                    if concept in _CONCEPT_TYPES:
                        types.add(_CONCEPT_TYPES[concept])
                        if i < main_end:
                            main_types.add(_CONCEPT_TYPES[concept])
                matched = k
        i += matched or 1
    # Markers are rule outputs, not words a person would recognise.
    for marker in ("localadj", "reseautech", "formeadj", "prixdemande"):
        counts.pop(marker, None)
    terms = {t: 1.0 + math.log(c) for t, c in counts.items()}
    if KIND_WORDS_AS_TOKEN:
        for t in kind_words:
            if t in terms:
                terms[t] *= KIND_WORD_WEIGHT
    may_give = not _GIVES_GATE.isdisjoint(word_set)
    may_seek = not _SEEKS_GATE.isdisjoint(word_set)
    folded = " ".join(folded_words) if may_give or may_seek else ""
    gives = may_give and bool(_GIVES_RE.search(folded))
    seeks = may_seek and bool(_SEEKS_RE.search(folded))
    if "benevolat" in main_types and "competences" in types:
        # "Un bénévole pour tenir la compta": a volunteer for a trade's work brings that skill too.
        main_types.add("competences")
    return Analysis(
        terms=terms,
        surfaces=surfaces,
        types=frozenset(types),
        main_types=frozenset(main_types or types),
        scope=parse_scope(text, folded_words),
        gives=gives,
        seeks=seeks and not (gives and _SEEKS_RECEIVER_RE.search(folded)),
        topics=topics_of(content_stems),
        objects=sum(_OBJECT_BITS.get(t, 0) for t in terms),
    )
