"""Plain records describing demo content, kept free of database concerns."""

from __future__ import annotations

from dataclasses import dataclass, field


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


@dataclass(frozen=True)
class BranchData:
    slug: str
    name: str
    description: str
    departments: tuple[str, ...]
    contact_email: str
    organisations: tuple[Org, ...] = field(default_factory=tuple)


def need(type_: str, theme: str | None, title: str, description: str, **extra) -> Item:
    return Item("need", type_, theme, title, description, **extra)


def offer(type_: str, theme: str | None, title: str, description: str, **extra) -> Item:
    return Item("offer", type_, theme, title, description, **extra)
