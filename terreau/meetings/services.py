"""Speed-meeting services: setup, availability, wishes, planning (with terreau.meetings.planner), publishing,
re-planning on the day and feedback. Every write is transactional; bad input raises ValidationError with a
French message."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import QuerySet
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from terreau.core.links import absolute_url
from terreau.directory.models import OrganisationKind
from terreau.events import tokens
from terreau.events.models import Event, Registration
from terreau.meetings import planner
from terreau.meetings.models import (
    SIDE_A,
    SIDE_B,
    SIDE_OTHER,
    Feedback,
    Meeting,
    Participation,
    PlanChange,
    SpeedMeeting,
    Wish,
)

log = logging.getLogger(__name__)
SEATED = Registration.SEATED
State = SpeedMeeting.State


# --- identities and links ---------------------------------------------------------------------------


def pid(registration: Registration | int) -> str:
    """The planner's id of a registration."""
    return f"r{registration if isinstance(registration, int) else registration.pk}"


def side_of(registration: Registration) -> str:
    """The planner's side: from the organisation's kind when the registration has one, else from the side
    the registrant declared (registrations without a directory organisation)."""
    if registration.organisation_id:
        kind = registration.organisation.kind
        if kind == OrganisationKind.ASSOCIATION:
            return SIDE_A
        if kind == OrganisationKind.COMPANY:
            return SIDE_B
        return SIDE_OTHER
    if registration.side == Registration.Side.ASSOCIATION:
        return SIDE_A
    if registration.side == Registration.Side.COMPANY:
        return SIDE_B
    return SIDE_OTHER


def participant_token(registration: Registration) -> str:
    """The registrant's signed link (the events app's "manage" token) also opens their speed-meeting pages."""
    return tokens.make_token(registration.pk, "manage")


def registration_from_token(*, event: Event, token: str) -> Registration:
    """The registration carried by a signed link, for this event; BadLink otherwise."""
    pk = tokens.read_token(token, "manage")
    try:
        return Registration.objects.select_related("organisation", "event").get(pk=pk, event=event)
    except Registration.DoesNotExist:
        raise tokens.BadLink("tampered") from None


def participant_path(registration: Registration, page: str = "agenda") -> str:
    """Path of one of the participant's pages (wishes, agenda, feedback...) behind their signed link."""
    return reverse(
        f"meetings:{page}_token",
        kwargs={"slug": registration.event.slug, "token": participant_token(registration)},
    )


def agenda_url(registration: Registration, page: str = "agenda") -> str:
    return absolute_url(participant_path(registration, page))


# --- setup ------------------------------------------------------------------------------------------


SETUP_FIELDS = (
    "rounds",
    "round_minutes",
    "break_minutes",
    "first_round_at",
    "tables",
    "table_limits",
    "wishes_deadline",
    "bipartite",
    "max_meetings",
)
STRUCTURAL = {"rounds", "tables", "table_limits", "bipartite", "max_meetings"}


@transaction.atomic
def speed_meeting_setup(*, event: Event, data: Mapping[str, Any], by=None) -> SpeedMeeting:
    """Create or change the speed-meeting settings of an event. Changing rounds or tables drops a plan not
    yet final (it must be computed again); once the final plan is out, only times and deadline may change."""
    if event.kind != Event.Kind.SPEED_MEETING:
        raise ValidationError(_("Cette rencontre n'est pas un rendez-vous d'affaires (speed-meeting)."))
    Event.objects.select_for_update().filter(pk=event.pk).first()
    sm = event.speed_meeting_or_none() or SpeedMeeting(event=event)
    changed = {f for f in SETUP_FIELDS if f in data and getattr(sm, f) != data[f]}
    if sm.pk and sm.state == State.FINAL and changed & STRUCTURAL:
        raise ValidationError(
            _("Le planning définitif est publié : les tours et les tables ne peuvent plus changer.")
        )
    for field in SETUP_FIELDS:
        if field in data:
            setattr(sm, field, data[field])
    limits = [int(x) for x in sm.table_limits or []]
    if len(limits) > sm.rounds or any(x < 1 for x in limits):
        raise ValidationError(_("Indiquez au plus une limite de tables par tour, chacune d'au moins 1."))
    sm.table_limits = limits
    if sm.round_ends_at(sm.rounds - 1) > event.ends_at:
        raise ValidationError(
            _("Les tours dépassent la fin de la rencontre (dernier tour jusqu'à %(end)s).")
            % {"end": timezone.localtime(sm.round_ends_at(sm.rounds - 1)).strftime("%H:%M")}
        )
    if sm.round_starts_at(0) < event.starts_at:
        raise ValidationError(_("Le premier tour ne peut pas commencer avant la rencontre."))
    creating = sm.pk is None
    sm.full_clean()
    sm.save()
    if creating:
        PlanChange.objects.create(speed_meeting=sm, to_state=State.DRAFT, by=by, note=_("Paramètres créés"))
    elif changed & STRUCTURAL and sm.meetings.exists():
        sm.meetings.all().delete()
        _clear_plan(sm)
        _move(sm, to=State.DRAFT, by=by, note=_("Tours ou tables modifiés : planning à recalculer"))
    # Availabilities naming rounds that no longer exist are trimmed.
    for p in Participation.objects.filter(registration__event=event):
        kept = [r for r in p.unavailable_rounds if r < sm.rounds]
        if kept != p.unavailable_rounds:
            p.unavailable_rounds = kept
            p.save(update_fields=["unavailable_rounds", "updated_at"])
    return sm


