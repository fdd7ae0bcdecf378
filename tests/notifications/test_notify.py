"""The notification layer: notify writes rows in the caller's transaction and e-mails after the commit, as each
person chose; the mail server being down loses nothing and shows no error page; the digest; unsubscribing."""

from __future__ import annotations

import smtplib
from datetime import timedelta

import pytest
from django.core import mail, signing
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from terreau.notifications import delivery, digest
from terreau.notifications.kinds import Kind, register
from terreau.notifications.models import EmailDelivery, Notification, Preference
from terreau.notifications.services import Attachment, notify, set_preference, unsubscribe_token
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

register(
    Kind(code="tests.optional", label="Essai", description="Un message d'essai.", category="Essais"),
    Kind(
        code="tests.mandatory",
        label="Essai obligatoire",
        description="Toujours.",
        category="Essais",
        optional=False,
    ),
)
TEMPLATE = "partnerships/emails/message_posted"


class FailingBackend:
    """A mail server that is down."""

    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        raise smtplib.SMTPException("Connexion refusée")


def _context(title="Jardins & Cie"):
    class P:
        pass

    partnership, message = P(), P()
    partnership.title = title
    message.author, message.body = "Alex", "Bonjour à tous"
    return {"partnership": partnership, "message": message, "side": None, "link": "https://x.example/p/1/"}


def _notify(recipients, kind="tests.optional", **kwargs):
    return notify(kind=kind, recipients=recipients, template=TEMPLATE, context=_context(), **kwargs)


def test_immediate_mail_after_commit_with_html_footer_and_unsubscribe_header(
    django_capture_on_commit_callbacks,
):
    user = UserFactory()
    with django_capture_on_commit_callbacks(execute=True):
        _notify([user], link="/partenariats/1/")
        assert mail.outbox == []  # nothing leaves before the commit
    [message] = mail.outbox
    assert message.to == [user.email]
    assert "Jardins & Cie" in message.subject
    assert "Bonjour à tous" in message.body
    assert "Ne plus recevoir ce type de message" in message.body
    [(html, mimetype)] = message.alternatives
    assert mimetype == "text/html" and "Jardins &amp; Cie" in html
    assert message.extra_headers["List-Unsubscribe"].startswith("<http")
    row = EmailDelivery.objects.get()
    assert row.state == EmailDelivery.State.SENT and row.attempts == 1 and row.sent_at
    notification = Notification.objects.get()
    assert (
        notification.recipient == user
        and notification.read_at is None
        and notification.link == "/partenariats/1/"
    )


def test_rollback_sends_nothing(django_capture_on_commit_callbacks):
    user = UserFactory()
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError), transaction.atomic():
        _notify([user])
        raise RuntimeError
    assert mail.outbox == []
    assert not EmailDelivery.objects.exists() and not Notification.objects.exists()


def test_mandatory_kind_has_no_unsubscribe_and_ignores_preferences(django_capture_on_commit_callbacks):
    user = UserFactory()
    Preference.objects.create(user=user, kind="tests.mandatory", choice="off")
    with django_capture_on_commit_callbacks(execute=True):
        _notify([user], kind="tests.mandatory")
    [message] = mail.outbox
    assert "Ne plus recevoir" not in message.body
    assert "List-Unsubscribe" not in message.extra_headers


def test_preferences_off_digest_immediate(django_capture_on_commit_callbacks):
    off, digested, immediate = UserFactory(), UserFactory(), UserFactory()
    set_preference(kind="tests.optional", choice="off", user=off)
    set_preference(kind="tests.optional", choice="digest", user=digested)
    set_preference(kind="tests.optional", choice="immediate", user=immediate)
    with django_capture_on_commit_callbacks(execute=True):
        _notify([off, digested, immediate])
    assert [m.to for m in mail.outbox] == [[immediate.email]]
    assert not Notification.objects.filter(recipient=off).exists()
    waiting = Notification.objects.get(recipient=digested)
    assert waiting.in_digest and waiting.digested_at is None


def test_addresses_without_account_and_accounts_by_address(django_capture_on_commit_callbacks):
    user = UserFactory(email="camille@example.org")
    with django_capture_on_commit_callbacks(execute=True):
        _notify(["Camille@example.org", "contact@asso.example", "contact@asso.example", ""])
    assert sorted(m.to[0] for m in mail.outbox) == ["camille@example.org", "contact@asso.example"]
    assert Notification.objects.get(email="contact@asso.example").recipient is None
    assert Notification.objects.get(recipient=user)


def test_dedup_key_sends_once(django_capture_on_commit_callbacks):
    user = UserFactory()
    with django_capture_on_commit_callbacks(execute=True):
        _notify([user], dedup_key="rappel-1")
        _notify([user], dedup_key="rappel-1")
    assert len(mail.outbox) == 1


def test_attachments_are_kept(django_capture_on_commit_callbacks):
    user = UserFactory()
    with django_capture_on_commit_callbacks(execute=True):
        _notify(
            [user],
            attachments=[
                Attachment("rencontre.ics", "BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n", "text/calendar"),
                Attachment("attestation.pdf", b"%PDF-1.4 \x00\xff", "application/pdf"),
            ],
        )
    [message] = mail.outbox
    assert message.attachments[0][0] == "rencontre.ics" and "BEGIN:VCALENDAR" in message.attachments[0][1]
    assert message.attachments[1] == ("attestation.pdf", b"%PDF-1.4 \x00\xff", "application/pdf")


