"""Browser journeys of issue 11's safe reports and plans, each as the role that lives it, at 1280 and 768 px,
in fr-FR, axe-clean on every page:

- site staff cannot file the report of a session still to come, and a headcount below the ticked names is a
  French error that changes nothing;
- a volunteer's incidents (on an item, and on the site) reach the coordinator, who resolves the site's one;
- the coordinator plans January 2027: no session on 1 January (a public holiday, said on the result page);
  in March 2027 an Alsace site skips Good Friday, a closed site and an absent volunteer are respected;
- the dashboard's rate counts past sessions only.

Screenshots of every step go to /tmp/shots/B/ (never committed)."""

from __future__ import annotations

from datetime import date, time, timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from terreau.activities.models import (
    ReportIncident,
    Session,
    SessionReport,
    SiteClosure,
    VolunteerAbsence,
)
from terreau.activities.reports import report_save
from tests.activities.test_activities_support import (
    mission,
    participant,
    program_with_sites,
    session,
    team,
    weekly,
)
from tests.browser.conftest import assert_accessible_at_both_widths, login
from tests.factories import CommuneFactory, DepartmentFactory

pytestmark = pytest.mark.django_db(transaction=True)

SHOTS = Path("/tmp/shots/B")
WIDTHS = [
    768
]  # one run per journey; every page is axe-checked at 1280 and 768 px (assert_accessible_at_both_widths)


def sized(page, width: int):
    page.set_viewport_size({"width": width, "height": 900 if width == 1280 else 1024})
    return page


def check(page, name: str) -> None:
    """axe-clean, then a full-page screenshot named after the step and the width."""
    assert_accessible_at_both_widths(page)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}-{page.viewport_size['width']}.png"), full_page=True)


def relogin(page, email: str) -> None:
    page.context.clear_cookies()
    login(page, email)


@pytest.mark.parametrize("width", WIDTHS)
def test_site_staff_cannot_report_a_future_session_and_headcount_stays_as_typed(page, width):
    sized(page, width)
    program, site_a, site_b = program_with_sites()
    users = team(program, site_a, site_b)
    today = timezone.localdate()
    future = session(site_a, day=today + timedelta(days=3))
    past = session(site_a, day=today - timedelta(days=7))
    participant(site_a, "Odette")
    participant(site_a, "Marcel")
    login(page, users["staff_a"].email)

    page.goto(f"/programmes/{program.slug}/seances/{future.pk}/")
    assert page.get_by_role("button", name="Remplir le compte rendu").count() == 0
    page.get_by_text("Le compte rendu se remplit une fois la séance commencée.").wait_for()
    check(page, "1-future-session")

    page.goto(f"/programmes/{program.slug}/seances/{future.pk}/compte-rendu/")
    assert page.url.endswith(f"/seances/{future.pk}/")
    message = page.locator(".messages")
    assert "n'a pas encore eu lieu" in message.inner_text()
    check(page, "2-future-report-refused")
    future.refresh_from_db()
    assert future.status == Session.Status.PLANNED and not SessionReport.objects.exists()

    page.goto(f"/programmes/{program.slug}/seances/{past.pk}/")
    page.get_by_role("button", name="Remplir le compte rendu").click()
    page.get_by_label("Nombre de participants").fill("1")
    page.get_by_label("Odette M.").check()
    page.get_by_label("Marcel M.").check()
    page.get_by_role("button", name="Enregistrer le compte rendu").click()
    page.get_by_text("ne peut pas être inférieur au nombre d'inscrits cochés présents (2)").wait_for()
    assert "Le compte rendu n'est pas enregistré" in page.get_by_role("alert").inner_text()
    assert page.get_by_label("Nombre de participants").input_value() == "1"  # nothing changed silently
    assert page.get_by_label("Odette M.").is_checked() and page.get_by_label("Marcel M.").is_checked()
    check(page, "3-headcount-below-names")
    past.refresh_from_db()
    assert past.status == Session.Status.PLANNED and not SessionReport.objects.exists()

    page.get_by_label("Nombre de participants").fill("5")
    page.get_by_role("button", name="Enregistrer le compte rendu").click()
    page.get_by_text("Compte rendu enregistré").wait_for()
    check(page, "4-report-saved")
    past.refresh_from_db()
    assert past.status == Session.Status.HELD
    assert past.report.headcount == 5 and past.report.attendances.count() == 2
    assert "5 — dont 2 inscrits présents : Marcel M., Odette M." in page.locator("main").inner_text()


