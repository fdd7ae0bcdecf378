"""The meeting planner (terreau.meetings.planner): hard constraints on random events, bounds, known optima,
re-planning. Pure Python: no database."""

from __future__ import annotations

import itertools
from fractions import Fraction

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from terreau.meetings.planner import (
    Event,
    Meeting,
    Participant,
    ScheduleInputError,
    Wish,
    check_plan,
    greedy_plan,
    plan_meetings,
    replan_meetings,
)

FAST = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def events(draw, *, bipartite: bool | None = None, max_people: int = 8, max_rounds: int = 5):
    rounds = draw(st.integers(1, max_rounds))
    if draw(st.booleans()):
        tables = (draw(st.integers(1, 4)),) * rounds
    else:
        tables = tuple(draw(st.lists(st.integers(1, 3), min_size=rounds, max_size=rounds)))
    is_bipartite = draw(st.booleans()) if bipartite is None else bipartite
    n = draw(st.integers(2, max_people))
    participants = []
    for i in range(n):
        side = ("A" if i % 2 == 0 else "B") if is_bipartite else draw(st.sampled_from([None, "A", "B"]))
        unavailable = frozenset(draw(st.sets(st.integers(0, rounds - 1), max_size=rounds)))
        cap = draw(st.one_of(st.none(), st.integers(0, 3)))
        participants.append(Participant(f"p{i}", side, unavailable, cap))
    pairs = [
        (a, b)
        for a, b in itertools.permutations(range(n), 2)
        if not is_bipartite or participants[a].side != participants[b].side
    ]
    chosen = (
        draw(st.lists(st.sampled_from(pairs), unique=True, max_size=min(len(pairs), 24))) if pairs else []
    )
    weight = st.one_of(st.integers(1, 5), st.sampled_from([0.5, 1.25, 2.75]))
    wishes = tuple(Wish(f"p{a}", f"p{b}", draw(weight)) for a, b in chosen)
    return Event(
        rounds=rounds, tables=tables, participants=tuple(participants), wishes=wishes, bipartite=is_bipartite
    )


def pair_value(event: Event, a: str, b: str) -> Fraction:
    return sum((Fraction(w.weight) for w in event.wishes if {w.source, w.target} == {a, b}), Fraction(0))


def assert_consistent(event: Event, plan) -> None:
    """Every hard constraint, and the figures of the output agree with the meetings."""
    check_plan(event, plan.meetings)  # raises on any broken hard constraint
    for m in plan.meetings:
        assert 0 <= m.round < event.rounds and 1 <= m.table <= event.tables[m.round]
        assert Fraction(m.value) == pair_value(event, m.a, m.b) > 0
        if event.bipartite:
            sides = {p.id: p.side for p in event.participants}
            assert (sides[m.a], sides[m.b]) == ("A", "B")
    total = sum((Fraction(m.value) for m in plan.meetings), Fraction(0))
    assert abs(Fraction(plan.total_value) - total) < Fraction(1, 10**6)
    assert plan.total_value <= plan.upper_bound + 1e-9
    met = {frozenset((m.a, m.b)) for m in plan.meetings}
    assert plan.unmet_wishes == [w for w in event.wishes if frozenset((w.source, w.target)) not in met]
    assert plan.meetings == sorted(plan.meetings, key=lambda m: (m.round, m.table))


def brute_force_optimum(event: Event) -> Fraction:
    """Best total value by trying every assignment of every wished pair to a round or to nothing."""
    pairs = sorted({tuple(sorted((w.source, w.target))) for w in event.wishes})
    people = {p.id: p for p in event.participants}
    best = Fraction(0)

    def search(i: int, busy: set, load: list, count: dict, value: Fraction) -> None:
        nonlocal best
        best = max(best, value)
        if i == len(pairs):
            return
        a, b = pairs[i]
        search(i + 1, busy, load, count, value)
        for r in range(event.rounds):
            if (a, r) in busy or (b, r) in busy or load[r] >= event.tables[r]:
                continue
            if r in people[a].unavailable or r in people[b].unavailable:
                continue
            if any(people[x].max_meetings is not None and count[x] >= people[x].max_meetings for x in (a, b)):
                continue
            busy |= {(a, r), (b, r)}
            load[r] += 1
            count[a] += 1
            count[b] += 1
            search(i + 1, busy, load, count, value + pair_value(event, a, b))
            busy -= {(a, r), (b, r)}
            load[r] -= 1
            count[a] -= 1
            count[b] -= 1

    search(0, set(), [0] * event.rounds, dict.fromkeys(people, 0), Fraction(0))
    return best