def test_smtp_down_nothing_lost_then_sent_on_retry(settings, django_capture_on_commit_callbacks):
    user = UserFactory()
    settings.EMAIL_BACKEND = "tests.notifications.test_notify.FailingBackend"
    with django_capture_on_commit_callbacks(execute=True):
        _notify([user])  # the job fails after the commit: logged, never raised into the caller
    row = EmailDelivery.objects.get()
    assert row.state == EmailDelivery.State.PENDING and row.attempts == 1
    assert "Connexion refusée" in row.last_error and row.claimed_until is None
    # Too early for the periodic resend: within the minute the queue's own backoff retries it.
    assert delivery.retry_pending() == 0
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert delivery.retry_pending(now=timezone.now() + timedelta(minutes=2)) == 1
    row.refresh_from_db()
    assert row.state == EmailDelivery.State.SENT and row.attempts == 2
    [message] = mail.outbox
    assert message.to == [user.email]
    assert delivery.retry_pending(now=timezone.now() + timedelta(minutes=10)) == 0  # sent once


def test_smtp_down_job_raises_for_queue_retry_then_fails_after_max(settings):
    user = UserFactory()
    settings.EMAIL_BACKEND = "tests.notifications.test_notify.FailingBackend"
    _notify([user])  # inside the test's transaction: the job has not run
    row = EmailDelivery.objects.get()
    with pytest.raises(smtplib.SMTPException):
        delivery.send_delivery(row.pk)
    EmailDelivery.objects.filter(pk=row.pk).update(attempts=delivery.MAX_ATTEMPTS - 1)
    assert delivery.send_delivery(row.pk, raise_errors=False) is False
    row.refresh_from_db()
    assert row.state == EmailDelivery.State.FAILED
    assert delivery.resend(EmailDelivery.objects.all()) == 1
    row.refresh_from_db()
    assert row.state == EmailDelivery.State.PENDING and row.attempts == 0


def test_claimed_row_is_not_sent_twice():
    user = UserFactory()
    _notify([user])
    row = EmailDelivery.objects.get()
    EmailDelivery.objects.filter(pk=row.pk).update(claimed_until=timezone.now() + timedelta(minutes=5))
    assert delivery.send_delivery(row.pk) is False
    assert mail.outbox == []


def test_digest_lists_notifications_since_last_digest(django_capture_on_commit_callbacks):
    user = UserFactory()
    set_preference(kind="tests.optional", choice="digest", user=user)
    _notify([user], link="/partenariats/1/")
    _notify([user])
    with django_capture_on_commit_callbacks(execute=True):
        assert digest.send_digests() == 1
    [message] = mail.outbox
    assert message.to == [user.email]
    assert "2 notifications" in message.subject
    assert message.body.count("Jardins & Cie") == 2 and "/partenariats/1/" in message.body
    assert "Essai" in message.body  # grouped under the kind's label
    assert not Notification.objects.filter(digested_at__isnull=True).exists()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert digest.send_digests() == 0  # nothing new since the last digest
    assert mail.outbox == []


# --- unsubscribe ------------------------------------------------------------------------------------------


def test_unsubscribe_get_is_safe_and_post_turns_the_kind_off(client):
    user = UserFactory()
    url = reverse(
        "notifications:unsubscribe", kwargs={"token": unsubscribe_token(kind="tests.optional", user=user)}
    )
    response = client.get(url)
    assert response.status_code == 200 and "Confirmer le désabonnement" in response.content.decode()
    assert not Preference.objects.exists()
    response = client.post(url)
    assert response.status_code == 200 and "vous ne recevrez plus" in response.content.decode()
    assert Preference.objects.get(user=user, kind="tests.optional").choice == "off"


def test_unsubscribe_address_without_account(client, django_capture_on_commit_callbacks):
    url = reverse(
        "notifications:unsubscribe",
        kwargs={"token": unsubscribe_token(kind="tests.optional", email="contact@asso.example")},
    )
    assert client.post(url).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        _notify(["contact@asso.example"])
    assert mail.outbox == []


def test_unsubscribe_tampered_or_expired_token(client, monkeypatch):
    user = UserFactory()
    token = unsubscribe_token(kind="tests.optional", user=user)
    response = client.post(reverse("notifications:unsubscribe", kwargs={"token": token[:-3] + "xyz"}))
    assert response.status_code == 400 and "pas valide" in response.content.decode()
    assert not Preference.objects.exists()

    def expired(*args, **kwargs):
        raise signing.SignatureExpired("old")

    monkeypatch.setattr(signing, "loads", expired)
    response = client.get(reverse("notifications:unsubscribe", kwargs={"token": token}))
    assert response.status_code == 400 and "expiré" in response.content.decode()


def test_unsubscribe_link_in_the_mail_works(client, django_capture_on_commit_callbacks):
    user = UserFactory()
    with django_capture_on_commit_callbacks(execute=True):
        _notify([user])
    url = mail.outbox[0].extra_headers["List-Unsubscribe"].strip("<>")
    path = url.split("://", 1)[1].split("/", 1)[1]
    assert client.post("/" + path, {"List-Unsubscribe": "One-Click"}).status_code == 200
    assert Preference.objects.get(user=user).choice == "off"
