"""The one-to-one meeting planner (contract: ../shared/contracts/meeting-schedule.md).

    plan_meetings(event) -> Plan

1. Choose the meetings: a maximum-weight degree-constrained subgraph (b-matching) of the wished pairs, each
   person's degree within min(max_meetings, free rounds) and the total within the tables of all rounds.
   Bipartite events: min-cost flow (exact); others: CP-SAT. Its optimum ignores rounds, so it is a proven
   upper bound on every plan: that is the `upper_bound` reported.
2. Spread them over rounds (list edge-colouring with table limits): greedy, Kempe-chain repair, then, if
   some chosen meetings are still out, an exact assignment of the chosen meetings by CP-SAT hinted by the
   heuristic (time-limited).
3. Fill the slots left with the remaining wishes, best first (direct, Kempe and relocation moves).

`replan_meetings` re-plans the rounds still to come when people are absent on the day, keeping the
meetings already held and everyone's next meeting.

Pure Python (no Django import): the command, the benchmark and the web application share this code.
Every plan respects every hard constraint; `check_plan` verifies one independently.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from terreau.meetings.bmatching import BMatching, bipartite_bmatching, general_bmatching
from terreau.meetings.rounds import Schedule, bits, exact_assignment
from terreau.meetings.schedule_input import Event, Participant, ScheduleInputError, Wish, loads, parse_event

__all__ = [
    "Event",
    "Meeting",
    "Participant",
    "Plan",
    "ScheduleInputError",
    "Wish",
    "check_plan",
    "greedy_plan",
    "loads",
    "parse_event",
    "plan_meetings",
    "replan_meetings",
]

DEFAULT_TIME_LIMIT = 60.0  # seconds at most for a plan when the caller gives no limit


def auto_time_limit(pairs: int) -> float:
    """Search budget in seconds for an event with this many candidate pairs (stops earlier when stuck)."""
    return min(DEFAULT_TIME_LIMIT, 4.0 + pairs / 1000)


DEFAULT_WORKERS = 2
EXACT_MAX_VARIABLES = 20_000  # beyond, CP-SAT on the whole model rarely beats the local search in time
_INT64_SAFE = 1 << 60


@dataclass(frozen=True, slots=True)
class Meeting:
    round: int
    table: int
    a: str
    b: str
    value: int | float

    def as_dict(self) -> dict[str, Any]:
        return {"round": self.round, "table": self.table, "a": self.a, "b": self.b, "value": self.value}


@dataclass(slots=True)
class Plan:
    meetings: list[Meeting]
    total_value: int | float
    upper_bound: int | float
    unmet_wishes: list[Wish]
    stats: dict[str, Any] = field(default_factory=dict)

    @property
    def quality(self) -> float:
        """total_value / upper_bound (1.0 when nothing can be gained)."""
        return 1.0 if not self.upper_bound else self.total_value / self.upper_bound

    def as_dict(self) -> dict[str, Any]:
        return {
            "meetings": [m.as_dict() for m in self.meetings],
            "total_value": self.total_value,
            "upper_bound": self.upper_bound,
            "unmet_wishes": [
                {"from": w.source, "to": w.target, "weight": w.weight} for w in self.unmet_wishes
            ],
            "stats": self.stats,
        }


# -- internal instance ---------------------------------------------------------------------------------


def _number(value: Fraction) -> int | float:
    return int(value) if value.denominator == 1 else float(value)


def _integer_values(values: Sequence[Fraction], edge_count: int) -> tuple[list[int], Fraction]:
    """Integer edge values for the solvers, and their scale: int_value >= value * scale, equality when the
    weights have at most 6 decimals (so the integer optimum / scale is still a proven upper bound)."""
    if not values:
        return [], Fraction(1)
    top = max(values)
    for digits in range(7):
        scale = Fraction(10**digits)
        if all((v * scale).denominator == 1 for v in values):
            break
    while scale > Fraction(1, 10**18) and top * scale * (edge_count + 1) >= _INT64_SAFE:
        scale /= 10
    return [math.ceil(v * scale) for v in values], scale


class _Instance:
    """Participants as indices, free rounds as bitmasks, wished pairs as edges with a common-rounds mask."""

    def __init__(self, event: Event, *, fixed: Sequence[Meeting] = (), closed_rounds: int = 0) -> None:
        self.event = event
        self.ids = [p.id for p in event.participants]
        self.index = {pid: i for i, pid in enumerate(self.ids)}
        n = self.n = len(self.ids)
        rounds = event.rounds
        full = (1 << rounds) - 1
        self.tables = list(event.tables)
        avail = []
        for p in event.participants:
            mask = full & ~closed_rounds
            for r in p.unavailable:
                mask &= ~(1 << r)
            avail.append(mask)
        weights: dict[tuple[int, int], list[Fraction]] = {}
        for w in event.wishes:
            s, t = self.index[w.source], self.index[w.target]
            key = (s, t) if s < t else (t, s)
            weights.setdefault(key, [Fraction(0), Fraction(0)])[0 if s < t else 1] = Fraction(w.weight)
        self.pair_value = {key: a + b for key, (a, b) in weights.items()}

        # Meetings kept as they are (re-planning): their people and tables are taken, their pairs have met.
        fixed_degree = [0] * n
        self.met: set[tuple[int, int]] = set()
        for m in fixed:
            u, v = self.index[m.a], self.index[m.b]
            avail[u] &= ~(1 << m.round)
            avail[v] &= ~(1 << m.round)
            self.tables[m.round] -= 1
            fixed_degree[u] += 1
            fixed_degree[v] += 1
            self.met.add((u, v) if u < v else (v, u))
        self.fixed = list(fixed)
        open_rounds = sum(1 << r for r in range(rounds) if self.tables[r] > 0)
        self.avail = [mask & open_rounds for mask in avail]
        self.caps = []
        for i, p in enumerate(event.participants):
            cap = self.avail[i].bit_count()
            if p.max_meetings is not None:
                cap = min(cap, max(0, p.max_meetings - fixed_degree[i]))
            self.caps.append(cap)
        self.left = [p.side != "B" for p in event.participants]

        self.edges: list[tuple[int, int]] = []
        self.common: list[int] = []
        values: list[Fraction] = []
        for (u, v), value in sorted(self.pair_value.items()):
            common = self.avail[u] & self.avail[v]
            if value > 0 and common and self.caps[u] and self.caps[v] and (u, v) not in self.met:
                self.edges.append((u, v))
                self.common.append(common)
                values.append(value)
        self.values = values
        self.int_values, self.scale = _integer_values(values, len(self.edges))
        self.total_tables = sum(self.tables)

    def value_of(self, a: str, b: str) -> Fraction:
        u, v = self.index[a], self.index[b]
        return self.pair_value.get((u, v) if u < v else (v, u), Fraction(0))

    def schedule(self) -> Schedule:
        return Schedule(
            n=self.n,
            tables=self.tables,
            edges=self.edges,
            common=self.common,
            caps=self.caps,
            values=self.int_values,
            avail=self.avail,
        )

    def bmatching(self, *, time_limit: float, workers: int) -> BMatching:
        if self.event.bipartite:
            return bipartite_bmatching(
                n=self.n,
                left=self.left,
                edges=self.edges,
                values=self.int_values,
                caps=self.caps,
                total_cap=self.total_tables,
            )
        return general_bmatching(
            n=self.n,
            edges=self.edges,
            values=self.int_values,
            caps=self.caps,
            total_cap=self.total_tables,
            time_limit=time_limit,
            workers=workers,
        )

    def build_plan(
        self, assignment: dict[int, int], *, bound_int: int | None, started: float, extra: dict[str, Any]
    ) -> Plan:
        """Turn edge -> round (plus the fixed meetings) into the contract's output, with table numbers."""
        event = self.event
        rows: list[tuple[int, int, int, Fraction, int]] = []  # round, a, b, value, fixed table or 0
        for m in self.fixed:
            rows.append((m.round, self.index[m.a], self.index[m.b], self.value_of(m.a, m.b), m.table))
        for e, r in assignment.items():
            u, v = self.edges[e]
            if event.bipartite and not self.left[u]:
                u, v = v, u
            rows.append((r, u, v, self.values[e], 0))
        taken: dict[int, set[int]] = {}
        for r, _, _, _, table in rows:
            if table:
                taken.setdefault(r, set()).add(table)
        meetings = []
        next_table: dict[int, int] = {}
        for r, u, v, value, table in sorted(
            rows, key=lambda row: (row[0], row[4] == 0, row[4], row[1], row[2])
        ):
            if not table:
                table = next_table.get(r, 1)
                while table in taken.get(r, ()):
                    table += 1
                next_table[r] = table + 1
            meetings.append(Meeting(r, table, self.ids[u], self.ids[v], _number(value)))
        meetings.sort(key=lambda m: (m.round, m.table))

        met = set()
        for m in meetings:
            u, v = self.index[m.a], self.index[m.b]
            met.add((u, v) if u < v else (v, u))
        unmet = []
        for w in event.wishes:
            s, t = self.index[w.source], self.index[w.target]
            if ((s, t) if s < t else (t, s)) not in met:
                unmet.append(w)
        total = sum((self.value_of(m.a, m.b) for m in meetings), Fraction(0))
        if bound_int is None:
            upper = None
        else:
            fixed_value = sum((row[3] for row in rows if row[4]), Fraction(0))
            upper = max(total, fixed_value + Fraction(bound_int) / self.scale)
        stats = {
            "participants": len(event.participants),
            "meetings": len(meetings),
            "seconds": round(time.perf_counter() - started, 3),
            "wishes": len(event.wishes),
            "candidate_pairs": len(self.edges),
            **extra,
        }
        if upper is not None:
            stats["quality"] = round(float(total / upper), 6) if upper else 1.0
        return Plan(
            meetings=meetings,
            total_value=_number(total),
            upper_bound=_number(upper) if upper is not None else None,  # type: ignore[arg-type]
            unmet_wishes=unmet,
            stats=stats,
        )


