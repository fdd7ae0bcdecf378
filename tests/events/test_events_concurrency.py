"""No overbooking under concurrent requests: parallel HTTP requests, each thread on its own connection.

Needs PostgreSQL (row locks with SELECT ... FOR UPDATE and real concurrent writers). SQLite serialises every
writer (IMMEDIATE transactions) and its in-memory test database is not shared between threads.
"""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections
from django.test import Client
from django.urls import reverse

from terreau.events import services, tokens
from terreau.events.models import Registration
from tests.factories import EventFactory

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.postgres,
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="concurrency test needs PostgreSQL (set DATABASE_URL=postgres://...): SQLite serialises writers",
    ),
]

THREADS = 16


def run_in_parallel(requests):
    """Run each callable in its own thread, all released at once; each closes its own DB connection."""
    barrier = threading.Barrier(len(requests))
    results, errors = [None] * len(requests), []

    def worker(i, func):
        try:
            barrier.wait(timeout=30)
            results[i] = func()
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i, f)) for i, f in enumerate(requests)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    return results


def test_parallel_confirmations_never_overbook(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    event = EventFactory(capacity=5)
    pending = [
        services.registration_create(event=event, name=f"Personne {i}", email=f"p{i}@example.org")
        for i in range(THREADS)
    ]
    urls = [reverse("events:confirm", kwargs={"token": tokens.make_token(r.pk, "confirm")}) for r in pending]

    statuses = run_in_parallel([lambda url=url: Client().post(url).status_code for url in urls])

    assert statuses == [302] * THREADS
    counts = {s: event.registrations.filter(status=s).count() for s in Registration.Status.values}
    assert counts["confirmed"] == 5
    assert counts["waitlisted"] == THREADS - 5
    assert counts["pending"] == 0


def test_parallel_duplicate_registrations_make_one_row(settings):
    event = EventFactory(capacity=50)
    url = reverse("events:register", kwargs={"slug": event.slug})
    data = {"name": "Léa Martin", "email": "lea@example.org"}

    statuses = run_in_parallel([lambda: Client().post(url, data).status_code for _ in range(THREADS)])

    assert sorted(statuses).count(200) == 1  # one "check your e-mail" page, the others a French refusal
    assert event.registrations.filter(email="lea@example.org").count() == 1


def test_parallel_cancellations_promote_exactly_the_freed_seats(settings):
    event = EventFactory(capacity=4)
    seated = []
    for i in range(12):
        r = services.registration_create(event=event, name=f"P{i}", email=f"p{i}@example.org")
        seated.append(services.registration_confirm(registration=r))
    cancel_urls = [
        reverse("events:cancel", kwargs={"token": tokens.make_token(r.pk, "manage")}) for r in seated[:4]
    ]
    run_in_parallel([lambda url=url: Client().post(url).status_code for url in cancel_urls])

    assert event.registrations.filter(status="confirmed").count() == 4
    assert event.registrations.filter(status="cancelled").count() == 4
    assert event.registrations.filter(status="waitlisted").count() == 4
