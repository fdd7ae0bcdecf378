"""Activities: missions rules, planning, calendars and feeds, session reports, participants (GDPR),
dashboard and exports, and the permission matrix."""

from __future__ import annotations

import io
import json
from datetime import date, datetime, timedelta

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from terreau.activities import rules
from terreau.activities.missions import mission_save, windows_from_text
from terreau.activities.models import Attendance, Mission, Participant, ReportIncident, Session, SessionReport
from terreau.activities.reports import report_save
from terreau.activities.sessions import calendar_token
from terreau.core.access import visible
from tests.activities.test_activities_support import (
    mission,
    participant,
    program_with_sites,
    session,
    team,
    weekly,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    program, site_a, site_b = program_with_sites()
    users = team(program, site_a, site_b)
    vol_user = users["volunteer_a"]
    m = mission(program, user=vol_user, sites=[site_a])
    s_a = session(site_a)
    s_b = session(site_b)
    p_a = participant(site_a, "Odette")
    p_b = participant(site_b, "Raymonde")
    return {
        "program": program,
        "a": site_a,
        "b": site_b,
        "u": users,
        "mission": m,
        "s_a": s_a,
        "s_b": s_b,
        "p_a": p_a,
        "p_b": p_b,
    }


def url(name, program, *args):
    return reverse(f"activities:{name}", args=[program.slug, *args])


# --- missions -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"ends_on": date(2025, 4, 1)}, "ends_on"),  # under 6 months
        ({"ends_on": date(2026, 3, 1)}, "ends_on"),  # over 12 months
        ({"weekly_hours": 20}, "weekly_hours"),
        ({"birth_date": date(1990, 1, 1)}, "birth_date"),  # 35 years old
        ({"birth_date": date(2010, 1, 1)}, "birth_date"),  # 15 years old
        ({"birth_date": date(2008, 6, 1), "weekly_hours": 36}, "weekly_hours"),  # 16 years old, over 35 h
    ],
)
def test_mission_rules_in_french(changes, field):
    program, _a, _b = program_with_sites()
    m = Mission(
        program=program,
        first_name="Lina",
        last_name="V",
        birth_date=date(2003, 1, 1),
        host_organisation_id=_a.organisation_id,
        starts_on=date(2025, 1, 6),
        ends_on=date(2025, 9, 30),
        weekly_hours=24,
    )
    m.full_clean()  # the base case is valid
    for key, value in changes.items():
        setattr(m, key, value)
    with pytest.raises(ValidationError) as err:
        mission_save(mission=m)
    assert field in err.value.message_dict
    assert "service civique" in " ".join(err.value.messages) or "heures" in " ".join(err.value.messages)


def test_disability_extends_the_age_limit():
    assert (
        rules.mission_errors(
            birth_date=date(1997, 1, 1),
            has_disability=True,
            starts_on=date(2025, 1, 6),
            ends_on=date(2025, 9, 30),
            weekly_hours=24,
        )
        == {}
    )
    assert "birth_date" in rules.mission_errors(
        birth_date=date(1997, 1, 1),
        has_disability=False,
        starts_on=date(2025, 1, 6),
        ends_on=date(2025, 9, 30),
        weekly_hours=24,
    )


def test_mission_gives_the_volunteer_role_on_its_sites(world):
    from terreau.programs.models import ProgramRole

    m = world["mission"]
    assert set(
        ProgramRole.objects.filter(user=m.user, role="volunteer").values_list("site_id", flat=True)
    ) == {world["a"].pk}
    mission_save(mission=m, sites=[world["b"]])
    assert set(
        ProgramRole.objects.filter(user=m.user, role="volunteer").values_list("site_id", flat=True)
    ) == {world["b"].pk}


