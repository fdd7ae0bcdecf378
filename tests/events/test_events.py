"""Events: registration states, capacity, waiting list, links, e-mails, check-in, exports, certificate."""

from __future__ import annotations

import re
from datetime import timedelta
from unittest import mock

import pytest
from django.core import mail, signing
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from terreau.events import services, tokens
from terreau.events.models import Event, Registration, WorkshopItem
from tests.factories import (
    BranchRoleFactory,
    EventFactory,
    MembershipFactory,
    OrganisationFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db
S = Registration.Status


@pytest.fixture(autouse=True)
def _mail_at_once(monkeypatch):
    """Tests run inside a transaction that never commits: run on-commit callbacks (e-mails) at once.
    test_emails_leave_only_after_commit checks the real behaviour."""
    from django.db import transaction

    monkeypatch.setattr(transaction, "on_commit", lambda func, using=None, robust=False: func())


def test_emails_leave_only_after_commit(django_capture_on_commit_callbacks, monkeypatch):
    monkeypatch.undo()  # the real transaction.on_commit
    event = EventFactory()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.registration_create(event=event, name="A", email="a@example.org")
    assert len(mail.outbox) == 0 and len(callbacks) == 1
    callbacks[0]()
    assert len(mail.outbox) == 1


def register(event, email, name="Camille Dupont", **kw):
    return services.registration_create(event=event, name=name, email=email, **kw)


def confirmed(event, email, **kw):
    registration = register(event, email, **kw)
    return services.registration_confirm(registration=registration)


def link_from(message, pattern: str) -> str:
    match = re.search(r"https?://[^/\s]+(/rencontres/" + pattern + r"[^\s]*)", message.body)
    assert match, message.body
    return match.group(1)


def test_anonymous_registration_waits_for_email_confirmation():
    event = EventFactory()
    registration = register(event, "Camille@Example.org")
    assert registration.status == S.PENDING
    assert registration.email == "camille@example.org"
    assert event.seats_taken() == 0
    assert len(mail.outbox) == 1 and "Confirmez" in mail.outbox[0].subject
    registration = services.registration_confirm(registration=registration)
    assert registration.status == S.CONFIRMED
    assert [h.to_state for h in registration.history.all()] == ["pending", "confirmed"]


def test_signed_in_user_with_account_email_is_confirmed_at_once():
    user = UserFactory(email="membre@example.org")
    event = EventFactory()
    registration = register(event, "membre@example.org", user=user)
    assert registration.status == S.CONFIRMED
    assert registration.user == user


def test_capacity_then_waiting_list_then_promotion_on_cancel():
    event = EventFactory(capacity=2)
    a = confirmed(event, "a@example.org")
    b = confirmed(event, "b@example.org")
    c = confirmed(event, "c@example.org")
    d = confirmed(event, "d@example.org")
    assert (a.status, b.status, c.status, d.status) == (S.CONFIRMED, S.CONFIRMED, S.WAITLISTED, S.WAITLISTED)
    mail.outbox.clear()
    services.registration_cancel(registration=a)
    c.refresh_from_db()
    d.refresh_from_db()
    assert c.status == S.CONFIRMED and d.status == S.WAITLISTED
    assert event.seats_taken() == 2
    promoted = [m for m in mail.outbox if m.to == ["c@example.org"]]
    assert promoted and "place s'est libérée" in promoted[0].subject
    assert promoted[0].attachments[0][0] == "rencontre.ics"
    assert [h.to_state for h in c.history.all()] == ["pending", "waitlisted", "confirmed"]
    assert "liste d'attente" in c.history.last().note


def test_cancelling_a_waitlisted_person_promotes_nobody():
    event = EventFactory(capacity=1)
    confirmed(event, "a@example.org")
    b = confirmed(event, "b@example.org")
    c = confirmed(event, "c@example.org")
    services.registration_cancel(registration=b)
    c.refresh_from_db()
    assert c.status == S.WAITLISTED


def test_raising_capacity_promotes_the_waiting_list():
    event = EventFactory(capacity=1)
    confirmed(event, "a@example.org")
    b = confirmed(event, "b@example.org")
    event.capacity = 2
    services.event_save(event=event)
    b.refresh_from_db()
    assert b.status == S.CONFIRMED


def test_double_registration_is_refused_in_french():
    event = EventFactory()
    confirmed(event, "a@example.org")
    with pytest.raises(ValidationError, match="déjà inscrite"):
        register(event, "A@example.org ")
    assert event.registrations.count() == 1


def test_double_pending_registration_resends_the_confirmation():
    event = EventFactory()
    register(event, "a@example.org")
    with pytest.raises(ValidationError, match="renvoyé"):
        register(event, "a@example.org")
    assert event.registrations.count() == 1
    assert len(mail.outbox) == 2


def test_registering_again_after_cancelling_is_allowed():
    event = EventFactory()
    a = confirmed(event, "a@example.org")
    services.registration_cancel(registration=a)
    again = confirmed(event, "a@example.org")
    assert again.pk != a.pk and again.status == S.CONFIRMED


def test_registration_after_the_deadline_is_refused():
    event = EventFactory(registration_deadline=timezone.now() - timedelta(hours=1))
    with pytest.raises(ValidationError, match="date limite"):
        register(event, "a@example.org")
    assert not event.registrations.exists()


def test_unpublished_event_refuses_registrations():
    event = EventFactory(is_published=False)
    with pytest.raises(ValidationError):
        register(event, "a@example.org")


def test_audience_restricted_to_associations_refuses_a_company():
    event = EventFactory(audience=Event.Audience.ASSOCIATIONS)
    company = OrganisationFactory(company=True)
    with pytest.raises(ValidationError, match="réservée aux associations"):
        register(event, "a@example.org", organisation=company)


@pytest.mark.parametrize(
    ("audience", "side", "refused"),
    [
        (Event.Audience.COMPANIES, "association", "réservée aux entreprises"),
        (Event.Audience.COMPANIES, "other", "réservée aux entreprises"),
        (Event.Audience.ASSOCIATIONS, "company", "réservée aux associations"),
        (Event.Audience.COMPANIES, "company", None),
        (Event.Audience.ASSOCIATIONS, "association", None),
    ],
)
def test_audience_applies_to_the_side_declared_without_an_organisation(audience, side, refused):
    event = EventFactory(audience=audience)
    if refused:
        with pytest.raises(ValidationError, match=refused):
            register(event, "a@example.org", side=side)
        assert not event.registrations.exists()
    else:
        register(event, "a@example.org", side=side)
        assert event.registrations.get().side == side


def test_invalid_transitions_are_refused():
    event = EventFactory()
    a = confirmed(event, "a@example.org")
    services.registration_cancel(registration=a)
    a.refresh_from_db()
    with pytest.raises(ValidationError):
        services.registration_check_in(registration=a, by=None)
    assert a.status == S.CANCELLED


def test_event_end_must_follow_start_at_database_level():
    from django.db import IntegrityError, transaction

    event = EventFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Event.objects.filter(pk=event.pk).update(ends_at=event.starts_at)


# --- links ----------------------------------------------------------------------------------------


def test_confirmation_link_from_the_email(client):
    event = EventFactory()
    registration = register(event, "a@example.org")
    path = link_from(mail.outbox[0], "inscription/confirmer/")
    response = client.get(path)
    assert response.status_code == 200 and "Je confirme" in response.content.decode()
    registration.refresh_from_db()
    assert registration.status == S.PENDING  # a GET (link scanner) changes nothing
    response = client.post(path)
    assert response.status_code == 302
    registration.refresh_from_db()
    assert registration.status == S.CONFIRMED
    page = client.get(response.url)
    assert "<svg" in page.content.decode() and "Confirmée" in page.content.decode()


@pytest.mark.parametrize("mangle", [lambda t: t[:-2] + "xx", lambda t: "n" + t, lambda t: "abc"])
def test_tampered_cancellation_link_changes_nothing(client, mangle):
    event = EventFactory()
    registration = confirmed(event, "a@example.org")
    token = mangle(tokens.make_token(registration.pk, "manage"))
    response = client.post(reverse("events:cancel", kwargs={"token": token}))
    assert response.status_code == 400
    assert "n'est pas valide" in response.content.decode()
    registration.refresh_from_db()
    assert registration.status == S.CONFIRMED


def test_link_for_another_purpose_is_refused(client):
    event = EventFactory()
    registration = register(event, "a@example.org")
    token = tokens.make_token(registration.pk, "checkin")
    response = client.post(reverse("events:confirm", kwargs={"token": token}))
    assert response.status_code == 400
    registration.refresh_from_db()
    assert registration.status == S.PENDING


def test_expired_confirmation_link_shows_a_french_page(client):
    event = EventFactory()
    registration = register(event, "a@example.org")
    old = timezone.now().timestamp() - tokens.MAX_AGE["confirm"] - 60
    with mock.patch("django.core.signing.time.time", return_value=old):
        token = tokens.make_token(registration.pk, "confirm")
    response = client.post(reverse("events:confirm", kwargs={"token": token}))
    assert response.status_code == 400 and "a expiré" in response.content.decode()
    registration.refresh_from_db()
    assert registration.status == S.PENDING


def test_token_of_another_salt_is_refused():
    forged = signing.dumps({"r": 1, "p": "manage"}, salt="other")
    with pytest.raises(tokens.BadLink):
        tokens.read_token(forged, "manage")


def test_cancellation_link_cancels_and_promotes(client):
    event = EventFactory(capacity=1)
    a = confirmed(event, "a@example.org")
    b = confirmed(event, "b@example.org")
    token = tokens.make_token(a.pk, "manage")
    assert client.get(reverse("events:cancel", kwargs={"token": token})).status_code == 200
    a.refresh_from_db()
    assert a.status == S.CONFIRMED
    client.post(reverse("events:cancel", kwargs={"token": token}))
    a.refresh_from_db()
    b.refresh_from_db()
    assert a.status == S.CANCELLED and b.status == S.CONFIRMED


# --- e-mails --------------------------------------------------------------------------------------


def test_confirmation_email_carries_a_valid_ics():
    event = EventFactory(title="Rencontre Silver Geek")
    confirmed(event, "a@example.org")
    message = mail.outbox[-1]
    assert "confirmée" in message.subject
    name, content, mimetype = message.attachments[0]
    assert name == "rencontre.ics" and mimetype.startswith("text/calendar")
    cal = Calendar.from_ical(content)
    vevent = next(iter(cal.walk("VEVENT")))
    assert str(vevent["SUMMARY"]) == "Rencontre Silver Geek"
    assert vevent.decoded("DTSTART") == event.starts_at.replace(microsecond=0)
    assert vevent.decoded("DTEND") == event.ends_at.replace(microsecond=0)
    assert str(vevent["ORGANIZER"]) == "mailto:ne-pas-repondre@terreau.localhost"
    assert "Poitiers" in str(vevent["LOCATION"])
    assert "/rencontres/inscription/" in message.body  # link to the QR code page
    assert "/annuler/" in message.body


def test_waitlisted_email_has_no_ics():
    event = EventFactory(capacity=1)
    confirmed(event, "a@example.org")
    confirmed(event, "b@example.org")
    message = mail.outbox[-1]
    assert "Liste d'attente" in message.subject and not message.attachments


def test_reminders_are_sent_once_to_confirmed_people_of_events_in_24_to_48_hours():
    now = timezone.now()
    soon = EventFactory(starts_at=now + timedelta(hours=30), ends_at=now + timedelta(hours=33), capacity=1)
    later = EventFactory(starts_at=now + timedelta(days=5), ends_at=now + timedelta(days=5, hours=2))
    confirmed(soon, "a@example.org")
    confirmed(soon, "b@example.org")  # waitlisted: no reminder
    confirmed(later, "c@example.org")
    mail.outbox.clear()
    call_command("send-event-reminders")
    assert [m.to for m in mail.outbox] == [["a@example.org"]]
    assert mail.outbox[0].subject.startswith("Rappel") and mail.outbox[0].attachments
    call_command("send-event-reminders")
    assert len(mail.outbox) == 1
    assert soon.registrations.get(email="a@example.org").reminded_at is not None


# --- pages ----------------------------------------------------------------------------------------


def test_list_shows_published_upcoming_events_only(client):
    EventFactory(title="Rencontre publiée")
    EventFactory(title="Brouillon", is_published=False)
    EventFactory(
        title="Passée",
        starts_at=timezone.now() - timedelta(days=3),
        ends_at=timezone.now() - timedelta(days=3) + timedelta(hours=2),
    )
    html = client.get(reverse("events:list")).content.decode()
    assert "Rencontre publiée" in html and "Brouillon" not in html and "Passée" not in html


def test_list_filters_by_kind_and_department_with_htmx_partial(client):
    EventFactory(title="Atelier numérique", kind="workshop")
    EventFactory(title="Grande rencontre")
    response = client.get(reverse("events:list"), {"kind": "workshop"}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert "Atelier numérique" in html and "Grande rencontre" not in html and "<html" not in html
    html = client.get(reverse("events:list"), {"department": "17"}).content.decode()
    assert "Atelier numérique" not in html
    html = client.get(reverse("events:list"), {"department": "86"}).content.decode()
    assert "Atelier numérique" in html


def test_unpublished_event_is_invisible_to_anonymous(client):
    event = EventFactory(is_published=False)
    assert client.get(event.get_absolute_url()).status_code == 404


def test_registration_form_post_without_account(client):
    event = EventFactory()
    response = client.post(
        reverse("events:register", kwargs={"slug": event.slug}),
        {"name": "Léa Martin", "email": "lea@example.org", "organisation_name": "Unis-Cité"},
    )
    assert response.status_code == 200 and "Plus qu'une étape" in response.content.decode()
    registration = event.registrations.get()
    assert registration.organisation_name == "Unis-Cité" and registration.status == S.PENDING


def test_registration_form_shows_french_errors(client):
    event = EventFactory()
    confirmed(event, "lea@example.org")
    url = reverse("events:register", kwargs={"slug": event.slug})
    response = client.post(url, {"name": "", "email": "pas-une-adresse"})
    assert response.status_code == 400 and "Indiquez votre nom" in response.content.decode()
    response = client.post(url, {"name": "Léa", "email": "lea@example.org"})
    assert "déjà inscrite" in response.content.decode()
    assert event.registrations.count() == 1


def test_member_registers_for_their_organisation(client):
    membership = MembershipFactory()
    event = EventFactory()
    client.force_login(membership.user)
    client.post(
        reverse("events:register", kwargs={"slug": event.slug}),
        {"name": "Camille", "email": membership.user.email, "organisation": membership.organisation.pk},
    )
    registration = event.registrations.get()
    assert registration.organisation == membership.organisation and registration.status == S.CONFIRMED


def test_member_cannot_register_for_another_organisation(client):
    membership = MembershipFactory()
    other = OrganisationFactory()
    event = EventFactory()
    client.force_login(membership.user)
    response = client.post(
        reverse("events:register", kwargs={"slug": event.slug}),
        {"name": "Camille", "email": membership.user.email, "organisation": other.pk},
    )
    assert response.status_code == 400
    assert not event.registrations.exists()


# --- declared side (bipartite speed-meetings) ----------------------------------------------------


def speed_meeting_event(*, bipartite=True):
    from terreau.meetings import services as meeting_services

    event = EventFactory(kind="speed_meeting", capacity=10)
    if bipartite is not None:
        meeting_services.speed_meeting_setup(
            event=event,
            data={
                "rounds": 3,
                "wishes_deadline": event.starts_at - timedelta(days=1),
                "bipartite": bipartite,
            },
        )
    return event


@pytest.mark.parametrize(
    ("kind", "bipartite", "asks"),
    [
        ("meeting", None, False),
        ("speed_meeting", False, False),
        ("speed_meeting", True, True),
        ("speed_meeting", None, True),
    ],
)
def test_only_bipartite_speed_meetings_ask_for_a_side(client, kind, bipartite, asks):
    event = speed_meeting_event(bipartite=bipartite) if kind == "speed_meeting" else EventFactory()
    page = client.get(reverse("events:register", kwargs={"slug": event.slug})).content.decode()
    assert ("Je représente" in page) is asks
    if asks:
        # Radios grouped under a legend, for screen readers.
        assert re.search(r"<fieldset[^>]*>\s*<legend>Je représente", page)
        assert 'type="radio" name="side" value="company"' in page


def test_non_bipartite_event_ignores_a_posted_side(client):
    event = speed_meeting_event(bipartite=False)
    response = client.post(
        reverse("events:register", kwargs={"slug": event.slug}),
        {"name": "Léa Martin", "email": "lea@example.org", "side": "company"},
    )
    assert response.status_code == 200
    assert event.registrations.get().side == ""


def test_anonymous_registrant_declares_their_side(client):
    event = speed_meeting_event()
    response = client.post(
        reverse("events:register", kwargs={"slug": event.slug}),
        {
            "name": "Léa Martin",
            "email": "lea@example.org",
            "side": "company",
            "organisation_name": "Boulangerie",
        },
    )
    assert response.status_code == 200
    registration = event.registrations.get()
    assert (registration.side, registration.organisation_name) == ("company", "Boulangerie")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {"side": "ministere"},
            "Choix invalide : indiquez si vous représentez une association, une entreprise",
        ),
        ({"side": "A"}, "Choix invalide"),
        ({}, "Indiquez si vous représentez une association, une entreprise ou autre."),
        ({"side": "association"}, "Indiquez le nom de l&#x27;association ou de l&#x27;entreprise"),
    ],
)
def test_bad_or_missing_side_is_a_french_form_error(client, data, message):
    event = speed_meeting_event()
    response = client.post(
        reverse("events:register", kwargs={"slug": event.slug}),
        {"name": "Léa Martin", "email": "lea@example.org", **data},
    )
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not event.registrations.exists()


