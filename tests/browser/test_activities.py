"""Browser: a volunteer fills a session report on a 768 px tablet; the coordinator plans a month."""

from __future__ import annotations

from datetime import date

import pytest

from terreau.activities.models import Session
from tests.activities.test_activities_support import (
    mission,
    participant,
    program_with_sites,
    session,
    team,
    weekly,
)
from tests.browser.conftest import assert_accessible, login

pytestmark = pytest.mark.django_db(transaction=True)


def test_volunteer_fills_a_session_report_on_a_tablet(page):
    program, site_a, site_b = program_with_sites()
    users = team(program, site_a, site_b)
    volunteer = users["staff_b"]  # reuse a plain account as the volunteer's login
    m = mission(program, user=volunteer, sites=[site_a])
    s = session(site_a, day=date(2025, 2, 4))
    s.volunteers.add(m)
    participant(site_a, "Odette")
    login(page, volunteer.email)
    page.goto(f"/programmes/{program.slug}/seances/{s.pk}/")
    page.get_by_role("button", name="Remplir le compte rendu").click()
    assert page.viewport_size["width"] == 768
    assert_accessible(page)
    page.get_by_label("Bowling sur console").check()
    page.get_by_label("Appels vidéo avec la famille").check()
    page.get_by_label("Nombre de participants").fill("8")
    page.get_by_label("Odette M.").check()
    page.get_by_label("Observations").fill("Belle partie de bowling.")
    box = page.get_by_role("button", name="Enregistrer le compte rendu").bounding_box()
    assert box["height"] >= 44
    page.get_by_role("button", name="Enregistrer le compte rendu").click()
    page.get_by_text("Compte rendu enregistré").wait_for()
    s.refresh_from_db()
    assert s.status == Session.Status.HELD and s.report.headcount == 8
    assert_accessible(page)


def test_coordinator_plans_a_month(page):
    program, site_a, site_b = program_with_sites()
    users = team(program, site_a, site_b)
    mission(program, sites=[site_a])
    weekly(site_a, weekday=1)
    weekly(site_b, weekday=3)
    login(page, users["coordinator"].email)
    page.goto(f"/programmes/{program.slug}/seances/")
    assert_accessible(page)
    page.get_by_role("textbox", name="Mois").fill("2025-03")
    page.get_by_role("button", name="Planifier").click()
    page.get_by_role("heading", name="Ce qui n'a pas pu être couvert").wait_for()
    assert "aucun volontaire n'est affecté à ce site" in page.content()
    assert_accessible(page)
    page.get_by_role("button", name="Voir le calendrier du mois").click()
    assert page.locator(".cal-session").count() == Session.objects.filter(starts_at__month=3).count() > 0
    assert_accessible(page)
    page.goto(f"/programmes/{program.slug}/tableau-de-bord/")
    assert_accessible(page)