def test_windows_text_parsing():
    assert windows_from_text("mardi 14:00-17:00\n\nJeudi 9h30-11h00") == [
        {"weekday": 1, "start": "14:00", "end": "17:00"},
        {"weekday": 3, "start": "09:30", "end": "11:00"},
    ]
    with pytest.raises(ValidationError):
        windows_from_text("mardi 17:00-14:00")
    with pytest.raises(ValidationError):
        windows_from_text("n'importe quoi")


# --- planning -----------------------------------------------------------------------------------------


def test_plan_month_generates_sessions_and_assigns_volunteers(client):
    program, site_a, site_b = program_with_sites()
    users = team(program, site_a, site_b)
    m = mission(program, sites=[site_a])
    weekly(site_a, weekday=1)  # Tuesdays at site A: 4 in February 2025
    weekly(site_b, weekday=1)  # site B: nobody assigned there
    client.force_login(users["coordinator"])
    response = client.post(url("plan", program), {"month": "2025-02"})
    assert response.status_code == 200
    feb = Session.objects.filter(starts_at__year=2025, starts_at__month=2)
    assert feb.count() == 8
    assert all(list(s.volunteers.all()) == [m] for s in feb.filter(site=site_a))
    assert not feb.filter(site=site_b, volunteers__isnull=False).exists()
    body = response.content.decode()
    assert "aucun volontaire n&#x27;est affecté à ce site" in body or "aucun volontaire n'est affecté" in body
    # Planning again creates nothing new and keeps assignments.
    client.post(url("plan", program), {"month": "2025-02"})
    assert feb.count() == 8
    assert Session.volunteers.through.objects.count() == 4


def test_only_coordinators_plan(client, world):
    for who in ("staff_a", "volunteer_a", "viewer"):
        client.force_login(world["u"][who])
        assert client.post(url("plan", world["program"]), {"month": "2025-02"}).status_code == 403
    client.force_login(world["u"]["other"])
    assert client.post(url("plan", world["program"]), {"month": "2025-02"}).status_code == 404


def test_bad_month_gives_a_message_not_a_500(client, world):
    client.force_login(world["u"]["coordinator"])
    response = client.post(url("plan", world["program"]), {"month": "février"}, follow=True)
    assert response.status_code == 200
    assert "AAAA-MM" in response.content.decode()


# --- cancellation, replacement, calendars -------------------------------------------------------------


def test_cancel_and_replace_notify_volunteers(client, world):
    s = session(world["a"], day=timezone.localdate() + timedelta(days=3))
    s.volunteers.add(world["mission"])
    client.force_login(world["u"]["staff_a"])
    with _capture_on_commit():
        client.post(url("session_replace", world["program"], s.pk), {"starts_at": _local(days=5)})
    s.refresh_from_db()
    assert s.status == Session.Status.CANCELLED
    new = Session.objects.get(replaces=s)
    assert list(new.volunteers.all()) == [world["mission"]]
    assert any(world["mission"].user.email in m.to for m in mail.outbox)
    assert client.post(url("session_cancel", world["program"], new.pk), {"reason": ""}).status_code == 302
    new.refresh_from_db()
    assert new.status == Session.Status.PLANNED  # no reason, no cancellation


def _local(days):
    return (timezone.localtime() + timedelta(days=days)).strftime("%Y-%m-%dT%H:%M")


class _capture_on_commit:
    """Run on_commit callbacks of the test's transaction (mails are sent after commit)."""

    def __enter__(self):
        from django.test import TestCase

        self._ctx = TestCase.captureOnCommitCallbacks(execute=True)
        return self._ctx.__enter__()

    def __exit__(self, *exc):
        return self._ctx.__exit__(*exc)