def test_other_side_needs_no_structure_name(client):
    event = speed_meeting_event()
    client.post(
        reverse("events:register", kwargs={"slug": event.slug}),
        {"name": "Léa Martin", "email": "lea@example.org", "side": "other"},
    )
    assert event.registrations.get().side == "other"


def test_forged_side_is_refused_by_the_service_too():
    with pytest.raises(ValidationError, match="Choix invalide"):
        register(speed_meeting_event(), "lea@example.org", side="B")


def test_member_registering_for_their_organisation_keeps_no_declared_side(client):
    membership = MembershipFactory()
    event = speed_meeting_event()
    client.force_login(membership.user)
    url = reverse("events:register", kwargs={"slug": event.slug})
    assert "si je ne viens pas au titre de ma structure" in client.get(url).content.decode()
    response = client.post(
        url,
        {"name": "Camille", "email": membership.user.email, "organisation": membership.organisation.pk},
    )
    assert response.status_code == 302
    registration = event.registrations.get()
    assert registration.organisation == membership.organisation and registration.side == ""


def test_member_registering_personally_must_declare_a_side(client):
    membership = MembershipFactory()
    event = speed_meeting_event()
    client.force_login(membership.user)
    url = reverse("events:register", kwargs={"slug": event.slug})
    response = client.post(url, {"name": "Camille", "email": membership.user.email})
    assert response.status_code == 400 and "Indiquez si vous représentez" in response.content.decode()
    client.post(url, {"name": "Camille", "email": membership.user.email, "side": "other"})
    assert event.registrations.get().side == "other"


