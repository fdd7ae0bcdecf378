"""Changes to missions, sessions, reports and participants: small keyword-only functions, transactional.

Views call these after fetching objects through terreau.core.access; nothing here decides permissions.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage, get_connection, send_mail
from django.db import transaction
from django.db.models import Count, Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from terreau.activities import planner, rules, stats
from terreau.activities.models import (
    Attendance,
    Mission,
    Participant,
    RecurringSession,
    ReportIncident,
    Session,
    SessionReport,
    Weekday,
)
from terreau.core.links import absolute_url

log = logging.getLogger(__name__)

# --- weekly windows ("mardi 14:00-17:00") ------------------------------------------------------------

_DAYS = {str(label).lower(): value for value, label in Weekday.choices}
_LINE = re.compile(r"^\s*(\w+)\s+(\d{1,2})[:h](\d{2})\s*[-–à]+\s*(\d{1,2})[:h](\d{2})\s*$", re.IGNORECASE)


def windows_from_text(text: str) -> list[dict]:
    """Parse one window per line, e.g. "mardi 14:00-17:00", into the JSON stored on missions and sites."""
    out = []
    for n, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        m = _LINE.match(line)
        day = _DAYS.get(m.group(1).lower()) if m else None
        if m is None or day is None:
            raise ValidationError(
                _("Ligne %(n)s : écrivez un jour et un horaire, par exemple « mardi 14:00-17:00 ».")
                % {"n": n}
            )
        h1, m1, h2, m2 = (int(g) for g in m.groups()[1:])
        if h1 > 23 or h2 > 24 or m1 > 59 or m2 > 59 or (h2 * 60 + m2) <= (h1 * 60 + m1):
            raise ValidationError(_("Ligne %(n)s : l'heure de fin doit suivre l'heure de début.") % {"n": n})
        out.append({"weekday": day, "start": f"{h1:02d}:{m1:02d}", "end": f"{h2:02d}:{m2:02d}"})
    return out


def windows_to_text(windows: list[dict]) -> str:
    labels = dict(Weekday.choices)
    return "\n".join(
        f"{labels.get(w['weekday'], w['weekday'])} {w['start']}-{w['end']}" for w in windows or []
    )


def _minutes(hhmm: str) -> int:
    h, m = hhmm.split(":")
    return int(h) * 60 + int(m)


def to_windows(data: Any) -> tuple[planner.Window, ...]:
    """Stored JSON windows as planner windows (malformed entries are skipped)."""
    out = []
    for w in data or []:
        try:
            out.append(planner.Window(int(w["weekday"]), _minutes(w["start"]), _minutes(w["end"])))
        except (KeyError, TypeError, ValueError):
            continue
    return tuple(out)


# --- missions --------------------------------------------------------------------------------------


@transaction.atomic
def mission_save(*, mission: Mission, sites=None, by=None) -> Mission:
    """Validate (civic-service rules), save, and give the volunteer's account the volunteer role at each site."""
    from terreau.programs.services import volunteer_roles_sync

    mission.full_clean()
    mission.save()
    if sites is not None:
        mission.sites.set(sites)
    if mission.user_id:
        # Granted and revoked through the programs' services: recorded, and never granted to oneself.
        site_ids = set(mission.sites.values_list("pk", flat=True))
        volunteer_roles_sync(program=mission.program, user_id=mission.user_id, site_ids=site_ids, by=by)
    return mission


# --- sessions ----------------------------------------------------------------------------------------


def local_dt(day: date, at: time) -> datetime:
    return timezone.make_aware(datetime.combine(day, at))


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


@transaction.atomic
def sessions_generate(*, program, start: date, end: date, is_demo: bool = False) -> int:
    """Create the occurrences of the program's weekly sessions between start and end (idempotent)."""
    # Locked: a weekly session being edited, ended or deleted meanwhile is read once that change is committed.
    recurring = list(
        RecurringSession.objects.filter(site__program=program, starts_on__lte=end)
        .exclude(ends_on__lt=start)
        .select_for_update(of=("self",))
    )
    # A weekly session has at most one occurrence a week: a week that already has one (planned, held,
    # cancelled, or moved to another day or time after the weekly session was edited) gets no other.
    # Replacements (session_replace) do not count: the occurrence they replace holds its own week, and the
    # week a session was put off to still has its regular occurrence.
    taken = {
        (rec_id, _monday(timezone.localtime(at).date()))
        for rec_id, at in Session.objects.filter(
            recurring__in=[rec.pk for rec in recurring],
            replaces__isnull=True,
            starts_at__gte=local_dt(_monday(start), time.min),
            starts_at__lt=local_dt(_monday(end) + timedelta(days=7), time.min),
        ).values_list("recurring_id", "starts_at")
    }
    new = []
    for rec in recurring:
        first = max(start, rec.starts_on)
        last = min(end, rec.ends_on) if rec.ends_on else end
        day = first + timedelta(days=(rec.weekday - first.weekday()) % 7)
        while day <= last:
            if (rec.pk, _monday(day)) in taken:
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


