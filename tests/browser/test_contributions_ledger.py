"""The ledger's pages at 1280 and 768 px (axe-core, one-row header, no sideways scroll): the list, recording a
contribution (only the inputs of the chosen kind show) and a contribution's page. Screenshots: /tmp/shots/C/."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import login
from tests.browser.test_forms_layout import check_layout
from tests.contributions.factories import ContributionFactory, InstalmentFactory
from tests.factories import BranchRoleFactory, OrganisationFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_ledger_pages_of_a_facilitator(page):
    role = BranchRoleFactory()
    company = OrganisationFactory(branch=role.branch, company=True, name="Numérique Solidaire SARL")
    association = OrganisationFactory(branch=role.branch, name="Association des aidants")
    gift = ContributionFactory(branch=role.branch, donor=company, recipient=association)
    InstalmentFactory(contribution=gift)
    login(page, role.user.email)
    check_layout(page, "/contributions/", "ledger-list")
    check_layout(page, f"/contributions/{gift.pk}/", "ledger-detail")
    check_layout(page, "/contributions/nouvelle/", "ledger-form")
    page.select_option("select[name=kind]", "skills_sponsorship")
    expect(page.locator("input[name=monthly_gross_salary]")).to_be_visible()
    expect(page.locator("input[name=unit_cost]")).to_be_hidden()
    page.select_option("select[name=kind]", "equipment")
    expect(page.locator("input[name=unit_cost]")).to_be_visible()
    expect(page.locator("input[name=monthly_gross_salary]")).to_be_hidden()
