"""The field's vocabulary: synonyms, abbreviations, cue words for kinds of help, and French stop words.

Pure data, no Django: the data lives in data/lexicon.toml (see its header); this module loads and checks
it. Each concept lists the phrases that mean it; a text containing any of them gets the concept token, so
"aînés" meets "personnes âgées". `parents` adds broader concepts, `type` says which kind of help a concept
suggests when a need or offer has no type code.
"""

from __future__ import annotations

import tomllib
from importlib.resources import files
from pathlib import Path
from typing import NamedTuple

from terreau.vocabulary import THEMES, TYPES

DATA_FILE = files("terreau.matching") / "data" / "lexicon.toml"


class Concept(NamedTuple):
    label: str  # French word shown in explanations
    phrases: tuple[str, ...]
    parents: tuple[str, ...] = ()
    type: str | None = None  # a type code (vocabulary.TYPES) suggested by the concept


def load(path: Path | None = None) -> tuple[dict[str, Concept], frozenset[str], dict[str, tuple[str, ...]]]:
    """(concepts by name in the file's order, stop words, topics: theme code -> phrases) read from a lexicon
    file; ValueError when a concept is malformed, names an unknown parent or an unknown type code, or a topic
    is not a theme code."""
    raw = tomllib.loads((path or DATA_FILE).read_text(encoding="utf-8"))
    concepts: dict[str, Concept] = {}
    for name, entry in raw.get("concepts", {}).items():
        unknown = set(entry) - set(Concept._fields)
        if unknown or not entry.get("label") or not entry.get("phrases"):
            raise ValueError(f"lexicon: concept {name!r} needs a label and phrases (unknown keys: {unknown})")
        concepts[name] = Concept(
            label=entry["label"],
            phrases=tuple(entry["phrases"]),
            parents=tuple(entry.get("parents", ())),
            type=entry.get("type"),
        )
    for name, concept in concepts.items():
        missing = [p for p in concept.parents if p not in concepts]
        if missing:
            raise ValueError(f"lexicon: concept {name!r} has unknown parents {missing}")
        if concept.type is not None and concept.type not in TYPES:
            raise ValueError(f"lexicon: concept {name!r} has an unknown type {concept.type!r}")
    topics = {theme: tuple(phrases) for theme, phrases in raw.get("topics", {}).items()}
    unknown_topics = set(topics) - set(THEMES)
    if unknown_topics:
        raise ValueError(f"lexicon: topics {sorted(unknown_topics)} are not theme codes")
    return concepts, frozenset(raw.get("stop_words", ())), topics


# Words that carry no matching information in this field, besides terreau.core.french's stop words.
CONCEPTS, NOISE_WORDS, TOPICS = load()
