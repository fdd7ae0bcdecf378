"""Agreements: creation from the ledger and from a partnership, signature by each party's administrators only,
the page, and the PDF read back with pypdf (hostile text stays text)."""

from __future__ import annotations

import io
import shutil
import subprocess
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from pypdf import PdfReader

from terreau.contributions import agreements
from terreau.contributions.agreement_models import Agreement, AgreementSignature
from terreau.contributions.agreement_pdf import agreement_pdf
from terreau.contributions.models import Contribution, Counterpart
from terreau.directory.models import Membership
from terreau.partnerships.models import Partnership
from tests.contributions.factories import ContributionFactory, InstalmentFactory
from tests.factories import BranchFactory, BranchRoleFactory, MembershipFactory, OrganisationFactory

pytestmark = pytest.mark.django_db

HOSTILE = '<img src="file:///etc/passwd"/><b>Gras</b> & <para>'


@dataclass
class World:
    branch: Any
    company: Any
    association: Any
    other: Any
    company_admin: Any
    association_admin: Any
    association_member: Any
    outsider_admin: Any
    facilitator: Any
    gift: Contribution
    kits: Contribution


@pytest.fixture
def world() -> World:
    branch = BranchFactory()
    company = OrganisationFactory(company=True, branch=branch, name="Entreprise Numérique", siren="552100554")
    association = OrganisationFactory(branch=branch, name="Association Silver", rna="W863001234")
    other = OrganisationFactory(branch=branch, name="Autre structure")
    admin = Membership.Role.ADMIN
    company_admin = MembershipFactory(organisation=company, role=admin, job_title="Directrice RSE").user
    association_admin = MembershipFactory(organisation=association, role=admin).user
    association_member = MembershipFactory(organisation=association).user
    outsider_admin = MembershipFactory(organisation=other, role=admin).user
    facilitator = BranchRoleFactory(branch=branch).user
    gift = ContributionFactory(
        branch=branch,
        donor=company,
        recipient=association,
        kind="sponsorship",
        amount=Decimal("5000.00"),
        value=Decimal("5000.00"),
        pledged_on=date(2026, 9, 1),
    )
    kits = ContributionFactory(
        branch=branch,
        donor=company,
        recipient=association,
        in_kind_equipment=True,
        pledged_on=date(2026, 9, 15),
    )
    InstalmentFactory(contribution=gift, amount=Decimal("2000.00"), received_on=date(2026, 10, 1))
    Counterpart.objects.create(
        contribution=gift, kind="visibility", description="Logo sur les kits", value=Decimal("300.00")
    )
    return World(
        branch,
        company,
        association,
        other,
        company_admin,
        association_admin,
        association_member,
        outsider_admin,
        facilitator,
        gift,
        kits,
    )


def _create(w: World, **kw) -> Agreement:
    data = {
        "kind": Agreement.Kind.SPONSORSHIP,
        "donor": w.company,
        "recipient": w.association,
        "purpose": "Soutenir les ateliers numériques des seniors.",
        "contributions": [w.gift, w.kits],
        "starts_on": date(2026, 9, 1),
        "ends_on": date(2027, 8, 31),
        "by": w.facilitator,
    }
    data.update(kw)
    return agreements.agreement_create(**data)


def test_create_names_contributions_and_starts_history(world):
    agreement = _create(world)
    assert agreement.state == Agreement.State.DRAFT
    assert set(agreement.contributions.all()) == {world.gift, world.kits}
    assert agreement.history.get().to_state == "draft"
    assert agreement.title.startswith("Convention de mécénat")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"contributions": []}, "au moins une contribution"),
        ({"ends_on": date(2026, 1, 1)}, "ne peut pas précéder"),
        ({"purpose": "  "}, "obligatoire"),
        ({"donor": "other"}, "n'est pas une contribution"),
        ({"recipient": "company"}, "deux structures différentes"),
        ({"by": "outsider_admin"}, "Seuls l'antenne"),
        ({"kind": "vente"}, "Type de convention inconnu"),
    ],
)
def test_create_refuses_bad_input_and_writes_nothing(world, change, message):
    kw = {k: getattr(world, v) if isinstance(v, str) and hasattr(world, v) else v for k, v in change.items()}
    with pytest.raises(ValidationError) as exc:
        _create(world, **kw)
    assert message in " ".join(exc.value.messages)
    assert not Agreement.objects.exists()