@FAST
@given(events())
def test_every_plan_respects_every_hard_constraint(event):
    assert_consistent(event, plan_meetings(event, time_limit=2))


@FAST
@given(events(bipartite=True, max_people=10))
def test_bipartite_plans_respect_the_hard_constraints(event):
    assert_consistent(event, plan_meetings(event, time_limit=2))


@FAST
@given(events(bipartite=False, max_people=9))
def test_non_bipartite_plans_respect_the_hard_constraints(event):
    assert_consistent(event, plan_meetings(event, time_limit=2))


@FAST
@given(events())
def test_greedy_baseline_respects_the_hard_constraints(event):
    assert_consistent(event, greedy_plan(event))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(events(max_people=5, max_rounds=3))
def test_tiny_events_reach_the_optimum_and_the_bound_holds(event):
    if len({frozenset((w.source, w.target)) for w in event.wishes}) > 7:
        return  # keep the brute force small
    optimum = brute_force_optimum(event)
    plan = plan_meetings(event, time_limit=5)
    assert Fraction(plan.upper_bound) >= optimum - Fraction(1, 10**6)
    assert abs(Fraction(plan.total_value) - optimum) < Fraction(1, 10**6)


def _event(rounds, tables, people, wishes, *, bipartite=False):
    participants = tuple(
        Participant(pid, side, frozenset(unavailable), cap) for pid, side, unavailable, cap in people
    )
    return Event(
        rounds=rounds,
        tables=(tables,) * rounds if isinstance(tables, int) else tuple(tables),
        participants=participants,
        wishes=tuple(Wish(a, b, w) for a, b, w in wishes),
        bipartite=bipartite,
    )


def test_triangle_in_one_round_keeps_the_best_pair():
    event = _event(
        1,
        3,
        [("x", None, (), None), ("y", None, (), None), ("z", None, (), None)],
        [("x", "y", 1), ("y", "z", 5), ("z", "x", 2), ("x", "z", 1)],
    )
    plan = plan_meetings(event)
    assert [(m.a, m.b, m.value) for m in plan.meetings] == [("y", "z", 5)]
    assert plan.total_value == 5 and plan.upper_bound == 5


def test_triangle_needs_three_rounds_and_the_bound_counts_half_integral_cycles():
    people = [("x", None, (), None), ("y", None, (), None), ("z", None, (), None)]
    wishes = [("x", "y", 1), ("y", "z", 1), ("z", "x", 1)]
    plan3 = plan_meetings(_event(3, 1, people, wishes))
    assert plan3.total_value == 3 == plan3.upper_bound
    plan2 = plan_meetings(_event(2, 2, people, wishes))
    # Each person has 2 free rounds, but a triangle needs 3 colours: only 2 of the 3 pairs can meet.
    assert plan2.total_value == 2
    assert plan2.upper_bound >= 2


def test_tables_bind_and_the_most_valuable_meetings_win():
    people = [(f"a{i}", "A", (), None) for i in range(3)] + [(f"b{i}", "B", (), None) for i in range(3)]
    wishes = [(f"a{i}", f"b{j}", 1 + i + 3 * j) for i in range(3) for j in range(3)]
    plan = plan_meetings(_event(2, 1, people, wishes, bipartite=True))
    # Two slots in all (one table, two rounds): b2 meets a2 (9) and a1 (8), one in each round.
    assert plan.total_value == 17 == plan.upper_bound
    assert {(m.a, m.b) for m in plan.meetings} == {("a2", "b2"), ("a1", "b2")}


def test_availability_forces_the_choice_of_rounds():
    # a0 is free only in round 0, a1 only in round 1; b is free in both: b meets both, in the right rounds.
    people = [("a0", "A", (1,), None), ("a1", "A", (0,), None), ("b", "B", (), None)]
    plan = plan_meetings(_event(2, 1, people, [("a0", "b", 1), ("a1", "b", 1)], bipartite=True))
    assert [(m.round, m.a) for m in plan.meetings] == [(0, "a0"), (1, "a1")]


def test_kempe_repair_needed_for_list_colouring():
    # A 4-cycle a0-b0-a1-b1 with two rounds: colourable, but a bad first choice needs a swap to fix it.
    people = [("a0", "A", (), None), ("a1", "A", (), None), ("b0", "B", (), None), ("b1", "B", (), None)]
    wishes = [("a0", "b0", 5), ("a1", "b1", 5), ("a0", "b1", 1), ("a1", "b0", 1)]
    plan = plan_meetings(_event(2, 2, people, wishes, bipartite=True))
    assert plan.total_value == 12 == plan.upper_bound