@dataclass
class PlanOutcome:
    sessions: int
    needed: int
    covered: int
    gaps: list[tuple[Session, int, tuple[str, ...]]]

    @property
    def coverage(self) -> float:
        return self.covered / self.needed if self.needed else 1.0


def _site_input(site) -> planner.Site:
    lat = site.latitude if site.latitude is not None else getattr(site.commune, "latitude", None)
    lon = site.longitude if site.longitude is not None else getattr(site.commune, "longitude", None)
    return planner.Site(id=site.pk, lat=lat, lon=lon, windows=to_windows(site.time_windows))


def _volunteer_input(mission: Mission, site_ids: frozenset[int]) -> planner.Volunteer:
    commune = mission.home_commune
    return planner.Volunteer(
        id=mission.pk,
        starts_on=mission.starts_on,
        ends_on=mission.ends_on,
        weekly_hours=float(mission.weekly_hours),
        availability=to_windows(mission.availability),
        site_ids=site_ids,
        lat=getattr(commune, "latitude", None),
        lon=getattr(commune, "longitude", None),
    )


@transaction.atomic
def plan_sessions(*, program, start: date, end: date, by=None) -> PlanOutcome:
    """Generate the period's occurrences, then assign volunteers to those still missing some."""
    sessions_generate(program=program, start=start, end=end)
    week_start = start - timedelta(days=start.weekday())
    week_end = end + timedelta(days=6 - end.weekday())
    sites = list(program.sites.select_related("commune"))
    missions = list(
        Mission.objects.filter(
            program=program, starts_on__lte=week_end, ends_on__gte=week_start
        ).select_related("home_commune")
    )
    through = Session.volunteers.through
    mission_sites: dict[int, set[int]] = {}
    for mid, sid in Mission.sites.through.objects.filter(mission__in=missions).values_list(
        "mission_id", "hostsite_id"
    ):
        mission_sites.setdefault(mid, set()).add(sid)
    sessions = list(
        Session.objects.filter(
            site__program=program,
            starts_at__gte=local_dt(week_start, time.min),
            starts_at__lt=local_dt(week_end + timedelta(days=1), time.min),
        )
        .exclude(status=Session.Status.CANCELLED)
        .select_for_update(of=("self",))
    )
    assigned: dict[int, list[int]] = {}
    for sid, mid in through.objects.filter(session__in=sessions).values_list("session_id", "mission_id"):
        assigned.setdefault(sid, []).append(mid)
    in_period = {
        s.pk
        for s in sessions
        if start <= timezone.localtime(s.starts_at).date() <= end and s.status == "planned"
    }
    slots = [
        planner.Slot(
            id=s.pk,
            site_id=s.site_id,
            start=timezone.localtime(s.starts_at).replace(tzinfo=None),
            minutes=s.duration_minutes,
            needed=s.volunteers_needed if s.pk in in_period else len(assigned.get(s.pk, ())),
            assigned=tuple(assigned.get(s.pk, ())),
        )
        for s in sessions
    ]
    history: dict[int, dict[int, int]] = {}
    for site_id, mid, n in (
        through.objects.filter(
            session__site__program=program,
            session__starts_at__lt=local_dt(week_start, time.min),
            session__starts_at__gte=local_dt(week_start - timedelta(days=120), time.min),
        )
        .values_list("session__site_id", "mission_id")
        .annotate(n=Count("id"))
    ):
        history.setdefault(site_id, {})[mid] = n
    result = planner.plan(
        sites=[_site_input(s) for s in sites],
        volunteers=[_volunteer_input(m, frozenset(mission_sites.get(m.pk, ()))) for m in missions],
        slots=slots,
        history=history,
    )
    new_rows = [
        through(session_id=sid, mission_id=mid)
        for sid, mids in result.assignments.items()
        for mid in mids
        if mid not in assigned.get(sid, ())
    ]
    through.objects.bulk_create(new_rows, batch_size=1000)
    by_pk = {s.pk: s for s in sessions}
    stats.refresh(stats.buckets_of({by_pk[row.session_id] for row in new_rows}))  # no m2m signal either
    by_id = {s.pk: s for s in sessions}
    gaps = [(by_id[g.slot_id], g.missing, g.reasons) for g in result.gaps if g.slot_id in in_period]
    gaps.sort(key=lambda g: g[0].starts_at)
    needed = sum(s.needed for s in slots if s.id in in_period)
    covered = sum(min(len(result.assignments[s.id]), s.needed) for s in slots if s.id in in_period)
    return PlanOutcome(sessions=len(in_period), needed=needed, covered=covered, gaps=gaps)


