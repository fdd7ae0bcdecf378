"""Between the database and the pure planner (terreau.meetings.planner): the schedule document of a
speed-meeting (contract meeting-schedule.md), the planner's meetings of the stored plan, and a plan stored back."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.utils import timezone

from terreau.meetings import planner
from terreau.meetings.models import SIDE_OTHER, Meeting, SpeedMeeting, Wish
from terreau.meetings.services import participants, pid, side_of, unavailable_of


def schedule_document(sm: SpeedMeeting, *, absent: Iterable[int] = ()) -> dict[str, Any]:
    """The planner's input document (contract meeting-schedule.md) built from the database."""
    regs = list(participants(sm))
    if sm.bipartite:
        regs = [r for r in regs if side_of(r) != SIDE_OTHER]
    ids = {r.pk for r in regs}
    absent = set(absent)
    people = []
    for r in regs:
        item: dict[str, Any] = {"id": pid(r), "side": side_of(r)} if sm.bipartite else {"id": pid(r)}
        item["unavailable"] = [x for x in unavailable_of(r) if x < sm.rounds]
        if sm.max_meetings is not None:
            item["max_meetings"] = sm.max_meetings
        people.append(item)
    wishes = list(
        Wish.objects.filter(source_id__in=ids, target_id__in=ids).values_list(
            "source_id", "target_id", "level"
        )
    )
    vetoed = {frozenset((s, t)) for s, t, level in wishes if level == Wish.Level.NO}
    sides = {r.pk: side_of(r) for r in regs}
    document_wishes = [
        {"from": pid(s), "to": pid(t), "weight": Wish.WEIGHTS[level]}
        for s, t, level in sorted(wishes)
        if level != Wish.Level.NO
        and frozenset((s, t)) not in vetoed
        and s not in absent
        and t not in absent
        and not (sm.bipartite and sides[s] == sides[t])
    ]
    return {
        "rounds": sm.rounds,
        "tables": sm.tables_per_round(),
        "bipartite": sm.bipartite,
        "participants": people,
        "wishes": document_wishes,
    }


def registration_ids(meetings: Iterable[planner.Meeting]) -> set[int]:
    return {int(x[1:]) for m in meetings for x in (m.a, m.b)}


def planner_meetings(sm: SpeedMeeting) -> list[planner.Meeting]:
    return [
        planner.Meeting(m.round, m.table, pid(m.a_id), pid(m.b_id), m.value)
        for m in sm.meetings.order_by("round", "table")
    ]


def store_plan(sm: SpeedMeeting, plan: planner.Plan) -> None:
    sm.meetings.all().delete()
    Meeting.objects.bulk_create(
        [
            Meeting(
                speed_meeting=sm,
                round=m.round,
                table=m.table,
                a_id=int(m.a[1:]),
                b_id=int(m.b[1:]),
                value=float(m.value),
            )
            for m in plan.meetings
        ]
    )
    sm.total_value = float(plan.total_value)
    sm.upper_bound = float(plan.upper_bound)
    sm.unmet_wishes = [
        {"from": int(w.source[1:]), "to": int(w.target[1:]), "weight": w.weight} for w in plan.unmet_wishes
    ]
    sm.stats = dict(plan.stats)
    sm.planned_at = timezone.now()
    sm.save(update_fields=["total_value", "upper_bound", "unmet_wishes", "stats", "planned_at", "updated_at"])