def test_cancelled_contribution_refused(world):
    Contribution.objects.filter(pk=world.kits.pk).update(state=Contribution.State.CANCELLED)
    with pytest.raises(ValidationError, match="annulée"):
        _create(world)


def test_each_party_signs_through_an_admin_then_signed(world):
    agreement = _create(world)
    first = agreements.agreement_sign(agreement=agreement, organisation=world.company, by=world.company_admin)
    assert first.signer_role == "Directrice RSE"
    agreement.refresh_from_db()
    assert agreement.state == Agreement.State.DRAFT
    agreements.agreement_sign(
        agreement=agreement,
        organisation=world.association,
        by=world.association_admin,
        signer_name="Jeanne Présidente",
        signer_role="Présidente",
    )
    agreement.refresh_from_db()
    assert agreement.state == Agreement.State.SIGNED and agreement.signed_at is not None
    assert [h.to_state for h in agreement.history.all()] == ["draft", "signed"]
    with pytest.raises(ValidationError, match="déjà signée"):
        agreements.agreement_sign(agreement=agreement, organisation=world.company, by=world.company_admin)


@pytest.mark.parametrize(
    ("who", "org", "message"),
    [
        ("outsider_admin", "other", "n'est pas partie"),
        ("outsider_admin", "association", "Seul un administrateur"),
        ("association_member", "association", "Seul un administrateur"),
        ("facilitator", "association", "Seul un administrateur"),
        ("company_admin", "association", "Seul un administrateur"),
    ],
)
def test_signature_refused_to_non_party_or_non_admin(world, who, org, message):
    agreement = _create(world)
    with pytest.raises(ValidationError, match=message):
        agreements.agreement_sign(
            agreement=agreement, organisation=getattr(world, org), by=getattr(world, who)
        )
    assert not AgreementSignature.objects.exists()


def test_signing_twice_refused(world):
    agreement = _create(world)
    agreements.agreement_sign(agreement=agreement, organisation=world.company, by=world.company_admin)
    with pytest.raises(ValidationError, match="a déjà signé"):
        agreements.agreement_sign(agreement=agreement, organisation=world.company, by=world.company_admin)


def test_from_partnership_page_and_post(world, client):
    partnership = Partnership.objects.create(branch=world.branch, title="Mécénat numérique")
    partnership.partners.set([world.company, world.association])
    Contribution.objects.filter(pk=world.gift.pk).update(partnership=partnership)
    client.force_login(world.association_admin)
    url = reverse("contributions:agreement_create") + f"?partnership={partnership.pk}"
    page = client.get(url)
    assert page.status_code == 200 and "Mécénat numérique" in page.content.decode()
    response = client.post(
        url,
        {
            "kind": "partnership",
            "donor": world.company.pk,
            "recipient": world.association.pk,
            "purpose": "Objet",
            "contributions": [world.gift.pk],
            "starts_on": "2026-09-01",
            "ends_on": "2027-08-31",
        },
    )
    agreement = Agreement.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "contributions:agreement", args=[agreement.pk]
    )
    assert agreement.partnership == partnership and agreement.kind == "partnership"


def test_from_contributions_page(world, client):
    client.force_login(world.company_admin)
    url = (
        reverse("contributions:agreement_create")
        + f"?contribution={world.gift.pk}&contribution={world.kits.pk}"
    )
    page = client.get(url)
    assert page.status_code == 200
    assert client.get(reverse("contributions:agreement_create")).status_code == 404
    client.force_login(world.outsider_admin)
    assert client.get(url).status_code == 404


def test_detail_sign_post_and_outsider(world, client):
    agreement = _create(world)
    url = reverse("contributions:agreement", args=[agreement.pk])
    client.force_login(world.company_admin)
    page = client.get(url).content.decode()
    assert "Signer au nom de Entreprise Numérique" in page
    response = client.post(
        reverse("contributions:agreement_sign", args=[agreement.pk]), {"organisation": world.company.pk}
    )
    assert response.status_code == 302
    assert agreement.signatures.filter(organisation=world.company).exists()
    partner_page = client.get(
        reverse("contributions:report_partner", args=[world.company.slug])
    ).content.decode()
    assert reverse("contributions:agreement", args=[agreement.pk]) in partner_page
    client.force_login(world.outsider_admin)
    assert client.get(url).status_code == 404
    assert (
        client.post(
            reverse("contributions:agreement_sign", args=[agreement.pk]), {"organisation": world.other.pk}
        ).status_code
        == 404
    )
    client.force_login(world.association_member)  # sees it, may not sign
    client.post(
        reverse("contributions:agreement_sign", args=[agreement.pk]), {"organisation": world.association.pk}
    )
    assert not agreement.signatures.filter(organisation=world.association).exists()


