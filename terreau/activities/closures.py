"""Recording a site's closure or a volunteer's absence, and what it does to sessions already planned.

- A closure cancels the site's planned sessions that fall in it and have not started ("Site fermé : travaux");
- an absence takes the volunteer off the planned sessions that fall in it (the session stays planned, with one
  volunteer less, for the coordinator to replace);
- the planned sessions that fall on a public holiday of their site's department can be cancelled the same way
  ("Jour férié : 1er janvier").

Deleting a closure or an absence changes no session: what was cancelled stays cancelled (a session can be put
back by planning a replacement), what was unassigned stays so. The pages say it.

Keyword-only and transactional. A cancelled session keeps its volunteers and the reason it was cancelled,
as session_cancel leaves it; each cancellation goes through terreau.core.states.move and is recorded in the
session's history (who recorded the closure, the reason). The only rows locked are the sessions changed, for
the update itself; e-mails leave after the commit, through terreau.core.mail, one per volunteer with
everything that changed for them.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from terreau.activities.closed_days import public_holidays
from terreau.activities.models import Mission, Session, SiteClosure, VolunteerAbsence
from terreau.core import dates, states
from terreau.notifications.services import notify

log = logging.getLogger(__name__)

REASON_MAX = 300  # Session.cancel_reason
HOLIDAYS_AHEAD_DAYS = 366  # public holidays listed and checked: from today to a year ahead


@dataclass
class Outcome:
    """What recording a closure or an absence changed."""

    cancelled: list[Session] = field(default_factory=list)
    # mission -> the sessions it was taken off
    unassigned: dict[Mission, list[Session]] = field(default_factory=dict)

    def message(self) -> str:
        """ "2 séances annulées, 1 volontaire retiré de 3 séances" (or that nothing planned was affected)."""
        parts = []
        if self.cancelled:
            n = len(self.cancelled)
            parts.append(ngettext("%(n)s séance annulée", "%(n)s séances annulées", n) % {"n": n})
        if self.unassigned:
            people = len(self.unassigned)
            sessions = len({s.pk for rows in self.unassigned.values() for s in rows})
            parts.append(
                ngettext("%(n)s volontaire retiré", "%(n)s volontaires retirés", people) % {"n": people}
                + " "
                + ngettext("de %(n)s séance", "de %(n)s séances", sessions) % {"n": sessions}
            )
        if not parts:
            return _("Aucune séance prévue n'était concernée.")
        return ", ".join(parts) + "."


def _period_errors(starts_on: date | None, ends_on: date | None, *, what: str) -> dict[str, str]:
    errors: dict[str, str] = {}
    low, high = dates.window()
    for name, value in (("starts_on", starts_on), ("ends_on", ends_on)):
        if value is None:
            errors[name] = _("Indiquez une date.")
        elif not low <= value <= high:
            errors[name] = dates.out_of_window_message()
    if not errors and ends_on < starts_on:
        errors["ends_on"] = (
            _("La fin de la fermeture précède son début.")
            if what == "closure"
            else _("La fin de l'absence précède son début.")
        )
    return errors


def _local_range(starts_on: date, ends_on: date) -> tuple[datetime, datetime]:
    return (
        timezone.make_aware(datetime.combine(starts_on, time.min)),
        timezone.make_aware(datetime.combine(ends_on + timedelta(days=1), time.min)),
    )


def _when(session: Session) -> str:
    return formats.date_format(timezone.localtime(session.starts_at), "l j F Y, H:i")


def _cancel(sessions: Iterable[Session], reason_of, *, by=None) -> list[Session]:
    """Cancel the sessions still planned and not started among ``sessions`` (rows locked for the update
    alone; the caller holds the transaction), each with its reason, recorded in its history by ``by``."""
    ids = [s.pk for s in sessions]
    locked = list(
        Session.objects.select_for_update(of=("self",))
        .filter(pk__in=ids, status=Session.Status.PLANNED, starts_at__gt=timezone.now())
        .select_related("site")
        .order_by("starts_at", "pk")
    )
    for session in locked:  # a handful of sessions: one move each (state, reason, history row, statistics)
        reason = reason_of(session)[:REASON_MAX]
        states.move(session, Session.Status.CANCELLED, by=by, note=reason, also={"cancel_reason": reason})
    return locked


def _notify_cancelled(cancelled: list[Session]) -> None:
    """One e-mail per volunteer (with an account) of the cancelled sessions, made after the commit (no query
    while the sessions are locked) and sent through terreau.notifications."""
    if not cancelled:
        return

    def send() -> None:
        per_person: dict[str, list[Session]] = defaultdict(list)
        through = Session.volunteers.through.objects.filter(session__in=[s.pk for s in cancelled])
        by_pk = {s.pk: s for s in cancelled}
        for session_id, email in through.exclude(mission__user__isnull=True).values_list(
            "session_id", "mission__user__email"
        ):
            if email:
                per_person[email].append(by_pk[session_id])
        for email, sessions in per_person.items():
            rows = [
                {"when": _when(s), "site": s.site.name, "reason": s.cancel_reason}
                for s in sorted(sessions, key=lambda s: s.starts_at)
            ]
            try:
                notify(
                    kind="activities.sessions_changed",
                    recipients=[email],
                    template="activities/emails/sessions_cancelled",
                    context={"rows": rows},
                )
            except Exception:  # a mail server failure must not undo the change
                log.exception("closure notification failed")

    transaction.on_commit(send)


def _send_later(template: str, context: dict, email: str) -> None:
    def send() -> None:
        try:
            notify(
                kind="activities.volunteer_unassigned", recipients=[email], template=template, context=context
            )
        except Exception:  # a mail server failure must not undo the change
            log.exception("closure notification failed")

    transaction.on_commit(send)


# --- closures --------------------------------------------------------------------------------------------


def closure_reason(reason: str) -> str:
    return _("Site fermé : %(reason)s") % {"reason": reason} if reason else _("Site fermé")


@transaction.atomic
def closure_add(
    *, site, starts_on: date, ends_on: date, reason: str = "", by=None
) -> tuple[SiteClosure, Outcome]:
    """Record the closure and cancel the site's planned sessions in it (volunteers told)."""
    reason = " ".join((reason or "").split())[:200]
    errors = _period_errors(starts_on, ends_on, what="closure")
    if errors:
        raise ValidationError(errors)
    closure = SiteClosure.objects.create(site=site, starts_on=starts_on, ends_on=ends_on, reason=reason)
    low, high = _local_range(starts_on, ends_on)
    planned = Session.objects.filter(site=site, starts_at__gte=low, starts_at__lt=high)
    cancelled = _cancel(planned, lambda _s: closure_reason(reason), by=by)
    _notify_cancelled(cancelled)
    return closure, Outcome(cancelled=cancelled)