def _notify(session: Session, subject: str, body: str) -> None:
    recipients = [
        e for e in session.volunteers.exclude(user__isnull=True).values_list("user__email", flat=True) if e
    ]
    if session.site.contact_email:
        recipients.append(session.site.contact_email)
    if not recipients:
        return

    def send() -> None:
        try:
            send_mail(subject, body, None, sorted(set(recipients)))
        except Exception:  # a mail server failure must not undo the change
            log.exception("session notification failed")

    transaction.on_commit(send)


def _when(session: Session) -> str:
    return timezone.localtime(session.starts_at).strftime("%d/%m/%Y %H:%M")


@transaction.atomic
def session_cancel(*, session: Session, reason: str, by=None) -> Session:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Indiquez le motif de l'annulation.")})
    if session.status == Session.Status.HELD:
        raise ValidationError(_("Cette séance a eu lieu : elle ne peut plus être annulée."))
    session.status = Session.Status.CANCELLED
    session.cancel_reason = reason[:300]
    session.save(update_fields=["status", "cancel_reason", "updated_at"])
    _notify(
        session,
        _("Séance annulée : %(site)s, %(when)s") % {"site": session.site.name, "when": _when(session)},
        _("La séance du %(when)s à %(site)s est annulée.\nMotif : %(reason)s\n")
        % {"when": _when(session), "site": session.site.name, "reason": reason},
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
    old_when = _when(session)
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
        _("Séance déplacée : %(site)s, %(when)s") % {"site": new.site.name, "when": _when(new)},
        _("La séance du %(old)s à %(site)s est remplacée par une séance le %(when)s.\n")
        % {"old": old_when, "site": new.site.name, "when": _when(new)},
    )
    return new


# --- weekly sessions: edit, end, delete ---------------------------------------------------------------

RECURRING_FIELDS = (
    "site",
    "weekday",
    "start_time",
    "duration_minutes",
    "volunteers_needed",
    "starts_on",
    "ends_on",
)


@dataclass
class OccurrencesOutcome:
    """What a change to a weekly session did to its occurrences to come (still planned, without a report)."""

    moved: list[tuple[str, Session]] = field(default_factory=list)  # (former date and time, session)
    updated: list[Session] = field(default_factory=list)  # same time, new duration or volunteers needed
    cancelled: list[Session] = field(default_factory=list)
    kept: int = 0  # occurrences after the end that have a report: history, left as they are
    # Volunteers taken off an occurrence that moved or grew longer: no longer available then (places to fill).
    released: list[tuple[Session, Mission]] = field(default_factory=list)


def recurring_is_unused(*, recurring: RecurringSession) -> bool:
    """No occurrence was ever generated from the weekly session: it may be deleted outright."""
    return not Session.objects.filter(recurring=recurring).exists()


def _value(obj, name: str):
    value = getattr(obj, name)
    return getattr(value, "pk", value)


