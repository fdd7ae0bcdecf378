"""The contributions journey (issue 14), at 1280 and 768 px with axe-core on every page: a facilitator records a
money gift and an in-kind gift with comma decimals from the association's page, and their receipt; the
association's administrator, from "Mon espace", confirms the eligibility, issues a receipt, downloads its PDF and
cancels another with a reason; the donor company's member finds "Nos contributions" (the estimate labelled as an
estimate) and "Nos reçus"; the program's report."""

from __future__ import annotations

from datetime import date

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import assert_accessible_at_both_widths, login
from tests.contributions.factories import ProgramFactory
from tests.factories import BranchRoleFactory, MembershipFactory, OrganisationFactory

pytestmark = pytest.mark.django_db(transaction=True)


def _goto(page: Page, path: str) -> None:
    page.goto(path)
    assert_accessible_at_both_widths(page)


def _follow(page: Page, name: str) -> None:
    page.get_by_role("link", name=name, exact=True).first.click()
    page.wait_for_load_state()
    assert_accessible_at_both_widths(page)


def _record(page: Page, association, company, *, kind: str, values: dict[str, str], description: str) -> None:
    """From the association's page: record a gift of the company, then its receipt (instalment) in full."""
    _goto(page, association.get_absolute_url())
    _follow(page, "Enregistrer une contribution reçue")
    page.select_option("select[name=kind]", kind)
    page.get_by_label("Organisation donatrice").select_option(label=company.name)
    page.get_by_label("Pour le programme").select_option(label="Tablettes pour tous")
    page.get_by_label("Description").fill(description)
    page.get_by_label("Date de la promesse").fill(date.today().isoformat())
    for name, value in values.items():
        page.locator(f"input[name={name}]").fill(value)
    page.get_by_role("button", name="Enregistrer", exact=True).click()
    page.wait_for_load_state()
    expect(page.locator("main")).to_contain_text(description)
    assert_accessible_at_both_widths(page)


def _instalment(page: Page, amount: str) -> None:
    page.get_by_label("Montant reçu (€)").fill(amount)
    page.get_by_role("button", name="Enregistrer le versement").click()
    page.wait_for_load_state()
    assert_accessible_at_both_widths(page)


@pytest.mark.parametrize(
    "width", [768]
)  # one run per journey; every page is axe-checked at 1280 and 768 px (assert_accessible_at_both_widths)
def test_contributions_journey(page: Page, width: int):
    page.set_viewport_size({"width": width, "height": 1000})
    facilitator = BranchRoleFactory()
    branch = facilitator.branch
    association = OrganisationFactory(branch=branch, name="Les Amis du Numérique")
    company = OrganisationFactory(branch=branch, company=True, name="Solutions Vienne SAS")
    program = ProgramFactory(branch=branch, name="Tablettes pour tous")
    admin = MembershipFactory(organisation=association, role="admin").user
    donor_member = MembershipFactory(organisation=company).user

    # The facilitator records a money gift and an in-kind gift (comma decimals) and receives both in full.
    login(page, facilitator.user.email)
    _record(page, association, company, kind="gift", values={"amount": "1 500,50"}, description="Don annuel")
    expect(page.locator("main")).to_contain_text("1 500,50")
    _instalment(page, "1 500,50")
    _record(
        page,
        association,
        company,
        kind="goods",
        values={"quantity": "3", "unit_cost": "120,75"},
        description="Trois tablettes reconditionnées",
    )
    expect(page.locator("main")).to_contain_text("362,25")
    _instalment(page, "362,25")
    page.context.clear_cookies()

    # The association's administrator confirms the eligibility from "Mon espace" and issues two receipts.
    login(page, admin.email)
    _goto(page, "/comptes/mon-espace/")
    _follow(page, "Confirmer l'habilitation à émettre des reçus")
    page.get_by_label("La structure peut émettre des reçus fiscaux").check()
    page.get_by_label("Fondement").select_option("general_interest")
    page.get_by_label("Objet de l'organisme (mentionné sur les reçus)").fill("Inclusion numérique des aînés")
    page.get_by_role("button", name="Enregistrer").click()
    page.wait_for_load_state()
    expect(page.locator("body")).to_contain_text("Habilitation enregistrée")
    assert_accessible_at_both_widths(page)
    numbers = []
    for _gift in range(2):
        _follow(page, "Émettre le reçu")
        page.get_by_role("button", name="Émettre et envoyer").click()
        page.wait_for_load_state()
        expect(page.locator("body")).to_contain_text("émis et envoyé")
        assert_accessible_at_both_widths(page)
        numbers.append(page.locator("h1").inner_text())
        if not _gift:
            pdf = page.request.get(page.locator("a", has_text="Télécharger le PDF").get_attribute("href"))
            assert pdf.ok and pdf.headers["content-type"] == "application/pdf"
            assert pdf.body().startswith(b"%PDF")
            _follow(page, "Tous les reçus de l'année")
    page.get_by_label("Motif").fill("Erreur sur la date du don")
    page.get_by_role("button", name="Annuler seulement").click()
    page.wait_for_load_state()
    expect(page.locator("body")).to_contain_text("annulé")
    assert_accessible_at_both_widths(page)
    page.context.clear_cookies()

    # The donor company's member: "Nos contributions" (an estimate, said so) and "Nos reçus".
    login(page, donor_member.email)
    _goto(page, "/comptes/mon-espace/")
    _follow(page, "Nos contributions")
    expect(page.locator("main")).to_contain_text("estimation")
    expect(page.locator("main")).to_contain_text("1 862,75")
    _goto(page, "/comptes/mon-espace/")
    _follow(page, "Nos reçus")
    expect(page.locator("main")).to_contain_text("Les Amis du Numérique")
    page.context.clear_cookies()

    # The facilitator: the program's report from the program's page, the year's from "Mon espace".
    login(page, facilitator.user.email)
    _goto(page, program.get_absolute_url())
    _follow(page, "Rapport détaillé")
    expect(page.locator("main")).to_contain_text("Solutions Vienne SAS")
    _goto(page, "/comptes/mon-espace/")
    _follow(page, "Rapport des contributions de l'année")
    expect(page.locator("main")).to_contain_text("Tablettes pour tous")