def test_calendar_feed_uses_the_token_owners_rights(client, world):
    program = world["program"]
    soon = timezone.localdate() + timedelta(days=10)
    s_a, s_b = session(world["a"], day=soon), session(world["b"], day=soon)
    token = calendar_token(user=world["u"]["staff_a"], program=program)
    response = client.get(reverse("activities:feed", args=[program.slug, token]))
    assert response.status_code == 200
    body = response.content.decode()
    assert f"session-{s_a.pk}@terreau" in body
    assert f"session-{s_b.pk}@terreau" not in body
    assert client.get(reverse("activities:feed", args=[program.slug, token + "x"])).status_code == 404
    # Access removed: the feed stops.
    world["u"]["staff_a"].program_roles.all().delete()
    assert client.get(reverse("activities:feed", args=[program.slug, token])).status_code == 404


def test_volunteer_calendar(client, world):
    world["s_a"].volunteers.add(world["mission"])
    client.force_login(world["u"]["volunteer_a"])
    response = client.get(url("calendar", world["program"]) + "?mois=2025-02", follow=True)
    assert response.status_code == 200
    assert "EHPAD Les Tilleuls" in response.content.decode()
    assert "Club des Aînés</a>" not in response.content.decode()


# --- session report -----------------------------------------------------------------------------------


