"""What goes in and out of the engine: organisations with their needs and offers, partners with their pairs."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

# --- input -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Item:
    id: str
    text: str
    type: str | None = None
    theme: str | None = None
    status: str | None = None
    updated: dt.date | None = None


@dataclass(frozen=True)
class Organisation:
    id: str
    kind: str = "other"
    name: str = ""
    commune: str | None = None
    themes: tuple[str, ...] = ()
    needs: tuple[Item, ...] = ()
    offers: tuple[Item, ...] = ()
    lat: float | None = None
    lon: float | None = None


def item_from_dict(d: Mapping) -> Item:
    updated = d.get("updated")
    if isinstance(updated, str):
        updated = dt.date.fromisoformat(updated[:10])
    return Item(
        id=str(d["id"]),
        text=d.get("text") or "",
        type=d.get("type") or None,
        theme=d.get("theme") or None,
        status=d.get("status") or None,
        updated=updated,
    )


def organisation_from_dict(d: Mapping) -> Organisation:
    """Builds an Organisation from one (already validated) line of the exchange format."""
    return Organisation(
        id=str(d["id"]),
        kind=d.get("kind") or "other",
        name=d.get("name") or "",
        commune=d.get("commune") or None,
        themes=tuple(d.get("themes") or ()),
        needs=tuple(item_from_dict(x) for x in d.get("needs") or ()),
        offers=tuple(item_from_dict(x) for x in d.get("offers") or ()),
        lat=d.get("lat"),
        lon=d.get("lon"),
    )


# --- output ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Pair:
    need: str
    offer: str
    direction: str  # "receives": the organisation's need meets the partner's offer; "gives": the reverse
    score: float

    def as_dict(self) -> dict:
        return {"need": self.need, "offer": self.offer, "direction": self.direction, "score": self.score}


@dataclass(frozen=True)
class Partner:
    id: str
    score: float
    pairs: tuple[Pair, ...]
    why: tuple[str, ...]

    def as_dict(self) -> dict:
        return {
            "id": self.id,
            "score": self.score,
            "pairs": [p.as_dict() for p in self.pairs],
            "why": list(self.why),
        }


class ScoredPairs(NamedTuple):
    """Scored (need, offer) pairs as parallel arrays of item slots (rows of Index.needs / Index.offers).

    Unpacks as (need slots, offer slots, scores); Index.pairs_for_items() makes them and
    Index.partners_from_pairs() turns them, possibly filtered or re-weighted, into partners."""

    need: np.ndarray  # need slots (integers)
    offer: np.ndarray  # offer slots (integers)
    score: np.ndarray  # scores in [0, 1] (floats)


class PairDetails(NamedTuple):
    """What callers outside the engine may know of pairs of item slots (Index.pair_details), as parallel
    lists: the items' ids, their organisations' ids, their type codes (given, or read from the text), the
    distance between the organisations (None when a coordinate is missing) and whether either item says the
    help can be given remotely."""

    need_id: list[str]
    offer_id: list[str]
    need_org: list[str]
    offer_org: list[str]
    need_type: list[str | None]
    offer_type: list[str | None]
    distance_km: list[float | None]
    remote: list[bool]
