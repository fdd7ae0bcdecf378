"""The dashboard's per-site, per-month figures (SiteMonthStats) always equal a recomputation from the
sessions, whatever writes them; and the dashboard gives the same figures whether a period cuts months or not."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from terreau.activities import dashboard, stats
from terreau.activities.models import Session, SessionReport, SiteMonthStats
from terreau.activities.planning import plan_sessions
from terreau.activities.reports import report_save
from terreau.activities.sessions import session_cancel, sessions_generate
from tests.activities.test_activities_support import (
    mission,
    participant,
    program_with_sites,
    session,
    team,
    weekly,
)

pytestmark = pytest.mark.django_db


def stored() -> dict:
    return {
        (r.site_id, r.month): {k: getattr(r, k) for k in stats.FIGURES} for r in SiteMonthStats.objects.all()
    }


def assert_in_sync(step: str) -> None:
    assert stored() == stats.bucket_figures(Session.objects.all()), step


def test_buckets_follow_every_kind_of_write():
    program, site_a, site_b = program_with_sites()
    vol = mission(program, sites=[site_a, site_b])
    other = mission(program, sites=[site_a], name="Noé")
    assert_in_sync("empty")
    weekly(site_a, weekday=1)
    sessions_generate(program=program, start=date(2025, 2, 1), end=date(2025, 3, 31))
    assert_in_sync("generated (bulk)")
    assert SiteMonthStats.objects.get(site=site_a, month=date(2025, 2, 1)).planned == 4
    plan_sessions(program=program, start=date(2025, 2, 1), end=date(2025, 2, 28))
    assert_in_sync("planned (bulk volunteers)")
    s1, s2, s3 = Session.objects.filter(site=site_a).order_by("starts_at")[:3]
    s1.volunteers.set([vol, other])
    report_save(session=s1, data={"held": True, "headcount": 7}, participants=[participant(site_a, "Odette")])
    assert_in_sync("report held")
    row = SiteMonthStats.objects.get(site=site_a, month=date(2025, 2, 1))
    assert (row.held, row.attendance, row.volunteer_minutes) == (1, 7, 180)
    s1.volunteers.remove(other)
    assert_in_sync("volunteer removed from a held session")
    other.sessions.add(s1)
    assert_in_sync("volunteer added from the mission's side")
    other.sessions.clear()
    assert_in_sync("mission's sessions cleared")
    report_save(session=s2, data={"held": False, "cancel_reason": "Grève"})
    session_cancel(session=s3, reason="Neige")
    assert_in_sync("cancelled")
    s4 = session(site_b, day=date(2025, 2, 20))
    report_save(session=s4, data={"held": True, "headcount": 3})
    s4.starts_at = timezone.make_aware(datetime(2025, 4, 2, 10, 0))
    s4.save()
    assert_in_sync("held session moved to another month")
    s4.site = site_a
    s4.save()
    assert_in_sync("session moved to another site")
    SessionReport.objects.filter(session=s1).delete()
    assert_in_sync("report deleted")
    s1.delete()
    assert_in_sync("session deleted")
    site_b.delete()
    assert_in_sync("site deleted")
    assert stats.rebuild() == len(stored())
    assert_in_sync("rebuilt")


def test_dashboard_period_cutting_months_matches_the_sessions(client):
    program, site_a, site_b = program_with_sites()
    users = team(program, site_a, site_b)
    vol = mission(program, sites=[site_a, site_b])
    people = {site_a.pk: participant(site_a, "Odette"), site_b.pk: participant(site_b, "Raymonde")}
    day = date(2025, 1, 28)
    for i in range(24):
        s = session(site_a if i % 3 else site_b, day=day + timedelta(days=4 * i), at=time(23, 30))
        s.volunteers.add(vol)
        if i % 4:
            report_save(
                session=s, data={"held": True, "headcount": 2 + i % 5}, participants=[people[s.site_id]]
            )
    client.force_login(users["coordinator"])
    url = reverse("activities:dashboard", args=[program.slug])
    for query, start, end in (
        ("", None, None),
        ("?du=2025-02-01&au=2025-03-31", date(2025, 2, 1), date(2025, 3, 31)),
        ("?du=2025-02-10&au=2025-03-05", date(2025, 2, 10), date(2025, 3, 5)),
        ("?du=2025-02-03&au=2025-02-20", date(2025, 2, 3), date(2025, 2, 20)),
        ("?du=2025-03-01", date(2025, 3, 1), None),
    ):
        dash = client.get(url + query).context["dash"]
        sessions = Session.objects.filter(site__program=program)
        if start:
            sessions = sessions.filter(starts_at__date__gte=start)
        if end:
            sessions = sessions.filter(starts_at__date__lte=end)
        expected = stats.bucket_figures(sessions)
        assert dash.planned == sum(v["planned"] for v in expected.values()), query
        assert dash.held == sum(v["held"] for v in expected.values()), query
        assert dash.attendance == sum(v["attendance"] for v in expected.values()), query
        months = sorted({m for _s, m in expected})
        assert [r.key for r in dash.months] == [f"{m:%Y-%m}" for m in months], query
        for r, m in zip(dash.months, months, strict=True):
            assert r.planned == sum(v["planned"] for (_s, mm), v in expected.items() if mm == m), query
        minutes = sum(v["volunteer_minutes"] for v in expected.values())
        assert round(sum(r.volunteer_hours for r in dash.months) * 60) == minutes, query
        attended = sessions.filter(report__attendances__isnull=False)
        people_seen = set(attended.values_list("report__attendances__participant", flat=True))
        assert dash.unique_participants == len(people_seen), query
        assert [r.key for r in dash.departments] == sorted({r.key for r in dash.departments})


def test_site_staff_scope_is_their_site_only():
    program, site_a, site_b = program_with_sites()
    users = team(program, site_a, site_b)
    session(site_a)
    session(site_b)
    scope = dashboard.scope_for(user=users["staff_a"], program=program)
    assert set(scope.sites) == {site_a.pk}
    assert dashboard.scope_for(user=users["other"], program=program).sites == {}
    assert set(dashboard.scope_for(user=users["coordinator"], program=program).sites) == {
        site_a.pk,
        site_b.pk,
    }
