"""Speed-meeting planning: compute the plan (with terreau.meetings.planner, the same as
`terreau schedule-meetings`), publish it (provisional, then final) and re-plan the rounds to come when someone
is absent on the day. Every write is transactional; bad input raises ValidationError with a French message.

Computing a plan may take up to a minute: it runs as a job (terreau.meetings.tasks.plan, started by
``start_planning``) that reads the input in a short transaction, solves with no transaction nor lock held,
and writes the plan in a short transaction that first checks nothing changed meanwhile."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import formats, timezone
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from terreau.core import french
from terreau.core.jobs import start_tracked
from terreau.core.models import TrackedJob
from terreau.events.models import Registration
from terreau.meetings import planner
from terreau.meetings.agendas import send_final_plan_mails, send_provisional_plan_mails
from terreau.meetings.documents import planner_meetings, registration_ids, schedule_document, store_plan
from terreau.meetings.models import SIDE_A, SIDE_OTHER, Participation, SpeedMeeting
from terreau.meetings.services import move, participants, pid, side_of

State = SpeedMeeting.State


# A planning job that has not finished after this long is taken as abandoned (its worker lost): a new one
# may start. The solver itself stops well before (planner.DEFAULT_TIME_LIMIT).
PLANNING_JOB_STALE = timedelta(minutes=15)


class PlanChanged(Exception):
    """The wishes, participants or settings changed while the plan was being computed."""


@dataclass(frozen=True)
class PlanInput:
    """What the planner solves, read in one short transaction; ``fingerprint`` tells whether it changed."""

    sm_id: int
    document: dict[str, Any]
    fingerprint: str


def _fingerprint(sm: SpeedMeeting, document: dict[str, Any]) -> str:
    planned_at = sm.planned_at.isoformat() if sm.planned_at else ""
    return json.dumps([sm.state, planned_at, document], sort_keys=True, default=str)


def _check_plannable(sm: SpeedMeeting, document: dict[str, Any]) -> None:
    if sm.state == State.FINAL:
        raise ValidationError(
            _("Le planning définitif est publié : utilisez le re-planning du jour en cas d'absence.")
        )
    if len(document["participants"]) < 2:
        raise ValidationError(
            _("Il faut au moins deux participants confirmés pour planifier des rendez-vous.")
        )


def plan_read(*, sm_id: int) -> PlanInput:
    """Read the planner's input (participants, wishes, availability, settings) without holding any lock."""
    with transaction.atomic():
        sm = SpeedMeeting.objects.select_related("event").get(pk=sm_id)
        document = schedule_document(sm)
        _check_plannable(sm, document)
        return PlanInput(sm_id=sm.pk, document=document, fingerprint=_fingerprint(sm, document))


def plan_solve(data: PlanInput, *, time_limit: float | None = None) -> planner.Plan:
    """Solve outside any transaction: the database is not touched (this may take up to a minute)."""
    try:
        event = planner.parse_event(data.document)
        return planner.plan_meetings(event, time_limit=time_limit)
    except planner.ScheduleInputError as exc:
        raise ValidationError(_("Données de planification invalides : %(error)s") % {"error": exc}) from None


def plan_write(data: PlanInput, plan: planner.Plan, *, by=None, tracked_id: str | None = None) -> None:
    """Store the plan in one short transaction, if nothing it was computed from changed meanwhile
    (PlanChanged otherwise) and, for a planning job, if it is still the speed-meeting's latest one."""
    with transaction.atomic():
        sm = SpeedMeeting.objects.select_for_update().select_related("event").get(pk=data.sm_id)
        if tracked_id and str(sm.planning_job_id) != str(tracked_id):
            raise ValidationError(_("Un calcul plus récent du planning a été lancé entre-temps."))
        document = schedule_document(sm)
        _check_plannable(sm, document)
        if _fingerprint(sm, document) != data.fingerprint:
            raise PlanChanged
        store_plan(sm, plan)
        move(
            sm,
            to=State.DRAFT,
            by=by,
            note=_("Planning calculé : %(value)s points, sur %(bound)s au plus quel que soit le planning")
            % {"value": _num(plan.total_value), "bound": _num(plan.upper_bound)},
            details={"total_value": float(plan.total_value), "upper_bound": float(plan.upper_bound)},
        )