# -- the planner ---------------------------------------------------------------------------------------


def _fill(schedule: Schedule, order: Iterable[int]) -> None:
    """Place the given edges where they still fit: directly, then by a Kempe swap, then by moving one
    meeting out of a full round."""
    for e in order:
        if schedule.round_of[e] >= 0:
            continue
        if not schedule.try_place(e) and not schedule.kempe_place(e):
            schedule.relocate_place(e)


def _improve(schedule: Schedule, *, deadline: float, target: int, patience: int = 4, seed: int = 0) -> None:
    """Local search by ejection moves: put an unplanned pair in place of the meetings blocking it (which go
    elsewhere if they can), first while the value rises, then also sideways (same value, random order) to
    leave plateaus; stops after `patience` passes without progress or once the target is reached."""
    values = schedule.values
    rng = random.Random(seed)
    best_value = schedule.value()  # moves never lower the value
    stale = 0
    sideways = False
    while stale < patience and best_value < target and time.perf_counter() < deadline:
        rest = [e for e in range(len(schedule.edges)) if schedule.round_of[e] < 0]
        if sideways:
            rng.shuffle(rest)
        else:
            rest.sort(key=lambda e: (-values[e], schedule.common[e].bit_count(), e))
        for e in rest:
            if schedule.round_of[e] >= 0:
                continue
            rounds = bits(schedule.common[e])
            if sideways:
                rng.shuffle(rounds)
            schedule.eject_place(e, sideways=sideways, rounds=rounds)
            if time.perf_counter() > deadline:
                break
        value = schedule.value()
        if value > best_value:
            best_value, stale = value, 0
        else:
            stale += 1
            sideways = True