@transaction.atomic
def recurring_update(
    *, recurring: RecurringSession, changes: dict[str, Any], by=None, now: datetime | None = None
) -> OccurrencesOutcome:
    """Change a weekly session; its occurrences to come (planned, no report) follow.

    They move to the new day and time within their own week and take the new duration and number of
    volunteers; those that fall outside the new period, or whose new time of the week is already past, are
    cancelled with the reason. Replacements (session_replace) keep their own date and time. Held, reported
    and cancelled occurrences are history and stay as they are. The site cannot change once occurrences
    exist (their reports and figures belong to that site).

    Volunteers of an occurrence that moved or grew longer who no longer meet the planner's rules there
    (mission dates, availability, weekly hours, another session at that time) are taken off it and told,
    and so is the program's coordination (``released``: the places to fill by planning again).
    """
    unknown = set(changes) - set(RECURRING_FIELDS)
    if unknown:
        raise ValueError(f"not a weekly session field: {sorted(unknown)}")
    now = now or timezone.now()
    rec = RecurringSession.objects.select_for_update().get(pk=recurring.pk)
    changed = {name for name, value in changes.items() if _value(rec, name) != getattr(value, "pk", value)}
    if "site" in changed and not recurring_is_unused(recurring=rec):
        raise ValidationError(
            {
                "site": _(
                    "Des séances ont déjà été créées à partir de cette séance hebdomadaire : arrêtez-la et "
                    "créez-en une autre sur le nouveau site."
                )
            }
        )
    for name in changed:
        setattr(rec, name, changes[name])
    if rec.ends_on is not None and rec.starts_on is not None and rec.ends_on < rec.starts_on:
        raise ValidationError({"ends_on": _("La fin doit suivre le début.")})
    rec.full_clean()
    if not changed:
        return OccurrencesOutcome()
    rec.save()
    outcome = _sync_occurrences(
        rec, changed=changed, now=now, reason=_("Hors de la nouvelle période de la séance hebdomadaire")
    )
    retimed = [s for _old, s in outcome.moved]
    if "duration_minutes" in changed:
        retimed += outcome.updated
    outcome.released = _release_unavailable(retimed)
    log.info(
        "weekly session %s changed (%s) by %s: %s moved, %s updated, %s cancelled, %s places released",
        rec.pk,
        ", ".join(sorted(changed)),
        getattr(by, "pk", None),
        len(outcome.moved),
        len(outcome.updated),
        len(outcome.cancelled),
        len(outcome.released),
    )
    if outcome.moved or outcome.cancelled:
        lines = [_("La séance hebdomadaire %(slot)s change.") % {"slot": str(rec)}]
        lines += [
            _("Séance déplacée : %(old)s → %(new)s") % {"old": old, "new": _when(s)}
            for old, s in outcome.moved
        ]
        lines += [
            _("Séance annulée : %(when)s (%(reason)s)") % {"when": _when(s), "reason": s.cancel_reason}
            for s in outcome.cancelled
        ]
        _notify_all(
            rec.site,
            [s for _old, s in outcome.moved] + outcome.cancelled,
            _("Séance hebdomadaire modifiée : %(site)s") % {"site": rec.site.name},
            "\n".join(lines) + "\n",
        )
    if outcome.released:
        _notify_released(rec, outcome.released)
    return outcome


@transaction.atomic
def recurring_end(
    *, recurring: RecurringSession, stop_from: date, reason: str = "", by=None, now: datetime | None = None
) -> OccurrencesOutcome:
    """Stop a weekly session from ``stop_from`` on (its last day becomes the day before).

    Its occurrences from then on that are still planned without a report, replacements included, are
    cancelled with the reason (history: they stay, with their volunteers); those with a report are kept and
    counted in ``kept``.
    """
    now = now or timezone.now()
    rec = RecurringSession.objects.select_for_update().get(pk=recurring.pk)
    if stop_from < timezone.localdate(now):
        raise ValidationError(
            {
                "stop_from": _(
                    "Choisissez aujourd'hui ou une date à venir : les séances passées restent dans l'historique."
                )
            }
        )
    if rec.ends_on is not None and stop_from > rec.ends_on:
        raise ValidationError(
            {
                "stop_from": _(
                    "Cette séance hebdomadaire se termine déjà le %(day)s : choisissez une date antérieure."
                )
                % {"day": f"{rec.ends_on:%d/%m/%Y}"}
            }
        )
    rec.ends_on = stop_from - timedelta(days=1)
    rec.save(update_fields=["ends_on", "updated_at"])
    text = _("Séance hebdomadaire arrêtée à partir du %(day)s") % {"day": f"{stop_from:%d/%m/%Y}"}
    if (reason or "").strip():
        text = f"{text} : {reason.strip()}"
    outcome = _sync_occurrences(rec, changed={"ends_on"}, now=now, reason=text)
    outcome.kept = (
        Session.objects.filter(recurring=rec, starts_at__gte=local_dt(stop_from, time.min))
        .filter(pk__in=SessionReport.objects.values("session_id"))
        .count()
    )
    log.info(
        "weekly session %s ended from %s by %s: %s cancelled, %s kept",
        rec.pk,
        stop_from,
        getattr(by, "pk", None),
        len(outcome.cancelled),
        outcome.kept,
    )
    if outcome.cancelled:
        _notify_all(
            rec.site,
            outcome.cancelled,
            _("Séance hebdomadaire arrêtée : %(site)s") % {"site": rec.site.name},
            "\n".join(
                [_("%(reason)s. Ces séances sont annulées :") % {"reason": text}]
                + [f"- {_when(s)}" for s in outcome.cancelled]
            )
            + "\n",
        )
    return outcome


