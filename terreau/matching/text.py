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
from dataclasses import dataclass, field
from functools import lru_cache

from terreau.core import french
from terreau.core.french import fold

from . import geodata, lexicon

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
}

_DETERMINERS = frozenset(
    [
        "un",
        "le",
        "du",
        "des",
        "notre",
        "nos",
        "votre",
        "vos",
        "ce",
        "ces",
        "cet",
        "leur",
        "leurs",
        "les",
        "mon",
        "mes",
        "son",
        "ses",
        "au",
        "aux",
        "d",
        "l",
        "de",
        "grand",
        "grands",
        "petit",
        "petits",
        "beau",
        "beaux",
        "nouveau",
        "nouveaux",
        "vrai",
        "premier",
    ]
)
_PREMISES_NEXT = frozenset(
    [
        "associatif",
        "associatifs",
        "commercial",
        "commerciaux",
        "vacant",
        "vacants",
        "partage",
        "partages",
        "disponible",
        "disponibles",
        "equipe",
        "equipes",
        "meuble",
        "meubles",
        "adapte",
        "adaptes",
        "chauffe",
        "chauffes",
        "accessible",
        "accessibles",
    ]
)
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


# Words whose Snowball stem collides with an unrelated word ("communication" and "commune" -> "commun").
_STEM_OVERRIDES = {
    "communication": "communic",
    "communications": "communic",
    "communiquer": "communic",
    "communiquons": "communic",
    "aidant": "aidant",
    "aidants": "aidant",
    "aidante": "aidant",
    "aidantes": "aidant",
}


@lru_cache(maxsize=200_000)
def _stem(word: str) -> str:
    """Snowball French stem of a lower-case word, accents folded afterwards."""
    folded = fold(word)
    return _STEM_OVERRIDES.get(folded) or fold(french.stem(word))


@lru_cache(maxsize=200_000)
def _word(word: str) -> tuple[str, str, str]:
    return (word, fold(word), _stem(word))


def _raw_tokens(text: str) -> list[tuple[str, str, str]]:
    """(surface, folded, stem) for each word of the text."""
    text = text.replace("’", "'").replace("€", " euros ")
    return [_word(w) for w in _WORD.findall(text.lower())]


_RULE_WORDS = frozenset(
    ["local", "locaux", "locale", "locales", "reseau", "reseaux", "mobilite", "mobilites"]
)
_RULE_STEMS = frozenset({"format", "form"})


def _apply_rules(tokens: list[tuple[str, str, str]]) -> list[tuple[str, str, str]]:
    """Rewrites the stems of ambiguous words from their neighbours (see the module docstring)."""
    out = list(tokens)
    n = len(out)
    for i, (surface, folded, st) in enumerate(out):
        if folded not in _RULE_WORDS and st not in _RULE_STEMS:
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
    stems = tuple(st for _, folded, st in toks if folded not in _STOP and st not in _STOP)
    return stems or tuple(st for _, _, st in toks)


def _compile_lexicon() -> tuple[dict[str, list[tuple[tuple[str, ...], str, str]]], dict[str, str]]:
    """first stem -> [(stems, concept, phrase)] longest first; concept -> type."""
    table: dict[str, list[tuple[tuple[str, ...], str, str]]] = {}
    for name, concept in lexicon.CONCEPTS.items():
        for phrase in concept.phrases:
            stems = phrase_stems(phrase)
            if not stems:
                continue
            label = phrase if phrase not in MARKERS else concept.label
            table.setdefault(stems[0], []).append((stems, name, label))
    for entries in table.values():
        entries.sort(key=lambda e: -len(e[0]))
    return table, {n: c.type for n, c in lexicon.CONCEPTS.items() if c.type}


_LEXICON, _CONCEPT_TYPES = _compile_lexicon()
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


# --- territorial scope -------------------------------------------------------------------------------

# Place names count after a preposition; names that are also common words ("Cher", "Somme", "Nord") only
# after "dans le", "en" or "département".
_PLACE_PREFIX = r"(?:dans|sur|en|a|au|aux|d|de|du|des|et|ou|autour\s+de|pres\s+de|departement)\s+(?:(?:la|le|les|l|du|de|des)\s+)?"
_STRICT_PREFIX = r"(?:dans\s+(?:la|le|les|l)|en|departement\s+(?:de\s+la|de\s+l|du|des|de))\s+"
_AMBIGUOUS_PLACES = frozenset(
    [
        "nord",
        "cher",
        "somme",
        "lot",
        "var",
        "manche",
        "ain",
        "orne",
        "oise",
        "eure",
        "gard",
        "loire",
        "marne",
        "meuse",
        "aude",
        "creuse",
        "indre",
        "doubs",
        "tarn",
        "gers",
        "landes",
        "vosges",
        "jura",
        "cantal",
        "allier",
        "aisne",
        "savoie",
        "centre",
        "est",
        "ouest",
        "sud",
        "charente",
        "vienne",
    ]
)


_PLACE_LABELS: dict[str, str] = {}


