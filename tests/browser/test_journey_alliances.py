"""The facilitator's strongest potential alliances (issue 11, "Must show"), at 1280 and 768 px: the branch's best
pairs ordered by score, varied, above the threshold, never physical help from far away, with reasons in French
sentences; and the complementarities page of a member, one contact action per partner with its pairs under it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from terreau.directory.models import Direction
from terreau.matching import services
from terreau.vocabulary import THEMES
from tests.browser.conftest import assert_accessible_at_both_widths, login
from tests.factories import (
    BranchFactory,
    BranchRoleFactory,
    MembershipFactory,
    NeedOfferFactory,
    OrganisationFactory,
)

pytestmark = pytest.mark.django_db(transaction=True)

SHOTS = Path("/tmp/shots/A")
WIDTHS = [
    1280
]  # one run per journey; every page is axe-checked at 1280 and 768 px (assert_accessible_at_both_widths)
LILLE = {"latitude": 50.6292, "longitude": 3.0573}  # about 400 km from Poitiers (the factories' commune)
TABLETS_NEED = "Tablettes pour des ateliers numériques avec les seniors de notre EHPAD"
TABLETS_OFFER = "Dons de tablettes reconditionnées pour des ateliers numériques"
LAPTOPS_NEED = "Ordinateurs portables pour des ateliers numériques"
LAPTOPS_OFFER = "Dons d'ordinateurs portables reconditionnés pour des ateliers numériques"
CODE_SLUGS = [code for code in THEMES if "-" in code]


@pytest.fixture(autouse=True)
def _cold_index():
    services.reset_index()
    yield
    services.reset_index()


def item(org, direction, title, type="materiel", **kwargs):
    return NeedOfferFactory(
        organisation=org, direction=direction, title=title, description="", type=type, **kwargs
    )


@pytest.fixture
def world():
    """An association needing tablets, laptops and a room; two nearby companies answering; a company 400 km
    away offering tablets (physical: must not be proposed) and accounting help (skills: may be)."""
    branch = BranchFactory(name="Poitou-Charentes")
    asso = OrganisationFactory(branch=branch, name="Les Aînés Connectés")
    club = OrganisationFactory(branch=branch, name="Club Numérique du Clain")
    item(asso, Direction.NEED, TABLETS_NEED, theme_id="inclusion-numerique")
    item(asso, Direction.NEED, LAPTOPS_NEED, theme_id="inclusion-numerique")
    item(asso, Direction.NEED, "Une salle pour les ateliers du mardi", type="locaux")
    item(club, Direction.NEED, "Tablettes reconditionnées pour le club du mercredi")
    item(club, Direction.NEED, "Accompagnement en comptabilité associative", type="competences")
    giver = OrganisationFactory(branch=branch, company=True, name="Recyclerie Numérique")
    item(giver, Direction.OFFER, TABLETS_OFFER, theme_id="inclusion-numerique")
    item(giver, Direction.OFFER, LAPTOPS_OFFER, theme_id="inclusion-numerique")
    rooms = OrganisationFactory(branch=branch, company=True, name="Salles Partagées")
    item(rooms, Direction.OFFER, "Prêt de salles de réunion pour des ateliers", type="locaux")
    far = OrganisationFactory(branch=branch, company=True, name="Numérique du Nord", **LILLE)
    far_tablets = item(far, Direction.OFFER, TABLETS_OFFER)
    item(
        far,
        Direction.OFFER,
        "Accompagnement en comptabilité associative par nos experts-comptables",
        type="competences",
    )
    return {
        "branch": branch,
        "asso": asso,
        "far": far,
        "far_tablets": far_tablets,
        "member": MembershipFactory(organisation=asso).user,
        "staff": BranchRoleFactory(branch=branch).user,
    }


def open_menu_link(page: Page, name: str) -> None:
    """Follow a link of the main navigation, unfolding the menu first where it is folded (narrow screens)."""
    toggle = page.locator("button.menu-toggle")
    if toggle.count() and toggle.is_visible() and toggle.get_attribute("aria-expanded") != "true":
        toggle.click()
    page.get_by_role("navigation", name="Navigation principale").get_by_role("link", name=name).click()
    page.wait_for_load_state()


def shot(page: Page, width: int, name: str) -> None:
    page.wait_for_load_state()
    assert_accessible_at_both_widths(page)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"alliances-{width}-{name}.png"), full_page=True)


def assert_sentence(text: str) -> None:
    """A reason a person reads: a French sentence, no engine notation nor internal code."""
    assert text[0].isupper() and text.endswith("."), text
    assert "=" not in text and "≈" not in text and "type compétences" not in text, text
    assert not any(code in text for code in CODE_SLUGS), text
    assert not re.search(r"[^\u00a0\s][:;?!]", text), text  # French typography


@pytest.mark.parametrize("width", WIDTHS)
def test_facilitator_sees_the_strongest_alliances(page, width, world):
    page.set_viewport_size({"width": width, "height": 900})
    page.set_default_timeout(30_000)  # the machine is shared: be patient, not flaky
    login(page, world["staff"].email)
    open_menu_link(page, "Complémentarités")
    expect(page.get_by_role("heading", name="Les alliances potentielles les plus fortes")).to_be_visible()
    assert page.url.endswith(f"/complementarites/antenne/{world['branch'].slug}/")
    table = page.locator("section[aria-labelledby=alliances] table")
    rows = table.locator("tbody tr")
    assert rows.count() >= 3
    percents = [int(re.sub(r"\D", "", t)) for t in rows.locator("td:first-child").all_inner_texts()]
    assert percents == sorted(percents, reverse=True)
    assert min(percents) >= round(services.ALLIANCE_MIN_SCORE * 100)
    # The best pair: the association's tablets from the nearby company.
    expect(rows.first).to_contain_text("Recyclerie Numérique")
    # Varied: several needs and organisations, no need more than its quota.
    needs = rows.locator("td:nth-child(2) a").all_inner_texts()
    assert len(set(needs)) >= 3
    assert max(needs.count(n) for n in needs) <= services.ALLIANCES_PER_NEED
    # Never tablets (physical help) from 400 km; skills from there are fine.
    expect(rows.filter(has_text="Numérique du Nord").filter(has_text="Dons de tablettes")).to_have_count(0)
    for row in rows.filter(has_text="Numérique du Nord").all():
        expect(row).to_contain_text("comptabilité associative")
    # Reasons: short French sentences.
    reasons = table.locator("ul.reasons li").all_inner_texts()
    assert reasons
    for text in reasons:
        assert_sentence(text)
        assert len(text) <= 120, text
    shot(page, width, "01-alliances-antenne")


@pytest.mark.parametrize("width", WIDTHS)
def test_member_complementarities_one_contact_action_per_partner(page, width, world):
    page.set_viewport_size({"width": width, "height": 900})
    page.set_default_timeout(30_000)  # the machine is shared: be patient, not flaky
    login(page, world["member"].email)
    open_menu_link(page, "Complémentarités")
    cards = page.locator("article.suggestion")
    assert cards.count() >= 2
    for card in cards.all():
        assert card.get_by_text("Proposer un contact", exact=True).count() == 1
        for text in card.locator("ul.reasons li").all_inner_texts():
            assert_sentence(text)
    giver = cards.filter(has_text="Recyclerie Numérique")
    pairs = giver.locator("ul.suggestion-pairs > li")
    assert pairs.count() >= 2  # tablets and laptops (at least), all under the one contact action
    expect(pairs.filter(has_text=TABLETS_NEED).filter(has_text=TABLETS_OFFER)).to_have_count(1)
    expect(pairs.filter(has_text=LAPTOPS_NEED).filter(has_text=LAPTOPS_OFFER)).to_have_count(1)
    shot(page, width, "02-complementarites-membre")
    giver.get_by_text("Proposer un contact", exact=True).click()
    expect(giver.get_by_label("Votre message (facultatif)")).to_be_visible()
    shot(page, width, "03-complementarites-contact-ouvert")
