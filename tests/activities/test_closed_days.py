"""Issue 11, closed days: no session on French public holidays (Alsace-Moselle's two extra days included),
while a site is closed, and no volunteer assigned on a day they are away."""

from __future__ import annotations

from datetime import date, time

import pytest
from django.utils import timezone

from terreau.activities.closed_days import public_holidays
from terreau.activities.models import Session, SiteClosure, VolunteerAbsence
from terreau.activities.planning import plan_sessions
from tests.activities.test_activities_support import mission, program_with_sites, weekly
from tests.factories import CommuneFactory, DepartmentFactory

pytestmark = pytest.mark.django_db


def _days(site) -> set[date]:
    return {timezone.localtime(s.starts_at).date() for s in Session.objects.filter(site=site)}


def test_public_holidays_by_department():
    assert date(2026, 1, 1) in public_holidays("86", date(2026, 1, 1), date(2026, 12, 31))
    vienne = public_holidays("86", date(2026, 1, 1), date(2026, 12, 31))
    for dept in ("57", "67", "68"):
        alsace = public_holidays(dept, date(2026, 1, 1), date(2026, 12, 31))
        assert {date(2026, 4, 3), date(2026, 12, 26)} <= set(alsace) - set(vienne)  # Good Friday, 26 Dec


def test_planning_january_creates_no_session_on_new_years_day():
    program, site_a, _b = program_with_sites()
    weekly(site_a, weekday=3, at=time(10, 0), starts_on=date(2026, 1, 1))  # Thursdays: 1 January 2026
    mission(program, sites=[site_a], starts_on=date(2026, 1, 1))
    plan_sessions(program=program, start=date(2026, 1, 1), end=date(2026, 1, 31))
    assert date(2026, 1, 1) not in _days(site_a)
    assert date(2026, 1, 8) in _days(site_a)


def test_alsace_site_has_no_session_on_good_friday_nor_26_december():
    program, site_a, _b = program_with_sites()
    site_a.commune = CommuneFactory(
        code="67482", name="Strasbourg", department=DepartmentFactory(code="67", name="Bas-Rhin")
    )
    site_a.save()
    weekly(site_a, weekday=4, at=time(10, 0), starts_on=date(2025, 1, 1))  # Fridays
    plan_sessions(program=program, start=date(2025, 4, 1), end=date(2025, 4, 30))
    plan_sessions(program=program, start=date(2025, 12, 1), end=date(2025, 12, 31))
    days = _days(site_a)
    assert date(2025, 4, 18) not in days and date(2025, 12, 26) not in days  # Good Friday, Saint-Étienne
    assert date(2025, 4, 11) in days and date(2025, 12, 19) in days


def test_site_closures_and_volunteer_absences_are_respected():
    program, site_a, _b = program_with_sites()
    weekly(site_a, weekday=1, at=time(14, 30), starts_on=date(2025, 1, 1))  # Tuesdays
    m = mission(program, sites=[site_a], starts_on=date(2025, 1, 6))
    SiteClosure.objects.create(site=site_a, starts_on=date(2025, 3, 10), ends_on=date(2025, 3, 16))
    VolunteerAbsence.objects.create(mission=m, starts_on=date(2025, 3, 17), ends_on=date(2025, 3, 23))
    outcome = plan_sessions(program=program, start=date(2025, 3, 1), end=date(2025, 3, 31))
    assert date(2025, 3, 11) not in _days(site_a)
    by_day = {timezone.localtime(s.starts_at).date(): s for s in Session.objects.filter(site=site_a)}
    assert not by_day[date(2025, 3, 18)].volunteers.exists()
    assert by_day[date(2025, 3, 25)].volunteers.filter(pk=m.pk).exists()
    assert any(
        "absents" in " ".join(reasons) for s, _n, reasons in outcome.gaps if s == by_day[date(2025, 3, 18)]
    )
