"""Dated sessions: generating a weekly session's occurrences, cancelling or replacing one (volunteers and site
told), and the signed tokens of the calendar feeds. Keyword-only, transactional; views fetch objects through
terreau.core.access first."""

from __future__ import annotations

import logging
from datetime import date, datetime, time, timedelta

from django.core import signing
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from terreau.activities import stats
from terreau.activities.closed_days import closed_days_by_site
from terreau.activities.models import RecurringSession, Session
from terreau.core import french, states
from terreau.notifications.services import notify

log = logging.getLogger(__name__)


def local_dt(day: date, at: time) -> datetime:
    return timezone.make_aware(datetime.combine(day, at))


def monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


@transaction.atomic
def sessions_generate(*, program, start: date, end: date, is_demo: bool = False) -> int:
    """Create the occurrences of the program's weekly sessions between start and end (idempotent)."""
    # Locked: a weekly session being edited, ended or deleted meanwhile is read once that change is committed.
    recurring = list(
        RecurringSession.objects.filter(site__program=program, starts_on__lte=end)
        .exclude(ends_on__lt=start)
        .select_related("site__commune")
        .select_for_update(of=("self",))
    )
    # No session on a public holiday of the site's department nor while the site is closed.
    closed = closed_days_by_site({rec.site_id: rec.site for rec in recurring}.values(), start, end)
    # A weekly session has at most one occurrence a week: a week that already has one (planned, held,
    # cancelled, or moved to another day or time after the weekly session was edited) gets no other.
    # Replacements (session_replace) do not count: the occurrence they replace holds its own week, and the
    # week a session was put off to still has its regular occurrence.
    taken = {
        (rec_id, monday_of(timezone.localtime(at).date()))
        for rec_id, at in Session.objects.filter(
            recurring__in=[rec.pk for rec in recurring],
            replaces__isnull=True,
            starts_at__gte=local_dt(monday_of(start), time.min),
            starts_at__lt=local_dt(monday_of(end) + timedelta(days=7), time.min),
        ).values_list("recurring_id", "starts_at")
    }
    new = []
    for rec in recurring:
        first = max(start, rec.starts_on)
        last = min(end, rec.ends_on) if rec.ends_on else end
        day = first + timedelta(days=(rec.weekday - first.weekday()) % 7)
        while day <= last:
            if (rec.pk, monday_of(day)) in taken or day in closed[rec.site_id]:
                day += timedelta(days=7)
                continue
            new.append(
                Session(
                    site_id=rec.site_id,
                    recurring=rec,
                    starts_at=local_dt(day, rec.start_time),
                    duration_minutes=rec.duration_minutes,
                    volunteers_needed=rec.volunteers_needed,
                    is_demo=is_demo or rec.is_demo,
                )
            )
            day += timedelta(days=7)
    before = Session.objects.filter(site__program=program).count()
    Session.objects.bulk_create(new, ignore_conflicts=True, batch_size=1000)
    stats.refresh(stats.buckets_of(new))  # bulk_create sends no signal
    return Session.objects.filter(site__program=program).count() - before


def _notify(session: Session, subject: str, body: str) -> None:
    recipients = [
        e for e in session.volunteers.exclude(user__isnull=True).values_list("user__email", flat=True) if e
    ]
    if session.site.contact_email:
        recipients.append(session.site.contact_email)
    if not recipients:
        return
    # One e-mail per person, written with the change and sent after its commit (terreau.notifications).
    notify(
        kind="activities.sessions_changed",
        recipients=sorted(set(recipients)),
        template="notifications/emails/message",
        context={"subject": subject, "body": body},
    )


def when_label(session: Session) -> str:
    return timezone.localtime(session.starts_at).strftime("%d/%m/%Y %H:%M")


@transaction.atomic
def session_cancel(*, session: Session, reason: str, by=None) -> Session:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Indiquez le motif de l'annulation.")})
    # The state as committed, row locked: a report or another cancellation meanwhile is seen.
    session.refresh_from_db(from_queryset=Session.objects.select_for_update(), fields=["status"])
    if session.status == Session.Status.HELD:
        raise ValidationError(_("Cette séance a eu lieu : elle ne peut plus être annulée."))
    if session.status == Session.Status.CANCELLED:
        raise ValidationError(_("Cette séance est déjà annulée."))
    states.move(session, Session.Status.CANCELLED, by=by, note=reason, also={"cancel_reason": reason[:300]})
    _notify(
        session,
        _("Séance annulée : %(site)s, %(when)s") % {"site": session.site.name, "when": when_label(session)},
        _("La séance du %(when)s %(at_site)s est annulée.\nMotif : %(reason)s\n")
        % {"when": when_label(session), "at_site": french.at(session.site.name), "reason": reason},
    )
    return session


@transaction.atomic
def session_replace(*, session: Session, starts_at: datetime, by=None) -> Session:
    """Cancel ``session`` and create its replacement at ``starts_at`` with the same volunteers.

    The replacement stays an occurrence of the same weekly session (``recurring``): ending that weekly
    session cancels it too when it falls after the end, while editing its day and time leaves it where it is.
    """
    if starts_at <= timezone.now():
        raise ValidationError({"starts_at": _("La séance de remplacement doit être dans le futur.")})
    if Session.objects.filter(replaces=session).exists():
        raise ValidationError(_("Cette séance a déjà été remplacée."))
    if (
        session.recurring_id is not None
        and Session.objects.filter(recurring_id=session.recurring_id, starts_at=starts_at).exists()
    ):
        raise ValidationError(
            {
                "starts_at": _(
                    "Cette séance hebdomadaire a déjà une séance à cette date et à cette heure : choisissez "
                    "un autre horaire."
                )
            }
        )
    old_when = when_label(session)
    if session.status != Session.Status.CANCELLED:
        session_cancel(session=session, reason=_("Reportée"), by=by)
    new = Session.objects.create(
        site=session.site,
        recurring_id=session.recurring_id,
        starts_at=starts_at,
        duration_minutes=session.duration_minutes,
        volunteers_needed=session.volunteers_needed,
        replaces=session,
        is_demo=session.is_demo,
    )
    new.volunteers.set(session.volunteers.all())
    _notify(
        new,
        _("Séance déplacée : %(site)s, %(when)s") % {"site": new.site.name, "when": when_label(new)},
        _("La séance du %(old)s %(at_site)s est remplacée par une séance le %(when)s.\n")
        % {"old": old_when, "at_site": french.at(new.site.name), "when": when_label(new)},
    )
    return new


# --- calendar feeds ----------------------------------------------------------------------------------

_FEED_SALT = "terreau.activities.calendar"


def calendar_token(*, user, program, scope: str = "program", obj_id: int | None = None) -> str:
    """A URL token for a calendar app: whose rights apply (the user's, checked at each request) and which view."""
    return signing.dumps(
        {"u": user.pk, "p": program.pk, "s": scope, "i": obj_id}, salt=_FEED_SALT, compress=True
    )


def read_calendar_token(token: str) -> dict | None:
    try:
        data = signing.loads(token, salt=_FEED_SALT)
    except signing.BadSignature:
        return None
    return data if isinstance(data, dict) and data.get("s") in {"program", "site", "volunteer"} else None
