"""The door's counter follows each check-in made through htmx: the row comes back with the counter swapped
out of band, with French plurals."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.events.test_events import S, confirmed, staff_of
from tests.factories import EventFactory

pytestmark = pytest.mark.django_db


def test_check_in_answers_the_row_and_the_counter_out_of_band(client):
    event = EventFactory(capacity=5)
    lea = confirmed(event, "lea@example.org", name="Léa Martin")
    paul = confirmed(event, "paul@example.org", name="Paul Durand")
    client.force_login(staff_of(event))
    page = client.get(reverse("events:checkin", kwargs={"slug": event.slug})).content.decode()
    assert 'id="checkin-count"' in page and "sur 2 inscrits confirmés" in page
    assert "hx-swap-oob" not in page

    def mark(registration, **data):
        url = reverse("events:checkin_mark", kwargs={"slug": event.slug, "pk": registration.pk})
        return client.post(url, data, HTTP_HX_REQUEST="true").content.decode()

    html = mark(lea)
    assert f'id="inscrit-{lea.pk}"' in html
    assert '<p class="checkin-count" id="checkin-count" hx-swap-oob="true">1 présent sur 2' in html
    html = mark(paul)
    assert "2 présents sur 2 inscrits confirmés" in html
    html = mark(paul, undo="1")
    assert "1 présent sur 2 inscrits confirmés" in html
    paul.refresh_from_db()
    assert paul.status == S.CONFIRMED


def test_search_results_keep_one_counter(client):
    event = EventFactory(capacity=5)
    confirmed(event, "lea@example.org", name="Léa Martin")
    client.force_login(staff_of(event))
    url = reverse("events:checkin", kwargs={"slug": event.slug})
    html = client.get(url, {"q": "léa"}, HTTP_HX_REQUEST="true").content.decode()
    assert html.count('id="checkin-count"') == 1 and "hx-swap-oob" not in html