def plan_run(*, sm: SpeedMeeting, by=None, time_limit: float | None = None) -> planner.Plan:
    """Compute the plan with the same planner as `terreau schedule-meetings`; the plan goes back to draft.
    Read, solve (no transaction, no lock), write; if the input changed meanwhile, a French ValidationError.
    Used by the demo and the planning job (terreau.meetings.tasks.plan), which re-plans once on a change."""
    data = plan_read(sm_id=sm.pk)
    plan = plan_solve(data, time_limit=time_limit)
    try:
        plan_write(data, plan, by=by)
    except PlanChanged:
        raise ValidationError(changed_message()) from None
    return plan


def changed_message() -> str:
    return _(
        "Les souhaits, les participants ou les paramètres ont changé pendant le calcul : le planning n'a "
        "pas été enregistré. Relancez le calcul."
    )


def running_planning_job(sm: SpeedMeeting) -> TrackedJob | None:
    """The speed-meeting's planning job if it is still waiting or running (not abandoned)."""
    running = sm.planning_job
    if running is None or running.finished or running.created_at <= timezone.now() - PLANNING_JOB_STALE:
        return None
    return running


def start_planning(*, sm: SpeedMeeting, by) -> TrackedJob:
    """Start the planning job (one at a time per speed-meeting) and return the TrackedJob to follow."""
    from terreau.meetings.tasks import plan as plan_task

    with transaction.atomic():
        sm = (
            SpeedMeeting.objects.select_for_update(of=("self",))
            .select_related("event", "planning_job")
            .get(pk=sm.pk)
        )
        _check_plannable(sm, schedule_document(sm))
        if running_planning_job(sm) is not None:
            raise ValidationError(
                _("Un calcul du planning est déjà en cours ; attendez qu'il se termine."), code="running"
            )
        tracked = start_tracked(
            plan_task,
            owner=by,
            branch=sm.event.branch,
            title=Truncator(
                _("Calcul du planning des rendez-vous — %(event)s") % {"event": sm.event.title}
            ).chars(200),
            speed_meeting_id=sm.pk,
            user_id=by.pk if by is not None else None,
        )
        sm.planning_job = tracked
        sm.save(update_fields=["planning_job", "updated_at"])
    return tracked


def _num(x: float) -> str:
    return f"{x:g}"


@transaction.atomic
def plan_publish(*, sm: SpeedMeeting, final: bool, by=None, notify: bool = True) -> SpeedMeeting:
    """Publish the plan: provisional, then final; participants are e-mailed a link to their agenda each
    time (the final mail also carries it in iCalendar). `notify=False` sends nothing (demo data)."""
    sm = SpeedMeeting.objects.select_for_update().select_related("event", "event__branch").get(pk=sm.pk)
    if sm.planned_at is None:
        raise ValidationError(_("Calculez d'abord le planning."))
    target = State.FINAL if final else State.PROVISIONAL
    if sm.state == State.FINAL:
        raise ValidationError(_("Le planning définitif est déjà publié."))
    if sm.state == target:
        raise ValidationError(_("Ce planning est déjà publié comme provisoire."))
    if final and sm.state != State.PROVISIONAL:
        raise ValidationError(_("Publiez d'abord un planning provisoire."))
    move(
        sm,
        to=target,
        by=by,
        note=_("Planning définitif publié") if final else _("Planning provisoire publié"),
    )
    if notify:
        ids = _participant_ids_in_plan(sm) | set(participants(sm).values_list("pk", flat=True))
        regs = list(Registration.objects.filter(pk__in=ids).select_related("event"))
        send = send_final_plan_mails if final else send_provisional_plan_mails
        transaction.on_commit(lambda: send(sm=sm, registrations=regs))
    return sm


def _participant_ids_in_plan(sm: SpeedMeeting) -> set[int]:
    ids = set()
    for a, b in sm.meetings.values_list("a_id", "b_id"):
        ids |= {a, b}
    return ids


