"""The `terreau match` exchange format (../shared/contracts/matching.md): reading, validation, writing.

Pure Python. `read_organisations` validates every line and raises ContractError with a one-line French
message naming the line; `write_results` writes one JSON object per organisation, in input order, with
rounded scores, so that two runs on the same input give the same bytes.

Optional input fields the engine understands (never required): `lat`/`lon` on an organisation (degrees),
`status` (open, in_discussion, fulfilled, withdrawn) and `updated` (YYYY-MM-DD) on a need or offer.
Other unknown fields are ignored.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Iterable, Iterator
from typing import IO

from terreau.vocabulary import CONTRACT_KINDS, THEMES, TYPES

from . import engine, geo


class ContractError(ValueError):
    """An invalid input document; str(error) is the one-line French message for standard error."""


def _fail(line: int, message: str) -> ContractError:
    return ContractError(f"ligne {line} : {message}")


def _check_string(value, line: int, field: str, *, required: bool) -> None:
    if value is None:
        if required:
            raise _fail(line, f"le champ « {field} » est obligatoire")
        return
    if not isinstance(value, str):
        raise _fail(line, f"le champ « {field} » doit être une chaîne de caractères")


def _check_item(item, line: int, field: str, position: int, seen: set[str]) -> None:
    where = f"{field}[{position}]"
    if not isinstance(item, dict):
        raise _fail(line, f"« {where} » doit être un objet JSON")
    item_id = item.get("id")
    if not isinstance(item_id, str) or not item_id.strip():
        raise _fail(line, f"« {where}.id » doit être une chaîne non vide")
    if item_id in seen:
        raise _fail(line, f"identifiant « {item_id} » en double dans « {field} »")
    seen.add(item_id)
    if "text" not in item or not isinstance(item["text"], str):
        raise _fail(line, f"« {where}.text » est obligatoire et doit être une chaîne de caractères")
    kind = item.get("type")
    if kind is not None and kind not in TYPES:
        raise _fail(line, f"« {where}.type » inconnu : {_short(kind)} (attendu : {', '.join(TYPES)})")
    theme = item.get("theme")
    if theme is not None and theme not in THEMES:
        raise _fail(line, f"« {where}.theme » inconnu : {_short(theme)}")
    status = item.get("status")
    if status is not None and status not in engine.STATUSES:
        raise _fail(
            line, f"« {where}.status » inconnu : {_short(status)} (attendu : {', '.join(engine.STATUSES)})"
        )
    updated = item.get("updated")
    if updated is not None:
        try:
            if not isinstance(updated, str):
                raise ValueError
            dt.date.fromisoformat(updated[:10])
        except ValueError:
            raise _fail(line, f"« {where}.updated » doit être une date AAAA-MM-JJ") from None


def _short(value) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 40 else text[:37] + "…"


def validate(doc, line: int, seen_ids: set[str]) -> None:
    """Raises ContractError unless `doc` is a valid input line."""
    if not isinstance(doc, dict):
        raise _fail(line, "chaque ligne doit être un objet JSON")
    org_id = doc.get("id")
    if not isinstance(org_id, str) or not org_id.strip():
        raise _fail(line, "« id » doit être une chaîne non vide")
    if org_id in seen_ids:
        raise _fail(line, f"identifiant « {org_id} » déjà utilisé par une ligne précédente")
    kind = doc.get("kind")
    if kind not in CONTRACT_KINDS:
        raise _fail(line, f"« kind » doit valoir {', '.join(CONTRACT_KINDS)} (reçu : {_short(kind)})")
    _check_string(doc.get("name"), line, "name", required=False)
    commune = doc.get("commune")
    if commune is not None and (not isinstance(commune, str) or not geo.COMMUNE_RE.match(commune)):
        raise _fail(line, f"« commune » doit être un code INSEE de 5 caractères (reçu : {_short(commune)})")
    themes = doc.get("themes")
    if themes is not None:
        if not isinstance(themes, list):
            raise _fail(line, "« themes » doit être une liste de codes")
        for theme in themes:
            if theme not in THEMES:
                raise _fail(line, f"thème inconnu dans « themes » : {_short(theme)}")
    for field in ("needs", "offers"):
        items = doc.get(field)
        if items is None:
            continue
        if not isinstance(items, list):
            raise _fail(line, f"« {field} » doit être une liste d'objets")
        seen: set[str] = set()
        for position, item in enumerate(items):
            _check_item(item, line, field, position, seen)
    lat, lon = doc.get("lat"), doc.get("lon")
    if (lat is None) != (lon is None):
        raise _fail(line, "« lat » et « lon » vont ensemble")
    if lat is not None:
        for name, value, limit in (("lat", lat, 90), ("lon", lon, 180)):
            if (
                isinstance(value, bool)
                or not isinstance(value, int | float)
                or not math.isfinite(value)
                or abs(value) > limit
            ):
                raise _fail(line, f"« {name} » doit être un nombre entre -{limit} et {limit}")
    seen_ids.add(org_id)


def read_organisations(lines: Iterable[bytes]) -> list[engine.Organisation]:
    """Parses and validates JSON Lines (bytes, UTF-8); blank lines are skipped."""
    organisations = []
    seen: set[str] = set()
    for number, raw in enumerate(lines, start=1):
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise _fail(number, "encodage invalide (UTF-8 attendu)") from None
        if number == 1:
            line = line.removeprefix("\ufeff")
        if not line.strip():
            continue
        try:
            doc = json.loads(line)
        except (json.JSONDecodeError, RecursionError) as exc:
            message = exc.msg if isinstance(exc, json.JSONDecodeError) else "imbrication trop profonde"
            raise _fail(number, f"JSON invalide ({message}, colonne {getattr(exc, 'colno', '?')})") from None
        validate(doc, number, seen)
        organisations.append(engine.organisation_from_dict(doc))
    return organisations


def result_lines(results: Iterable[tuple[str, list[engine.Partner]]]) -> Iterator[str]:
    for org_id, partners in results:
        doc = {"id": org_id, "partners": [p.as_dict() for p in partners]}
        yield json.dumps(doc, ensure_ascii=False) + "\n"


def write_results(results: Iterable[tuple[str, list[engine.Partner]]], out: IO[str]) -> None:
    for line in result_lines(results):
        out.write(line)
