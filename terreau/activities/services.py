"""Changes to missions, sessions, reports and participants: small keyword-only functions, transactional.

Views call these after fetching objects through terreau.core.access; nothing here decides permissions.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Count, Max
from django.utils import timezone
from django.utils.translation import gettext as _

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
    from terreau.programs.models import ProgramRole

    mission.full_clean()
    mission.save()
    if sites is not None:
        mission.sites.set(sites)
    if mission.user_id:
        site_ids = set(mission.sites.values_list("pk", flat=True))
        roles = ProgramRole.objects.filter(program=mission.program, user_id=mission.user_id, role="volunteer")
        roles.exclude(site_id__in=site_ids).delete()
        existing = set(roles.values_list("site_id", flat=True))
        ProgramRole.objects.bulk_create(
            [
                ProgramRole(program=mission.program, user_id=mission.user_id, role="volunteer", site_id=sid)
                for sid in site_ids - existing
            ]
        )
    return mission


# --- sessions ----------------------------------------------------------------------------------------


def local_dt(day: date, at: time) -> datetime:
    return timezone.make_aware(datetime.combine(day, at))


@transaction.atomic
def sessions_generate(*, program, start: date, end: date, is_demo: bool = False) -> int:
    """Create the occurrences of the program's weekly sessions between start and end (idempotent)."""
    recurring = RecurringSession.objects.filter(site__program=program, starts_on__lte=end).exclude(
        ends_on__lt=start
    )
    new = []
    for rec in recurring:
        first = max(start, rec.starts_on)
        last = min(end, rec.ends_on) if rec.ends_on else end
        day = first + timedelta(days=(rec.weekday - first.weekday()) % 7)
        while day <= last:
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
    """Cancel ``session`` and create its replacement at ``starts_at`` with the same volunteers."""
    if starts_at <= timezone.now():
        raise ValidationError({"starts_at": _("La séance de remplacement doit être dans le futur.")})
    if Session.objects.filter(replaces=session).exists():
        raise ValidationError(_("Cette séance a déjà été remplacée."))
    old_when = _when(session)
    if session.status != Session.Status.CANCELLED:
        session_cancel(session=session, reason=_("Reportée"), by=by)
    new = Session.objects.create(
        site=session.site,
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
    participant.first_name = "—"
    participant.last_initial = ""
    participant.consent_by = ""
    participant.anonymised_at = now or timezone.now()
    participant.save(
        update_fields=["first_name", "last_initial", "consent_by", "anonymised_at", "updated_at"]
    )
    return participant


@transaction.atomic
def enforce_retention(*, today: date | None = None) -> int:
    """Anonymise participants whose last participation is older than the retention period; returns count."""
    today = today or timezone.localdate()
    now = timezone.now()
    return Participant.objects.due_for_anonymisation(today=today).update(
        first_name="—", last_initial="", consent_by="", anonymised_at=now, updated_at=now
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


def site_url(path: str) -> str:
    return settings.TERREAU_SITE_URL.rstrip("/") + path
