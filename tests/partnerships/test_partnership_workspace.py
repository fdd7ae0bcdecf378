"""The partnership workspace (issue 11): after a contact request is accepted, both sides find each other's
contacts, a thread that starts with the request, the stage they move, next steps, documents and their own
pipeline; nobody else reaches any of it."""

from __future__ import annotations

from datetime import date

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from terreau.partnerships import services, workspace
from terreau.partnerships.models import (
    Partnership,
    PartnershipDocument,
    PartnershipMessage,
    PartnershipStep,
)
from tests.factories import (
    BranchFactory,
    BranchRoleFactory,
    MembershipFactory,
    NeedOfferFactory,
    OrganisationFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4 convention de partenariat"


@pytest.fixture
def sides():
    """An association needing tablets and a company offering them, in one branch, each with a member."""
    branch = BranchFactory()
    association = MembershipFactory(
        organisation__branch=branch,
        organisation__name="Les Amis & l'Atelier",
        organisation__email="contact@amis-atelier.example.org",
        organisation__phone="05 49 00 00 01",
    )
    company = MembershipFactory(
        organisation__branch=branch,
        organisation__company=True,
        organisation__name="Numérique Solidaire SAS",
        organisation__website="https://numerique-solidaire.example.com",
        organisation__phone="05 49 00 00 02",
    )
    need = NeedOfferFactory(organisation=association.organisation)
    offer = NeedOfferFactory(organisation=company.organisation, offer=True)
    facilitator = BranchRoleFactory(branch=branch).user
    return association, company, need, offer, facilitator


def _accepted(sides) -> Partnership:
    association, company, need, offer, _facilitator = sides
    request = services.contact_request_create(
        sender=association.organisation,
        recipient=company.organisation,
        need=need,
        offer=offer,
        message="Bonjour, nos résidents ont besoin de tablettes.",
        by=association.user,
    )
    return services.contact_request_accept(request=request, by=company.user, answer="Avec plaisir !")


def test_journey_from_request_to_agreed_next_steps(client, sides, django_capture_on_commit_callbacks):
    association, company, need, offer, facilitator = sides

    # The association's member sends the request.
    client.force_login(association.user)
    client.post(
        reverse("partnerships:propose"),
        {
            "sender": association.organisation.pk,
            "recipient": company.organisation.pk,
            "need": need.pk,
            "offer": offer.pk,
            "message": "Bonjour, nos résidents ont besoin de tablettes.",
        },
    )
    request = association.organisation.contact_requests_sent.get()

    # The company's member accepts with an answer.
    client.force_login(company.user)
    client.post(
        reverse("partnerships:answer", args=[request.pk]), {"decision": "accept", "answer": "Avec plaisir !"}
    )
    partnership = Partnership.objects.get()
    detail = reverse("partnerships:detail", args=[partnership.pk])

    # Both see the other's contacts and the thread opened by the request and its answer.
    bodies = list(partnership.messages.values_list("body", "organisation"))
    assert bodies == [
        ("Bonjour, nos résidents ont besoin de tablettes.", association.organisation.pk),
        ("Avec plaisir !", company.organisation.pk),
    ]
    for member, other_contact in (
        (association, "https://numerique-solidaire.example.com"),
        (company, "contact@amis-atelier.example.org"),
    ):
        client.force_login(member.user)
        page = client.get(detail).content.decode()
        assert other_contact in page
        assert "Bonjour, nos résidents ont besoin de tablettes." in page and "Avec plaisir !" in page

    # The company's member posts a message: the association's member gets an e-mail, not its author.
    client.force_login(company.user)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("partnerships:message", args=[partnership.pk]),
            {"body": "Nous pouvons livrer 10 tablettes & leurs housses."},
        )
    assert response.status_code == 302
    assert [m.to for m in mail.outbox] == [[association.user.email]]
    assert "Nous pouvons livrer 10 tablettes & leurs housses." in mail.outbox[0].body
    assert "Numérique Solidaire SAS" in mail.outbox[0].body
    assert PartnershipMessage.objects.last().organisation == company.organisation

    # The association's member moves the stage, with a note.
    client.force_login(association.user)
    client.post(
        reverse("partnerships:stage", args=[partnership.pk]), {"stage": "discussion", "note": "RDV pris"}
    )
    partnership.refresh_from_db()
    assert partnership.stage == "discussion"
    assert partnership.history.last().by == association.user

    # The company's member adds a next step owned by the association's member, with a date.
    client.force_login(company.user)
    response = client.post(
        reverse("partnerships:step_add", args=[partnership.pk]),
        {"title": "Préparer la convention", "owner": association.user.pk, "due_date": "2026-12-15"},
    )
    assert response.status_code == 302
    step = PartnershipStep.objects.get()
    assert (step.owner, step.due_date) == (association.user, date(2026, 12, 15))

    # The facilitator follows and corrects the stage.
    client.force_login(facilitator)
    client.post(reverse("partnerships:stage", args=[partnership.pk]), {"stage": "agreement"})
    client.post(
        reverse("partnerships:stage", args=[partnership.pk]), {"stage": "discussion", "note": "Trop tôt"}
    )
    partnership.refresh_from_db()
    assert partnership.stage == "discussion"
    page = client.get(detail).content.decode()
    assert "Accord → Discussion" in page and "Prise de contact → Discussion" in page
    assert "15 décembre 2026" in page
    assert ">discussion<" not in page and "agreement" not in page.replace('value="agreement"', "")

    # The company's member finds it in their own pipeline.
    client.force_login(company.user)
    response = client.get(reverse("partnerships:board"))
    assert response.status_code == 200
    board = response.content.decode()
    assert detail in board
    assert response.context["pipeline"].total == 1
    # Months in French words ("décembre 2026"), never "2026-12".
    opened = timezone.localtime(partnership.created_at)
    assert date_format(opened, "F Y") in board
    assert opened.strftime("%Y-%m") not in board