@transaction.atomic
def recurring_delete(*, recurring: RecurringSession, by=None) -> None:
    """Delete a weekly session from which no occurrence was ever generated (else end it: history stays)."""
    rec = RecurringSession.objects.select_for_update().filter(pk=recurring.pk).first()
    if rec is None:
        return
    if not recurring_is_unused(recurring=rec):
        raise ValidationError(
            _(
                "Des séances ont déjà été créées à partir de cette séance hebdomadaire : arrêtez-la plutôt, "
                "leur historique sera conservé."
            )
        )
    log.info("weekly session %s (%s) deleted by %s", rec.pk, rec, getattr(by, "pk", None))
    rec.delete()


def _sync_occurrences(
    rec: RecurringSession, *, changed: set[str], now: datetime, reason: str
) -> OccurrencesOutcome:
    """Bring the weekly session's occurrences to come (planned, no report, after ``now``) in line with it."""
    upcoming = list(
        Session.objects.filter(recurring=rec, status=Session.Status.PLANNED, starts_at__gt=now)
        .exclude(pk__in=SessionReport.objects.values("session_id"))
        .select_for_update(of=("self",))
        .order_by("starts_at")
    )
    outcome = OccurrencesOutcome()
    if not upcoming:
        return outcome
    before = stats.buckets_of(upcoming)
    reschedule = bool(changed & {"weekday", "start_time"})
    new_period = bool(changed & {"starts_on", "ends_on"})
    occupied = set(
        Session.objects.filter(recurring=rec)
        .exclude(pk__in=[s.pk for s in upcoming])
        .values_list("starts_at", flat=True)
    )
    # Replacements keep the date and time chosen for them (a new period may still cancel them); they come
    # first so that an occurrence moved onto their very time gives way (one session of a weekly session at
    # a given time).
    upcoming.sort(key=lambda s: (s.replaces_id is None, s.starts_at, s.pk))
    rows = []
    for s in upcoming:
        replacement = s.replaces_id is not None
        day = timezone.localtime(s.starts_at).date()
        target = s.starts_at
        if reschedule and not replacement:
            day = _monday(day) + timedelta(days=rec.weekday)
            target = local_dt(day, rec.start_time)
        outside = day < rec.starts_on or (rec.ends_on is not None and day > rec.ends_on)
        if outside and (new_period or not replacement):
            cancel = reason
        elif target <= now or target in occupied:
            cancel = _("Horaire de la séance hebdomadaire modifié")
        else:
            cancel = None
        if cancel:
            s.status = Session.Status.CANCELLED
            s.cancel_reason = cancel[:300]
            outcome.cancelled.append(s)
            occupied.add(s.starts_at)  # a cancelled occurrence stays where it was
        else:
            occupied.add(target)
            if target != s.starts_at:
                outcome.moved.append((_when(s), s))
                s.starts_at = target
            elif changed & {"duration_minutes", "volunteers_needed"}:
                outcome.updated.append(s)
            else:
                continue
            if "duration_minutes" in changed:
                s.duration_minutes = rec.duration_minutes
            if "volunteers_needed" in changed:
                s.volunteers_needed = rec.volunteers_needed
        s.updated_at = now
        rows.append(s)
    if not rows:
        return outcome
    Session.objects.bulk_update(
        rows,
        ["starts_at", "duration_minutes", "volunteers_needed", "status", "cancel_reason", "updated_at"],
        batch_size=500,
    )
    stats.refresh(before | stats.buckets_of(rows))  # bulk_update sends no signal
    return outcome


