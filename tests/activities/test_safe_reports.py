"""Issue 11, safe reports: no report before the session, headcount consistent with named attendance, an
incident names its item or is explicitly about the site (and reaches the open incidents), and the
dashboard's rate over past sessions only."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from terreau.activities import dashboard
from terreau.activities.models import ReportIncident, Session, SessionReport
from terreau.activities.reports import incident_record, report_save
from tests.activities.test_activities_support import participant, program_with_sites, session, team

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    program, site_a, site_b = program_with_sites()
    users = team(program, site_a, site_b)
    return {"program": program, "a": site_a, "users": users, "past": session(site_a)}


def url(name, program, *args):
    return reverse(f"activities:{name}", args=[program.slug, *args])


def held(**extra):
    return {"held": "1", "headcount": "3", "duration_minutes": "90", **extra}


def test_a_report_for_tomorrows_session_is_refused(client, world):
    tomorrow = Session.objects.create(site=world["a"], starts_at=timezone.now() + timedelta(days=1))
    client.force_login(world["users"]["staff_a"])
    response = client.post(url("report", world["program"], tomorrow.pk), held(), follow=True)
    assert "n&#x27;a pas encore eu lieu" in response.content.decode()
    tomorrow.refresh_from_db()
    assert tomorrow.status == Session.Status.PLANNED and not SessionReport.objects.exists()
    assert client.get(url("report", world["program"], tomorrow.pk)).status_code == 302
    with pytest.raises(ValidationError, match="pas encore eu lieu"):
        report_save(session=tomorrow, data={"held": True, "headcount": 2})


def test_headcount_below_named_attendees_is_a_form_error(client, world):
    people = [participant(world["a"], name) for name in ("Odette", "Marcel", "Jeanne")]
    client.force_login(world["users"]["staff_a"])
    response = client.post(
        url("report", world["program"], world["past"].pk),
        held(headcount="2", participants=[p.pk for p in people]),
    )
    assert response.status_code == 200
    assert "inscrits cochés" in response.content.decode()
    assert not SessionReport.objects.exists()
    with pytest.raises(ValidationError) as err:
        report_save(session=world["past"], data={"held": True, "headcount": 1}, participants=people)
    assert "headcount" in err.value.message_dict
    # More people than named ones is fine: the headcount also counts unregistered people, kept as typed.
    report = report_save(session=world["past"], data={"held": True, "headcount": 5}, participants=people)
    assert report.headcount == 5 and report.attendances.count() == 3


def test_an_incident_without_item_nor_site_is_a_form_error(client, world):
    client.force_login(world["users"]["staff_a"])
    response = client.post(
        url("report", world["program"], world["past"].pk),
        held(incident_kind="broken", incident_note="Ne s'allume plus"),
    )
    assert response.status_code == 200
    assert "Choisissez le matériel concerné" in response.content.decode()
    assert not SessionReport.objects.exists() and not ReportIncident.objects.exists()
    report = report_save(session=world["past"], data={"held": True, "headcount": 3})
    with pytest.raises(ValidationError):
        incident_record(report=report, kind="broken", note="Écran")


def test_a_site_level_incident_reaches_the_open_incidents(client, world):
    client.force_login(world["users"]["staff_a"])
    response = client.post(
        url("report", world["program"], world["past"].pk),
        held(
            incident_kind="broken", incident_site_level="on", incident_note="Le wifi de la salle est en panne"
        ),
    )
    assert response.status_code == 302
    incident = ReportIncident.objects.get()
    assert incident.site_level and incident.resolved_at is None
    coordinator = world["users"]["coordinator"]
    client.force_login(coordinator)
    page = client.get(url("incidents", world["program"]))
    assert "Le wifi de la salle est en panne" in page.content.decode()
    client.post(url("incident_resolve", world["program"], incident.pk))
    incident.refresh_from_db()
    assert incident.resolved_at is not None and incident.resolved_by == coordinator
    assert "Le wifi" not in client.get(url("incidents", world["program"])).content.decode()


def test_an_item_incident_is_listed_among_the_open_incidents(client, world):
    from terreau.programs.equipment import EquipmentItem

    item = EquipmentItem.objects.create(
        program=world["program"],
        type="tablet",
        make="Lenovo",
        serial_number="T-42",
        state="at_site",
        site=world["a"],
    )
    client.force_login(world["users"]["staff_a"])
    response = client.post(
        url("report", world["program"], world["past"].pk),
        held(incident_kind="broken", incident_item=item.pk, incident_note="Écran fissuré"),
    )
    assert response.status_code == 302
    client.force_login(world["users"]["coordinator"])
    assert "T-42" in client.get(url("incidents", world["program"])).content.decode()


def test_the_rate_counts_past_sessions_only(world):
    report_save(session=world["past"], data={"held": True, "headcount": 3})
    for days in (1, 8, 15):
        Session.objects.create(site=world["a"], starts_at=timezone.now() + timedelta(days=days))
    scope = dashboard.scope_for(user=world["users"]["coordinator"], program=world["program"])
    dash = dashboard.build(scope=scope)
    site_row = next(r for r in dash.sites if r.label == world["a"].name)
    assert site_row.planned == 4
    assert site_row.held_rate == 100
