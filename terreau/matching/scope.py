"""Territorial scope of a need or offer as its text states it, and whether the help is remote or on site.

Pure Python (no Django). `parse_scope(text)`: departments, regions and former regions named after a
preposition or as an adjective ("associations lorraines"), intercommunalities ("Grand Poitiers"), "notre
commune / agglomération / département", a radius in km; `hard` when the text limits itself ("uniquement",
"exclusivement", "réservé à", a radius); `remote` for help given at a distance ("en visio", "partout en
France", "national", "par colis"); `on_site` for help given in person ("sur place", "se déplacer").
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from terreau.core import french
from terreau.core.french import fold

from . import communes, geodata
from .places import ADJECTIVES as _ADJECTIVES
from .places import AMBIGUOUS_PLACES as _AMBIGUOUS_PLACES
from .places import FORMER_REGIONS, compound_heads

# --- territorial scope -------------------------------------------------------------------------------

# Place names count after a preposition; names that are also common words ("Cher", "Somme", "Nord") only
# after "dans le", "en" or "département".
_PLACE_PREFIX = r"(?:dans|sur|en|a|au|aux|d|de|du|des|et|ou|autour\s+de|pres\s+de|departement)\s+(?:(?:tout|toute|tous|toutes)\s+)?(?:(?:la|le|les|l|du|de|des)\s+)?"
_STRICT_PREFIX = r"(?:dans\s+(?:la|le|les|l)|en|departement\s+(?:de\s+la|de\s+l|du|des|de))\s+"


_PLACE_LABELS: dict[str, str] = {}
_CITY_KEYS: set[str] = set()  # prefectures: a town named beside a remote way of giving is where the helper is


def _place_table() -> list[tuple[str, frozenset[str]]]:
    """Folded place name -> department codes: departments, their prefectures, regions, former regions."""
    places: dict[str, set[str]] = {}

    def add(name: str, codes) -> str:
        key = fold(name).replace("-", " ").replace("'", " ")
        places.setdefault(key, set()).update(codes)
        _PLACE_LABELS.setdefault(key, name)
        return key

    for code, (name, region, prefecture) in geodata.DEPARTMENTS.items():
        add(name, [code])
        if prefecture:
            _CITY_KEYS.add(add(prefecture, [code]))
        if geodata.REGIONS.get(region):
            add(geodata.REGIONS[region], [code])
    for name, codes in FORMER_REGIONS.items():
        add(name, codes.split())
    return sorted(((k, frozenset(v)) for k, v in places.items()), key=lambda kv: -len(kv[0]))


_PLACES = _place_table()


def _alternatives(names) -> str:
    return "|".join(re.escape(p).replace(r"\ ", r"\s+") for p in names)


_PLACE_RE = re.compile(
    r"\b(?:"
    + _PLACE_PREFIX
    + r"("
    + _alternatives(p for p, _ in _PLACES if p not in _AMBIGUOUS_PLACES)
    + r")|"
    + _STRICT_PREFIX
    + r"("
    + _alternatives(p for p, _ in _PLACES if p in _AMBIGUOUS_PLACES)
    + r"))\b"
)
_ALL_PLACES = _alternatives(p for p, _ in _PLACES)
_COORD_RE = re.compile(
    rf"\b({_ALL_PLACES})\s+(?:et|ou)\s+(?:(?:la|le|les|l|en|dans\s+l[ae]?)\s+)?({_ALL_PLACES})\b"
)
_COORD_GATE = frozenset(["et", "ou"])
_CODE_RE = re.compile(r"\b(?:departement|dans\s+le)\s+(\d{2}|2a|2b|97[1-6])\b")
_PLACE_CODES = dict(_PLACES)
_EXCLUSIVE_RE = re.compile(
    r"\b(uniquement|exclusivement|seulement|strictement|que\s+(?:dans|sur|en|a)|limitee?s?\s+(?:a|au|aux)|"
    r"reservee?s?\s+(?:a|au|aux)|pas\s+au[- ]dela)\b"
)
_RADIUS_RE = re.compile(
    r"(?:rayon|moins|maximum|max|distance)\s+(?:de\s+|d\s+)?(\d{1,3})\s*km|(\d{1,3})\s*km\s+(?:autour|maxi|max|alentour|a\s+la\s+ronde)"
)
_OWN_RE = re.compile(
    r"\b(?:notre|nos|meme|sur\s+(?:le|la|l)|dans\s+(?:le|la|l)|de\s+(?:la|l)|(?:dans|sur|de|pour)\s+(?:tout|toute)\s+"
    r"(?:le|la|l)|(?:tout|toute)\s+(?:le|la|l))\s+(departement|region|commune|communes|"
    r"ville|village|quartier|agglomeration|agglo|intercommunalite|communaute\s+de\s+communes|"
    r"communaute\s+d\s+agglomeration|metropole|canton|bassin\s+de\s+vie|pays|"
    # Abbreviations of an intercommunality ("les communes de la CC", "notre com com").
    r"cc|cdc|cca|comcom|com\s+com|interco)\b"
)
_OWN_LEVEL = {
    "departement": "department",
    "region": "region",
    "commune": "commune",
    "village": "commune",
    "quartier": "commune",
}
_HELP_NOUNS = (
    r"(?:formations?|cours|ateliers?|accompagnements?|conseils?|mentorat|sessions?|soutien|tutorat|"
    r"permanences?|rendez\s+vous|reunions?|entretiens?|coaching|aide|suivi|echanges?|interventions?|"
    r"benevolat|missions?|parrainage|traductions?|relectures?)"
)
_REMOTE_RE = re.compile(
    r"\b(partout\s+en\s+france|(?:dans\s+|sur\s+|de\s+)?toute\s+la\s+france|france\s+entiere|a\s+distance|"
    r"distanciel|(?:dans\s+|sur\s+)?tout\s+l\s+hexagone|france\s+metropolitaine|toutes\s+les\s+regions|"
    r"ou\s+que\s+vous\s+soyez|quel(?:le)?s?\s+que\s+soi\w+\s+(?:votre|vos|leur|leurs)\s+\w+|"
    r"sans\s+(?:vous\s+|se\s+)?deplace\w*|accessibles?\s+partout|(?:intervenons|agissons|livrons)\s+partout|"
    r"par\s+(?:courrier|mail|e\s+mail|email|courriel)|numero\s+vert|ligne\s+d\s+ecoute|hotline|"
    r"(?:association|fondation|federation|fonds|concours|prix|mouvement|operation|mission|ligue|union)\s+"
    r"nationa\w*|"
    r"(?:accompagnons|formons|conseillons|aidons|intervenons|animons|proposons|realisons|faisons|font|fait|"
    r"repondons|coachons|suivons|reunissons|echangeons|accompagnent|forment|conseillent|aident|animent)\s+"
    r"(?:\w+\s+){0,6}?(?:en|par)\s+(?:visio\w*|ligne|telephone|zoom|teams)|"
    r"webinaires?|teletravail|par\s+telephone|par\s+(?:la\s+)?poste|par\s+colis|expedi\w*|"
    r"(?:envoy|livr)\w*\s+(?:partout|dans\s+toute)|(?:sur|dans)\s+tout\s+le\s+territoire|"
    r"(?:au\s+niveau|a\s+l\s+echelle)\s+national\w*|"
    r"(?:appels?\s+a\s+projets|programme|dispositif|reseau|plateforme|campagne|podcast|emission)\s+"
    r"(?:\w+\s+)?nationa\w*|"
    + _HELP_NOUNS
    + r"\s+(?:\w+\s+)?(?:en\s+ligne|en\s+visio\w*|par\s+visio\w*|en\s+video|par\s+video)|"
    r"(?:en|par)\s+visio\w*\s+(?:ou|et)|(?:ou|et|aussi|egalement|uniquement|possible)\s+(?:en|par)\s+visio\w*|"
    # How the help travels, whatever the wording around it: online, by phone, by post, across the country.
    r"(?:par|via)\s+(?:internet|zoom|teams|skype|whatsapp|telephone)|visioconferences?|e\s+learning|elearning|"
    r"moocs?|frais\s+de\s+port|franco\s+de\s+port|envoi\s+postal|(?:envoyons|expedions|postons)|"
    r"(?:dans\s+)?tout\s+le\s+pays|(?:l\s+)?ensemble\s+du\s+(?:pays|territoire)|"
    r"(?:assos?|associations?|structures?|acteurs|collectivites|organismes|clubs?)\s+(?:de|en)\s+france|"
    # "En ligne" says how the help is given after a word of access or delivery ("accessible en ligne",
    # "traduits en ligne", "dossier à déposer en ligne"), not after a thing ("démarches en ligne": the object).
    r"(?:accessibles?|disponibles?|consultables?|gratuite?s?|entierement|uniquement|aussi|egalement|"
    r"traduit\w*|corrig\w*|relu\w*|dispense\w*|propose\w*|assure\w*|anime\w*|accompagne\w*|deposer|"
    r"repond\w*|suivi\w*|cours|modules?|tutoriels?|ressources|guides?)\s+en\s+ligne)\b"
)
# Help given in person: the helper comes, or the partner comes to a place.
_ON_SITE_RE = re.compile(
    r"\b(sur\s+place|se\s+deplacer|nous\s+deplacer|deplacements?|presentiel|en\s+personne|a\s+domicile|"
    r"chez\s+(?:vous|eux|nous|les\s+habitants)|venir\s+(?:chercher|recuperer|retirer)|a\s+recuperer|"
    r"a\s+retirer|a\s+venir\s+chercher|enlevement|manutention|physiquement|rencontrer)\b"
)
_ADJECTIVE_NOUNS = (
    "asso|assos|association|associations|structure|structures|acteur|acteurs|habitant|habitants|entreprise|entreprises|"
    "commune|communes|famille|familles|public|publics|jeunes|club|clubs|collectivite|collectivites|"
    "territoire|territoires|village|villages|benevoles|partenaire|partenaires|zone|zones"
)
_ADJECTIVE_RE = re.compile(
    r"\b(?:"
    + _ADJECTIVE_NOUNS
    + r")\s+("
    + "|".join(k.replace(" ", r"[\s-]") for k in sorted(_ADJECTIVES, key=len, reverse=True))
    + r")(?:e|es|s|ne|nes|ienne|iennes)?\b"
)


def _epci_names() -> dict[str, tuple[int, str]]:
    """Folded distinctive names of metropolises and agglomerations ("grand poitiers", "bordeaux metropole",
    "eurometropole de strasbourg") -> (number in communes.epcis(), name as written)."""
    out: dict[str, tuple[int, str]] = {}
    for number, (_siren, name) in enumerate(communes.epcis()):
        if not re.search(r"^(?:CU|CA)\b|métropole", name, re.I):
            continue
        key = " ".join(french.folded_words(name))
        short = re.sub(r"^(?:cu|ca|metropole)\s+(?:du|de\s+la|de\s+l|des|de|d)?\s*", "", key)
        cut = re.match(r"^(.+?\bmetropole)\b", key)
        for k in {key, short, cut.group(1) if cut else key}:
            if len(k.split()) >= 2 and len(k) >= 8:
                out.setdefault(k, (number, re.sub(r"^(?:CU|CA) (?:du |de la |de l'|des |de |d')?", "", name)))
    return out


_EPCI_NAMES = _epci_names()
_EPCI_RE = (
    re.compile(r"\b(" + _alternatives(sorted(_EPCI_NAMES, key=len, reverse=True)) + r")\b")
    if _EPCI_NAMES
    else None
)


@dataclass(frozen=True)
class Scope:
    """Where a need or offer wants its partner to be. `hard` scopes exclude partners outside them."""

    departments: frozenset[str] = frozenset()
    own: str | None = None  # "commune", "epci", "department" or "region": the organisation's own area
    radius_km: int | None = None
    hard: bool = False
    remote: bool = False  # "à distance", "partout en France": distance does not matter
    label: str = ""
    epcis: frozenset[int] = frozenset()  # intercommunalities named ("Grand Poitiers"), see communes.epcis()
    on_site: bool = False  # "sur place", "se déplacer": help given in person
    # An area is named (a region, a department, "les assos bretonnes", an intercommunality), not only a
    # town: the written limit binds remote help too ("en visio, partout en Occitanie").
    area: bool = False

    @property
    def empty(self) -> bool:
        return not (self.departments or self.own or self.radius_km or self.epcis)


NO_SCOPE = Scope()


def _longest_words(names) -> frozenset[str]:
    """The longest word of each name: a name can only be in a text that holds this word (cheap gate)."""
    return frozenset(max(n.split(), key=len) for n in names)


_PLACE_GATE = _longest_words(p for p, _ in _PLACES)
_EPCI_GATE = _longest_words(_EPCI_NAMES)
_ADJECTIVE_GATE = frozenset(
    k.split()[-1] + end for k in _ADJECTIVES for end in ("", "e", "es", "s", "ne", "nes", "ienne", "iennes")
)


# Words without which each small pattern cannot match (cheap gates before the regular expressions).
_OWN_GATE = frozenset(
    [
        "departement",
        "region",
        "commune",
        "communes",
        "ville",
        "village",
        "quartier",
        "agglomeration",
        "agglo",
        "intercommunalite",
        "communaute",
        "metropole",
        "canton",
        "bassin",
        "pays",
        "cc",
        "cdc",
        "cca",
        "comcom",
        "com",
        "interco",
    ]
)
_EXCLUSIVE_GATE = frozenset(
    [
        "uniquement",
        "exclusivement",
        "seulement",
        "strictement",
        "que",
        "limite",
        "limitee",
        "limites",
        "limitees",
        "reserve",
        "reservee",
        "reserves",
        "reservees",
        "pas",
    ]
)
_REMOTE_GATE = frozenset(
    [
        "partout",
        "france",
        "distance",
        "distanciel",
        "webinaire",
        "webinaires",
        "teletravail",
        "telephone",
        "poste",
        "colis",
        "territoire",
        "ligne",
        "video",
        "telephonique",
        "zoom",
        "teams",
        "hexagone",
        "metropolitaine",
        "regions",
        "soyez",
        "soit",
        "soient",
        "deplacer",
        "deplacement",
        "courrier",
        "mail",
        "email",
        "courriel",
        "vert",
        "ecoute",
        "hotline",
        "internet",
        "skype",
        "whatsapp",
        "learning",
        "elearning",
        "mooc",
        "moocs",
        "port",
        "postal",
        "envoyons",
        "expedions",
        "postons",
        "pays",
        "ensemble",
    ]
)
_REMOTE_PREFIXES = ("expedi", "visio", "nationa", "envoy", "livr")
_ON_SITE_GATE = frozenset(
    [
        "place",
        "deplacer",
        "deplacement",
        "deplacements",
        "presentiel",
        "personne",
        "domicile",
        "chez",
        "venir",
        "recuperer",
        "retirer",
        "enlevement",
        "manutention",
        "physiquement",
        "rencontrer",
    ]
)


# A text can only carry a scope if one of these words is in it, a word starting with a remote prefix or a
# department number (a cheap test before the regular expressions; each pattern has its own gate above).
_SCOPE_WORDS = (
    _PLACE_GATE
    | _ADJECTIVE_GATE
    | _EPCI_GATE
    | _OWN_GATE
    | _REMOTE_GATE
    | _ON_SITE_GATE
    | frozenset(["km", "departement"])
)

# "En visio" says how the help is given, unless it is what the help is for ("échanger en visio avec les
# petits-enfants": tablets for calls).
_VISIO_RE = re.compile(r"\b(?:en|par)\s+(?:visio\w*|video\w*)\b")
_VISIO_SUBJECT_RE = re.compile(
    r"\b(?:echanger|parler|appeler|communiquer|discuter|voir|contact|lien|joindre|appels?)\s+(?:\w+\s+){0,2}?"
    r"(?:en|par)\s+(?:visio|video)"
)
_PREFIX_GATE_RE = re.compile(r"\b(?:" + "|".join(_REMOTE_PREFIXES) + r"|\d{2,3}\b|2a\b|2b\b)")


# "Au-delà de l'Aveyron", "hors Grand Est", "en dehors de la métropole", "sauf le Nord": the place named is
# where the help is NOT limited to (or is excluded), never the scope itself.
_BEYOND_RE = re.compile(r"\b(?:au\s+dela|hors|dehors|sauf|exception|autres?\s+que|plus\s+loin\s+que)\b")


# Department names that are also common words or towns need a strict prefix (_STRICT_PREFIX); with their
# article after "de" they name the department ("les assos de la Vienne", "du Gard", "des Vosges"): a town
# takes no article. Left out: words that read otherwise after an article (la somme, la manche, le centre,
# le nord, l'est...), and compound names (Charente-Maritime, Indre-et-Loire) are not cut.
_ARTICLE_PLACE_RE = re.compile(
    r"\b(?<!pays\s)(?<!val\s)(?:(?:de|d)\s+(?:la|l)\s+(vienne|charente|creuse|loire|marne|meuse|aisne|oise|orne|eure|ain|allier|aude|"
    r"indre|savoie)|du\s+(cher|gard|var|tarn|jura|doubs|cantal|gers)|des\s+(landes|vosges))\b"
    r"(?!\s+(?:maritime|atlantique|et\s))"
)
_ARTICLE_PLACE_GATE = frozenset(
    ["vienne", "charente", "creuse", "loire", "marne", "meuse", "aisne", "oise", "orne", "eure", "ain", "allier", "aude",
     "indre", "savoie", "cher", "gard", "var", "tarn", "jura", "doubs", "cantal", "gers", "landes", "vosges"]
)  # fmt: skip


_MAINLAND = frozenset(code for code in geodata.DEPARTMENTS if not code.startswith(("97", "98")))
_MAINLAND_GATE = frozenset(["metropolitaine", "hexagone"])
_MAINLAND_RE = re.compile(r"\b(?:france\s+metropolitaine|(?:tout\s+)?l\s+hexagone)\b")


def _beyond(folded: str, m: re.Match[str], group: int) -> bool:
    start = m.start(group)
    return _BEYOND_RE.search(folded, max(0, start - 22), start) is not None


# "En visio (ou sur site en Nouvelle-Aquitaine)": the area is where the help can also be given in person.
_IN_PERSON_BEFORE_RE = re.compile(
    r"(?:sur\s+site|sur\s+place|presentiel|dans\s+vos\s+locaux)\s+(?:\w+\s+){0,2}$"
)


def _names_area(folded: str, start: int, place: str = "") -> bool:
    return place not in _CITY_KEYS and not _IN_PERSON_BEFORE_RE.search(folded, max(0, start - 30), start)


def parse_scope(text: str, folded_words: list[str] | None = None) -> Scope:
    if folded_words is None:
        folded_words = french.folded_words(text)
    words = set(folded_words)
    folded = " ".join(folded_words)
    prefixed = _PREFIX_GATE_RE.search(folded) is not None
    if _SCOPE_WORDS.isdisjoint(words) and not prefixed:
        return NO_SCOPE
    departments: set[str] = set()
    labels = []
    heads = None
    read: set[str] = set()
    area = False
    for m in _PLACE_RE.finditer(folded) if not _PLACE_GATE.isdisjoint(words) else ():
        if _beyond(folded, m, 1 if m.group(1) else 2):
            continue
        place = re.sub(r"\s+", " ", m.group(1) or m.group(2))
        if "-" in text:
            heads = compound_heads(text) if heads is None else heads
            if place in heads:  # "Saint-Martin-d'Hères" is a commune of Isère, not Saint-Martin
                continue
        departments |= _PLACE_CODES.get(place, set())
        labels.append(_PLACE_LABELS.get(place, place))
        read.add(place)
        area = area or _names_area(folded, m.start(), place)
    if len(read) == 1 and not _COORD_GATE.isdisjoint(words):
        # "Savoie et Haute-Savoie uniquement", "en Isère ou Savoie": the other place of the pair, even one
        # read only after a strict prefix alone, when it is not the whole name ("Indre-et-Loire").
        for m in _COORD_RE.finditer(folded):
            x, y = (re.sub(r"\s+", " ", g) for g in m.groups())
            if (x in read) != (y in read) and f"{x} et {y}" not in _PLACE_CODES:
                other = y if x in read else x
                departments |= _PLACE_CODES.get(other, set())
                labels.append(_PLACE_LABELS.get(other, other))
                read.add(other)
                area = area or _names_area(folded, m.start(), other)
    for m in _ARTICLE_PLACE_RE.finditer(folded) if not _ARTICLE_PLACE_GATE.isdisjoint(words) else ():
        if _beyond(folded, m, 0):
            continue
        place = m.group(1) or m.group(2) or m.group(3)
        departments |= _PLACE_CODES.get(place, set())
        labels.append(_PLACE_LABELS.get(place, place))
        area = area or _names_area(folded, m.start())
    for m in _ADJECTIVE_RE.finditer(folded) if not _ADJECTIVE_GATE.isdisjoint(words) else ():
        if _beyond(folded, m, 0):
            continue
        name = _ADJECTIVES[m.group(1).replace("-", " ")]
        key = fold(name).replace("-", " ").replace("'", " ")
        departments |= _PLACE_CODES.get(key, set())
        labels.append(name)
        area = area or _names_area(folded, m.start())
    for m in _CODE_RE.finditer(folded):
        code = m.group(1).upper()
        if code in geodata.DEPARTMENTS:
            departments.add(code)
            labels.append(code)
            area = area or _names_area(folded, m.start())
    epcis: set[int] = set()
    if _EPCI_RE is not None and not _EPCI_GATE.isdisjoint(words):
        for m in _EPCI_RE.finditer(folded):
            if _beyond(folded, m, 1):
                continue
            number, label = _EPCI_NAMES[re.sub(r"\s+", " ", m.group(1))]
            epcis.add(number)
            labels.append(label)
            area = area or _names_area(folded, m.start())
    if not _MAINLAND_GATE.isdisjoint(words) and "outre" not in words and _MAINLAND_RE.search(folded):
        # "Partout en France métropolitaine": anywhere but overseas.
        departments |= _MAINLAND
        labels.append("France métropolitaine")
        area = True
    own = None
    m = _OWN_RE.search(folded) if not _OWN_GATE.isdisjoint(words) else None
    if m:
        own = _OWN_LEVEL.get(m.group(1), "epci")
    radius = None
    m = _RADIUS_RE.search(folded) if "km" in words else None
    if m:
        radius = int(m.group(1) or m.group(2))
    exclusive = not _EXCLUSIVE_GATE.isdisjoint(words) and bool(_EXCLUSIVE_RE.search(folded))
    remote = (not _REMOTE_GATE.isdisjoint(words) or prefixed) and bool(
        _REMOTE_RE.search(folded) or (_VISIO_RE.search(folded) and not _VISIO_SUBJECT_RE.search(folded))
    )
    on_site = not _ON_SITE_GATE.isdisjoint(words) and bool(_ON_SITE_RE.search(folded))
    if epcis and departments:
        # "Grand Poitiers, dans la Vienne": the intercommunality is the narrower statement.
        departments = set()
        labels = [communes.epcis()[n][1] for n in sorted(epcis)]
    if not (departments or own or radius or epcis):
        return Scope(remote=remote, on_site=on_site) if remote or on_site else NO_SCOPE
    label = ", ".join(dict.fromkeys(labels)) if labels else ""
    return Scope(
        departments=frozenset(departments),
        own=own if not (departments or epcis) else None,
        radius_km=radius,
        hard=exclusive or radius is not None,
        remote=remote and not exclusive,
        label=label,
        epcis=frozenset(epcis),
        on_site=on_site,
        area=area,
    )
