"""Browser journeys of issue 15's collection, in fr-FR, axe-clean on the question pages:

- a participant answers by a link without an account at 1280 px: consent, a Likert scale, a single choice whose
  answer hides the next question, « Je préfère ne pas répondre », the summary, the thanks page;
- a volunteer enters a senior's answers on a tablet (768 px) with the keyboard only, and the connection is lost
  before a « Suivant »: the French message says the answers are kept, and once the connection is back the
  journey goes on; every answer is saved exactly once.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from django.db.models import Count

from terreau.evaluation.models import Answer, Response
from terreau.programs.models import ProgramRole
from tests.browser.conftest import assert_accessible, login
from tests.evaluation.factories import CollectionLinkFactory
from tests.evaluation.test_collect import make_world
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

SHOTS = Path("/tmp/shots/E")
LOST = "Connexion perdue\u00a0: vos réponses sont gardées sur cet appareil"


def test_answering_by_link_without_an_account(page):
    page.set_viewport_size({"width": 1280, "height": 900})
    world = make_world()
    link = CollectionLinkFactory(wave=world.wave, site=world.site_a)
    page.goto(f"/evaluation/q/{link.token}/")
    page.get_by_text("Vos réponses restent anonymes").wait_for()
    shot(page, "0-link")
    page.get_by_label("J'accepte de répondre").check()
    page.get_by_role("button", name="Commencer").click()

    page.get_by_text("Question 1 sur 5").wait_for()
    assert_accessible(page)
    shot(page, "1-likert")
    page.get_by_role("radio", name="4").check()
    page.get_by_role("button", name="Suivant").click()

    page.get_by_text("Question 2 sur 5").wait_for()
    shot(page, "2-single")
    page.get_by_role("radio", name="Par le club").check()
    page.get_by_role("button", name="Suivant").click()

    # "Qui dans votre famille ?" is only for those who came through their family: skipped.
    page.get_by_role("heading", name="Combien d'ateliers avez-vous suivis ?").wait_for()
    assert "Question 3 sur 5" in page.locator("main").inner_text()
    for following in ("Question 4 sur 5", "Question 5 sur 5", "Vous avez terminé"):
        page.get_by_role("button", name="Je préfère ne pas répondre").click()
        page.get_by_text(following).wait_for()
    page.get_by_text("Vous avez répondu à 2 questions sur 5.").wait_for()
    assert_accessible(page)
    shot(page, "6-summary")
    page.get_by_role("button", name="Envoyer mes réponses").click()
    page.get_by_text("Merci pour vos réponses !").wait_for()

    response = Response.objects.get()
    assert response.submitted_at is not None and response.mode == Response.Mode.LINK
    answers = {a.item.code: a for a in Answer.objects.filter(response=response).select_related("item")}
    assert answers["isolement"].number == 4 and answers["connu"].text == "club"
    assert "famille-detail" not in answers
    assert sum(a.declined for a in answers.values()) == 3


def shot(page, name: str) -> None:
    """A full-page screenshot of the step (never committed)."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}-{page.viewport_size['width']}.png"), full_page=True)


def tab_to(page, selector: str, limit: int = 40) -> None:
    """Presses Tab until the focused element matches ``selector`` (keyboard only, as a person would)."""
    for _ in range(limit):
        if page.evaluate("s => document.activeElement && document.activeElement.matches(s)", selector):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"Tab never reached {selector}")


def to_question(page) -> None:
    """From a fresh page: the skip link, then into the question."""
    page.keyboard.press("Tab")
    # Chromium may start the Tab sequence where the previous page's focus was (past the skip link): follow the
    # skip link only when Tab reached it.
    if page.evaluate("() => document.activeElement.classList.contains('skip-link')"):
        page.keyboard.press("Enter")  # « Aller au contenu »
    tab_to(page, "input[name=value], textarea[name=value]")


def test_assisted_entry_by_keyboard_with_a_lost_connection(page):
    world = make_world()
    volunteer = UserFactory()
    ProgramRole.objects.create(program=world.program, user=volunteer, role="volunteer", site=world.site_a)
    login(page, volunteer.email)
    page.goto(f"/evaluation/{world.evaluation.pk}/saisie/")
    shot(page, "2-assist-start")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    tab_to(page, "#id_age_band")
    page.keyboard.press("ArrowDown")  # « moins de 60 ans » → the next band
    tab_to(page, "#id_consent")
    page.keyboard.press("Space")
    tab_to(page, "button[type=submit].answer-next")
    page.keyboard.press("Enter")

    page.get_by_text("Saisie accompagnée par").wait_for()
    page.get_by_text("Question 1 sur 5").wait_for()
    assert_accessible(page)
    shot(page, "3-assisted-likert")
    to_question(page)
    for _ in range(3):
        page.keyboard.press("ArrowRight")  # 1 → 4
    page.keyboard.press("Enter")

    page.get_by_text("Question 2 sur 5").wait_for()
    to_question(page)
    page.keyboard.press("Space")  # « Par le club »
    page.context.set_offline(True)
    page.keyboard.press("Enter")
    page.get_by_text(LOST).wait_for()
    shot(page, "4-offline")
    assert "Question 2 sur 5" in page.locator("main").inner_text()
    page.context.set_offline(False)

    page.get_by_text("Question 3 sur 5").wait_for(timeout=15_000)
    to_question(page)
    page.keyboard.type("12")
    page.keyboard.press("Enter")

    page.get_by_text("Question 4 sur 5").wait_for()
    to_question(page)
    page.keyboard.press("Space")  # « Appel vidéo »
    tab_to(page, "button.answer-next")
    page.keyboard.press("Enter")

    page.get_by_text("Question 5 sur 5").wait_for()
    to_question(page)
    page.keyboard.press("Space")  # « Oui »
    page.keyboard.press("Enter")

    page.get_by_text("Vous avez répondu à 5 questions sur 5.").wait_for()
    assert_accessible(page)
    shot(page, "5-summary")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    tab_to(page, "button.answer-next")
    page.keyboard.press("Enter")
    page.get_by_text("Merci pour vos réponses !").wait_for()

    response = Response.objects.get()
    assert response.mode == Response.Mode.ASSISTED and response.entered_by == volunteer
    assert response.submitted_at is not None
    counts = Answer.objects.filter(response=response).values("item").annotate(n=Count("pk"))
    assert {c["n"] for c in counts} == {1} and len(counts) == 5
    answers = {a.item.code: a for a in Answer.objects.filter(response=response).select_related("item")}
    assert answers["isolement"].number == 4
    assert answers["connu"].text == "club"
    assert answers["ateliers"].number == 12
    assert answers["usage"].choices == ["appel"]
    assert answers["seul"].number == 1