def _replace(schedule: Schedule, assignment: dict[int, int]) -> None:
    for e in schedule.scheduled():
        schedule.remove(e)
    for e, r in sorted(assignment.items()):
        schedule.place(e, r)


def _plan(
    instance: _Instance,
    *,
    time_limit: float,
    workers: int,
    exact: bool,
    stall: float = 3.0,
    preferred: dict[tuple[int, int], int] | None = None,
) -> Plan:
    started = time.perf_counter()
    deadline = started + time_limit
    selection = instance.bmatching(time_limit=time_limit * 0.4, workers=workers)
    schedule = instance.schedule()
    values = instance.int_values
    pref: dict[int, int] = {}
    if preferred:
        for e, (u, v) in enumerate(instance.edges):
            r = preferred.get((u, v), -1)
            if r >= 0 and instance.common[e] >> r & 1:
                pref[e] = r
    # Hardest edges first: fewest shared free rounds, then most valuable.
    chosen = sorted(
        selection.chosen, key=lambda e: (e not in pref, instance.common[e].bit_count(), -values[e], e)
    )
    for e in schedule.greedy(chosen, pref):
        if not schedule.kempe_place(e):
            schedule.relocate_place(e)
    heuristic_value = schedule.value()
    used_exact = False
    rest = [e for e in range(len(instance.edges)) if schedule.round_of[e] < 0]
    rest.sort(key=lambda e: (-values[e], instance.common[e].bit_count(), e))
    _fill(schedule, rest)
    _improve(schedule, deadline=deadline, target=selection.bound)
    filled_value = schedule.value()
    bound = selection.bound
    model_size = sum(c.bit_count() for c in instance.common)
    if (
        exact
        and schedule.value() < bound
        and model_size <= EXACT_MAX_VARIABLES
        and time.perf_counter() < deadline
    ):
        # Still short of the bound on an event small enough: CP-SAT on the whole time-indexed model, hinted
        # by the current plan, stopping as soon as the bound is reached (or proving a tighter bound).
        result, proven = exact_assignment(
            schedule,
            range(len(instance.edges)),
            time_limit=max(0.5, deadline - time.perf_counter()),
            workers=workers,
            upper=bound,
            stall=stall,
        )
        if result is not None:
            used_exact = True
            _replace(schedule, result)
        if proven is not None:
            bound = min(bound, max(proven, schedule.value()))
    extra = {
        "selection_value": float(Fraction(selection.value) / instance.scale),
        "selection_optimal": selection.optimal,
        "selected_meetings": len(selection.chosen),
        "selection_placed_value": float(Fraction(heuristic_value) / instance.scale),
        "local_search_value": float(Fraction(filled_value) / instance.scale),
        "exact_solver_used": used_exact,
    }
    return instance.build_plan(schedule.assignment(), bound_int=bound, started=started, extra=extra)


