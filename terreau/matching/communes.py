"""Communes for the matching engine: intercommunality (EPCI), arrondissement and population of each commune.

Pure Python (no Django, no network). The exchange format gives an organisation's commune code and rarely
coordinates; physical help (rooms, vehicles, goods, people on site) is given within a local area, so the
engine needs to know more than the department: whether two communes are in the same intercommunality (an
agglomeration, a "pays") or the same arrondissement, and whether a commune is rural (< 3,000 inhabitants).

The table (data/communes.tsv.gz: code, EPCI number, arrondissement, population; data/epcis.tsv: EPCI
number, SIREN, name) is generated once from the npm package @etalab/decoupage-administratif (Licence
Ouverte) by `python -m terreau.matching.communes node_modules/@etalab/decoupage-administratif/data`.
"""

from __future__ import annotations

import gzip
import json
import sys
from functools import lru_cache
from importlib.resources import files
from pathlib import Path
from typing import NamedTuple

DATA = files("terreau.matching") / "data"
RURAL_POPULATION = 3000


class Commune(NamedTuple):
    epci: int  # number of the intercommunality in epcis(), -1 when unknown
    arrondissement: int  # department code * 1000 + arrondissement number, -1 when unknown
    population: int  # -1 when unknown


UNKNOWN = Commune(-1, -1, -1)


@lru_cache(maxsize=1)
def _table() -> dict[str, Commune]:
    out = {}
    with gzip.open(DATA / "communes.tsv.gz", "rt", encoding="utf-8") as f:
        for line in f:
            code, epci, arr, pop = line.rstrip("\n").split("\t")
            out[code] = Commune(int(epci), int(arr), int(pop))
    return out


@lru_cache(maxsize=1)
def epcis() -> list[tuple[str, str]]:
    """(SIREN, name) of each intercommunality, by number."""
    rows = (DATA / "epcis.tsv").read_text(encoding="utf-8").splitlines()
    return [tuple(r.split("\t")[1:3]) for r in rows if r]


def commune(code: str | None) -> Commune:
    return _table().get(code or "", UNKNOWN)


def is_rural(code: str | None) -> bool:
    pop = commune(code).population
    return 0 <= pop < RURAL_POPULATION


def build(source: Path, target: Path) -> None:
    """Writes communes.tsv.gz and epcis.tsv into target from the etalab data folder."""
    communes = json.loads((source / "communes.json").read_text(encoding="utf-8"))
    epci_rows = json.loads((source / "epci.json").read_text(encoding="utf-8"))
    epci_rows.sort(key=lambda e: e["code"])
    member = {}
    for i, e in enumerate(epci_rows):
        for m in e["membres"]:
            member[m["code"]] = i
    lines = []
    for c in communes:
        if c.get("type") not in ("commune-actuelle", "arrondissement-municipal"):
            continue
        code = c["code"]
        parent = c.get("commune") or code
        arr = c.get("arrondissement") or ""
        arr_key = -1
        if arr and arr[:-1].isdigit():
            arr_key = int(arr[:-1]) * 1000 + int(arr[-1])
        epci = member.get(code, member.get(parent, -1))
        lines.append(f"{code}\t{epci}\t{arr_key}\t{c.get('population', -1)}\n")
    with gzip.open(target / "communes.tsv.gz", "wt", encoding="utf-8", compresslevel=9) as f:
        f.writelines(sorted(lines))
    (target / "epcis.tsv").write_text(
        "".join(f"{i}\t{e['code']}\t{e['nom']}\n" for i, e in enumerate(epci_rows)), encoding="utf-8"
    )


if __name__ == "__main__":
    build(Path(sys.argv[1]), Path(__file__).resolve().parent / "data")
