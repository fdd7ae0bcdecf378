"""Closures and absences in the browser, at 1280 and 768 px: the coordinator closes a site from the activities
navigation and sees which sessions were cancelled; a volunteer records their own absence. Screenshots go to
/tmp/shots/G/ (not committed)."""

from __future__ import annotations

import os
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from terreau.activities.models import Session
from tests.activities.test_activities_support import mission, program_with_sites, session, team
from tests.browser.conftest import assert_accessible, login

pytestmark = pytest.mark.django_db(transaction=True)

SHOTS = os.environ.get("TERREAU_SHOTS", "/tmp/shots/G")


def shot(page, name: str) -> None:
    os.makedirs(SHOTS, exist_ok=True)
    page.screenshot(path=f"{SHOTS}/{name}.png", full_page=True)


@pytest.mark.parametrize("width", [1280, 768])
def test_coordinator_closes_a_site_and_a_volunteer_records_an_absence(page, width):
    page.set_viewport_size({"width": width, "height": 900})
    program, site_a, site_b = program_with_sites()
    users = team(program, site_a, site_b)
    today = timezone.localdate()
    lina = mission(program, user=users["volunteer_a"], sites=[site_a], starts_on=today)
    planned = [session(site_a, day=today + timedelta(days=d)) for d in (8, 9, 20)]
    for s in planned:
        s.volunteers.add(lina)

    login(page, users["coordinator"].email)
    page.goto(f"/programmes/{program.slug}/seances/")
    page.get_by_role("link", name="Fermetures et absences").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Fermetures et absences")
    expect(page.get_by_role("heading", name="Jours fériés à venir")).to_be_visible()
    expect(
        page.get_by_label("Volontaire", exact=True)
    ).to_be_visible()  # the coordination picks whose absence
    assert_accessible(page)
    form = page.locator("form.closures-form").first
    form.get_by_label("Site").select_option(label="EHPAD Les Tilleuls")
    form.get_by_label("Fermé du").fill(f"{today + timedelta(days=7):%Y-%m-%d}")
    form.get_by_label("Au (inclus)").fill(f"{today + timedelta(days=3):%Y-%m-%d}")
    form.get_by_role("button", name="Enregistrer la fermeture").click()
    expect(page.get_by_text("La fin de la fermeture précède son début.")).to_be_visible()
    assert_accessible(page)
    shot(page, f"closure-error-{width}")
    form = page.locator("form.closures-form").first
    form.get_by_label("Au (inclus)").fill(f"{today + timedelta(days=10):%Y-%m-%d}")
    form.get_by_label("Motif").fill("travaux")
    form.get_by_role("button", name="Enregistrer la fermeture").click()
    expect(page.get_by_text("Fermeture enregistrée. 2 séances annulées.")).to_be_visible()
    expect(page.get_by_role("cell", name="travaux")).to_be_visible()
    assert_accessible(page)
    shot(page, f"closure-done-{width}")
    assert Session.objects.filter(status="cancelled", cancel_reason="Site fermé : travaux").count() == 2

    page.context.clear_cookies()
    login(page, users["volunteer_a"].email)
    page.goto(f"/programmes/{program.slug}/fermetures/")
    expect(page.get_by_role("heading", name="Signaler une absence")).to_be_visible()
    expect(page.get_by_role("button", name="Enregistrer la fermeture")).to_have_count(0)
    form = page.locator("form.closures-form")
    form.get_by_label("Absent du").fill(f"{today + timedelta(days=19):%Y-%m-%d}")
    form.get_by_label("Au (inclus)").fill(f"{today + timedelta(days=21):%Y-%m-%d}")
    form.get_by_role("button", name="Enregistrer l'absence").click()
    expect(page.get_by_text("Absence enregistrée. 1 volontaire retiré de 1 séance.")).to_be_visible()
    assert_accessible(page)
    shot(page, f"absence-done-{width}")
    assert not planned[2].volunteers.exists()
