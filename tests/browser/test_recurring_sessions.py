"""Browser: a coordinator edits a weekly session on a 768 px tablet; every page passes axe-core."""

from __future__ import annotations

from datetime import date, time

import pytest

from terreau.activities.models import RecurringSession
from tests.activities.test_activities_support import program_with_sites, team, weekly
from tests.browser.conftest import assert_accessible, login

pytestmark = pytest.mark.django_db(transaction=True)


def test_coordinator_edits_a_weekly_session(page):
    program, site_a, site_b = program_with_sites()
    users = team(program, site_a, site_b)
    rec = weekly(site_a, weekday=1, starts_on=date(2025, 1, 1))
    weekly(site_b, weekday=3, starts_on=date(2025, 1, 1))
    login(page, users["coordinator"].email)
    page.goto(f"/programmes/{program.slug}/seances/")
    assert_accessible(page)
    page.get_by_role("link", name="Modifier EHPAD Les Tilleuls").click()
    page.get_by_role("heading", name="Modifier la séance hebdomadaire").wait_for()
    assert page.viewport_size["width"] == 768
    assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
    assert_accessible(page)
    # A wrong value is refused on the page, in French, and the page stays accessible.
    page.get_by_label("durée (minutes)").fill("5")
    page.get_by_role("button", name="Enregistrer les modifications").click()
    page.get_by_text("Une séance dure entre 15 minutes et 8 heures.").wait_for()
    assert_accessible(page)
    page.get_by_label("jour").select_option(label="jeudi")
    page.get_by_label("heure de début").fill("15:00")
    page.get_by_label("durée (minutes)").fill("120")
    save = page.get_by_role("button", name="Enregistrer les modifications")
    assert save.bounding_box()["height"] >= 44
    save.click()
    page.get_by_text("Séance hebdomadaire modifiée.").wait_for()
    assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
    rec.refresh_from_db()
    assert (rec.weekday, rec.start_time, rec.duration_minutes) == (3, time(15, 0), 120)
    assert RecurringSession.objects.get(site=site_b).weekday == 3
    assert_accessible(page)
