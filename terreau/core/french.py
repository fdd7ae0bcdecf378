"""French text toolkit: folding, stop words and stemming, for search, matching and territories.

Pure Python (no Django, no domain import), so the pure engines may use it too.

- ``fold(text)``: lower case, no accents, ligatures spelt out ("Œuvre" -> "oeuvre"); punctuation kept.
- ``fold_key(text)``: ``fold`` with every other character than an ASCII letter or digit turned into a single
  space: the key of accent-, case- and punctuation-insensitive lookups ("Vandœuvre-lès-Nancy" ->
  "vandoeuvre les nancy").
- ``STOP_WORDS``: the French stop words (PostgreSQL's ``tsearch_data/french.stop``, the Snowball list),
  folded.
- ``stem(word)``: the Snowball French stem of a word (the algorithm of PostgreSQL's ``french_stem``).
"""

from __future__ import annotations

import functools
import threading
import unicodedata

import snowballstemmer

# Letters that Unicode does not decompose into a base letter and accents.
_LIGATURES = str.maketrans({"œ": "oe", "æ": "ae", "ß": "ss", "ﬀ": "ff", "ﬁ": "fi", "ﬂ": "fl"})


def fold(text: str) -> str:
    """Lower case, no accents, ligatures spelt out ("Âgées" -> "agees", "Cœur" -> "coeur"); punctuation kept."""
    decomposed = unicodedata.normalize("NFKD", text.lower().translate(_LIGATURES))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


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
