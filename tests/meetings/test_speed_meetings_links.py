"""Links between the event, the registration and the speed-meeting pages, and the provisional-plan e-mail."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from terreau.events.models import Registration, RegistrationChange
from terreau.events.tokens import make_token
from terreau.meetings import plans, services
from terreau.meetings.models import Wish
from tests.factories import BranchFactory, BranchRoleFactory, EventFactory, OrganisationFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    branch = BranchFactory()
    organiser = UserFactory()
    BranchRoleFactory(user=organiser, branch=branch)
    start = timezone.now() + timedelta(days=10)
    event = EventFactory(
        branch=branch, kind="speed_meeting", capacity=10, starts_at=start, ends_at=start + timedelta(hours=2)
    )
    member = UserFactory()
    asso = Registration.objects.create(
        event=event,
        name="Alice Asso",
        email="alice@example.org",
        organisation=OrganisationFactory(branch=branch, name="Les Amis du Clain"),
        user=member,
        status=Registration.Status.CONFIRMED,
    )
    company = Registration.objects.create(
        event=event,
        name="Bruno Boîte",
        email="bruno@example.org",
        organisation=OrganisationFactory(branch=branch, company=True, name="Imprimerie Pictave"),
        status=Registration.Status.CONFIRMED,
    )
    sm = services.speed_meeting_setup(
        event=event,
        data={"rounds": 2, "round_minutes": 15, "break_minutes": 5, "tables": 1, "wishes_deadline": start},
        by=organiser,
    )
    Wish.objects.create(source=asso, target=company, level=Wish.Level.MUST)
    plans.plan_run(sm=sm, by=organiser)
    return {
        "event": event,
        "sm": sm,
        "asso": asso,
        "company": company,
        "member": member,
        "organiser": organiser,
    }


def test_provisional_plan_mails_a_working_agenda_link(world, client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        plans.plan_publish(sm=world["sm"], final=False)
    assert sorted(m.to[0] for m in mail.outbox) == ["alice@example.org", "bruno@example.org"]
    message = next(m for m in mail.outbox if m.to == ["bruno@example.org"])
    assert "provisoire" in message.subject
    assert "1 rendez-vous" in message.body
    # The link mailed is followed as it is (rebuilding it here would sign it again, and its timestamp changes
    # when a second passes between the e-mail and this line on a slow machine).
    expected = services.participant_path(world["company"], "agenda")
    prefix = expected.split("/lien/")[0] + "/lien/"
    found = re.search(re.escape(prefix) + r"[^\s/]+/agenda/", message.body)
    assert found, message.body
    page = client.get(found.group(0)).content.decode()
    assert "Les Amis du Clain" in page and "Planning provisoire" in page


def test_publishing_without_notice_sends_nothing(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        plans.plan_publish(sm=world["sm"], final=False, notify=False)
    assert mail.outbox == []


def test_registration_page_links_to_wishes_and_agenda(world, client):
    token = make_token(world["company"].pk, "manage")
    page = client.get(reverse("events:registration", kwargs={"token": token})).content.decode()
    slug = world["event"].slug
    assert reverse("meetings:wishes_token", kwargs={"slug": slug, "token": token}) in page
    assert reverse("meetings:agenda_token", kwargs={"slug": slug, "token": token}) in page
    assert "avis" not in page  # feedback only once the final plan is out

    # A person on the waiting list has no speed-meeting pages.
    world["company"].status = Registration.Status.WAITLISTED
    world["company"].waitlisted_at = timezone.now()
    world["company"].save()
    page = client.get(reverse("events:registration", kwargs={"token": token})).content.decode()
    assert "souhaits" not in page


def test_event_page_links_participants_only(world, client):
    url = world["event"].get_absolute_url()
    wishes = reverse("meetings:wishes", kwargs={"slug": world["event"].slug})
    client.force_login(UserFactory())
    assert wishes not in client.get(url).content.decode()
    client.force_login(world["member"])
    assert wishes in client.get(url).content.decode()


def test_someone_without_organisation_is_told_why_nobody_is_proposed(world, client):
    loner = Registration.objects.create(
        event=world["event"],
        name="Zoé Seule",
        email="zoe@example.org",
        organisation_name="Collectif libre",
        status=Registration.Status.CONFIRMED,
    )
    url = reverse(
        "meetings:wishes_token", kwargs={"slug": world["event"].slug, "token": make_token(loner.pk, "manage")}
    )
    assert "rattachée à aucune association ni entreprise" in client.get(url).content.decode()


def test_organiser_pages_show_labels_people_understand(world, client):
    RegistrationChange.objects.create(registration=world["company"], to_state="pending")
    plans.plan_publish(sm=world["sm"], final=False, notify=False)  # the absence form comes with it
    client.force_login(world["organiser"])
    planning = client.get(reverse("meetings:planning", kwargs={"slug": world["event"].slug})).content.decode()
    assert "Bruno Boîte — Imprimerie Pictave</option>" in planning
    page = client.get(reverse("events:registrations", kwargs={"slug": world["event"].slug})).content.decode()
    assert "En attente de confirmation par e-mail" in page and "pending" not in page