def _place_table() -> list[tuple[str, frozenset[str]]]:
    """Folded place name -> department codes: departments, their prefectures, regions, former regions."""
    places: dict[str, set[str]] = {}

    def add(name: str, codes) -> None:
        key = fold(name).replace("-", " ").replace("'", " ")
        places.setdefault(key, set()).update(codes)
        _PLACE_LABELS.setdefault(key, name)

    for code, (name, region, prefecture) in geodata.DEPARTMENTS.items():
        add(name, [code])
        if prefecture:
            add(prefecture, [code])
        if geodata.REGIONS.get(region):
            add(geodata.REGIONS[region], [code])
    for name, codes in {
        "Poitou-Charentes": "16 17 79 86",
        "Alsace": "67 68",
        "Lorraine": "54 55 57 88",
        "Limousin": "19 23 87",
        "Aquitaine": "24 33 40 47 64",
        "Champagne-Ardenne": "08 10 51 52",
    }.items():
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
    r"\b(?:notre|nos|meme|sur\s+(?:le|la|l)|dans\s+(?:le|la|l))\s+(departement|region|commune|ville|quartier|agglomeration)\b"
)
_REMOTE_RE = re.compile(
    r"\b(partout\s+en\s+france|toute\s+la\s+france|national(?:e|ement)?|a\s+distance|en\s+ligne|visio\w*|"
    r"teletravail|france\s+entiere)\b"
)


# A text can only carry a scope if one of these words is in it (a cheap test before the regexes).
_SCOPE_WORDS = frozenset(
    {p.split()[0] for p, _ in _PLACES}
    | {
        "departement",
        "dans",
        "rayon",
        "moins",
        "maximum",
        "max",
        "distance",
        "km",
        "notre",
        "nos",
        "meme",
        "sur",
        "partout",
        "toute",
        "national",
        "nationale",
        "nationalement",
        "ligne",
        "teletravail",
        "france",
        "visio",
        "visioconference",
    }
)


@dataclass(frozen=True)
class Scope:
    """Where a need or offer wants its partner to be. `hard` scopes exclude partners outside them."""

    departments: frozenset[str] = frozenset()
    own: str | None = None  # "commune", "department" or "region": the organisation's own area
    radius_km: int | None = None
    hard: bool = False
    remote: bool = False  # "à distance", "partout en France": distance does not matter
    label: str = ""

    @property
    def empty(self) -> bool:
        return not (self.departments or self.own or self.radius_km)


NO_SCOPE = Scope()


def parse_scope(text: str, folded_words: list[str] | None = None) -> Scope:
    if folded_words is None:
        folded_words = _WORD.findall(fold(text.replace("’", "'")))
    folded = " ".join(folded_words)
    if not _SCOPE_WORDS.intersection(folded_words):
        return NO_SCOPE
    departments: set[str] = set()
    labels = []
    for m in _PLACE_RE.finditer(folded):
        place = re.sub(r"\s+", " ", m.group(1) or m.group(2))
        departments |= _PLACE_CODES.get(place, set())
        labels.append(_PLACE_LABELS.get(place, place))
    for m in _CODE_RE.finditer(folded):
        code = m.group(1).upper()
        if code in geodata.DEPARTMENTS:
            departments.add(code)
            labels.append(code)
    own = None
    m = _OWN_RE.search(folded)
    if m:
        own = {"departement": "department", "region": "region"}.get(m.group(1), "commune")
        if m.group(1) in {"agglomeration", "ville", "quartier"}:
            own = "department"
    radius = None
    m = _RADIUS_RE.search(folded)
    if m:
        radius = int(m.group(1) or m.group(2))
    exclusive = bool(_EXCLUSIVE_RE.search(folded))
    remote = bool(_REMOTE_RE.search(folded))
    if not (departments or own or radius):
        return Scope(remote=remote) if remote else NO_SCOPE
    label = ", ".join(dict.fromkeys(labels)) if labels else ""
    return Scope(
        departments=frozenset(departments),
        own=own if not departments else None,
        radius_km=radius,
        hard=exclusive or radius is not None,
        remote=remote and not exclusive,
        label=label,
    )


# --- analysis ----------------------------------------------------------------------------------------


@dataclass
class Analysis:
    terms: dict[str, float] = field(default_factory=dict)  # term -> raw weight (1 + log tf)
    surfaces: dict[str, str] = field(default_factory=dict)  # term -> first surface form seen
    types: frozenset[str] = frozenset()  # kinds of help suggested by the text
    scope: Scope = NO_SCOPE


def analyse(text: str) -> Analysis:
    raw = _raw_tokens(text)
    tokens = _apply_rules(raw)
    content = [
        (surface, st)
        for surface, folded, st in tokens
        if folded not in _STOP and st not in _STOP and (len(st) > 1 or st.isdigit())
    ]
    counts: dict[str, int] = {}
    surfaces: dict[str, str] = {}
    for surface, st in content:
        if st.isdigit():
            continue
        counts[st] = counts.get(st, 0) + 1
        surfaces.setdefault(st, surface)
    types: set[str] = set()
    content_stems = tuple(st for _, st in content)
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
                    if concept in _CONCEPT_TYPES:
                        types.add(_CONCEPT_TYPES[concept])
                matched = k
        i += matched or 1
    # Markers are rule outputs, not words a person would recognise.
    for marker in ("localadj", "reseautech"):
        counts.pop(marker, None)
    terms = {t: 1.0 + math.log(c) for t, c in counts.items()}
    return Analysis(
        terms=terms, surfaces=surfaces, types=frozenset(types), scope=parse_scope(text, [t[1] for t in raw])
    )