def _notify_all(site, sessions: list[Session], subject: str, body: str) -> None:
    """One message about several occurrences, to their volunteers and the site's contact, after commit."""
    recipients = {
        e
        for e in Mission.objects.filter(sessions__in=sessions, user__isnull=False)
        .values_list("user__email", flat=True)
        .distinct()
        if e
    }
    if site.contact_email:
        recipients.add(site.contact_email)
    if not recipients:
        return

    def send() -> None:
        try:
            send_mail(subject, body, None, sorted(recipients))
        except Exception:  # a mail server failure must not undo the change
            log.exception("weekly session notification failed")

    transaction.on_commit(send)


def _slot(session: Session, assigned) -> planner.Slot:
    return planner.Slot(
        id=session.pk,
        site_id=session.site_id,
        start=timezone.localtime(session.starts_at).replace(tzinfo=None),
        minutes=session.duration_minutes,
        needed=session.volunteers_needed,
        assigned=tuple(assigned),
    )


def _release_unavailable(sessions: list[Session]) -> list[tuple[Session, Mission]]:
    """Take off ``sessions`` (just moved or lengthened, saved) the volunteers who no longer meet the planner's
    rules there, given their other sessions of those weeks; the others stay. Returns who left what."""
    from terreau.programs.models import HostSite

    through = Session.volunteers.through
    assigned: dict[int, list[int]] = {}
    for sid, mid in through.objects.filter(session__in=sessions).values_list("session_id", "mission_id"):
        assigned.setdefault(sid, []).append(mid)
    if not assigned:
        return []
    missions = {
        m.pk: m
        for m in Mission.objects.filter(pk__in={mid for mids in assigned.values() for mid in mids})
        .select_related("user", "home_commune")
        .order_by()
    }
    days = [timezone.localtime(s.starts_at).date() for s in sessions]
    others = Session.objects.filter(
        starts_at__gte=local_dt(_monday(min(days)), time.min),
        starts_at__lt=local_dt(_monday(max(days)) + timedelta(days=7), time.min),
        volunteers__in=list(missions),
    ).exclude(status=Session.Status.CANCELLED)
    others = others.exclude(pk__in=[s.pk for s in sessions]).distinct()
    other_assigned: dict[int, list[int]] = {}
    for sid, mid in through.objects.filter(session__in=others, mission__in=list(missions)).values_list(
        "session_id", "mission_id"
    ):
        other_assigned.setdefault(sid, []).append(mid)
    other_rows = list(others.order_by())
    site_ids = {s.site_id for s in sessions} | {s.site_id for s in other_rows}
    by_id = {s.pk: s for s in sessions}
    released = planner.unavailable(
        sites=[
            _site_input(site) for site in HostSite.objects.filter(pk__in=site_ids).select_related("commune")
        ],
        volunteers=[_volunteer_input(m, frozenset()) for m in missions.values()],
        slots=[_slot(s, assigned.get(s.pk, ())) for s in sessions if s.pk in assigned],
        others=[_slot(s, other_assigned.get(s.pk, ())) for s in other_rows],
    )
    if not released:
        return []
    pairs = [(by_id[sid], missions[mid]) for sid, mids in released.items() for mid in mids]
    pairs.sort(key=lambda pair: (pair[0].starts_at, pair[0].pk, pair[1].pk))
    gone = Q(pk__in=[])
    for s, m in pairs:
        gone |= Q(session_id=s.pk, mission_id=m.pk)
    through.objects.filter(gone).delete()
    stats.refresh(stats.buckets_of(s for s, _m in pairs))  # no m2m signal for a bulk delete
    return pairs


