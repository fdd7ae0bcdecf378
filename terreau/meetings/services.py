"""Speed-meeting setup and wishes: the planner's identities and the participant's signed links, the settings
of an event's speed-meeting (with its state history), participants, availability, wishes and the
complementarity engine's suggestions. Planning and publishing are in terreau.meetings.plans, agendas and
feedback in terreau.meetings.agendas. Every write is transactional; bad input raises ValidationError with a
French message."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from terreau.core import states
from terreau.core.links import absolute_url
from terreau.directory.models import OrganisationKind
from terreau.events import tokens
from terreau.events.models import Event, Registration
from terreau.meetings.models import (
    SIDE_A,
    SIDE_B,
    SIDE_OTHER,
    Participation,
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
        states.begin(sm, by=by, note=_("Paramètres créés"))
    elif changed & STRUCTURAL and sm.meetings.exists():
        sm.meetings.all().delete()
        clear_plan(sm)
        move(sm, to=State.DRAFT, by=by, note=_("Tours ou tables modifiés : planning à recalculer"))
    # Availabilities naming rounds that no longer exist are trimmed.
    for p in Participation.objects.filter(registration__event=event):
        kept = [r for r in p.unavailable_rounds if r < sm.rounds]
        if kept != p.unavailable_rounds:
            p.unavailable_rounds = kept
            p.save(update_fields=["unavailable_rounds", "updated_at"])
    return sm


def clear_plan(sm: SpeedMeeting) -> None:
    """Forget the computed plan's figures (its meetings are deleted by the caller)."""
    sm.total_value = sm.upper_bound = sm.planned_at = None
    sm.unmet_wishes, sm.stats = [], {}
    sm.save(update_fields=["total_value", "upper_bound", "planned_at", "unmet_wishes", "stats", "updated_at"])


def move(sm: SpeedMeeting, *, to: str, by=None, note: str = "", details: dict | None = None) -> None:
    """Put the speed-meeting in state `to`, with a line in its history (PlanChange, through
    terreau.core.states)."""
    states.move(sm, to, by=by, note=note, details=details or {})


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