def plan_meetings(
    event: Event, *, time_limit: float | None = None, workers: int = DEFAULT_WORKERS, exact: bool = True
) -> Plan:
    """Plan the event's one-to-one meetings (see the module docstring). `time_limit` caps the search time
    in seconds (default: from the event's size, at most a minute); the plan is valid whatever the limit."""
    instance = _Instance(event)
    limit = auto_time_limit(len(instance.edges)) if time_limit is None else time_limit
    return _plan(instance, time_limit=limit, workers=workers, exact=exact)


def greedy_plan(event: Event) -> Plan:
    """Baseline: wished pairs by decreasing value, each in the earliest round where it fits.

    Reports the b-matching upper bound too, so both plans are measured against the same yardstick."""
    started = time.perf_counter()
    instance = _Instance(event)
    schedule = instance.schedule()
    for e in sorted(range(len(instance.edges)), key=lambda e: (-instance.int_values[e], e)):
        if schedule.has_room(e):
            mask = schedule.free_rounds(e)
            if mask:
                schedule.place(e, bits(mask & -mask)[0])
    seconds = time.perf_counter() - started
    selection = instance.bmatching(time_limit=auto_time_limit(len(instance.edges)), workers=DEFAULT_WORKERS)
    plan = instance.build_plan(schedule.assignment(), bound_int=selection.bound, started=started, extra={})
    plan.stats["seconds"] = round(seconds, 3)
    return plan