def _text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def test_pdf_says_parties_contributions_counterparts_duration_signatures(world):
    agreement = _create(world)
    agreements.agreement_sign(agreement=agreement, organisation=world.company, by=world.company_admin)
    pdf = agreement_pdf(agreement)
    text = _text(pdf)
    for expected in [
        "Convention de mécénat",
        "Entreprise Numérique",
        "SIREN 552100554",
        "RNA W863001234",
        "Soutenir les ateliers numériques",
        "Dix tablettes reconditionnées",
        "5 000,00 €",
        "1 200,00 €",
        "6 200,00 €",
        "2 000,00 €",
        "Logo sur les kits",
        "300,00 €",
        "12 mois",
        "Directrice RSE",
        "en attente",
        "Versement reçu : 2 000,00 €",
    ]:
        assert expected in text.replace("\xa0", " "), expected


def test_pdf_with_hostile_text(world, client):
    """Markup, long words and emoji in every typed field, through the view: said literally, never as markup."""
    long_word = "Anticonstitutionnellement" * 5
    Contribution.objects.filter(pk=world.gift.pk).update(description=HOSTILE + " 🌱 " + long_word)
    Counterpart.objects.filter(contribution=world.gift).update(description=HOSTILE)
    world.company.name = HOSTILE
    world.company.save()
    agreement = _create(world, purpose=HOSTILE + long_word, title=HOSTILE[:200], schedule=HOSTILE)
    agreements.agreement_sign(
        agreement=agreement, organisation=world.association, by=world.association_admin, signer_name=HOSTILE
    )
    client.force_login(world.association_admin)
    response = client.get(reverse("contributions:agreement_pdf", args=[agreement.pk]))
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    text = "".join(_text(response.content).split())
    assert "".join(HOSTILE.split()) in text and long_word in text


def test_pdf_page_renders(world, tmp_path, client):
    """One page rendered to PNG (pdftoppm) to look at: not blank."""
    agreement = _create(world)
    client.force_login(world.association_admin)
    response = client.get(reverse("contributions:agreement_pdf", args=[agreement.pk]))
    assert response["Content-Type"] == "application/pdf"
    if shutil.which("pdftoppm") is None:
        pytest.skip("pdftoppm missing")
    source = tmp_path / "convention.pdf"
    source.write_bytes(response.content)
    subprocess.run(
        ["pdftoppm", "-png", "-r", "70", "-f", "1", "-l", "1", str(source), str(tmp_path / "p")], check=True
    )
    png = next(tmp_path.glob("p*.png"))
    assert png.stat().st_size > 5000


GARBAGE = ["abc", "-1", "0", "99999999999999999999", "x" * 300, "%00"]


def test_garbage_never_answers_500(world, client):
    agreement = _create(world)
    client.force_login(world.facilitator)
    base = reverse("contributions:agreement_create")
    paths = [f"{base}?{key}={value}" for key in ("partnership", "contribution") for value in GARBAGE]
    paths += [f"/contributions/conventions/{value}/" for value in ("99999999999999999999", "0")] + [
        "/contributions/rapports/annee/99999999999999999999/",
        "/contributions/rapports/programme/" + "a" * 300 + "/",
    ]
    for path in paths:
        assert client.get(path).status_code < 500, path
    sign = reverse("contributions:agreement_sign", args=[agreement.pk])
    for value in GARBAGE:
        assert client.post(sign, {"organisation": value, "signer_name": value * 50}).status_code < 500
        response = client.post(
            f"{base}?contribution={world.gift.pk}",
            dict.fromkeys(
                ["kind", "donor", "recipient", "purpose", "contributions", "starts_on", "ends_on"], value
            ),
        )
        assert response.status_code < 500
    assert not agreement.signatures.exists() and Agreement.objects.count() == 1