def _notify_released(rec: RecurringSession, released: list[tuple[Session, Mission]]) -> None:
    """One message to each volunteer taken off sessions, and one to each coordinator of the program, after
    commit (a mail server failure does not undo the change)."""
    from django.urls import reverse

    from terreau.programs.models import ProgramRole

    program = rec.site.program
    change = {
        "site": rec.site.name,
        "slot": f"{rec.get_weekday_display()} {rec.start_time:%H:%M}, {rec.duration_minutes} min",
    }
    messages: list[EmailMessage] = []
    by_mission: dict[Mission, list[Session]] = {}
    for s, m in released:
        by_mission.setdefault(m, []).append(s)
    for m, sessions in by_mission.items():
        email = getattr(m.user, "email", "") if m.user_id else ""
        if not email:
            continue
        body = (
            _(
                "Bonjour %(name)s,\n\nLa séance hebdomadaire du site %(site)s a un nouvel horaire : "
                "%(slot)s. Il ne correspond plus à vos disponibilités (créneaux, heures de la semaine ou "
                "autre séance au même moment) : vous ne faites plus partie des volontaires de ces séances :\n"
            )
            % (change | {"name": m.first_name})
            + "".join(f"- {_when(s)}\n" for s in sessions)
            + "\n"
            + _("La coordination du programme est prévenue.")
            + "\n"
        )
        messages.append(
            EmailMessage(
                _("Séances modifiées : %(site)s, votre participation est retirée") % {"site": rec.site.name},
                body,
                settings.DEFAULT_FROM_EMAIL,
                [email],
            )
        )
    coordinators = set(
        ProgramRole.objects.filter(
            program=program, role=ProgramRole.Role.COORDINATOR, user__is_active=True
        ).values_list("user__email", flat=True)
    )
    if program.coordinator_id and program.coordinator.is_active:
        coordinators.add(program.coordinator.email)
    link = absolute_url(reverse("activities:sessions", kwargs={"slug": program.slug}))
    n = len(released)
    coordinator_body = (
        _(
            "La séance hebdomadaire du site %(site)s a un nouvel horaire : %(slot)s. Ces volontaires n'y "
            "sont plus disponibles et ne sont plus prévus aux séances suivantes :\n"
        )
        % change
        + "".join(f"- {_when(s)} : {m}\n" for s, m in released)
        + "\n"
        + ngettext(
            "%(n)s place de volontaire est à pourvoir : planifiez à nouveau le mois concerné.\n%(link)s\n",
            "%(n)s places de volontaires sont à pourvoir : planifiez à nouveau les mois concernés."
            "\n%(link)s\n",
            n,
        )
        % {"n": n, "link": link}
    )
    for email in sorted(e for e in coordinators if e):
        messages.append(
            EmailMessage(
                _("Places de volontaires à pourvoir : %(site)s") % {"site": rec.site.name},
                coordinator_body,
                settings.DEFAULT_FROM_EMAIL,
                [email],
            )
        )
    if not messages:
        return

    def send() -> None:
        try:
            get_connection().send_messages(messages)
        except Exception:  # a mail server failure must not undo the change
            log.exception("released volunteers notification failed")

    transaction.on_commit(send)


# --- session reports ---------------------------------------------------------------------------------


@transaction.atomic
def report_save(
    *,
    session: Session,
    data: dict,
    participants=(),
    incident: dict | None = None,
    by=None,
) -> SessionReport:
    """Record (or correct) a session's report; its attendance, its incidents, the session's state."""
    held = bool(data.get("held", True))
    if not held and not (data.get("cancel_reason") or "").strip():
        raise ValidationError({"cancel_reason": _("Indiquez pourquoi la séance n'a pas eu lieu.")})
    participants = list(participants)
    if any(p.site_id != session.site_id for p in participants):
        raise ValidationError(_("Un participant inscrit n'appartient pas à ce site."))
    if held and len(participants) > (data.get("headcount") or 0):
        data["headcount"] = len(participants)
    report, _created = SessionReport.objects.select_for_update().get_or_create(session=session)
    report.held = held
    report.cancel_reason = (data.get("cancel_reason") or "").strip()[:300] if not held else ""
    report.activities = list(data.get("activities") or []) if held else []
    report.equipment_used = list(data.get("equipment_used") or []) if held else []
    report.headcount = (data.get("headcount") or 0) if held else 0
    report.duration_minutes = (data.get("duration_minutes") or session.duration_minutes) if held else 0
    report.observations = data.get("observations") or ""
    report.incidents = data.get("incidents") or ""
    report.by = by if getattr(by, "is_authenticated", False) else None
    report.save()
    session.status = Session.Status.HELD if held else Session.Status.CANCELLED
    session.cancel_reason = report.cancel_reason
    session.save(update_fields=["status", "cancel_reason", "updated_at"])
    report.attendances.all().delete()
    if held:
        Attendance.objects.bulk_create([Attendance(report=report, participant=p) for p in participants])
        day = timezone.localtime(session.starts_at).date()
        Participant.objects.filter(pk__in=[p.pk for p in participants]).filter(
            last_participation_on__lt=day
        ).update(last_participation_on=day)
        Participant.objects.filter(
            pk__in=[p.pk for p in participants], last_participation_on__isnull=True
        ).update(last_participation_on=day)
    if incident and incident.get("kind"):
        incident_record(report=report, by=by, **incident)
    return report