def test_a_member_marks_a_step_done_and_shares_a_document(client, sides):
    association, company, *_ = sides
    partnership = _accepted(sides)
    step = workspace.step_add(partnership=partnership, title="Signer", owner=company.user, by=company.user)
    client.force_login(association.user)
    client.post(reverse("partnerships:step_done", args=[partnership.pk, step.pk]), {"done": "1"})
    step.refresh_from_db()
    assert step.done

    upload = SimpleUploadedFile("convention.pdf", PDF, content_type="application/pdf")
    client.post(
        reverse("partnerships:document_upload", args=[partnership.pk]),
        {"title": "Convention", "file": upload},
    )
    document = PartnershipDocument.objects.get()
    client.force_login(company.user)
    response = client.get(reverse("partnerships:document", args=[partnership.pk, document.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF

    fake = SimpleUploadedFile("virus.pdf", b"MZ not a pdf", content_type="application/pdf")
    response = client.post(
        reverse("partnerships:document_upload", args=[partnership.pk]), {"file": fake}, follow=True
    )
    assert "ne correspond pas" in response.content.decode()
    assert PartnershipDocument.objects.count() == 1


def test_a_step_owner_must_belong_to_a_partner(sides):
    *_rest, facilitator = sides
    partnership = _accepted(sides)
    with pytest.raises(Exception, match="membre de l'une des structures"):
        workspace.step_add(partnership=partnership, title="Relancer", owner=UserFactory(), by=facilitator)


def _urls(partnership: Partnership) -> dict[str, tuple[str, dict]]:
    step = workspace.step_add(partnership=partnership, title="Relancer", by=None)
    document = workspace.document_add(
        partnership=partnership,
        title="Convention",
        upload=SimpleUploadedFile("convention.pdf", PDF, content_type="application/pdf"),
        by=None,
    )
    pk = partnership.pk
    return {
        "detail": ("get", reverse("partnerships:detail", args=[pk])),
        "document": ("get", reverse("partnerships:document", args=[pk, document.pk])),
        "stage": ("post", reverse("partnerships:stage", args=[pk]), {"stage": "discussion"}),
        "message": ("post", reverse("partnerships:message", args=[pk]), {"body": "Intrusion"}),
        "step_add": ("post", reverse("partnerships:step_add", args=[pk]), {"title": "Intrusion"}),
        "step_done": ("post", reverse("partnerships:step_done", args=[pk, step.pk]), {"done": "1"}),
        "document_upload": (
            "post",
            reverse("partnerships:document_upload", args=[pk]),
            {"file": SimpleUploadedFile("x.pdf", PDF)},
        ),
    }


@pytest.mark.parametrize("who", ["stranger", "member_elsewhere", "other_facilitator"])
def test_outsiders_get_404_on_every_workspace_url(client, sides, who):
    partnership = _accepted(sides)
    user = {
        "stranger": lambda: UserFactory(),
        "member_elsewhere": lambda: MembershipFactory(organisation__branch=partnership.branch).user,
        "other_facilitator": lambda: BranchRoleFactory().user,
    }[who]()
    client.force_login(user)
    for name, (method, url, *data) in _urls(partnership).items():
        response = getattr(client, method)(url, *data)
        assert response.status_code == 404, name
    partnership.refresh_from_db()
    assert partnership.stage == "contact"
    assert not partnership.messages.filter(body="Intrusion").exists()
    assert not partnership.steps.filter(title="Intrusion").exists()
    assert partnership.documents.count() == 1


def test_a_member_cannot_post_on_someone_elses_partnership(client, sides):
    association, *_ = sides
    mine = _accepted(sides)
    others = Partnership.objects.create(branch=mine.branch, title="Autres × Encore")
    others.partners.add(OrganisationFactory(branch=mine.branch), OrganisationFactory(branch=mine.branch))
    client.force_login(association.user)
    response = client.post(reverse("partnerships:message", args=[others.pk]), {"body": "Coucou"})
    assert response.status_code == 404
    assert not others.messages.exists()
    # Their own pipeline lists theirs only.
    listed = list(client.get(reverse("partnerships:board")).context["page"])
    assert listed == [mine]


def test_staff_message_reaches_both_sides(sides, django_capture_on_commit_callbacks):
    association, company, *_rest, facilitator = sides
    partnership = _accepted(sides)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        message = workspace.message_post(
            partnership=partnership, body="Point d'étape jeudi ?", by=facilitator
        )
    assert message.organisation is None
    assert sorted(m.to[0] for m in mail.outbox) == sorted([association.user.email, company.user.email])
    assert "L'antenne a écrit" in mail.outbox[0].body


def test_an_empty_message_is_refused_in_french(client, sides):
    association, *_ = sides
    partnership = _accepted(sides)
    client.force_login(association.user)
    response = client.post(
        reverse("partnerships:message", args=[partnership.pk]), {"body": "   "}, follow=True
    )
    assert partnership.messages.count() == 2
    assert "Ce champ est obligatoire" in response.content.decode()


@pytest.mark.parametrize("value", ["abc", "99999999999999999999", "x" * 6000, "2024-02-31", "1900-01-01"])
def test_garbage_posts_get_french_messages_never_500(client, sides, value):
    association, *_ = sides
    partnership = _accepted(sides)
    client.raise_request_exception = False
    client.force_login(association.user)
    posts = {
        "stage": {"stage": value, "note": value},
        "message": {"body": value},
        "step_add": {"title": value, "owner": value, "due_date": value},
        "document_upload": {"title": value},
    }
    for name, data in posts.items():
        response = client.post(reverse(f"partnerships:{name}", args=[partnership.pk]), data)
        assert response.status_code == 302, name
    response = client.post(reverse("partnerships:step_done", args=[partnership.pk, 999999]), {"done": value})
    assert response.status_code == 404
    partnership.refresh_from_db()
    assert partnership.stage == "contact" and not partnership.steps.exists()


def test_an_implausible_due_date_is_refused_in_french(client, sides):
    association, *_ = sides
    partnership = _accepted(sides)
    client.force_login(association.user)
    response = client.post(
        reverse("partnerships:step_add", args=[partnership.pk]),
        {"title": "Relancer", "due_date": "9999-01-01"},
        follow=True,
    )
    assert "Indiquez une date entre 2000 et" in response.content.decode()
    assert not partnership.steps.exists()