def test_max_meetings_and_unwanted_pairs():
    people = [("a", None, (), 1), ("b", None, (), None), ("c", None, (), None)]
    plan = plan_meetings(_event(3, 3, people, [("a", "b", 2), ("a", "c", 3), ("b", "c", 1)]))
    assert {(m.a, m.b) for m in plan.meetings} == {("a", "c"), ("b", "c")}
    assert plan.total_value == 4 == plan.upper_bound
    assert [(w.source, w.target) for w in plan.unmet_wishes] == [("a", "b")]


def test_fractional_weights_and_values():
    people = [("a", "A", (), None), ("b", "B", (), None)]
    plan = plan_meetings(_event(1, 1, people, [("a", "b", 0.1), ("b", "a", 0.2)], bipartite=True))
    assert plan.meetings[0].value == pytest.approx(0.3)
    assert plan.total_value == pytest.approx(0.3)
    assert plan.upper_bound >= plan.total_value


def test_empty_event():
    plan = plan_meetings(_event(1, 1, [], []))
    assert plan.meetings == [] and plan.total_value == 0 and plan.upper_bound == 0


def test_plan_beats_greedy_when_rounds_bind():
    # Greedy takes the heavy pair in round 0, leaving nothing for the people free only there.
    people = [("x", None, (), None), ("y", None, (), None), ("u", None, (1,), None), ("v", None, (1,), None)]
    wishes = [("x", "y", 3), ("x", "u", 2), ("y", "v", 2)]
    event = _event(2, 2, people, wishes)
    assert greedy_plan(event).total_value < plan_meetings(event).total_value == 7


def test_python_events_are_checked_like_documents():
    with pytest.raises(ScheduleInputError):
        _event(1, 1, [("a", None, (), None)], [("a", "a", 1)])
    with pytest.raises(ScheduleInputError):
        _event(1, 1, [("a", "A", (), None), ("b", "A", (), None)], [("a", "b", 1)], bipartite=True)
    with pytest.raises(ScheduleInputError):
        _event(2, [1], [], [])


def test_check_plan_rejects_broken_plans():
    people = [("a", None, (1,), None), ("b", None, (), None), ("c", None, (), None)]
    event = _event(2, 1, people, [("a", "b", 1), ("b", "c", 1)])
    for bad in (
        [Meeting(1, 1, "a", "b", 2)],  # a unavailable in round 1
        [Meeting(0, 2, "a", "b", 2)],  # no table 2
        [Meeting(0, 1, "a", "b", 2), Meeting(0, 1, "b", "c", 2)],  # b twice in round 0
        [Meeting(0, 1, "a", "c", 2)],  # nobody wished it
    ):
        with pytest.raises(ScheduleInputError):
            check_plan(event, bad)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(events(max_people=8, max_rounds=4), st.data())
def test_replanning_keeps_held_and_next_meetings(event, data):
    plan = plan_meetings(event, time_limit=1)
    current = data.draw(st.integers(0, event.rounds))
    ids = [p.id for p in event.participants]
    absent = set(data.draw(st.lists(st.sampled_from(ids), max_size=2)))
    new = replan_meetings(event, plan.meetings, current_round=current, absent=absent, time_limit=1)
    assert_consistent(event, new)
    kept = {(m.round, m.table, m.a, m.b) for m in new.meetings}
    for m in plan.meetings:
        if m.round < current or (m.round == current and not {m.a, m.b} & absent):
            assert (m.round, m.table, m.a, m.b) in kept
    for m in new.meetings:
        if m.round >= current:
            assert not {m.a, m.b} & absent
        if m.round < current:
            assert m in plan.meetings  # nothing new in rounds already held


def test_replanning_fills_the_gap_left_by_an_absent_person():
    people = [("a", "A", (), None), ("b", "B", (), None), ("c", "B", (), None)]
    event = _event(2, 1, people, [("a", "b", 3), ("a", "c", 1)], bipartite=True)
    plan = plan_meetings(event)
    assert plan.total_value == 4
    absent_round = next(m.round for m in plan.meetings if m.b == "b")
    held = [m for m in plan.meetings if m.round < absent_round]
    new = replan_meetings(event, plan.meetings, current_round=absent_round, absent={"b"})
    assert [m for m in new.meetings if m.round < absent_round] == held
    assert all("b" not in (m.a, m.b) for m in new.meetings if m.round >= absent_round)
    assert {(m.a, m.b) for m in new.meetings} >= {("a", "c")}


def test_replanning_rejects_unknown_people():
    event = _event(1, 1, [("a", None, (), None)], [])
    with pytest.raises(ScheduleInputError):
        replan_meetings(event, [], current_round=0, absent={"zz"})