@transaction.atomic
def mark_absent(
    *, sm: SpeedMeeting, registration: Registration, by=None, now=None, current_round: int | None = None
) -> dict[str, Any]:
    """Mark a participant absent and re-plan the rounds not yet started with replan_meetings(): meetings of
    rounds already started stay, and so does everyone's next meeting unless it involves an absent person.
    Returns the changes {"removed": [...], "added": [...], "moved": [...]} (also kept in the history)."""
    sm = SpeedMeeting.objects.select_for_update().select_related("event").get(pk=sm.pk)
    if not sm.is_published:
        raise ValidationError(_("Publiez d'abord le planning."))
    if registration.event_id != sm.event_id:
        raise ValidationError(_("Cette personne ne participe pas à ces rendez-vous."))
    if current_round is None:
        current_round = sm.rounds_started(now=now)
    if current_round >= sm.rounds:
        raise ValidationError(_("Tous les tours ont commencé : il n'y a plus rien à re-planner."))
    participation, _created = Participation.objects.select_for_update().get_or_create(
        registration=registration
    )
    participation.absent = True
    participation.absent_since_round = current_round
    participation.save(update_fields=["absent", "absent_since_round", "updated_at"])
    absent_ids = set(
        Participation.objects.filter(registration__event=sm.event, absent=True).values_list(
            "registration_id", flat=True
        )
    )
    before = planner_meetings(sm)
    document = schedule_document(sm)
    # Anyone in the current plan stays a participant of the re-planning (absent if no longer seated), and
    # rounds where they already have a meeting cannot be "unavailable" for them.
    known = {p["id"] for p in document["participants"]}
    busy: dict[str, set[int]] = {}
    for m in before:
        busy.setdefault(m.a, set()).add(m.round)
        busy.setdefault(m.b, set()).add(m.round)
    for reg in Registration.objects.filter(pk__in=registration_ids(before)).select_related("organisation"):
        if pid(reg) not in known:
            absent_ids.add(reg.pk)
            item = {"id": pid(reg), "unavailable": []}
            if sm.bipartite:
                item["side"] = side_of(reg) if side_of(reg) != SIDE_OTHER else SIDE_A
            document["participants"].append(item)
    for p in document["participants"]:
        p["unavailable"] = [r for r in p["unavailable"] if r not in busy.get(p["id"], set())]
    try:
        event = planner.parse_event(document)
        plan = planner.replan_meetings(
            event,
            before,
            current_round=current_round,
            absent=[pid(x) for x in absent_ids if pid(x) in {p.id for p in event.participants}],
        )
    except planner.ScheduleInputError as exc:
        raise ValidationError(_("Re-planification impossible : %(error)s") % {"error": exc}) from None
    changes = _diff(before, plan.meetings)
    store_plan(sm, plan)
    move(
        sm,
        to=sm.state,
        by=by,
        note=_("Absence %(of_name)s à partir du tour %(round)s : planning ajusté")
        % {"of_name": french.of(registration.name), "round": current_round + 1},
        details={"absent": registration.pk, "current_round": current_round, **changes},
    )
    return changes


def _diff(before: list[planner.Meeting], after: list[planner.Meeting]) -> dict[str, list]:
    def key(m):
        return frozenset((m.a, m.b))

    old = {key(m): m for m in before}
    new = {key(m): m for m in after}
    names = dict(
        Registration.objects.filter(pk__in=registration_ids([*before, *after])).values_list("pk", "name")
    )

    def row(m, **extra):
        return {"a": names.get(int(m.a[1:]), m.a), "b": names.get(int(m.b[1:]), m.b), **extra}

    return {
        "removed": [row(m, round=m.round + 1) for k, m in old.items() if k not in new],
        "added": [row(m, round=m.round + 1) for k, m in new.items() if k not in old],
        "moved": [
            row(m, **{"from": old[k].round + 1, "to": m.round + 1, "table": m.table})
            for k, m in new.items()
            if k in old and (old[k].round, old[k].table) != (m.round, m.table)
        ],
    }


def plan_computed_message(count: int, quality: float) -> str:
    """What a computed plan means for the organiser: how close it is to the best plan the wishes allow."""
    meetings = ngettext("%(n)s rendez-vous", "%(n)s rendez-vous", count) % {"n": formats.number_format(count)}
    at_least = int(quality * 10 + 1e-9) / 10
    if at_least >= 100:
        return _("Planning calculé : %(meetings)s, le meilleur planning possible au vu des souhaits.") % {
            "meetings": meetings
        }
    return _(
        "Planning calculé : %(meetings)s. Il vaut au moins %(q)s %% du meilleur planning possible au vu des "
        "souhaits."
    ) % {"meetings": meetings, "q": formats.number_format(at_least, 1)}
