"""Every date a person gives, in a URL or a form, falls in one plausible window (terreau.core.dates):
extreme dates get a French message, never a 500, and nonsense dates are refused.

The requests below are the ones of the security review (issue 9, finding 6), as they were made."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from terreau.core import dates
from terreau.directory.models import NeedOffer
from terreau.events.models import Event
from tests.activities.test_activities_support import program_with_sites, team
from tests.factories import BranchRoleFactory, MembershipFactory

pytestmark = pytest.mark.django_db

NEXT_YEARS = timezone.localdate().year + dates.YEARS_AHEAD


@pytest.fixture
def coordinator_client(client):
    program, site_a, site_b = program_with_sites()
    users = team(program, site_a, site_b)
    client.force_login(users["coordinator"])
    client.program = program
    return client


def _url(name, program):
    return reverse(f"activities:{name}", args=[program.slug])


# --- the toolkit ----------------------------------------------------------------------------------------


def test_window_and_parsers():
    low, high = dates.window(today=date(2026, 5, 4))
    assert (low, high) == (date(2000, 1, 1), date(2036, 12, 31))
    assert dates.parse_day("2025-03-01") == date(2025, 3, 1)
    assert dates.parse_day("") is None and dates.parse_month(None) is None
    assert dates.parse_month("2025-03") == date(2025, 3, 1)
    for bad in ("0001-01-01", "9999-12-31", "1999-12-31", "2025-02-30", "hier", "2025-3-1"):
        with pytest.raises(dates.QueryDateError):
            dates.parse_day(bad)
    for bad in ("9999-12", "0001-01", "2025-13", "2025-00", "février", "2025-3"):
        with pytest.raises(dates.QueryDateError):
            dates.parse_month(bad)


# --- query strings: no 500 -----------------------------------------------------------------------------


@pytest.mark.parametrize("month", ["9999-12", "0001-01", "1999-12", "2025-13"])
def test_calendar_with_an_extreme_month_answers_with_a_message(coordinator_client, month):
    response = coordinator_client.get(_url("calendar", coordinator_client.program) + f"?mois={month}")
    assert response.status_code == 200
    body = response.content.decode()
    assert "Indiquez un mois" in body
    assert response.context["month"] == timezone.localdate().replace(day=1)


def test_dashboard_with_extreme_dates_answers_with_a_message(coordinator_client):
    program = coordinator_client.program
    response = coordinator_client.get(_url("dashboard", program) + "?du=0001-01-01&au=9999-12-31")
    assert response.status_code == 200
    assert f"Indiquez une date entre 2000 et {NEXT_YEARS}." in response.content.decode()


def test_dashboard_xlsx_with_extreme_dates_goes_back_to_the_dashboard(coordinator_client):
    program = coordinator_client.program
    response = coordinator_client.get(
        _url("dashboard_xlsx", program) + "?du=0001-01-01&au=9999-12-31", follow=True
    )
    assert response.status_code == 200
    assert response.redirect_chain[0][0].startswith(_url("dashboard", program))
    assert f"Indiquez une date entre 2000 et {NEXT_YEARS}." in response.content.decode()


@pytest.mark.parametrize(
    "query", ["?mois=9999-12", "?mois=0001-01", "?du=0001-01-01&au=9999-12-31&mois=9999-12"]
)
def test_monthly_pdf_with_an_extreme_month_goes_back_to_the_dashboard(coordinator_client, query):
    program = coordinator_client.program
    response = coordinator_client.get(_url("monthly_report", program) + query, follow=True)
    assert response.status_code == 200
    assert "Indiquez un mois entre 01/2000" in response.content.decode()


def test_plausible_dates_still_filter_and_export(coordinator_client):
    program = coordinator_client.program
    query = "?du=2025-01-01&au=2025-12-31"
    assert coordinator_client.get(_url("dashboard", program) + query).status_code == 200
    xlsx = coordinator_client.get(_url("dashboard_xlsx", program) + query)
    assert xlsx.status_code == 200 and xlsx.content.startswith(b"PK")
    pdf = coordinator_client.get(_url("monthly_report", program) + "?mois=2025-03")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


def test_planning_an_extreme_month_is_refused(coordinator_client):
    program = coordinator_client.program
    response = coordinator_client.post(_url("plan", program), {"month": "9999-12"}, follow=True)
    assert response.status_code == 200
    assert "Indiquez un mois" in response.content.decode()


# --- forms: nonsense dates refused -----------------------------------------------------------------------


@pytest.mark.parametrize("year", [1900, 9999])
def test_event_form_refuses_a_nonsense_year(client, year):
    role = BranchRoleFactory()
    client.force_login(role.user)
    data = {
        "branch": role.branch.pk,
        "kind": "workshop",
        "title": "Atelier mécénat de compétences",
        "starts_at": f"{year}-03-01T10:00",
        "ends_at": f"{year}-03-01T12:00",
        "address": "12 rue de la Paix",
        "capacity": 20,
        "audience": "everyone",
        "is_published": "on",
    }
    response = client.post(reverse("events:create"), data)
    assert response.status_code in (200, 400)
    assert f"Indiquez une date entre 2000 et {NEXT_YEARS}." in response.content.decode()
    assert not Event.objects.exists()


@pytest.mark.parametrize(("starts_on", "ends_on"), [("0001-01-01", "9999-12-31"), ("0001-01-01", "")])
def test_need_form_refuses_year_one(client, starts_on, ends_on):
    member = MembershipFactory()
    client.force_login(member.user)
    data = {
        "direction": "need",
        "title": "Bénévoles pour le Trophée des seniors",
        "type": "benevolat",
        "scope": "department",
        "starts_on": starts_on,
        "ends_on": ends_on,
        "visibility": "public",
    }
    url = reverse("directory:need_offer_create", kwargs={"slug": member.organisation.slug})
    response = client.post(url, data)
    assert response.status_code == 400
    assert f"Indiquez une date entre 2000 et {NEXT_YEARS}." in response.content.decode()
    assert not NeedOffer.objects.exists()


def test_forms_tell_the_browser_the_window():
    from terreau.activities.forms import MissionForm

    form = MissionForm(sites=None, organisations=None, users=None, communes=None)
    assert form.fields["starts_on"].widget.attrs["min"] == "2000-01-01"
    assert form.fields["starts_on"].widget.attrs["max"] == f"{NEXT_YEARS}-12-31"
    # A volunteer's birth date has its own window: the last hundred years, up to today.
    assert form.fields["birth_date"].widget.attrs["max"] == f"{timezone.localdate():%Y-%m-%d}"


def test_birth_dates_have_their_own_window():
    dates.validate_birth_date(date(1990, 5, 1))
    with pytest.raises(Exception, match="date de naissance"):
        dates.validate_birth_date(timezone.localdate() + timedelta(days=1))
    with pytest.raises(Exception, match="entre 2000"):
        dates.validate_plausible_date(date(1990, 5, 1))
