"""Loads the official geography from npm's @etalab/decoupage-administratif (installed at set-up)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import transaction

from terreau.core.french import fold_key
from terreau.territories.models import Commune, Department, Epci, PostalCode, Region

DATA_DIR = settings.NODE_MODULES / "@etalab" / "decoupage-administratif" / "data"
# Current communes plus the municipal districts of Paris, Lyon and Marseille, which have their own codes.
COMMUNE_TYPES = {"commune-actuelle", "arrondissement-municipal"}


@dataclass
class LoadResult:
    regions: int
    departments: int
    communes: int
    postal_codes: int
    epcis: int = 0


def _read(data_dir: Path, name: str) -> list[dict]:
    path = data_dir / name
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing: run 'npm ci' (see scripts/setup.sh).")
    return json.loads(path.read_text(encoding="utf-8"))


@transaction.atomic
def load_territories(*, data_dir: Path = DATA_DIR, departments: set[str] | None = None) -> LoadResult:
    """Upserts regions, departments and communes; keeps coordinates already geocoded.

    ``departments`` restricts communes to those departments (used by fast tests).
    """
    regions = [Region(code=r["code"], name=r["nom"]) for r in _read(data_dir, "regions.json")]
    Region.objects.bulk_create(regions, update_conflicts=True, unique_fields=["code"], update_fields=["name"])
    depts = [
        Department(code=d["code"], name=d["nom"], region_id=d["region"])
        for d in _read(data_dir, "departements.json")
    ]
    Department.objects.bulk_create(
        depts, update_conflicts=True, unique_fields=["code"], update_fields=["name", "region"]
    )
    communes: list[Commune] = []
    postal: list[tuple[str, str]] = []
    for c in _read(data_dir, "communes.json"):
        if c.get("type") not in COMMUNE_TYPES or not c.get("departement"):
            continue
        if departments is not None and c["departement"] not in departments:
            continue
        communes.append(
            Commune(
                code=c["code"],
                name=c["nom"],
                name_folded=fold_key(c["nom"]),
                department_id=c["departement"],
                population=c.get("population"),
            )
        )
        postal.extend((cp, c["code"]) for cp in c.get("codesPostaux", []))
    Commune.objects.bulk_create(
        communes,
        batch_size=2000,
        update_conflicts=True,
        unique_fields=["code"],
        update_fields=["name", "name_folded", "department", "population"],
    )
    PostalCode.objects.bulk_create(
        [PostalCode(code=cp, commune_id=code) for cp, code in postal], batch_size=5000, ignore_conflicts=True
    )
    epcis = _load_epcis(data_dir, {c.code for c in communes})
    return LoadResult(len(regions), len(depts), len(communes), len(postal), epcis)


def _load_epcis(data_dir: Path, loaded: set[str]) -> int:
    """Inter-communal bodies whose members were loaded, and each member commune's link to its body."""
    kinds = set(Epci.Kind.values)
    epcis: list[Epci] = []
    members: dict[str, list[str]] = {}
    for e in _read(data_dir, "epci.json"):
        codes = [m["code"] for m in e.get("membres", []) if m["code"] in loaded]
        if not codes or e.get("type") not in kinds:
            continue
        epcis.append(
            Epci(code=e["code"], name=e["nom"], kind=e["type"], population=e.get("populationTotale"))
        )
        members[e["code"]] = codes
    Epci.objects.bulk_create(
        epcis, update_conflicts=True, unique_fields=["code"], update_fields=["name", "kind", "population"]
    )
    for code, communes in members.items():
        Commune.objects.filter(code__in=communes).update(epci_id=code)
    return len(epcis)
