"""The activities part of the Silver Geek demo: about 15 civic-service volunteers from Unis-Cité, a weekly
session at every site, a school year of planned sessions (volunteers assigned by the planner), reports
with plausible attendance for the past ones, and participants with fictitious first names (names and
reasons in data/silvergeek.json).

Everything is flagged is_demo; called by terreau.demo.silvergeek.load_program_demo.
"""

from __future__ import annotations

import random
from datetime import date, time, timedelta

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from terreau.activities import rules, stats
from terreau.activities.closures import absence_add, closure_add
from terreau.activities.missions import mission_save
from terreau.activities.models import (
    Attendance,
    Mission,
    Participant,
    RecurringSession,
    Session,
    SessionChange,
    SessionReport,
)
from terreau.activities.planning import plan_sessions
from terreau.activities.reports import incident_record, incident_resolve
from terreau.activities.sessions import sessions_generate
from terreau.core import states
from terreau.demo.records import read
from terreau.directory.models import Organisation

_DATA = read("silvergeek.json")
VOLUNTEERS = tuple((v["first_name"], v["last_name"]) for v in _DATA["volunteers"])
SENIORS: tuple[str, ...] = tuple(_DATA["seniors"])
CANCEL_REASONS: tuple[str, ...] = tuple(_DATA["cancel_reasons"])
ACTIVITY_MIX = tuple(_DATA["activity_mix"])


def _school_year(today: date) -> tuple[date, date]:
    start = date(today.year if today.month >= 9 else today.year - 1, 10, 1)
    return start, date(start.year + 1, 6, 30)


