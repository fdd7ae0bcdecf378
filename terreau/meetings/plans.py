"""Speed-meeting planning: compute the plan (with terreau.meetings.planner, the same as
`terreau schedule-meetings`), publish it (provisional, then final) and re-plan the rounds to come when someone
is absent on the day. Every write is transactional; bad input raises ValidationError with a French message."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from terreau.core import french
from terreau.events.models import Registration
from terreau.meetings import planner
from terreau.meetings.agendas import send_final_plan_mails, send_provisional_plan_mails
from terreau.meetings.documents import planner_meetings, registration_ids, schedule_document, store_plan
from terreau.meetings.models import SIDE_A, SIDE_OTHER, Participation, SpeedMeeting
from terreau.meetings.services import move, participants, pid, side_of

State = SpeedMeeting.State


@transaction.atomic
def plan_run(*, sm: SpeedMeeting, by=None, time_limit: float | None = None) -> planner.Plan:
    """Compute the plan with the same planner as `terreau schedule-meetings`; the plan goes back to draft."""
    sm = SpeedMeeting.objects.select_for_update().select_related("event").get(pk=sm.pk)
    if sm.state == State.FINAL:
        raise ValidationError(
            _("Le planning définitif est publié : utilisez le re-planning du jour en cas d'absence.")
        )
    document = schedule_document(sm)
    if len(document["participants"]) < 2:
        raise ValidationError(
            _("Il faut au moins deux participants confirmés pour planifier des rendez-vous.")
        )
    try:
        event = planner.parse_event(document)
        plan = planner.plan_meetings(event, time_limit=time_limit)
    except planner.ScheduleInputError as exc:
        raise ValidationError(_("Données de planification invalides : %(error)s") % {"error": exc}) from None
    store_plan(sm, plan)
    move(
        sm,
        to=State.DRAFT,
        by=by,
        note=_("Planning calculé : %(value)s points, sur %(bound)s au plus quel que soit le planning")
        % {"value": _num(plan.total_value), "bound": _num(plan.upper_bound)},
        details={"total_value": float(plan.total_value), "upper_bound": float(plan.upper_bound)},
    )
    return plan


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
