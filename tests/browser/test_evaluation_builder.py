"""A coordinator builds a questionnaire (issue 15): creates it, adds two questions from the library, adds a
single-choice question of their own asked only after a "yes", and previews it; axe-clean at 1280 and 768 px."""

from __future__ import annotations

import datetime

import pytest
from playwright.sync_api import Page, expect

from terreau.evaluation.models import Evaluation
from terreau.programs.models import ProgramRole
from tests.browser.conftest import assert_accessible, login
from tests.factories import UserFactory
from tests.programs.test_programs_support import make_program

pytestmark = pytest.mark.django_db(transaction=True)

GAMES = "Vous arrive-t-il de jouer à des jeux vidéo en dehors des ateliers ?"
MESSAGE = "Je me sens capable d'envoyer un message à un proche avec une tablette."
OWN = "Avec quelle console jouez-vous ?"


def both_widths(page: Page) -> None:
    for width in (1280, 768):
        page.set_viewport_size({"width": width, "height": 900})
        assert_accessible(page)


def test_coordinator_builds_and_previews_a_questionnaire(page):
    program = make_program()[0]
    coordinator = UserFactory()
    ProgramRole.objects.create(program=program, user=coordinator, role="coordinator")
    evaluation = Evaluation.objects.create(
        program=program,
        title="Évaluation des ateliers 2026",
        period_start=datetime.date(2026, 1, 1),
        period_end=datetime.date(2026, 12, 31),
        audiences=["participants", "volunteers"],
    )
    login(page, coordinator.email)
    page.set_viewport_size({"width": 1280, "height": 900})

    page.goto(f"/evaluation/{evaluation.pk}/questionnaires/nouveau/")
    assert_accessible(page)
    page.get_by_label("Public interrogé").select_option("participants")
    page.get_by_label("Titre du questionnaire").fill("Avant les ateliers")
    page.get_by_role("button", name="Créer le questionnaire").click()
    expect(page.get_by_text("Questionnaire créé")).to_be_visible()

    # Two questions from the library (the participants' templates only, grouped by theme).
    page.get_by_label(GAMES).check()
    page.get_by_label(MESSAGE).check()
    page.get_by_role("button", name="Ajouter les questions cochées").click()
    expect(page.get_by_text("2 questions ajoutées depuis la bibliothèque.")).to_be_visible()

    # A question of one's own: choosing "single choice" brings its fields (htmx).
    page.locator("#id_kind").select_option("single")
    expect(page.locator("#id_choices")).to_be_visible()
    expect(page.locator("#id_scale_min_label")).to_have_count(0)
    page.locator("#id_text").fill(OWN)
    page.locator("#id_choices").fill("Tablette\nConsole de salon\nTéléphone")
    page.get_by_role("button", name="Ajouter la question").click()
    expect(page.get_by_text(f"Question « {OWN} » ajoutée.")).to_be_visible()
    both_widths(page)
    page.set_viewport_size({"width": 1280, "height": 900})

    # Asked only to those who play: pick the earlier question, then the answer.
    page.get_by_role("link", name="Condition d'affichage de la question 3").click()
    page.get_by_label("Poser cette question seulement selon la réponse à").select_option(label=GAMES)
    page.get_by_role("button", name="Afficher ses réponses").click()
    page.get_by_label("Oui", exact=True).check()
    assert_accessible(page)
    page.get_by_role("button", name="Enregistrer la condition").click()
    expect(page.get_by_text("Condition d'affichage enregistrée.")).to_be_visible()

    page.get_by_role("link", name="Aperçu du questionnaire").click()
    expect(page.get_by_role("heading", name="Aperçu : Avant les ateliers")).to_be_visible()
    expect(page.get_by_text(f"Posée seulement si la réponse à « {GAMES} » est « Oui ».")).to_be_visible()
    expect(page.get_by_role("group", name=OWN)).to_be_visible()
    both_widths(page)