def load_activities_demo(*, program, today: date) -> None:
    rng = random.Random(2015)
    start, end = _school_year(today)
    unis_cite = (
        Organisation.objects.filter(Q(slug__startswith="unis-cite"), is_demo=True).first()
        or program.sites.first().organisation
    )
    sites = list(program.sites.select_related("commune", "organisation").order_by("pk"))
    if not sites:
        return
    # Weekly sessions: the site's first window, 90 minutes, 2 volunteers.
    RecurringSession.objects.bulk_create(
        [
            RecurringSession(
                site=site,
                weekday=(site.time_windows or [{"weekday": i % 5}])[0]["weekday"],
                start_time=time(14, 30),
                duration_minutes=90,
                volunteers_needed=2,
                starts_on=max(start, site.starts_on or start),
                ends_on=end,
                is_demo=True,
            )
            for i, site in enumerate(sites)
        ]
    )
    # Volunteers: 8-month missions, each on 3 neighbouring sites (sites come in a stable order).
    missions = []
    for i, (first, last) in enumerate(VOLUNTEERS):
        mission = Mission(
            program=program,
            first_name=first,
            last_name=last,
            birth_date=date(start.year - 19 - i % 5, 1 + i % 12, 1 + i % 27),
            host_organisation=unis_cite,
            starts_on=start,
            ends_on=rules.add_months(start, 8) + timedelta(days=29),
            weekly_hours=24 + (i % 3) * 3,
            availability=[{"weekday": d, "start": "09:00", "end": "18:00"} for d in range(5)],
            home_commune=sites[i % len(sites)].commune,
            training="Formation civique et citoyenne ; PSC1 ; prise en main des tablettes et consoles.",
            is_demo=True,
        )
        missions.append(mission_save(mission=mission, sites=[sites[(i + k) % len(sites)] for k in range(3)]))
    # Before the sessions exist: none is generated on a public holiday nor while a site is closed, and the
    # planner assigns nobody on a day they are away.
    _closures_and_absences(sites, missions, today)
    sessions_generate(program=program, start=start, end=end, is_demo=True)
    plan_sessions(program=program, start=start, end=end)
    Session.objects.filter(site__program=program).update(is_demo=True)
    # Participants: 6 to 10 per site, consent on their first session.
    people = {
        site.pk: [
            Participant(
                site=site,
                first_name=rng.choice(SENIORS),
                last_initial=rng.choice("ABCDEFGHJLMNPRST"),
                age_band=rng.choice(["70_79", "80_89", "80_89", "90_plus"]),
                consent_on=start,
                consent_by="Référent·e animation",
                is_demo=True,
            )
            for _ in range(rng.randint(6, 10))
        ]
        for site in sites
    }
    Participant.objects.bulk_create([p for group in people.values() for p in group])
    people = {sid: list(Participant.objects.filter(site_id=sid)) for sid in people}
    # Reports for the past sessions.
    now = timezone.now()
    reports, cancelled = [], []
    past = list(Session.objects.filter(site__program=program, starts_at__lt=now).order_by("starts_at"))
    for s in past:
        if rng.random() < 0.08:
            cancelled.append(s.pk)
            reports.append(
                SessionReport(session=s, held=False, cancel_reason=rng.choice(CANCEL_REASONS), is_demo=True)
            )
            continue
        reports.append(
            SessionReport(
                session=s,
                held=True,
                activities=rng.choice(ACTIVITY_MIX),
                equipment_used=["tablet"] + (["console", "projector"] if rng.random() < 0.4 else []),
                headcount=rng.randint(4, 12),
                duration_minutes=rng.choice([75, 90, 90, 105]),
                observations=rng.choice(["", "", "Très bonne ambiance.", "Une famille a appelé en visio."]),
                is_demo=True,
            )
        )
    SessionReport.objects.bulk_create(reports, batch_size=500)
    # Through the session's lifecycle, so that each demo session shows its history; dated back to the evening
    # of the session, when its report would have been filled.
    cancelled_ids = set(cancelled)
    for s in past:
        held = s.pk not in cancelled_ids
        states.move(
            s,
            Session.Status.HELD if held else Session.Status.CANCELLED,
            note=_("Compte rendu rempli") if held else CANCEL_REASONS[0],
            also={} if held else {"cancel_reason": CANCEL_REASONS[0]},
        )
        SessionChange.objects.filter(session=s).update(at=s.starts_at + timedelta(hours=3))
    stats.rebuild(site_ids=[site.pk for site in sites])
    attendance, last_seen = [], {}
    for report in SessionReport.objects.filter(session__site__program=program, held=True).select_related(
        "session"
    ):
        group = people.get(report.session.site_id, [])
        present = [p for p in group if rng.random() < 0.6][: report.headcount]
        day = timezone.localtime(report.session.starts_at).date()
        for p in present:
            attendance.append(Attendance(report=report, participant=p))
            last_seen[p.pk] = max(last_seen.get(p.pk, day), day)
    Attendance.objects.bulk_create(attendance, batch_size=1000)
    _site_incidents(program)
    for pk, day in last_seen.items():
        Participant.objects.filter(pk=pk).update(last_participation_on=day)


def _site(sites, slug: str):
    """The site of the demo host structure ``slug`` (or slug-demo); the first site when it has none."""
    return next((site for site in sites if site.organisation.slug.removesuffix("-demo") == slug), sites[0])


def _closures_and_absences(sites, missions, today: date) -> None:
    """Site closures and volunteer absences (data/silvergeek.json), dated from the day of loading, recorded
    through the closures service before any session exists (so none is cancelled, nobody is told)."""
    for row in _DATA["closures"]:
        closure_add(
            site=_site(sites, row["site"]),
            starts_on=today + timedelta(days=row["from"]),
            ends_on=today + timedelta(days=row["to"]),
            reason=row["reason"],
        )
    for row in _DATA["absences"]:
        if missions:
            absence_add(
                mission=missions[row["volunteer"] % len(missions)],
                starts_on=today + timedelta(days=row["from"]),
                ends_on=today + timedelta(days=row["to"]),
                reason=row["reason"],
            )


def _site_incidents(program) -> None:
    """Incidents about a site noted in the site's last report: some still open, one resolved."""
    sites = list(program.sites.select_related("organisation").order_by("pk"))
    for row in _DATA["site_incidents"]:
        report = (
            SessionReport.objects.filter(session__site=_site(sites, row["site"]), held=True)
            .order_by("-session__starts_at")
            .first()
        )
        if report is None:
            continue
        incident = incident_record(report=report, kind=row["kind"], note=row["note"], site_level=True)
        if row.get("resolved"):
            incident_resolve(incident=incident, by=program.coordinator)
