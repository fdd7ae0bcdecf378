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

Pure Python (no Django import): the command, the benchmark and the web application share this code. The
plan's data (Meeting, Plan) and the instance the stages work on are in terreau.meetings.plan_instance.
Every plan respects every hard constraint; `check_plan` verifies one independently.
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterable, Sequence
from fractions import Fraction

from terreau.meetings.plan_instance import Instance, Meeting, Plan
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
    instance: Instance,
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
    instance = Instance(event)
    limit = auto_time_limit(len(instance.edges)) if time_limit is None else time_limit
    return _plan(instance, time_limit=limit, workers=workers, exact=exact)


def greedy_plan(event: Event) -> Plan:
    """Baseline: wished pairs by decreasing value, each in the earliest round where it fits.

    Reports the b-matching upper bound too, so both plans are measured against the same yardstick."""
    started = time.perf_counter()
    instance = Instance(event)
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
    instance = Instance(adjusted, fixed=kept, closed_rounds=closed)
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
