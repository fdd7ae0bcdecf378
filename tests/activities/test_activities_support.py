"""Builders for the activities tests: a program with two sites, a team for the permission matrix, missions."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.utils import timezone

from terreau.accounts.models import BranchRole
from terreau.activities.missions import mission_save
from terreau.activities.models import Mission, Participant, RecurringSession, Session
from terreau.programs.models import HostSite, Program, ProgramRole
from tests.factories import BranchFactory, CommuneFactory, OrganisationFactory, UserFactory

WINDOWS = [{"weekday": d, "start": "09:00", "end": "18:00"} for d in range(5)]


def program_with_sites(*, branch=None, slug="silver-geek-activites"):
    branch = branch or BranchFactory()
    program = Program.objects.create(branch=branch, name=f"Programme {slug}", slug=slug)
    commune = CommuneFactory()
    site_a = HostSite.objects.create(
        program=program,
        organisation=OrganisationFactory(branch=branch),
        name="EHPAD Les Tilleuls",
        commune=commune,
        time_windows=WINDOWS,
    )
    site_b = HostSite.objects.create(
        program=program,
        organisation=OrganisationFactory(branch=branch),
        name="Club des Aînés",
        commune=commune,
        time_windows=WINDOWS,
    )
    return program, site_a, site_b


def team(program, site_a, site_b):
    """One user per row of the permission matrix."""
    users = {
        name: UserFactory()
        for name in ("coordinator", "staff_a", "staff_b", "volunteer_a", "viewer", "facilitator", "other")
    }
    ProgramRole.objects.create(program=program, user=users["coordinator"], role="coordinator")
    ProgramRole.objects.create(program=program, user=users["staff_a"], role="site_staff", site=site_a)
    ProgramRole.objects.create(program=program, user=users["staff_b"], role="site_staff", site=site_b)
    ProgramRole.objects.create(program=program, user=users["viewer"], role="partner_viewer")
    BranchRole.objects.create(user=users["facilitator"], branch=program.branch)
    BranchRole.objects.create(user=users["other"], branch=BranchFactory())
    return users


def mission(program, *, user=None, sites=(), starts_on=date(2025, 1, 6), hours=24, name="Lina"):
    m = Mission(
        program=program,
        user=user,
        first_name=name,
        last_name="Volontaire",
        birth_date=date(2003, 5, 1),
        host_organisation=OrganisationFactory(branch=program.branch, name="Unis-Cité"),
        starts_on=starts_on,
        ends_on=starts_on + timedelta(days=270),
        weekly_hours=hours,
        availability=[{"weekday": d, "start": "09:00", "end": "18:00"} for d in range(5)],
    )
    return mission_save(mission=m, sites=list(sites))


def weekly(site, *, weekday=1, at=time(14, 30), needed=1, starts_on=date(2025, 1, 1)):
    return RecurringSession.objects.create(
        site=site,
        weekday=weekday,
        start_time=at,
        duration_minutes=90,
        volunteers_needed=needed,
        starts_on=starts_on,
    )


def session(site, *, day=date(2025, 2, 4), at=time(14, 30), **kw):
    return Session.objects.create(site=site, starts_at=timezone.make_aware(datetime.combine(day, at)), **kw)


def participant(site, first_name="Odette", **kw):
    kw.setdefault("consent_on", date(2025, 1, 10))
    return Participant.objects.create(
        site=site, first_name=first_name, last_initial="M", age_band="80_89", **kw
    )