def replan_meetings(
    event: Event,
    meetings: Sequence[Meeting],
    *,
    current_round: int,
    absent: Iterable[str],
    time_limit: float | None = None,
    workers: int = DEFAULT_WORKERS,
) -> Plan:
    """Re-plan the rounds from `current_round` on when the people in `absent` are missing.

    Kept as they are: the meetings of earlier rounds (held) and those of `current_round` (everyone's next
    meeting) unless one of their people is absent. Rounds before `current_round` take no new meeting and the
    absent take none from `current_round` on. The other planned meetings keep their round when possible.
    `upper_bound` covers the re-planned part plus the kept meetings.
    """
    absent_ids = set(absent)
    index = {p.id for p in event.participants}
    for pid in sorted(absent_ids - index):
        raise ScheduleInputError(f"absent : participant inconnu « {pid} »")
    if not 0 <= current_round <= event.rounds:
        raise ScheduleInputError(f"current_round : doit être compris entre 0 et {event.rounds}")
    check_plan(event, meetings)
    kept = [
        m
        for m in meetings
        if m.round < current_round or (m.round == current_round and not {m.a, m.b} & absent_ids)
    ]
    later = [m for m in meetings if m.round > current_round]
    participants = tuple(
        Participant(
            p.id,
            p.side,
            p.unavailable
            | (frozenset(range(current_round, event.rounds)) if p.id in absent_ids else frozenset()),
            p.max_meetings,
        )
        for p in event.participants
    )
    adjusted = Event(
        rounds=event.rounds,
        tables=event.tables,
        participants=participants,
        wishes=event.wishes,
        bipartite=event.bipartite,
    )
    closed = (1 << current_round) - 1  # rounds already held take no new meeting
    instance = _Instance(adjusted, fixed=kept, closed_rounds=closed)
    preferred = {}
    for m in later:
        u, v = instance.index[m.a], instance.index[m.b]
        preferred[(u, v) if u < v else (v, u)] = m.round
    limit = auto_time_limit(len(instance.edges)) if time_limit is None else time_limit
    plan = _plan(instance, time_limit=limit, workers=workers, exact=True, preferred=preferred)
    plan.stats["kept_meetings"] = len(kept)
    plan.stats["moved_meetings"] = sum(
        1 for m in later if (m.round, m.a, m.b) not in {(x.round, x.a, x.b) for x in plan.meetings}
    )
    return plan


def check_plan(event: Event, meetings: Iterable[Meeting]) -> None:
    """Raise ScheduleInputError if the meetings break a hard constraint of the contract."""
    sides = {p.id: p for p in event.participants}
    busy: set[tuple[str, int]] = set()
    pairs: set[frozenset[str]] = set()
    tables: set[tuple[int, int]] = set()
    count: dict[str, int] = {}
    values = {(w.source, w.target) for w in event.wishes}
    for m in meetings:
        where = f"rencontre {m.a}/{m.b} au tour {m.round}"
        if m.a not in sides or m.b not in sides or m.a == m.b:
            raise ScheduleInputError(f"{where} : participants invalides")
        if not 0 <= m.round < event.rounds or not 1 <= m.table <= event.tables[m.round]:
            raise ScheduleInputError(f"{where} : tour ou table hors limites")
        if (m.round, m.table) in tables:
            raise ScheduleInputError(f"{where} : table déjà occupée")
        tables.add((m.round, m.table))
        for pid in (m.a, m.b):
            if (pid, m.round) in busy or m.round in sides[pid].unavailable:
                raise ScheduleInputError(f"{where} : « {pid} » n'est pas libre")
            busy.add((pid, m.round))
            count[pid] = count.get(pid, 0) + 1
            cap = sides[pid].max_meetings
            if cap is not None and count[pid] > cap:
                raise ScheduleInputError(f"{where} : « {pid} » dépasse son nombre maximal de rencontres")
        pair = frozenset((m.a, m.b))
        if pair in pairs:
            raise ScheduleInputError(f"{where} : la paire se rencontre deux fois")
        pairs.add(pair)
        if event.bipartite and sides[m.a].side == sides[m.b].side:
            raise ScheduleInputError(f"{where} : les deux participants sont du même côté")
        if (m.a, m.b) not in values and (m.b, m.a) not in values:
            raise ScheduleInputError(f"{where} : aucun vœu ne relie ces participants")