def _clear_plan(sm: SpeedMeeting) -> None:
    sm.total_value = sm.upper_bound = sm.planned_at = None
    sm.unmet_wishes, sm.stats = [], {}
    sm.save(update_fields=["total_value", "upper_bound", "planned_at", "unmet_wishes", "stats", "updated_at"])


def _move(sm: SpeedMeeting, *, to: str, by=None, note: str = "", details: dict | None = None) -> None:
    PlanChange.objects.create(
        speed_meeting=sm, from_state=sm.state, to_state=to, by=by, note=note[:500], details=details or {}
    )
    sm.state = to
    sm.save(update_fields=["state", "updated_at"])


# --- participants, availability, wishes -------------------------------------------------------------


def participants(sm: SpeedMeeting) -> QuerySet[Registration]:
    """The event's confirmed registrations (present or expected), with their organisation."""
    return (
        sm.event.registrations.filter(status__in=SEATED)
        .select_related("organisation", "participation")
        .order_by("name", "pk")
    )


def is_participant(sm: SpeedMeeting, registration: Registration | None) -> bool:
    return registration is not None and registration.event_id == sm.event_id and registration.status in SEATED


def unavailable_of(registration: Registration) -> list[int]:
    try:
        return list(registration.participation.unavailable_rounds)
    except Participation.DoesNotExist:
        return []


@transaction.atomic
def availability_save(
    *, sm: SpeedMeeting, registration: Registration, unavailable: Iterable[int]
) -> Participation:
    if not is_participant(sm, registration):
        raise ValidationError(_("Seuls les participants confirmés indiquent leurs disponibilités."))
    rounds = sorted({int(r) for r in unavailable})
    if any(not 0 <= r < sm.rounds for r in rounds):
        raise ValidationError(_("Tour inconnu : choisissez parmi les %(n)s tours.") % {"n": sm.rounds})
    if sm.state == State.FINAL:
        raise ValidationError(
            _("Le planning définitif est publié : prévenez les organisateurs de tout changement.")
        )
    participation, _created = Participation.objects.select_for_update().get_or_create(
        registration=registration
    )
    participation.unavailable_rounds = rounds
    participation.save(update_fields=["unavailable_rounds", "updated_at"])
    return participation


def wish_candidates(sm: SpeedMeeting, registration: Registration) -> list[Registration]:
    """Whom this participant may wish to meet: the other participants (of the other side when bipartite)."""
    mine = side_of(registration)
    others = [r for r in participants(sm) if r.pk != registration.pk]
    if sm.bipartite:
        if mine == SIDE_OTHER:
            return []
        others = [r for r in others if side_of(r) not in (mine, SIDE_OTHER)]
    return others


def wishes_of(registration: Registration) -> dict[int, str]:
    return dict(Wish.objects.filter(source=registration).values_list("target_id", "level"))