def test_report_flow_with_attendance_and_incident(client, world):
    from terreau.programs.equipment import EquipmentItem

    item = EquipmentItem.objects.create(
        program=world["program"],
        type="tablet",
        make="Lenovo",
        serial_number="T-1",
        state="at_site",
        site=world["a"],
    )
    client.force_login(world["u"]["volunteer_a"])
    s = world["s_a"]
    page = client.get(url("report", world["program"], s.pk))
    assert page.status_code == 200
    assert "Odette M." in page.content.decode() and "Raymonde" not in page.content.decode()
    response = client.post(
        url("report", world["program"], s.pk),
        {
            "held": "1",
            "activities": ["video_calls", "console_bowling"],
            "equipment_used": ["tablet"],
            "headcount": "7",
            "duration_minutes": "95",
            "participants": [world["p_a"].pk],
            "observations": "Très bonne ambiance.",
            "incident_kind": "broken",
            "incident_item": item.pk,
            "incident_note": "Écran fissuré",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    s.refresh_from_db()
    report = s.report
    assert s.status == Session.Status.HELD and report.headcount == 7
    assert list(report.attendances.values_list("participant_id", flat=True)) == [world["p_a"].pk]
    world["p_a"].refresh_from_db()
    assert world["p_a"].last_participation_on == date(2025, 2, 4)
    incident = ReportIncident.objects.get(report=report)
    assert incident.forwarded and incident.item_ref == item.pk
    assert item.incidents.filter(session_report_ref=report.pk).exists()


def test_report_rejects_another_sites_participant(client, world):
    client.force_login(world["u"]["volunteer_a"])
    response = client.post(
        url("report", world["program"], world["s_a"].pk),
        {"held": "1", "headcount": "3", "duration_minutes": "90", "participants": [world["p_b"].pk]},
    )
    assert response.status_code == 200  # the choice is not offered: form error, nothing saved
    assert not SessionReport.objects.exists()


def test_cancelled_report_needs_a_reason(client, world):
    client.force_login(world["u"]["staff_a"])
    response = client.post(
        url("report", world["program"], world["s_a"].pk),
        {"held": "0", "duration_minutes": "0", "headcount": "0"},
    )
    assert response.status_code == 200
    assert "Indiquez pourquoi" in response.content.decode()
    client.post(
        url("report", world["program"], world["s_a"].pk),
        {"held": "0", "cancel_reason": "Épidémie de grippe", "duration_minutes": "0", "headcount": "0"},
    )
    world["s_a"].refresh_from_db()
    assert world["s_a"].status == Session.Status.CANCELLED


# --- permission matrix ----------------------------------------------------------------------------------


def test_permission_matrix_on_sessions_and_participants(client, world):
    program = world["program"]
    u = world["u"]
    sessions = Session.objects.filter(site__program=program)
    people = Participant.objects.all()
    expect = {
        "coordinator": ({world["s_a"].pk, world["s_b"].pk}, set()),
        "viewer": ({world["s_a"].pk, world["s_b"].pk}, set()),
        "facilitator": ({world["s_a"].pk, world["s_b"].pk}, set()),
        "staff_a": ({world["s_a"].pk}, {world["p_a"].pk}),
        "volunteer_a": ({world["s_a"].pk}, {world["p_a"].pk}),
        "staff_b": ({world["s_b"].pk}, {world["p_b"].pk}),
        "other": (set(), set()),
    }
    for who, (seen_sessions, seen_people) in expect.items():
        assert set(visible(u[who], sessions).values_list("pk", flat=True)) == seen_sessions, who
        assert set(visible(u[who], people).values_list("pk", flat=True)) == seen_people, who
    # Pages: another site's participant is a 404, never a page.
    client.force_login(u["staff_a"])
    assert client.get(url("participant", program, world["p_b"].pk)).status_code == 404
    assert client.get(url("participant_export", program, world["p_b"].pk, "json")).status_code == 404
    assert client.get(url("report", program, world["s_b"].pk)).status_code == 404
    listing = client.get(url("participants", program)).content.decode()
    assert "Odette" in listing and "Raymonde" not in listing
    client.force_login(u["coordinator"])
    assert client.get(url("participant", program, world["p_a"].pk)).status_code == 404
    assert "Odette" not in client.get(url("participants", program)).content.decode()
    client.force_login(u["other"])
    assert client.get(url("calendar", program)).status_code == 404
    assert client.get(url("dashboard", program)).status_code == 404


def test_participants_never_in_other_sites_exports_or_api(client, world):
    program = world["program"]
    report_save(session=world["s_b"], data={"held": True, "headcount": 2}, participants=[world["p_b"]])
    client.force_login(world["u"]["staff_a"])
    xlsx = client.get(url("dashboard_xlsx", program))
    wb = load_workbook(io.BytesIO(xlsx.content))
    cells = " ".join(str(c.value) for ws in wb for row in ws.iter_rows() for c in row)
    assert "Raymonde" not in cells and "Club des Aînés" not in cells
    feed = client.get(
        reverse(
            "activities:feed",
            args=[program.slug, calendar_token(user=world["u"]["staff_a"], program=program)],
        )
    )
    assert "Raymonde" not in feed.content.decode() and "Club des Aînés" not in feed.content.decode()
    for path in ("/api/", "/api/schema/"):
        response = client.get(path)
        assert "Raymonde" not in response.content.decode(errors="ignore")


# --- GDPR -----------------------------------------------------------------------------------------------


def test_participant_export_and_erasure_keep_statistics(client, world):
    program = world["program"]
    report_save(session=world["s_a"], data={"held": True, "headcount": 5}, participants=[world["p_a"]])
    client.force_login(world["u"]["staff_a"])
    data = json.loads(client.get(url("participant_export", program, world["p_a"].pk, "json")).content)
    assert data["prénom"] == "Odette" and data["seances"] == ["2025-02-04 14:30"]
    csv_body = client.get(url("participant_export", program, world["p_a"].pk, "csv")).content.decode()
    assert "Odette" in csv_body
    assert client.get(url("participant_export", program, world["p_a"].pk, "xml")).status_code == 404
    client.post(url("participant_erase", program, world["p_a"].pk))
    world["p_a"].refresh_from_db()
    assert world["p_a"].anonymised_at is not None and "Odette" not in str(world["p_a"])
    assert world["p_a"].first_name != "Odette" and world["p_a"].last_initial == ""
    assert Attendance.objects.filter(participant=world["p_a"]).count() == 1  # statistics kept
    client.force_login(world["u"]["coordinator"])
    assert "1" in client.get(url("dashboard", program)).content.decode()


def test_volunteer_of_another_site_cannot_erase(client, world):
    client.force_login(world["u"]["staff_b"])
    assert client.post(url("participant_erase", world["program"], world["p_a"].pk)).status_code == 404
    world["p_a"].refresh_from_db()
    assert world["p_a"].anonymised_at is None


def test_retention_command_anonymises_after_two_years(world):
    today = timezone.localdate()
    old = participant(world["a"], "Marcel", consent_on=today - timedelta(days=900))
    old.last_participation_on = today - timedelta(days=365 * rules.PARTICIPANT_RETENTION_YEARS + 5)
    old.save()
    recent = participant(world["a"], "Jeanne", consent_on=today - timedelta(days=900))
    recent.last_participation_on = today - timedelta(days=300)
    recent.save()
    never = participant(world["a"], "Paul", consent_on=today - timedelta(days=365 * 3))
    out = io.StringIO()
    call_command("enforce-retention", stdout=out)
    assert "2 participants anonymisés" in out.getvalue()
    assert set(Participant.objects.filter(anonymised_at__isnull=False).values_list("pk", flat=True)) == {
        old.pk,
        never.pk,
    }
    recent.refresh_from_db()
    assert recent.first_name == "Jeanne"


def test_participant_registration_requires_consent(client, world):
    client.force_login(world["u"]["staff_a"])
    response = client.post(
        url("participant_add", world["program"]),
        {
            "site": world["a"].pk,
            "first_name": "Lucienne",
            "last_initial": "D",
            "age_band": "70_79",
            "consent_on": "",
        },
    )
    assert response.status_code == 200
    assert not Participant.objects.filter(first_name="Lucienne").exists()
    client.post(
        url("participant_add", world["program"]),
        {
            "site": world["a"].pk,
            "first_name": "Lucienne",
            "last_initial": "d",
            "age_band": "70_79",
            "consent_on": "2025-03-01",
        },
    )
    assert Participant.objects.get(first_name="Lucienne").last_initial == "D"
    # staff of site A cannot register someone at site B
    response = client.post(
        url("participant_add", world["program"]),
        {"site": world["b"].pk, "first_name": "Intrus", "age_band": "70_79", "consent_on": "2025-03-01"},
    )
    assert not Participant.objects.filter(first_name="Intrus").exists()


# --- dashboard ------------------------------------------------------------------------------------------


def test_dashboard_figures_exports_and_no_n_plus_one(client, world, django_assert_max_num_queries):
    program = world["program"]
    world["s_a"].volunteers.add(world["mission"])
    report_save(session=world["s_a"], data={"held": True, "headcount": 6}, participants=[world["p_a"]])
    for i in range(5):
        s = session(world["b"], day=date(2025, 3, 3) + timedelta(days=i))
        report_save(session=s, data={"held": True, "headcount": 3}, participants=[world["p_b"]])
    client.force_login(world["u"]["coordinator"])
    with django_assert_max_num_queries(25):
        response = client.get(url("dashboard", program))
    body = response.content.decode()
    assert response.status_code == 200
    dash = response.context["dash"]
    assert (dash.planned, dash.held, dash.unique_participants, dash.attendance) == (7, 6, 2, 21)
    assert dash.volunteer_hours == 1.5
    assert [r.key for r in dash.months] == ["2025-02", "2025-03"]
    assert "Odette" not in body
    xlsx = client.get(url("dashboard_xlsx", program))
    wb = load_workbook(io.BytesIO(xlsx.content))
    assert wb.sheetnames[:3] == ["Par mois", "Par site", "Par département"]
    pdf = client.get(url("monthly_report", program) + "?mois=2025-03")
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")


def test_site_staff_dashboard_is_their_site_only(client, world):
    report_save(session=world["s_b"], data={"held": True, "headcount": 4})
    client.force_login(world["u"]["staff_a"])
    dash = client.get(url("dashboard", world["program"])).context["dash"]
    assert dash.planned == 1 and dash.held == 0
    assert datetime  # imported for readability of dates above