@pytest.mark.parametrize("width", WIDTHS)
def test_incidents_reported_by_a_volunteer_reach_the_coordinator(page, width):
    from terreau.programs.equipment import EquipmentItem

    sized(page, width)
    program, site_a, site_b = program_with_sites()
    users = team(program, site_a, site_b)
    volunteer = users["volunteer_a"]
    m = mission(program, user=volunteer, sites=[site_a])
    today = timezone.localdate()
    first = session(site_a, day=today - timedelta(days=7))
    second = session(site_a, day=today - timedelta(days=14))
    first.volunteers.add(m)
    second.volunteers.add(m)
    item = EquipmentItem.objects.create(
        program=program, type="tablet", make="Lenovo", serial_number="T-42", state="at_site", site=site_a
    )
    login(page, volunteer.email)

    page.goto(f"/programmes/{program.slug}/seances/{first.pk}/")
    page.get_by_role("button", name="Remplir le compte rendu").click()
    page.get_by_label("Nombre de participants").fill("4")
    page.get_by_label("Type d'incident").select_option(label="Cassé ou en panne")
    page.get_by_label("Description de l'incident").fill("Écran fissuré")
    page.get_by_role("button", name="Enregistrer le compte rendu").click()
    page.get_by_text("Choisissez le matériel concerné").first.wait_for()  # an incident is never lost
    check(page, "5-incident-without-item")
    assert not SessionReport.objects.exists() and not ReportIncident.objects.exists()

    page.get_by_label("Matériel concerné").select_option(value=str(item.pk))
    page.get_by_role("button", name="Enregistrer le compte rendu").click()
    page.get_by_text("Compte rendu enregistré").wait_for()

    page.goto(f"/programmes/{program.slug}/seances/{second.pk}/")
    page.get_by_role("button", name="Remplir le compte rendu").click()
    page.get_by_label("Nombre de participants").fill("3")
    page.get_by_label("Type d'incident").select_option(label="Cassé ou en panne")
    page.get_by_label("L'incident concerne le site, pas un matériel précis").check()
    page.get_by_label("Description de l'incident").fill("Le wifi de la salle est en panne")
    check(page, "6-site-incident-form")
    page.get_by_role("button", name="Enregistrer le compte rendu").click()
    page.get_by_text("Compte rendu enregistré").wait_for()
    assert ReportIncident.objects.count() == 2

    relogin(page, users["coordinator"].email)
    page.goto(f"/programmes/{program.slug}/tableau-de-bord/")
    page.get_by_role("link", name="2 incidents ouverts").click()
    page.get_by_role("heading", name="Incidents ouverts").wait_for()
    content = page.locator("main").inner_text()
    assert "T-42" in content and "Écran fissuré" in content
    assert "Le wifi de la salle est en panne" in content and site_a.name in content
    check(page, "7-coordinator-open-incidents")

    page.get_by_role("button", name="Marquer comme résolu").click()
    page.get_by_text("Incident marqué comme résolu.").wait_for()
    assert "Le wifi de la salle" not in page.locator("main").inner_text()
    assert "T-42" in page.locator("main").inner_text()  # closes with its repair, not here
    check(page, "8-site-incident-resolved")


def _plan(page, program, month: str) -> None:
    page.goto(f"/programmes/{program.slug}/seances/")
    page.get_by_role("textbox", name="Mois").fill(month)
    page.get_by_role("button", name="Planifier").click()
    page.get_by_role("heading", name="Jours sans séance").wait_for()


@pytest.mark.parametrize("width", WIDTHS)
def test_coordinator_plans_january_without_new_years_day(page, width):
    sized(page, width)
    program, site_a, site_b = program_with_sites()
    users = team(program, site_a, site_b)
    weekly(site_a, weekday=4, at=time(14, 30), starts_on=date(2026, 12, 1))  # Fridays; 1 Jan 2027 is one
    mission(program, sites=[site_a], starts_on=date(2026, 10, 1))
    login(page, users["coordinator"].email)

    _plan(page, program, "2027-01")
    main = page.locator("main").inner_text()
    assert "vendredi 1er janvier à 14:30, EHPAD Les Tilleuls : jour férié (Jour de l'an)" in main
    assert "4 séances" in main
    check(page, "9-january-plan")
    days = {timezone.localtime(s.starts_at).date() for s in Session.objects.filter(site=site_a)}
    assert days == {date(2027, 1, d) for d in (8, 15, 22, 29)}
    assert Session.objects.filter(site=site_a, volunteers__isnull=False).count() == 4

    page.get_by_role("button", name="Voir le calendrier du mois").click()
    page.get_by_role("heading", name="vendredi 8 janvier").wait_for()
    new_year = page.locator(".cal-day", has=page.get_by_role("heading", name="vendredi 1er janvier"))
    assert new_year.locator(".cal-session").count() == 0  # said, not held
    assert "Pas de séance à EHPAD Les Tilleuls : jour férié (Jour de l'an)" in new_year.inner_text()
    assert page.locator(".cal-session").count() == 4
    check(page, "10-january-calendar")