@transaction.atomic
def wishes_save(*, sm: SpeedMeeting, source: Registration, levels: Mapping[int, str | None], now=None) -> int:
    """Replace the participant's wishes (target registration id → level, None or "" to clear). Returns how
    many wishes are kept."""
    if not sm.wishes_open(now=now):
        raise ValidationError(
            _("La date limite des souhaits est passée : ils ne peuvent plus être modifiés.")
        )
    if not is_participant(sm, source):
        raise ValidationError(_("Seuls les participants confirmés expriment des souhaits."))
    allowed = {r.pk for r in wish_candidates(sm, source)}
    valid_levels = set(Wish.Level.values)
    for target, level in levels.items():
        if level and (target not in allowed or level not in valid_levels):
            raise ValidationError(_("Souhait invalide : choisissez parmi les participants proposés."))
    Registration.objects.select_for_update().filter(pk=source.pk).first()
    Wish.objects.filter(source=source, target_id__in=list(levels)).delete()
    Wish.objects.bulk_create(
        [Wish(source=source, target_id=target, level=level) for target, level in levels.items() if level]
    )
    return Wish.objects.filter(source=source).count()


def engine_suggestions(
    *, registration: Registration, candidates: list[Registration], top: int = 5
) -> list[Registration]:
    """Candidates the complementarity engine (terreau.matching) proposes, best first; [] if it is not
    available or cannot rank them. Never raises."""
    try:
        from terreau.matching import engine
    except Exception:  # noqa: BLE001 - the engine is optional
        return []
    try:
        by_org = {r.organisation_id: r for r in candidates if r.organisation_id}
        if not registration.organisation_id or not by_org or len(by_org) > 500:
            return []
        from terreau.directory.models import NeedOffer, Organisation

        org_ids = [registration.organisation_id, *by_org]
        orgs = (
            Organisation.objects.filter(pk__in=org_ids).select_related("commune").prefetch_related("themes")
        )
        items: dict[int, dict[str, list]] = {pk: {"need": [], "offer": []} for pk in org_ids}
        for item in NeedOffer.objects.filter(organisation_id__in=org_ids).active():
            items[item.organisation_id][item.direction].append(
                engine.Item(
                    id=str(item.pk),
                    text=f"{item.title}. {item.description}",
                    type=item.type,
                    theme=item.theme_id and str(item.theme_id),
                )
            )
        documents = [
            engine.Organisation(
                id=str(o.pk),
                kind=o.kind,
                name=o.name,
                commune=getattr(o.commune, "pk", None) and str(o.commune.pk),
                themes=tuple(str(t.pk) for t in o.themes.all()),
                needs=tuple(items[o.pk]["need"]),
                offers=tuple(items[o.pk]["offer"]),
                lat=o.latitude,
                lon=o.longitude,
            )
            for o in orgs
        ]
        mine = str(registration.organisation_id)
        for org_id, partners in engine.match(documents, top=top * 3):
            if org_id == mine:
                found = [by_org.get(int(p.id)) for p in partners]
                return [r for r in found if r is not None][:top]
    except Exception:  # noqa: BLE001 - suggestions are a help, never a failure
        log.exception("complementarity suggestions failed")
    return []


# --- planning -----------------------------------------------------------------------------------------


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


def _registration_ids(meetings: Iterable[planner.Meeting]) -> set[int]:
    return {int(x[1:]) for m in meetings for x in (m.a, m.b)}


def _store_plan(sm: SpeedMeeting, plan: planner.Plan) -> None:
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
    _store_plan(sm, plan)
    _move(
        sm,
        to=State.DRAFT,
        by=by,
        note=_("Planning calculé : valeur %(value)s sur une borne de %(bound)s")
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
    _move(
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


def agenda_of(sm: SpeedMeeting, registration: Registration) -> list[Meeting]:
    from django.db.models import Q

    return list(
        sm.meetings.filter(Q(a=registration) | Q(b=registration))
        .select_related("a", "b", "a__organisation", "b__organisation")
        .order_by("round")
    )


def send_final_plan_mails(*, sm: SpeedMeeting, registrations: Iterable[Registration]) -> int:
    from terreau.meetings import calendar

    sent = 0
    for registration in registrations:
        meetings = agenda_of(sm, registration)
        context = {
            "registration": registration,
            "event": sm.event,
            "sm": sm,
            "rows": [(m, m.other(registration), sm.round_starts_at(m.round)) for m in meetings],
            "agenda_url": agenda_url(registration),
        }
        subject = " ".join(render_to_string("meetings/emails/final_subject.txt", context).split())
        body = render_to_string("meetings/emails/final.txt", context)
        message = EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, [registration.email])
        if meetings:
            message.attach(
                "rendez-vous.ics",
                calendar.agenda_ics(sm, registration, meetings),
                "text/calendar; charset=utf-8; method=PUBLISH",
            )
        message.send(fail_silently=False)
        sent += 1
    return sent


def send_provisional_plan_mails(*, sm: SpeedMeeting, registrations: Iterable[Registration]) -> int:
    """Tell each participant that a provisional agenda is available, with the link to it."""
    sent = 0
    for registration in registrations:
        context = {
            "registration": registration,
            "event": sm.event,
            "sm": sm,
            "count": len(agenda_of(sm, registration)),
            "agenda_url": agenda_url(registration),
            "wishes_url": agenda_url(registration, "wishes"),
            "wishes_open": sm.wishes_open(),
        }
        subject = " ".join(render_to_string("meetings/emails/provisional_subject.txt", context).split())
        body = render_to_string("meetings/emails/provisional.txt", context)
        EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, [registration.email]).send(
            fail_silently=False
        )
        sent += 1
    return sent