def incident_record(
    *, report: SessionReport, kind: str, note: str = "", item=None, by=None
) -> ReportIncident:
    """Keep the incident with the report and feed the equipment's life (programs.services) when available."""
    row = ReportIncident.objects.create(
        report=report,
        kind=kind,
        note=(note or "")[:500],
        item_ref=getattr(item, "pk", None),
        item_label=str(item)[:200] if item is not None else "",
    )
    if item is not None:
        try:
            from terreau.programs.services import incident_report
        except ImportError:  # the equipment services are not there yet: the text stays with the report
            return row
        incident_report(item=item, kind=kind, note=note, by=by, session_report=report)
        row.forwarded = True
        row.save(update_fields=["forwarded"])
    return row


# --- participants (personal data) --------------------------------------------------------------------

# What anonymisation writes over a participant's personal data (erasure on request, retention period).
ANONYMISED = {"first_name": "—", "last_initial": "", "consent_by": ""}


@transaction.atomic
def participant_create(*, site, data: dict, by=None) -> Participant:
    if not data.get("consent_on"):
        raise ValidationError(
            {"consent_on": _("Le consentement de la personne est nécessaire pour l'inscrire.")}
        )
    p = Participant(site=site, **data)
    p.last_initial = (p.last_initial or "")[:1].upper()
    p.full_clean()
    p.save()
    return p


def participant_export(*, participant: Participant) -> dict:
    """Everything Terreau holds about the person (right of access and portability)."""
    rows = (
        Attendance.objects.filter(participant=participant)
        .select_related("report__session")
        .order_by("report__session__starts_at")
    )
    return {
        "prénom": participant.first_name,
        "initiale": participant.last_initial,
        "tranche_d_age": participant.get_age_band_display(),
        "site": participant.site.name,
        "programme": participant.site.program.name,
        "consentement_le": participant.consent_on.isoformat() if participant.consent_on else None,
        "consentement_recueilli_par": participant.consent_by,
        "inscription_le": timezone.localtime(participant.created_at).date().isoformat(),
        "derniere_participation": participant.last_participation_on.isoformat()
        if participant.last_participation_on
        else None,
        "anonymise_le": participant.anonymised_at.isoformat() if participant.anonymised_at else None,
        "seances": [timezone.localtime(a.report.session.starts_at).strftime("%Y-%m-%d %H:%M") for a in rows],
    }


def participant_erase(*, participant: Participant, by=None, now=None) -> Participant:
    """Anonymise: the person can no longer be identified; attendance rows stay for the statistics."""
    for name, value in ANONYMISED.items():
        setattr(participant, name, value)
    participant.anonymised_at = now or timezone.now()
    participant.save(update_fields=[*ANONYMISED, "anonymised_at", "updated_at"])
    return participant


@transaction.atomic
def enforce_retention(*, today: date | None = None) -> int:
    """Anonymise participants whose last participation is older than the retention period; returns count."""
    today = today or timezone.localdate()
    now = timezone.now()
    return Participant.objects.due_for_anonymisation(today=today).update(
        **ANONYMISED, anonymised_at=now, updated_at=now
    )


def attendance_rates(*, participants, site) -> dict[int, tuple[int, float]]:
    """{participant id: (sessions attended, share of the site's held sessions since they registered)}."""
    participants = list(participants)
    if not participants:
        return {}
    counts = dict(
        Attendance.objects.filter(participant__in=participants)
        .values_list("participant_id")
        .annotate(n=Count("id"))
        .values_list("participant_id", "n")
    )
    held = list(
        SessionReport.objects.filter(session__site=site, held=True).values_list(
            "session__starts_at", flat=True
        )
    )
    held.sort()
    out = {}
    for p in participants:
        since = p.created_at
        total = sum(1 for at in held if at >= since - timedelta(days=1)) or 1
        n = counts.get(p.pk, 0)
        out[p.pk] = (n, min(n / total, 1.0))
    return out


def is_regular(count: int, rate: float) -> bool:
    return count >= rules.REGULAR_MIN_SESSIONS and rate >= rules.REGULAR_ATTENDANCE_RATE


def last_participation(participant: Participant) -> date | None:
    at = Attendance.objects.filter(participant=participant).aggregate(m=Max("report__session__starts_at"))[
        "m"
    ]
    return timezone.localtime(at).date() if at else None


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
