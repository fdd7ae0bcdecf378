"""Reading and checking a meeting-schedule document (../shared/contracts/meeting-schedule.md).

Pure Python (no Django): the planner, the `terreau schedule-meetings` command, the benchmark and the web
application all build their `Event` through `parse_event`, so an input is judged the same way everywhere.
Messages are in French because they are shown to organisers as they are.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any

MAX_ROUNDS = 500
SIDES = ("A", "B")


class ScheduleInputError(ValueError):
    """The document does not follow the meeting-schedule format; the message says where and why."""


@dataclass(frozen=True, slots=True)
class Participant:
    id: str
    side: str | None = None
    unavailable: frozenset[int] = field(default_factory=frozenset)
    max_meetings: int | None = None


@dataclass(frozen=True, slots=True)
class Wish:
    source: str
    target: str
    weight: int | float = 1


@dataclass(frozen=True, slots=True)
class Event:
    rounds: int
    tables: tuple[int, ...]  # one entry per round
    participants: tuple[Participant, ...]
    wishes: tuple[Wish, ...] = ()
    bipartite: bool = False

    def __post_init__(self) -> None:
        # Events built in Python (by the application, tests, benchmarks) get the same checks as documents.
        validate_event(self)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return (
        isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)  # type: ignore[arg-type]
    )


def _fail(where: str, what: str) -> ScheduleInputError:
    return ScheduleInputError(f"{where} : {what}" if where else what)


def loads(text: str | bytes) -> Any:
    """Parse JSON strictly (no NaN or Infinity), raising ScheduleInputError on malformed text."""

    def _reject_constant(name: str) -> Any:
        raise ScheduleInputError(f"JSON invalide : valeur « {name} » non autorisée")

    try:
        return json.loads(text, parse_constant=_reject_constant)
    except ScheduleInputError:
        raise
    except UnicodeDecodeError:
        raise ScheduleInputError("le document n'est pas du texte UTF-8") from None
    except json.JSONDecodeError as exc:
        raise ScheduleInputError(
            f"JSON invalide (ligne {exc.lineno}, colonne {exc.colno}) : {exc.msg}"
        ) from None
    except RecursionError:
        raise ScheduleInputError("JSON invalide : imbrication trop profonde") from None


def parse_event(document: Any) -> Event:
    """Build an Event from a decoded JSON document, or raise ScheduleInputError with a one-line French message."""
    if not isinstance(document, dict):
        raise _fail("", "le document doit être un objet JSON")

    if "rounds" not in document:
        raise _fail("rounds", "champ obligatoire manquant")
    rounds = document["rounds"]
    if not _is_int(rounds) or not 1 <= rounds <= MAX_ROUNDS:
        raise _fail("rounds", f"doit être un entier de 1 à {MAX_ROUNDS}")

    if "tables" not in document:
        raise _fail("tables", "champ obligatoire manquant")
    raw_tables = document["tables"]
    if _is_int(raw_tables):
        if raw_tables < 1:
            raise _fail("tables", "doit être un entier positif ou une liste d'entiers positifs")
        tables = (raw_tables,) * rounds
    elif isinstance(raw_tables, list):
        if len(raw_tables) != rounds:
            raise _fail(
                "tables", f"la liste doit compter une valeur par tour ({rounds}), pas {len(raw_tables)}"
            )
        for index, value in enumerate(raw_tables):
            if not _is_int(value) or value < 1:
                raise _fail(f"tables[{index}]", "doit être un entier positif")
        tables = tuple(raw_tables)
    else:
        raise _fail("tables", "doit être un entier positif ou une liste d'entiers positifs")

    bipartite = document.get("bipartite", False)
    if not isinstance(bipartite, bool):
        raise _fail("bipartite", "doit valoir true ou false")

    if "participants" not in document:
        raise _fail("participants", "champ obligatoire manquant")
    raw_participants = document["participants"]
    if not isinstance(raw_participants, list):
        raise _fail("participants", "doit être une liste")
    participants = []
    seen: set[str] = set()
    for index, raw in enumerate(raw_participants):
        where = f"participants[{index}]"
        if not isinstance(raw, dict):
            raise _fail(where, "doit être un objet")
        pid = raw.get("id")
        if not isinstance(pid, str) or not pid:
            raise _fail(f"{where}.id", "identifiant obligatoire (texte non vide)")
        if pid in seen:
            raise _fail(f"{where}.id", f"identifiant en double « {pid} »")
        seen.add(pid)
        side = raw.get("side")
        if side is not None and side not in SIDES:
            raise _fail(f"{where}.side", "doit valoir « A » ou « B »")
        if bipartite and side is None:
            raise _fail(f"{where}.side", "obligatoire quand l'événement est biparti (« A » ou « B »)")
        unavailable = raw.get("unavailable", [])
        if not isinstance(unavailable, list):
            raise _fail(f"{where}.unavailable", "doit être une liste de numéros de tour")
        for value in unavailable:
            if not _is_int(value) or not 0 <= value < rounds:
                raise _fail(
                    f"{where}.unavailable", f"numéro de tour invalide {value!r} (de 0 à {rounds - 1})"
                )
        max_meetings = raw.get("max_meetings")
        if max_meetings is not None and (not _is_int(max_meetings) or max_meetings < 0):
            raise _fail(f"{where}.max_meetings", "doit être un entier positif ou nul")
        participants.append(Participant(pid, side, frozenset(unavailable), max_meetings))

    raw_wishes = document.get("wishes", [])
    if not isinstance(raw_wishes, list):
        raise _fail("wishes", "doit être une liste")
    sides = {p.id: p.side for p in participants}
    wishes = []
    pairs: set[tuple[str, str]] = set()
    for index, raw in enumerate(raw_wishes):
        where = f"wishes[{index}]"
        if not isinstance(raw, dict):
            raise _fail(where, "doit être un objet")
        source, target = raw.get("from"), raw.get("to")
        for key, value in (("from", source), ("to", target)):
            if not isinstance(value, str) or not value:
                raise _fail(f"{where}.{key}", "identifiant de participant obligatoire")
            if value not in sides:
                raise _fail(f"{where}.{key}", f"participant inconnu « {value} »")
        if source == target:
            raise _fail(where, f"« {source} » ne peut pas se souhaiter lui-même")
        if bipartite and sides[source] == sides[target]:
            raise _fail(where, f"vœu entre deux participants du même côté « {sides[source]} »")
        if (source, target) in pairs:
            raise _fail(where, f"vœu en double de « {source} » vers « {target} »")
        pairs.add((source, target))
        weight = raw.get("weight", 1)
        if not _is_number(weight) or weight <= 0:
            raise _fail(f"{where}.weight", "doit être un nombre strictement positif")
        wishes.append(Wish(source, target, weight))

    return Event(
        rounds=rounds,
        tables=tables,
        participants=tuple(participants),
        wishes=tuple(wishes),
        bipartite=bipartite,
    )


def validate_event(event: Event) -> None:
    """Check an Event built in Python against the same rules as parse_event."""
    if not _is_int(event.rounds) or not 1 <= event.rounds <= MAX_ROUNDS:
        raise _fail("rounds", f"doit être un entier de 1 à {MAX_ROUNDS}")
    if len(event.tables) != event.rounds or any(not _is_int(t) or t < 1 for t in event.tables):
        raise _fail("tables", "une capacité entière positive par tour est attendue")
    sides: dict[str, str | None] = {}
    for index, p in enumerate(event.participants):
        if not isinstance(p.id, str) or not p.id or p.id in sides:
            raise _fail(f"participants[{index}].id", "identifiant vide ou en double")
        if p.side is not None and p.side not in SIDES:
            raise _fail(f"participants[{index}].side", "doit valoir « A » ou « B »")
        if event.bipartite and p.side is None:
            raise _fail(f"participants[{index}].side", "obligatoire quand l'événement est biparti")
        if any(not _is_int(r) or not 0 <= r < event.rounds for r in p.unavailable):
            raise _fail(f"participants[{index}].unavailable", "numéro de tour invalide")
        if p.max_meetings is not None and (not _is_int(p.max_meetings) or p.max_meetings < 0):
            raise _fail(f"participants[{index}].max_meetings", "doit être un entier positif ou nul")
        sides[p.id] = p.side
    pairs: set[tuple[str, str]] = set()
    for index, w in enumerate(event.wishes):
        if w.source not in sides or w.target not in sides:
            raise _fail(f"wishes[{index}]", "participant inconnu")
        if w.source == w.target:
            raise _fail(f"wishes[{index}]", "un participant ne peut pas se souhaiter lui-même")
        if event.bipartite and sides[w.source] == sides[w.target]:
            raise _fail(f"wishes[{index}]", "vœu entre deux participants du même côté")
        if (w.source, w.target) in pairs:
            raise _fail(f"wishes[{index}]", "vœu en double")
        pairs.add((w.source, w.target))
        if not _is_number(w.weight) or w.weight <= 0:
            raise _fail(f"wishes[{index}].weight", "doit être un nombre strictement positif")