# --- on the day ---------------------------------------------------------------------------------------


def _planner_meetings(sm: SpeedMeeting) -> list[planner.Meeting]:
    return [
        planner.Meeting(m.round, m.table, pid(m.a_id), pid(m.b_id), m.value)
        for m in sm.meetings.order_by("round", "table")
    ]


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
    before = _planner_meetings(sm)
    document = schedule_document(sm)
    # Anyone in the current plan stays a participant of the re-planning (absent if no longer seated), and
    # rounds where they already have a meeting cannot be "unavailable" for them.
    known = {p["id"] for p in document["participants"]}
    busy: dict[str, set[int]] = {}
    for m in before:
        busy.setdefault(m.a, set()).add(m.round)
        busy.setdefault(m.b, set()).add(m.round)
    for reg in Registration.objects.filter(pk__in=_registration_ids(before)).select_related("organisation"):
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
    _store_plan(sm, plan)
    _move(
        sm,
        to=sm.state,
        by=by,
        note=_("%(name)s absent(e) à partir du tour %(round)s : planning ajusté")
        % {"name": registration.name, "round": current_round + 1},
        details={"absent": registration.pk, "current_round": current_round, **changes},
    )
    return changes


def _diff(before: list[planner.Meeting], after: list[planner.Meeting]) -> dict[str, list]:
    def key(m):
        return frozenset((m.a, m.b))

    old = {key(m): m for m in before}
    new = {key(m): m for m in after}
    names = dict(
        Registration.objects.filter(pk__in=_registration_ids([*before, *after])).values_list("pk", "name")
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


# --- after the event ----------------------------------------------------------------------------------


@transaction.atomic
def feedback_save(
    *,
    meeting: Meeting,
    registration: Registration,
    rating: int,
    follow_up: str,
    comment: str = "",
    by=None,
    now=None,
) -> Feedback:
    """One side rates a meeting and says what follows; "partnership" opens a Partnership (once per pair)."""
    meeting = (
        Meeting.objects.select_for_update(of=("self",))
        .select_related("speed_meeting__event__branch", "a__organisation", "b__organisation")
        .get(pk=meeting.pk)
    )
    sm = meeting.speed_meeting
    if registration.pk not in (meeting.a_id, meeting.b_id):
        raise ValidationError(_("Vous ne pouvez donner votre avis que sur vos propres rendez-vous."))
    if sm.state != State.FINAL:
        raise ValidationError(_("Le planning n'est pas définitif : pas encore d'avis."))
    if (now or timezone.now()) < sm.round_ends_at(meeting.round):
        raise ValidationError(_("Vous pourrez donner votre avis après le rendez-vous."))
    if not isinstance(rating, int) or not 1 <= rating <= 5:
        raise ValidationError(_("La note va de 1 à 5."))
    if follow_up not in Feedback.FollowUp.values:
        raise ValidationError(_("Choisissez la suite à donner."))
    feedback, _created = Feedback.objects.update_or_create(
        meeting=meeting,
        registration=registration,
        defaults={"rating": rating, "follow_up": follow_up, "comment": comment.strip()[:2000], "by": by},
    )
    if follow_up == Feedback.FollowUp.PARTNERSHIP and meeting.partnership_id is None:
        from terreau.partnerships.services import partnership_open_from_meeting

        if not (meeting.a.organisation_id and meeting.b.organisation_id):
            raise ValidationError(
                _("Un partenariat relie deux structures : l'un des participants n'est rattaché à aucune.")
            )
        meeting.partnership = partnership_open_from_meeting(
            event=sm.event, first=meeting.a.organisation, second=meeting.b.organisation, by=by
        )
        meeting.save(update_fields=["partnership"])
    return feedback
