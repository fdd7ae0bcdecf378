"""Plain records describing demo content, read from the JSON files of terreau/demo/data, kept free of
database concerns.

Each branch file (poitou.json, alsace.json) holds the branch and its organisations; an organisation lists
its needs and offers under "items". Fields left out of a file take the defaults of the records below.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any


@cache
def read(name: str) -> Any:
    """The parsed content of terreau/demo/data/NAME (read once per process; callers must not mutate it)."""
    return json.loads(resources.files("terreau.demo").joinpath("data", name).read_text(encoding="utf-8"))


@dataclass(frozen=True)
class Item:
    """A need (besoin) or an offer (ressource) of a demo organisation."""

    direction: str  # "need" or "offer"
    type: str  # key of terreau.vocabulary.TYPES
    theme: str | None  # key of terreau.vocabulary.THEMES, None when the actor gave none
    title: str
    description: str
    quantity: int | None = None
    value: int | None = None  # estimated value in euros
    scope: str = "department"
    status: str = "open"
    visibility: str = "public"
    # Period relative to the day of loading, in days (start, end); None for no period.
    period: tuple[int, int] | None = None

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> Item:
        period = data.get("period")
        return cls(**{**data, "period": tuple(period) if period is not None else None})


@dataclass(frozen=True)
class Org:
    """A demo organisation and what it needs and offers."""

    slug: str
    name: str
    kind: str  # OrganisationKind value
    commune: str  # INSEE code, must be in terreau.demo.geography.COMMUNES
    description: str
    items: tuple[Item, ...] = ()
    acronym: str = ""
    host_type: str = ""
    legal_category: str = ""
    workforce_band: str = ""
    naf_code: str = ""
    siren: str = ""
    website: str = ""
    themes: tuple[str, ...] = ()
    visibility: str = "public"
    private_notes: str = ""

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> Org:
        return cls(
            **{
                **data,
                "items": tuple(Item.from_data(item) for item in data.get("items", ())),
                "themes": tuple(data.get("themes", ())),
            }
        )


@dataclass(frozen=True)
class BranchData:
    slug: str
    name: str
    description: str
    departments: tuple[str, ...]
    contact_email: str
    organisations: tuple[Org, ...] = field(default_factory=tuple)

    @classmethod
    def from_file(cls, name: str) -> BranchData:
        data = read(name)
        return cls(
            **{
                **data,
                "departments": tuple(data["departments"]),
                "organisations": tuple(Org.from_data(org) for org in data.get("organisations", ())),
            }
        )
