"""Reports: sums per program, partner and year (pledged against received, by kind, by partner, contributions
in kind by account), scoped to what the user sees, in two queries; XLSX exports read back with openpyxl; the
panel on the program's page."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from terreau.contributions import reports
from terreau.contributions.models import Contribution
from terreau.core.access import visible
from terreau.directory.models import Membership
from tests.contributions.factories import ContributionFactory, InstalmentFactory, ProgramFactory
from tests.factories import BranchFactory, BranchRoleFactory, MembershipFactory, OrganisationFactory

pytestmark = pytest.mark.django_db

D = Decimal
FORMULA = '=HYPERLINK("http://evil.example","clic")'


@dataclass
class World:
    branch: Any
    program: Any
    company: Any
    volunteers: Any
    recipient: Any
    facilitator: Any
    outsider: Any
    company_member: Any


@pytest.fixture
def world() -> World:
    branch = BranchFactory()
    program = ProgramFactory(branch=branch, name="Silver Test", slug="silver-test")
    company = OrganisationFactory(company=True, branch=branch, name="Entreprise Alpha")
    volunteers = OrganisationFactory(branch=branch, name="Bénévoles Beta")
    recipient = OrganisationFactory(branch=branch, name="Porteur Gamma")
    common = {"branch": branch, "recipient": recipient, "program": program, "pledged_on": date(2026, 9, 1)}
    gift = ContributionFactory(donor=company, amount=D("1000.00"), value=D("1000.00"), **common)
    InstalmentFactory(contribution=gift, amount=D("400.00"), received_on=date(2026, 9, 10))
    kits = ContributionFactory(donor=company, in_kind_equipment=True, description=FORMULA, **common)
    InstalmentFactory(contribution=kits, amount=D("1200.00"), received_on=date(2026, 9, 20))
    Contribution.objects.filter(pk=kits.pk).update(state=Contribution.State.RECEIVED)
    ContributionFactory(donor=volunteers, volunteering=True, **common)  # 237.60, nothing received yet
    ContributionFactory(donor=volunteers, skills_sponsorship=True, **common)  # 1003.85 (871)
    individual = ContributionFactory(
        donor=None, individual_name="Jeanne Particulière", amount=D("50.00"), value=D("50.00"), **common
    )
    InstalmentFactory(contribution=individual, amount=D("50.00"), received_on=date(2026, 9, 2))
    cancelled = ContributionFactory(donor=company, amount=D("999.00"), value=D("999.00"), **common)
    Contribution.objects.filter(pk=cancelled.pk).update(state=Contribution.State.CANCELLED)
    ContributionFactory(
        branch=branch, donor=company, recipient=recipient, pledged_on=date(2026, 9, 1)
    )  # no program
    return World(
        branch=branch,
        program=program,
        company=company,
        volunteers=volunteers,
        recipient=recipient,
        facilitator=BranchRoleFactory(branch=branch).user,
        outsider=MembershipFactory(organisation=OrganisationFactory(), role=Membership.Role.ADMIN).user,
        company_member=MembershipFactory(organisation=company).user,
    )


def test_program_report_sums_pledged_against_received(world, django_assert_max_num_queries):
    seen = visible(world.facilitator, Contribution.objects.all())
    with django_assert_max_num_queries(3):  # two grouped queries (+ the accounts' data file, cached)
        summary = reports.program_report(seen, world.program)
    assert summary.total.pledged == D("1000.00") + D("1200.00") + D("237.60") + D("1003.85") + D("50.00")
    assert summary.total.received == D("1650.00")
    assert summary.total.outstanding == summary.total.pledged - D("1650.00")
    assert summary.total.count == 5
    by_kind = {t.label: (t.pledged, t.received) for t in summary.by_kind}
    assert by_kind["Don financier"] == (D("1050.00"), D("450.00"))
    assert by_kind["Don de matériel"] == (D("1200.00"), D("1200.00"))
    by_donor = {t.label: t.pledged for t in summary.by_donor}
    assert by_donor == {
        "Entreprise Alpha": D("2200.00"),
        "Bénévoles Beta": D("1241.45"),
        "Particuliers": D("50.00"),
    }
    accounts = {t.code: t.pledged for t in summary.accounts}
    assert accounts == {"870": D("237.60"), "871": D("1003.85"), "875": D("1200.00")}
    assert summary.money.pledged == D("1050.00")


def test_reports_are_scoped_to_what_the_user_sees(world):
    mine = reports.program_report(visible(world.company_member, Contribution.objects.all()), world.program)
    assert {t.label for t in mine.by_donor} == {"Entreprise Alpha"}
    assert mine.total.pledged == D("2200.00")
    nothing = reports.program_report(visible(world.outsider, Contribution.objects.all()), world.program)
    assert nothing.rows == [] and nothing.total.pledged == 0


def test_partner_and_year_reports(world, django_assert_max_num_queries):
    seen = visible(world.facilitator, Contribution.objects.all())
    with django_assert_max_num_queries(3):
        given, received = reports.partner_report(seen, world.company)
    assert given.total.pledged == D("3200.00")  # 1000 + 1200 + 1000 outside the program
    assert received.rows == []
    _given, got = reports.partner_report(seen, world.recipient)
    assert got.total.pledged == D("4491.45")
    year = reports.year_report(seen, 2026)
    assert year.total.pledged == D("4491.45")
    assert {t.label: t.pledged for t in reports.by_program(year.rows)} == {
        "Silver Test": D("3491.45"),
        "Hors programme": D("1000.00"),
    }
    assert reports.year_report(seen, 2025).rows == []


def _book(response):
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    return load_workbook(io.BytesIO(response.content))


def test_program_xlsx_opens_and_neutralises_formulas(world, client):
    client.force_login(world.facilitator)
    book = _book(client.get(reverse("contributions:report_program_xlsx", args=[world.program.slug])))
    assert book.sheetnames[:3] == ["Partenaires et natures", "Par nature", "Par partenaire"]
    rows = list(book["Partenaires et natures"].values)
    assert rows[-1][0] == "Total" and D(str(rows[-1][3])) == D("3491.45") and D(str(rows[-1][4])) == D("1650")
    accounts = {r[0]: r for r in book["Contributions en nature"].values}
    assert D(str(accounts["870"][3])) == D("237.6")
    descriptions = [r[5] for r in book["Détail"].values]
    assert "'" + FORMULA in descriptions and FORMULA not in descriptions


def test_partner_and_year_pages_and_exports(world, client):
    client.force_login(world.facilitator)
    page = client.get(reverse("contributions:report_partner", args=[world.company.slug]))
    assert page.status_code == 200 and "Entreprise Alpha" in page.content.decode()
    _book(client.get(reverse("contributions:report_partner_xlsx", args=[world.company.slug])))
    page = client.get(reverse("contributions:report_year", args=[2026]))
    assert page.status_code == 200 and "Silver Test" in page.content.decode()
    book = _book(client.get(reverse("contributions:report_year_xlsx", args=[2026])))
    assert "2026" in book.sheetnames
    assert client.get(reverse("contributions:report_year", args=[1999])).status_code == 404


def test_program_page_panel(world, client):
    url = reverse("programs:detail", args=[world.program.slug])
    client.force_login(world.facilitator)
    html = client.get(url).content.decode()
    assert "Contributions des partenaires" in html and "Contributions volontaires en nature" in html
    assert reverse("contributions:report_program_xlsx", args=[world.program.slug]) in html
    client.force_login(world.outsider)
    response = client.get(url)
    assert "Contributions des partenaires" not in response.content.decode()


def test_program_report_pdf_with_hostile_names(world, client, tmp_path):
    import shutil
    import subprocess

    from pypdf import PdfReader

    hostile = "<img src=x> <b>Gras & <para>Ré</i> =cmd"
    world.company.name = hostile
    world.company.save()
    world.program.name = hostile
    world.program.save()
    client.force_login(world.facilitator)
    response = client.get(reverse("contributions:report_program_pdf", args=[world.program.slug]))
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(response.content)).pages)
    flat = "".join(text.split())
    assert "".join(hostile.split()) in flat
    for expected in ["3491,45€", "1650,00€", "870—Bénévolat", "237,60€", "Particuliers"]:
        assert expected in flat.replace("\u202f", ""), expected
    if shutil.which("pdftoppm"):
        source = tmp_path / "rapport.pdf"
        source.write_bytes(response.content)
        subprocess.run(
            ["pdftoppm", "-png", "-r", "70", "-f", "1", "-l", "1", str(source), str(tmp_path / "r")],
            check=True,
        )
        assert next(tmp_path.glob("r*.png")).stat().st_size > 5000