@transaction.atomic
def closure_delete(*, closure: SiteClosure, by=None) -> int:
    """Delete the closure. Its cancelled sessions stay cancelled: returns how many they are."""
    low, high = _local_range(closure.starts_on, closure.ends_on)
    kept = Session.objects.filter(
        site_id=closure.site_id,
        starts_at__gte=low,
        starts_at__lt=high,
        status=Session.Status.CANCELLED,
        cancel_reason=closure_reason(closure.reason)[:REASON_MAX],
    ).count()
    closure.delete()
    return kept


# --- public holidays -------------------------------------------------------------------------------------


def department_of(site) -> str | None:
    return getattr(getattr(site, "commune", None), "department_id", None)


def upcoming_holidays(sites: Iterable, *, today: date | None = None) -> list[dict]:
    """The public holidays of the sites' departments from today to a year ahead: [{"day", "name", "sites":
    [site names]}] (Alsace-Moselle's Good Friday and 26 December only for their sites)."""
    today = today or timezone.localdate()
    end = today + timedelta(days=HOLIDAYS_AHEAD_DAYS)
    days: dict[tuple[date, str], list[str]] = defaultdict(list)
    for site in sites:
        for day, name in public_holidays(department_of(site), today, end).items():
            days[(day, name)].append(site.name)
    return [
        {"day": day, "name": name, "sites": sorted(names)}
        for (day, name), names in sorted(days.items(), key=lambda item: item[0][0])
    ]


def holiday_reason(name: str) -> str:
    return _("Jour férié : %(name)s") % {"name": name}


def sessions_on_holidays(sites: Iterable, *, today: date | None = None) -> list[tuple[Session, str]]:
    """The planned sessions (not started) of the sites that fall on a public holiday of their department
    within a year: [(session, holiday name)]."""
    today = today or timezone.localdate()
    end = today + timedelta(days=HOLIDAYS_AHEAD_DAYS)
    sites = list(sites)
    holidays = {site.pk: public_holidays(department_of(site), today, end) for site in sites}
    low, high = _local_range(today, end)
    out = []
    for session in Session.objects.filter(
        site__in=[s.pk for s in sites],
        status=Session.Status.PLANNED,
        starts_at__gte=max(low, timezone.now()),
        starts_at__lt=high,
    ).select_related("site"):
        name = holidays[session.site_id].get(timezone.localtime(session.starts_at).date())
        if name:
            out.append((session, name))
    return out


@transaction.atomic
def holiday_sessions_cancel(*, sites: Iterable, by=None, today: date | None = None) -> Outcome:
    """Cancel the planned sessions that fall on a public holiday ("Jour férié : 1er janvier")."""
    found = sessions_on_holidays(sites, today=today)
    names = {session.pk: name for session, name in found}
    cancelled = _cancel([s for s, _name in found], lambda s: holiday_reason(names[s.pk]), by=by)
    _notify_cancelled(cancelled)
    return Outcome(cancelled=cancelled)


# --- absences --------------------------------------------------------------------------------------------


@transaction.atomic
def absence_add(
    *, mission: Mission, starts_on: date, ends_on: date, reason: str = "", by=None
) -> tuple[VolunteerAbsence, Outcome]:
    """Record the absence and take the volunteer off the planned sessions in it (they are told)."""
    reason = " ".join((reason or "").split())[:200]
    errors = _period_errors(starts_on, ends_on, what="absence")
    if errors:
        raise ValidationError(errors)
    absence = VolunteerAbsence.objects.create(
        mission=mission, starts_on=starts_on, ends_on=ends_on, reason=reason
    )
    low, high = _local_range(starts_on, ends_on)
    sessions = list(
        mission.sessions.filter(
            status=Session.Status.PLANNED, starts_at__gte=max(low, timezone.now()), starts_at__lt=high
        )
        .select_related("site")
        .order_by("starts_at", "pk")
    )
    outcome = Outcome()
    if sessions:
        mission.sessions.remove(*sessions)  # the statistics follow through the m2m signal
        outcome.unassigned[mission] = sessions
        email = mission.user.email if mission.user_id and mission.user else ""
        if email:
            rows = [{"when": _when(s), "site": s.site.name} for s in sessions]
            _send_later("activities/emails/volunteer_unassigned", {"rows": rows, "mission": mission}, email)
    return absence, outcome


@transaction.atomic
def absence_delete(*, absence: VolunteerAbsence, by=None) -> None:
    """Delete the absence: the volunteer is not put back on the sessions they were taken off."""
    absence.delete()