@pytest.mark.parametrize("width", WIDTHS)
def test_coordinator_plans_march_with_alsace_closure_and_absence(page, width):
    sized(page, width)
    program, site_a, site_b = program_with_sites()
    users = team(program, site_a, site_b)
    site_b.commune = CommuneFactory(
        code="67482", name="Strasbourg", department=DepartmentFactory(code="67", name="Bas-Rhin")
    )
    site_b.save()
    weekly(site_a, weekday=4, at=time(14, 30), starts_on=date(2026, 12, 1))
    weekly(site_b, weekday=4, at=time(10, 0), starts_on=date(2026, 12, 1))
    lina = mission(program, sites=[site_a], starts_on=date(2026, 10, 1), name="Lina")
    mission(program, sites=[site_b], starts_on=date(2026, 10, 1), name="Yanis")
    SiteClosure.objects.create(
        site=site_a, starts_on=date(2027, 3, 8), ends_on=date(2027, 3, 14), reason="Travaux"
    )
    VolunteerAbsence.objects.create(mission=lina, starts_on=date(2027, 3, 15), ends_on=date(2027, 3, 21))
    login(page, users["coordinator"].email)

    _plan(page, program, "2027-03")
    main = page.locator("main").inner_text()
    assert "vendredi 26 mars à 10:00, Club des Aînés : jour férié (Vendredi saint)" in main
    assert "vendredi 12 mars à 14:30, EHPAD Les Tilleuls : site fermé (Travaux)" in main
    assert "les volontaires de ce site sont absents ce jour-là" in main
    assert "EHPAD Les Tilleuls : jour férié" not in main  # Good Friday is no holiday in the Vienne
    check(page, "11-march-plan")

    def days(site):
        return {timezone.localtime(s.starts_at).date() for s in Session.objects.filter(site=site)}

    assert days(site_b) == {date(2027, 3, d) for d in (5, 12, 19)}
    assert days(site_a) == {date(2027, 3, d) for d in (5, 19, 26)}
    absent_day = Session.objects.get(site=site_a, starts_at__date=date(2027, 3, 19))
    assert not absent_day.volunteers.exists()

    page.goto(f"/programmes/{program.slug}/calendrier/?mois=2027-03&tout=1&site={site_b.pk}")
    page.get_by_role("heading", name="vendredi 19 mars").wait_for()
    good_friday = page.locator(".cal-day", has=page.get_by_role("heading", name="vendredi 26 mars"))
    assert good_friday.locator(".cal-session").count() == 0
    assert "Club des Aînés : jour férié (Vendredi saint)" in good_friday.inner_text()
    assert "EHPAD Les Tilleuls" not in page.locator(".cal-day").all_inner_texts()[-1]  # the site chosen only
    check(page, "12-march-calendar-alsace")


@pytest.mark.parametrize("width", WIDTHS)
def test_dashboard_rate_counts_past_sessions_only(page, width):
    sized(page, width)
    program, site_a, site_b = program_with_sites()
    users = team(program, site_a, site_b)
    today = timezone.localdate()
    held = session(site_a, day=today - timedelta(days=10))
    report_save(session=held, data={"held": True, "headcount": 6})
    session(site_a, day=today - timedelta(days=3))  # past, never reported: not held
    session(site_a, day=today + timedelta(days=3))  # to come: neither held nor missed
    session(site_a, day=today + timedelta(days=10))
    login(page, users["coordinator"].email)

    page.goto(f"/programmes/{program.slug}/tableau-de-bord/")
    rate = page.locator(".kpi-rate").inner_text().replace("\xa0", " ")
    assert "50 %" in rate and "2 séances passées" in rate  # 1 held of 2 past, not 1 of 4
    row = page.get_by_role("row", name=site_a.name)
    assert "50 %" in row.inner_text().replace("\xa0", " ")
    check(page, "13-dashboard-rate")
