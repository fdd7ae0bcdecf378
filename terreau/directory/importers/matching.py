"""Which organisation a row designates: the same SIRET, else the same SIREN, else the same RNA number,
among the organisations already in the database (any branch) and those created earlier in the batch.

Privacy of other branches: a row matching an organisation of another branch is ignored, and the report
(read by the importing branch's staff) names that organisation only when it is public through the access
rules; otherwise it says only which of the row's identifiers is already used elsewhere.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db import connection
from django.db.models import Q
from django.utils.translation import gettext as _

from terreau.core import access
from terreau.directory.importers.formats.columns import Candidate
from terreau.directory.importers.staging import New, pg_text_array
from terreau.directory.models import Organisation

# Columns read from existing organisations to match rows and detect changes: the identifiers, the branch and
# visibility, and every field a format's mapper can fill (see formats/; "commune_id" is added by the batch).
EXISTING_FIELDS = (
    "id",
    "branch_id",
    "visibility",
    "name",
    "siret",
    "siren",
    "rna",
    "kind",
    "acronym",
    "legal_category",
    "workforce_band",
    "naf_code",
    "commune_id",
    "address",
    "postal_code",
    "website",
    "email",
    "phone",
    "description",
)


class Existing:
    """An existing organisation's matching and importable fields, as plain attributes (no model instance:
    building thousands of them per batch dominated the re-import)."""

    def __init__(self, values: dict[str, Any]):
        self.__dict__.update(values)

    @property
    def pk(self) -> int:
        return self.id


@dataclass
class Index:
    """Organisations of the batch (existing or new) by identifier, in matching priority order."""

    by_siret: dict[str, Any] = field(default_factory=dict)
    by_siren: dict[str, Any] = field(default_factory=dict)
    by_rna: dict[str, Any] = field(default_factory=dict)

    def add(self, target: Any, *, siret: str, siren: str, rna: str) -> None:
        if siret:
            self.by_siret.setdefault(siret, target)
        if siren:
            self.by_siren.setdefault(siren, target)
        if rna:
            self.by_rna.setdefault(rna, target)

    def find(self, c: Candidate) -> Any:
        return (
            (c.siret and self.by_siret.get(c.siret))
            or (c.siren and self.by_siren.get(c.siren))
            or (c.rna and self.by_rna.get(c.rna))
            or None
        )


def conflict(target: Any, cand: Candidate) -> str:
    """Why a row cannot update the organisation it matched: another SIREN or RNA number is already set."""
    values = target.values if isinstance(target, New) else target.__dict__
    name = values.get("name", "")
    for attr, label in (("siren", "SIREN"), ("rna", "RNA")):
        mine, theirs = getattr(cand, attr), values.get(attr) or ""
        if mine and theirs and mine != theirs:
            return _(
                "Identifiants contradictoires : cette ligne désigne l'organisation « %(name)s » "
                "(%(identifier)s) qui a déjà le %(label)s %(theirs)s, et non %(mine)s. Ligne ignorée."
            ) % {"name": name, "identifier": cand.identifier, "label": label, "theirs": theirs, "mine": mine}
    return ""


def in_another_branch(target: Existing, cand: Candidate, *, named: bool) -> str:
    """Why a row matching an organisation of another branch is ignored. The report is read by the importing
    branch's staff: the organisation is named only when it is public (``named``), otherwise the report says
    only which of the row's identifiers is already used elsewhere, never the organisation's name nor its other
    identifiers."""
    if named:
        return _(
            "L'organisation « %(name)s » (%(identifier)s) est rattachée à une autre antenne : "
            "elle n'est pas modifiée."
        ) % {"name": target.name, "identifier": cand.identifier}
    matched = [
        (label, mine)
        for attr, label in (("siret", "SIRET"), ("siren", "SIREN"), ("rna", "RNA"))
        if (mine := getattr(cand, attr)) and mine == getattr(target, attr)
    ]
    if not matched:  # cannot happen (the row was matched on one of them): say less rather than fail
        return _(
            "Un identifiant de cette ligne est déjà utilisé par une organisation d'une autre antenne : "
            "ligne ignorée, rien n'est modifié."
        )
    label, value = matched[0]
    return _(
        "Le %(label)s %(value)s est déjà utilisé par une organisation d'une autre antenne : "
        "ligne ignorée, rien n'est modifié."
    ) % {"label": label, "value": value}


def existing_for(candidates: list[Candidate]) -> list[Existing]:
    """The organisations (any branch) with one of the candidates' SIRET, SIREN or RNA numbers, by id."""
    q = Q()
    sirets = {c.siret for c in candidates if c.siret}
    sirens = {c.siren for c in candidates if c.siren}
    rnas = {c.rna for c in candidates if c.rna}
    if sirets:
        q |= Q(siret__in=sirets)
    if sirens:
        q |= Q(siren__in=sirens)
    if rnas:
        q |= Q(rna__in=rnas)
    if not q:
        return []
    if connection.vendor == "postgresql":
        # One array parameter per identifier instead of thousands of placeholders.
        quote = connection.ops.quote_name
        table = quote(Organisation._meta.db_table)
        columns = ", ".join(quote(Organisation._meta.get_field(a).column) for a in EXISTING_FIELDS)
        arrays = [pg_text_array(v) if v else ("%s::text[]", []) for v in (sirets, sirens, rnas)]
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {columns} FROM {table} "  # noqa: S608 - quoted model identifiers, constant SQL
                f"WHERE siret = ANY({arrays[0][0]}) OR siren = ANY({arrays[1][0]}) "
                f"OR rna = ANY({arrays[2][0]}) ORDER BY id",
                [a[1] for a in arrays],
            )
            rows = cursor.fetchall()
    else:
        rows = Organisation.objects.filter(q).order_by("pk").values_list(*EXISTING_FIELDS)
    return [Existing(dict(zip(EXISTING_FIELDS, row, strict=True))) for row in rows]


def public_ids(ids: list[int]) -> set[int]:
    """Which of these organisations anyone may see (through the access rules), hence may be named."""
    if not ids:
        return set()
    public = access.visible(None, Organisation.objects.filter(pk__in=ids))
    return set(public.values_list("pk", flat=True))


def current_themes(existing: list[Existing], candidates: list[Candidate]) -> dict[int, set[str]]:
    """The theme codes of the existing organisations, when a candidate sets themes (else empty)."""
    current: dict[int, set[str]] = defaultdict(set)
    if existing and any(c.themes is not None for c in candidates):
        through = Organisation.themes.through.objects.filter(organisation_id__in=[o.pk for o in existing])
        for org_id, theme_id in through.values_list("organisation_id", "theme_id"):
            current[org_id].add(theme_id)
    return current
