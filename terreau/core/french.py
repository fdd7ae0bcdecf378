"""French text toolkit: folding, stop words and stemming, for search, matching and territories.

Pure Python (no Django, no domain import), so the pure engines may use it too.

- ``fold(text)``: lower case, no accents, ligatures spelt out ("Œuvre" -> "oeuvre"); punctuation kept.
- ``fold_key(text)``: ``fold`` with every other character than an ASCII letter or digit turned into a single
  space: the key of accent-, case- and punctuation-insensitive lookups ("Vandœuvre-lès-Nancy" ->
  "vandoeuvre les nancy").
- ``STOP_WORDS``: the French stop words (PostgreSQL's ``tsearch_data/french.stop``, the Snowball list),
  folded.
- ``stem(word)``: the Snowball French stem of a word (the algorithm of PostgreSQL's ``french_stem``).
- ``sort_key(text)``: the key to sort names as a French reader expects ("Élan" beside "Elan", before "Fabre";
  case, accents, ligatures and punctuation ignored first).
- ``of(name)`` / ``at(name)``: "de" / "à" before a name, elided or contracted ("d'Antoine", "de l'EHPAD
  Les Glycines", "du Secours populaire", "au Mans", "à l'Espace Mendès-France").
- ``first_of_month(text)``: "1er" for the first day of a month in a written date ("vendredi 1er janvier",
  "1er sept. 2026"); Django's French formats write "1 janvier".
"""

from __future__ import annotations

import functools
import re
import threading
import unicodedata

import snowballstemmer

# Letters that Unicode does not decompose into a base letter and accents.
_LIGATURES = str.maketrans({"œ": "oe", "æ": "ae", "ß": "ss", "ﬀ": "ff", "ﬁ": "fi", "ﬂ": "fl"})


def fold(text: str) -> str:
    """Lower case, no accents, ligatures spelt out ("Âgées" -> "agees", "Cœur" -> "coeur"); punctuation kept."""
    decomposed = unicodedata.normalize("NFKD", text.lower().translate(_LIGATURES))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


_WORD = re.compile(r"[^\W_]+")


def folded_words(text: str) -> list[str]:
    """The words of ``fold(text)``, apostrophes and hyphens as word breaks ("L’Isle-d'Abeau" -> l isle d abeau):
    what the matching engine's regular expressions read, joined by single spaces."""
    return _WORD.findall(fold(text.replace("’", "'")))


def fold_key(text: str) -> str:
    """``fold(text)`` with anything but ASCII letters and digits as single spaces, trimmed."""
    return " ".join("".join(c if (c.isascii() and c.isalnum()) else " " for c in fold(text)).split())


# PostgreSQL's tsearch_data/french.stop (the Snowball French stop list), folded. PostgreSQL runs unaccent
# before french_stem, so only the entries without accents ever match a token: the list keeps those, so
# that the SQLite search finds what PostgreSQL finds.
_FRENCH_STOP = """
    au aux avec ce ces dans de des du elle en et eux il je la le leur lui ma mais me mes moi mon ne nos notre
    nous on ou par pas pour qu que qui sa se ses son sur ta te tes toi ton tu un une vos votre vous c d j l
    m n s t y suis es est sommes sont serai seras sera serons serez seront serais serait serions seriez
    seraient fus fut furent sois soit soyons soyez soient fusse fusses fussions fussiez fussent ayant ayante
    ayantes ayants eu eue eues eus ai as avons avez ont aurai auras aura aurons aurez auront aurais aurait
    aurions auriez auraient avais avait avions aviez avaient eut eurent aie aies ait ayons ayez aient eusse
    eusses eussions eussiez eussent
"""
STOP_WORDS = frozenset(_FRENCH_STOP.split())

_local = threading.local()


def _stemmer():
    # Snowball stemmer objects keep state while they work: one per thread.
    stemmer = getattr(_local, "stemmer", None)
    if stemmer is None:
        stemmer = _local.stemmer = snowballstemmer.stemmer("french")
    return stemmer


@functools.lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    """Snowball French stem of a lower-case word ("tablettes" -> "tablet")."""
    return _stemmer().stemWord(word)


def sort_key(text: str | None) -> tuple[str, str, str]:
    """French alphabetical order: accents, case, ligatures and punctuation break ties only."""
    text = text or ""
    return (fold_key(text), fold(text), text)


# Names starting with one of these common nouns take the article: "de l'EHPAD", "à l'Association …".
_COMMON_NOUNS = frozenset(
    [
        "academie",
        "accueil",
        "agence",
        "aide",
        "alliance",
        "amicale",
        "antenne",
        "assemblee",
        "association",
        "atelier",
        "auberge",
        "ecole",
        "ehpad",
        "entreprise",
        "epicerie",
        "espace",
        "etablissement",
        "etablissements",
        "hopital",
        "hotel",
        "institut",
        "observatoire",
        "office",
        "union",
        "unite",
        "universite",
        "usine",
    ]
)
# Article at the start of a name -> (after "de", after "à"); "La" stays as written ("de La Rochelle").
_CONTRACTIONS = {
    "le": ("du", "au"),
    "les": ("des", "aux"),
}


def _elides(name: str) -> bool:
    """Does "de"/"le" elide before ``name``? Vowels and mute h do; "y" before a consonant does (Yves)."""
    first = fold(name[:2])
    if not first:
        return False
    if first[0] in "aeiouh":
        return True
    return first[0] == "y" and len(first) > 1 and first[1] not in "aeiou"


def _with_preposition(name: str, index: int, plain: str) -> str:
    name = " ".join((name or "").split())
    if not name:
        return name
    words = name.split(" ", 1)
    article = fold(words[0])
    if article in _CONTRACTIONS and len(words) == 2:
        return f"{_CONTRACTIONS[article][index]} {words[1]}"
    if article[:2] in ("l'", "l’") and len(article) > 2:
        return f"{plain} {name[0].lower()}{name[1:]}" if index == 1 else f"de {name[0].lower()}{name[1:]}"
    if fold_key(words[0]) in _COMMON_NOUNS:
        return f"{plain} l'{name}" if _elides(name) else f"{plain} la {name}"
    if index == 0 and _elides(name):
        return f"d'{name}"
    return f"{plain} {name}"


def of(name: str) -> str:
    """ "de" before a name: "d'Antoine", "de l'EHPAD Les Glycines", "du Secours populaire", "de Poitiers"."""
    return _with_preposition(name, 0, "de")


def at(name: str) -> str:
    """ "à" before a place's name: "à Poitiers", "au Mans", "aux Sables-d'Olonne", "à l'EHPAD Les Glycines"."""
    return _with_preposition(name, 1, "à")


# "1" directly followed by a French month name or its abbreviation, not preceded by a digit ("21 janvier" stays).
_FIRST_OF_MONTH = re.compile(
    r"(?<![\w.,])1 (?=(?:janvier|février|mars|avril|mai|juin|juillet|août|septembre|octobre|novembre|décembre"
    r"|janv\.|févr\.|avr\.|juil\.|sept\.|oct\.|nov\.|déc\.)(?!\w))",
    re.IGNORECASE,
)


def first_of_month(text: str) -> str:
    """The first day of a month written "1er", as French typography asks ("1er janvier 2027", not "1 janvier")."""
    return _FIRST_OF_MONTH.sub("1er ", text)