def test_organisers_see_the_declared_side(client):
    event = speed_meeting_event()
    register(event, "lea@example.org", name="Léa Martin", side="company", organisation_name="Boulangerie")
    client.force_login(BranchRoleFactory(branch=event.branch).user)
    page = client.get(reverse("events:registrations", kwargs={"slug": event.slug})).content.decode()
    assert "Représente" in page and "Une entreprise" in page and "déclaré à l'inscription" in page


# --- organisers -----------------------------------------------------------------------------------


def staff_of(event):
    return BranchRoleFactory(branch=event.branch).user


def test_check_in_by_name_search_and_present_button(client):
    event = EventFactory(capacity=5)
    lea = confirmed(event, "lea@example.org", name="Léa Martin")
    confirmed(event, "paul@example.org", name="Paul Durand")
    client.force_login(staff_of(event))
    url = reverse("events:checkin", kwargs={"slug": event.slug})
    html = client.get(url, {"q": "léa"}, HTTP_HX_REQUEST="true").content.decode()
    assert "Léa Martin" in html and "Paul Durand" not in html
    response = client.post(
        reverse("events:checkin_mark", kwargs={"slug": event.slug, "pk": lea.pk}), HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200 and "Présent" in response.content.decode()
    lea.refresh_from_db()
    assert lea.status == S.ATTENDED and lea.attended_at is not None


def test_named_organiser_without_branch_role_can_check_in(client):
    organiser = UserFactory()
    event = EventFactory()
    event.organisers.add(organiser)
    client.force_login(organiser)
    assert client.get(reverse("events:checkin", kwargs={"slug": event.slug})).status_code == 200


@pytest.mark.parametrize("published,expected", [(True, 403), (False, 404)])
def test_member_of_another_branch_cannot_check_in(client, published, expected):
    event = EventFactory(is_published=published)
    registration = confirmed(event, "a@example.org") if published else None
    outsider = BranchRoleFactory().user
    client.force_login(outsider)
    assert client.get(reverse("events:checkin", kwargs={"slug": event.slug})).status_code == expected
    assert client.get(reverse("events:export", kwargs={"slug": event.slug})).status_code == expected
    if registration:
        url = reverse("events:checkin_mark", kwargs={"slug": event.slug, "pk": registration.pk})
        assert client.post(url).status_code == 403
        registration.refresh_from_db()
        assert registration.status == S.CONFIRMED


def test_anonymous_cannot_reach_check_in(client):
    event = EventFactory()
    response = client.get(reverse("events:checkin", kwargs={"slug": event.slug}))
    assert response.status_code == 302 and "/comptes/connexion/" in response.url


def test_qr_code_checks_in_when_opened_by_an_organiser_only(client):
    event = EventFactory()
    registration = confirmed(event, "a@example.org")
    url = reverse("events:qr_checkin", kwargs={"token": tokens.make_token(registration.pk, "checkin")})
    client.force_login(BranchRoleFactory().user)  # staff of another branch
    assert "Code d'accueil" in client.get(url).content.decode()
    registration.refresh_from_db()
    assert registration.status == S.CONFIRMED
    client.force_login(staff_of(event))
    html = client.get(url).content.decode()
    assert "Présence de" in html and "enregistrée" in html
    registration.refresh_from_db()
    assert registration.status == S.ATTENDED
    assert client.get(url).status_code == 200  # opening it twice is harmless


def test_attendance_export_csv(client):
    event = EventFactory()
    a = confirmed(event, "a@example.org", name="=HYPERLIEN(1)")
    services.registration_check_in(registration=a, by=None)
    confirmed(event, "b@example.org", name="Bob")
    client.force_login(staff_of(event))
    response = client.get(reverse("events:export", kwargs={"slug": event.slug}))
    text = response.content.decode("utf-8-sig")
    assert response["Content-Type"].startswith("text/csv")
    assert "'=HYPERLIEN(1);a@example.org" in text and "Présent" in text and "Bob" in text


def test_attendance_export_of_a_speed_meeting_says_whom_each_registrant_represents(client):
    event = speed_meeting_event()
    company = OrganisationFactory(company=True)
    confirmed(event, "a@example.org", name="Alice", side="association")
    confirmed(event, "b@example.org", name="Bruno", organisation=company)
    client.force_login(staff_of(event))
    text = client.get(reverse("events:export", kwargs={"slug": event.slug})).content.decode("utf-8-sig")
    header, alice, bruno = text.splitlines()[:3]
    assert header.split(";")[3] == "Représente"
    assert alice.split(";")[3] == "Une association" and bruno.split(";")[3] == "Entreprise"


def test_certificate_only_for_attendees(client):
    event = EventFactory()
    a = confirmed(event, "a@example.org")
    url = reverse("events:certificate", kwargs={"token": tokens.make_token(a.pk, "manage")})
    assert client.get(url).status_code == 403
    services.registration_check_in(registration=a, by=None)
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")


def test_staff_creates_an_event_with_french_validation(client):
    role = BranchRoleFactory()
    client.force_login(role.user)
    url = reverse("events:create")
    start = (timezone.localtime() + timedelta(days=10)).replace(second=0, microsecond=0)
    data = {
        "branch": role.branch.pk,
        "kind": "workshop",
        "title": "Atelier mécénat de compétences",
        "starts_at": start.strftime("%Y-%m-%dT%H:%M"),
        "ends_at": (start - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
        "address": "12 rue de la Paix",
        "capacity": 20,
        "audience": "everyone",
        "is_published": "on",
    }
    response = client.post(url, data)
    assert (
        response.status_code == 200 and "La fin doit être postérieure au début" in response.content.decode()
    )
    data["ends_at"] = (start + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(url, data)
    assert response.status_code == 302
    event = Event.objects.get()
    assert event.slug == "atelier-mecenat-de-competences" and role.user in event.organisers.all()


def test_member_without_staff_role_cannot_create_events(client):
    client.force_login(MembershipFactory().user)
    assert client.get(reverse("events:create")).status_code == 403


def test_workshop_items_and_documents(client):
    event = EventFactory(kind="workshop")
    staff = staff_of(event)
    client.force_login(staff)
    client.post(
        reverse("events:item_add", kwargs={"slug": event.slug}), {"kind": "agenda", "text": "Accueil"}
    )
    client.post(
        reverse("events:item_add", kwargs={"slug": event.slug}), {"kind": "decision", "text": "Lancer"}
    )
    assert list(event.workshop_items.values_list("kind", "order")) == [("agenda", 1), ("decision", 1)]
    bad = SimpleUploadedFile("virus.exe", b"MZ...", content_type="application/octet-stream")
    client.post(reverse("events:document_add", kwargs={"slug": event.slug}), {"title": "x", "file": bad})
    fake = SimpleUploadedFile("faux.pdf", b"pas un pdf", content_type="application/pdf")
    client.post(reverse("events:document_add", kwargs={"slug": event.slug}), {"title": "x", "file": fake})
    assert not event.documents.exists()
    good = SimpleUploadedFile("cr.pdf", b"%PDF-1.4 test", content_type="application/pdf")
    client.post(
        reverse("events:document_add", kwargs={"slug": event.slug}), {"title": "Compte rendu", "file": good}
    )
    document = event.documents.get()
    assert (
        client.get(reverse("events:document", kwargs={"slug": event.slug, "pk": document.pk})).status_code
        == 200
    )
    client.logout()
    html = client.get(event.get_absolute_url()).content.decode()
    assert (
        "Accueil" in html and "Lancer" not in html and "Compte rendu" not in html
    )  # only the agenda is public
    assert (
        client.get(reverse("events:document", kwargs={"slug": event.slug, "pk": document.pk})).status_code
        == 302
    )


def test_workshop_item_public_rule():
    event = EventFactory()
    WorkshopItem.objects.create(event=event, kind="note", text="interne")
    from terreau.core.access import visible

    assert not visible(None, WorkshopItem.objects.all()).exists()


def test_admin_is_scoped_to_the_facilitators_branch(client):
    mine = EventFactory(title="Ma rencontre")
    EventFactory(title="Rencontre ailleurs")
    staff = staff_of(mine)
    staff.is_staff = True
    staff.save()
    confirmed(mine, "a@example.org")
    client.force_login(staff)
    html = client.get("/admin/events/event/").content.decode()
    assert "Ma rencontre" in html and "Rencontre ailleurs" not in html
    assert client.get("/admin/events/registration/").status_code == 200
    assert client.get(f"/admin/events/event/{mine.pk}/change/").status_code == 200


def test_event_form_page_renders_for_staff(client):
    event = EventFactory()
    client.force_login(staff_of(event))
    response = client.get(reverse("events:edit", kwargs={"slug": event.slug}))
    assert response.status_code == 200 and "Modifier la rencontre" in response.content.decode()
