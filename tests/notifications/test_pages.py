"""The bell, the notifications page, the preferences page: what each person sees, in a flat number of queries."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from terreau.notifications.kinds import Kind, register
from terreau.notifications.models import Notification, Preference
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

register(Kind(code="tests.pages", label="Essai de page", description="Pour les tests.", category="Essais"))


def _make(user, n, **kwargs):
    Notification.objects.bulk_create(
        [
            Notification(recipient=user, kind="tests.pages", title=f"Message {i}", link="/", **kwargs)
            for i in range(n)
        ]
    )


def test_bell_shows_unread_count_with_accessible_name(client):
    user = UserFactory()
    _make(user, 3)
    _make(user, 2, read_at="2026-01-01T10:00:00Z")
    _make(UserFactory(), 4)  # someone else's
    client.force_login(user)
    html = client.get(reverse("notifications:preferences")).content.decode()
    assert 'aria-label="Notifications, 3 non lues"' in html
    Notification.objects.filter(recipient=user).exclude(read_at__isnull=False).first().delete()
    Notification.objects.filter(recipient=user, read_at__isnull=True).first().delete()
    html = client.get(reverse("notifications:preferences")).content.decode()
    assert 'aria-label="Notifications, 1 non lue"' in html


def test_no_bell_for_anonymous(client):
    assert "notification-bell" not in client.get("/").content.decode()


def test_list_mark_one_and_all_read(client):
    user = UserFactory()
    _make(user, 2)
    client.force_login(user)
    html = client.get(reverse("notifications:list")).content.decode()
    assert "Message 0" in html and "Message 1" in html and "Tout marquer comme lu" in html
    first = Notification.objects.filter(recipient=user).order_by("pk").first()
    response = client.post(reverse("notifications:open", args=[first.pk]), {"follow": "1"})
    assert response.status_code == 302 and response.url == "/"
    first.refresh_from_db()
    assert first.read_at is not None
    client.post(reverse("notifications:read_all"))
    assert not Notification.objects.filter(recipient=user, read_at__isnull=True).exists()


def test_external_link_is_not_followed(client):
    user = UserFactory()
    n = Notification.objects.create(
        recipient=user, kind="tests.pages", title="x", link="https://evil.example/"
    )
    client.force_login(user)
    response = client.post(reverse("notifications:open", args=[n.pk]), {"follow": "1"})
    assert response.url == reverse("notifications:list")


def test_someone_elses_notification_is_404(client):
    owner, other = UserFactory(), UserFactory()
    n = Notification.objects.create(recipient=owner, kind="tests.pages", title="Privé")
    client.force_login(other)
    assert client.post(reverse("notifications:open", args=[n.pk])).status_code == 404
    n.refresh_from_db()
    assert n.read_at is None
    assert "Privé" not in client.get(reverse("notifications:list")).content.decode()
    superuser = UserFactory(is_superuser=True, is_staff=True)
    client.force_login(superuser)
    assert client.post(reverse("notifications:open", args=[n.pk])).status_code == 404


def test_pages_need_login(client):
    for name in ("notifications:list", "notifications:preferences"):
        assert client.get(reverse(name)).status_code == 302


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_query_counts_stay_flat(client):
    user = UserFactory()
    client.force_login(user)
    _make(user, 2)
    counts = {
        name: _queries(client, reverse(name)) for name in ("notifications:list", "notifications:preferences")
    }
    _make(user, 40)
    for name, before in counts.items():
        assert _queries(client, reverse(name)) == before, name
    # The bell counts once per page, whatever the page holds.
    with CaptureQueriesContext(connection) as ctx:
        client.get(reverse("notifications:list"))
    assert (
        sum("notifications_notification" in q["sql"] and "COUNT(" in q["sql"] for q in ctx.captured_queries)
        == 2
    )
    # (one for the bell, one for the paginator)


def test_preferences_page_saves_choices_and_lists_fixed_kinds(client):
    user = UserFactory()
    client.force_login(user)
    html = client.get(reverse("notifications:preferences")).content.decode()
    assert "Essai de page" in html and "Résumé quotidien" in html and "Jamais" in html
    assert "Réinitialisation du mot de passe" in html  # listed among the messages always sent
    assert 'name="accounts.password_reset"' not in html
    data = {"tests.pages": "digest", "events.reminder": "off"}
    response = client.post(reverse("notifications:preferences"), data)
    assert response.status_code == 302
    assert Preference.objects.get(user=user, kind="tests.pages").choice == "digest"
    assert Preference.objects.get(user=user, kind="events.reminder").choice == "off"
    response = client.post(reverse("notifications:preferences"), {"tests.pages": "bogus"})
    assert response.status_code == 200
    assert Preference.objects.get(user=user, kind="tests.pages").choice == "digest"
