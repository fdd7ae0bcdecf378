"""Issue 11: the planning result and the calendars say which days a weekly session skips, and why."""

from __future__ import annotations

from datetime import date, time, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from terreau.activities import dashboard
from terreau.activities.models import SiteClosure
from terreau.activities.planning import plan_sessions, skipped_days
from terreau.activities.reports import report_save
from tests.activities.test_activities_support import program_with_sites, session, team, weekly
from tests.factories import CommuneFactory, DepartmentFactory

pytestmark = pytest.mark.django_db


def test_skipped_days_name_the_holiday_or_the_closure():
    program, site_a, site_b = program_with_sites()
    site_b.commune = CommuneFactory(code="57463", name="Metz", department=DepartmentFactory(code="57"))
    site_b.save()
    weekly(site_a, weekday=4, at=time(14, 30), starts_on=date(2026, 12, 1))
    weekly(site_b, weekday=5, at=time(10, 0), starts_on=date(2026, 12, 1))  # Saturdays: 26 December 2026
    SiteClosure.objects.create(site=site_a, starts_on=date(2026, 12, 7), ends_on=date(2026, 12, 13))
    outcome = plan_sessions(program=program, start=date(2026, 12, 1), end=date(2026, 12, 31))
    got = [(s.site.pk, s.day, s.why) for s in outcome.skipped]
    assert (site_a.pk, date(2026, 12, 11), "site fermé") in got
    assert (site_b.pk, date(2026, 12, 26), "jour férié (Saint-Étienne)") in got  # Moselle only
    assert (site_a.pk, date(2026, 12, 25)) in {(pk, day) for pk, day, _w in got}  # Christmas, a Friday
    assert not any(pk == site_a.pk and day == date(2026, 12, 26) for pk, day, _w in got)
    assert skipped_days(program=program, start=date(2026, 11, 1), end=date(2026, 11, 10)) == []


def test_calendar_says_the_holiday(client):
    program, site_a, site_b = program_with_sites()
    users = team(program, site_a, site_b)
    weekly(site_a, weekday=4, at=time(14, 30), starts_on=date(2026, 12, 1))
    client.force_login(users["staff_a"])
    url = reverse("activities:calendar", args=[program.slug])
    body = client.get(url, {"mois": "2027-01", "tout": "1"}).content.decode()
    assert "Pas de séance à EHPAD Les Tilleuls : jour férié (Jour de l&#x27;an)" in body


def test_dashboard_overall_rate_and_open_incidents(client):
    program, site_a, site_b = program_with_sites()
    users = team(program, site_a, site_b)
    today = timezone.localdate()
    held = session(site_a, day=today - timedelta(days=5))
    report_save(
        session=held,
        data={"held": True, "headcount": 2},
        incident={"kind": "broken", "note": "Prise murale arrachée", "site_level": True},
    )
    session(site_a, day=today - timedelta(days=2))
    session(site_a, day=today + timedelta(days=2))
    dash = dashboard.build(scope=dashboard.scope_for(user=users["coordinator"], program=program))
    assert (dash.past, dash.past_held, dash.held_rate) == (2, 1, 50)
    client.force_login(users["coordinator"])
    body = client.get(reverse("activities:dashboard", args=[program.slug])).content.decode()
    assert "1</strong> incident ouvert" in body and "50&nbsp;%" in body
