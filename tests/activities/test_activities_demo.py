"""The activities part of the Silver Geek demo: volunteers, a school year of sessions, reports, participants."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from terreau.activities.models import (
    Attendance,
    Mission,
    Participant,
    RecurringSession,
    Session,
    SessionReport,
)
from terreau.programs.models import Program
from terreau.territories.loader import load_territories


@pytest.fixture(autouse=True)
def _fast_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def test_demo_has_a_school_year_of_activities(db):
    load_territories(departments={"16", "17", "79", "86", "67", "68"})
    call_command("load-demo", stdout=io.StringIO())
    program = Program.objects.get(is_demo=True, slug__startswith="silver-geek")
    sites = program.sites.count()
    assert 12 <= Mission.objects.filter(program=program).count() <= 20
    assert RecurringSession.objects.filter(site__program=program).count() == sites
    sessions = Session.objects.filter(site__program=program)
    assert sessions.count() >= 30 * sites * 0.8
    assert not sessions.filter(is_demo=False).exists()
    assert SessionReport.objects.filter(session__site__program=program, is_demo=True).exists()
    assert Participant.objects.filter(site__program=program, is_demo=True).count() >= 6 * sites
    assert Attendance.objects.filter(participant__site__program=program).exists()
    staffed = sessions.filter(volunteers__isnull=False).distinct().count()
    assert staffed / sessions.count() > 0.5
    # Loading again replaces the demo (idempotent).
    call_command("load-demo", stdout=io.StringIO())
    assert (
        Mission.objects.filter(program__is_demo=True).count()
        == Mission.objects.filter(program__slug=program.slug).count()
    )
