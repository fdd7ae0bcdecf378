"""The donor's page "Nos contributions": who sees it, the year asked for, the estimate and the turnover."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest
from django.urls import reverse

from terreau.contributions.estimate_models import DonorYear, received_gifts_by_year
from terreau.contributions.models import Contribution, Kind
from tests.contributions.factories import ContributionFactory, InstalmentFactory
from tests.factories import BranchFactory, BranchRoleFactory, MembershipFactory, OrganisationFactory

pytestmark = pytest.mark.django_db
NB = "\xa0"
YEAR = date.today().year


@pytest.fixture
def world():
    branch = BranchFactory()
    company = OrganisationFactory(company=True, branch=branch, name="Entreprise Alpha")
    other_company = OrganisationFactory(company=True, branch=branch, name="Entreprise Beta")
    association = OrganisationFactory(branch=branch, name="Association Gamma")
    gift = ContributionFactory(
        branch=branch,
        donor=company,
        recipient=association,
        amount=D("30000.00"),
        value=D("30000.00"),
        pledged_on=date(YEAR, 1, 2),
        state=Contribution.State.RECEIVED,
        description="Financement des ateliers",
    )
    InstalmentFactory(contribution=gift, amount=D("30000.00"), received_on=date(YEAR, 1, 3))
    ContributionFactory(
        branch=branch,
        donor=company,
        recipient=association,
        volunteering=True,
        pledged_on=date(YEAR, 1, 2),
        description="Ateliers animés par des salariés bénévoles",
    )
    ContributionFactory(
        branch=branch, donor=other_company, recipient=association, amount=D("777.00"), value=D("777.00")
    )
    return {
        "branch": branch,
        "company": company,
        "other": other_company,
        "member": MembershipFactory(organisation=company).user,
        "other_member": MembershipFactory(organisation=other_company).user,
        "association_member": MembershipFactory(organisation=association).user,
        "facilitator": BranchRoleFactory(branch=branch).user,
        "other_facilitator": BranchRoleFactory(branch=BranchFactory()).user,
    }


def url(org, **query):
    base = reverse("contributions:donor_estimate", args=[org.slug])
    return base + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def test_the_company_member_sees_its_contributions_and_the_estimate(client, world):
    client.force_login(world["member"])
    response = client.get(url(world["company"]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Financement des ateliers" in html
    assert "2 contributions" in html
    assert "Estimation, non contractuelle" in html
    # 30 000 € received, no turnover: cap 20 000 €, reduction 12 000 €, 10 000 € carried forward.
    assert f"12{NB}000,00{NB}€" in html
    assert f"10{NB}000,00{NB}€" in html and "reportables" in html
    assert "777" not in html  # the other company's gift


@pytest.mark.parametrize("who", ["other_member", "association_member", "other_facilitator"])
def test_others_get_404(client, world, who):
    client.force_login(world[who])
    assert client.get(url(world["company"])).status_code == 404
    assert client.post(url(world["company"]), {"annee": YEAR, "turnover": "1"}).status_code == 404
    assert not DonorYear.objects.exists()


def test_anonymous_is_sent_to_login(client, world):
    response = client.get(url(world["company"]))
    assert (
        response.status_code == 302 and "login" in response["Location"] or "connexion" in response["Location"]
    )


def test_branch_staff_see_any_organisation_of_their_branch(client, world):
    client.force_login(world["facilitator"])
    assert client.get(url(world["other"])).status_code == 200
    assert client.get(url(world["company"])).status_code == 200


@pytest.mark.parametrize(
    "raw", ["abc", "", "-1", "99999999999999999999", "1850", "2026.5", "%00", str(YEAR + 50)]
)
def test_bad_years_show_the_current_year(client, world, raw):
    client.force_login(world["member"])
    response = client.get(url(world["company"]), {"annee": raw})
    assert response.status_code == 200
    assert response.context["year"] == YEAR


def test_another_year(client, world):
    client.force_login(world["member"])
    response = client.get(url(world["company"]), {"annee": YEAR - 1})
    assert response.status_code == 200
    assert "Aucune contribution cette année." in response.content.decode()


def test_turnover_entered_raises_the_cap(client, world):
    client.force_login(world["member"])
    response = client.post(url(world["company"]), {"annee": YEAR, "turnover": "10 000 000,00"})
    assert response.status_code == 302
    stored = DonorYear.objects.get(organisation=world["company"], year=YEAR)
    assert stored.turnover == D("10000000.00") and stored.entered_by == world["member"]
    html = client.get(url(world["company"], annee=YEAR)).content.decode()
    # Cap 50 000 € (0.5 % of 10 M€): the whole 30 000 € at 60 % = 18 000 €.
    assert f"18{NB}000,00{NB}€" in html
    assert f"50{NB}000,00{NB}€" in html


@pytest.mark.parametrize("raw", ["-5", "abc", ""])
def test_bad_turnover_is_refused_in_french(client, world, raw):
    client.force_login(world["member"])
    response = client.post(url(world["company"]), {"annee": YEAR, "turnover": raw})
    assert response.status_code == 200
    assert not DonorYear.objects.exists()
    assert response.context["form"].errors


def test_my_contributions_goes_to_the_members_organisation(client, world):
    client.force_login(world["member"])
    response = client.get(reverse("contributions:my_contributions"))
    assert response.status_code == 302 and response["Location"].endswith(url(world["company"]))
    client.force_login(world["facilitator"])
    assert client.get(reverse("contributions:my_contributions")).status_code == 200


def test_only_received_receiptable_gifts_count(world):
    company = world["company"]
    ContributionFactory(
        branch=world["branch"],
        donor=company,
        recipient=OrganisationFactory(branch=world["branch"]),
        amount=D("5"),
    )  # pledged only
    ContributionFactory(
        branch=world["branch"],
        donor=company,
        recipient=OrganisationFactory(branch=world["branch"]),
        kind=Kind.GRANT,
        state=Contribution.State.RECEIVED,
    )
    assert received_gifts_by_year(company) == {YEAR: D("30000.00")}
