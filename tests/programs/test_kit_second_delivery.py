"""Delivering a kit to a site that already holds one: a French warning naming its kit, and a confirmation
before anything moves."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from terreau.programs import kits as kit_services
from terreau.programs.equipment import Kit
from terreau.programs.kits import kit_assemble, kit_deliver
from tests.programs.test_programs_support import make_items, make_program, people

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    program, site_a, site_b, kit_model = make_program()
    users = people(program, site_a)
    coordinator = users["coordinator"]
    kit_a = kit_assemble(kit_model=kit_model, items=make_items(program), code="K-A", by=coordinator)
    kit_deliver(kit=kit_a, site=site_a, by=coordinator)
    kit_b = kit_assemble(
        kit_model=kit_model, items=make_items(program, prefix="B"), code="K-B", by=coordinator
    )
    return {"program": program, "a": site_a, "b": site_b, "kit_a": kit_a, "kit_b": kit_b, **users}


def _deliver_url(w):
    return reverse("programs:kit_deliver", args=[w["program"].slug, w["kit_b"].pk])


def test_service_refuses_only_when_asked(world):
    with pytest.raises(ValidationError) as exc:
        kit_deliver(kit=world["kit_b"], site=world["a"], by=world["coordinator"], unless_site_has_kit=True)
    assert exc.value.code == kit_services.SITE_HAS_KIT
    assert "EHPAD Les Tilleuls a déjà un kit livré (K-A)" in exc.value.messages[0]
    world["kit_b"].refresh_from_db()
    assert world["kit_b"].state == Kit.State.ASSEMBLED
    # Scripts (and a confirmed delivery) go through.
    kit_deliver(kit=world["kit_b"], site=world["a"], by=world["coordinator"])
    assert list(kit_services.kits_at_site(world["a"]).values_list("code", flat=True)) == ["K-A", "K-B"]


def test_page_warns_then_delivers_once_confirmed(client, world):
    client.force_login(world["coordinator"])
    kit_page = reverse("programs:kit", args=[world["program"].slug, world["kit_b"].pk])
    assert "EHPAD Les Tilleuls (a déjà un kit)" in client.get(kit_page).content.decode()
    response = client.post(_deliver_url(world), {"site": world["a"].pk, "delivered_on": "2026-03-02"})
    assert response.status_code == 200
    body = response.content.decode()
    assert "a déjà un kit livré (K-A)" in body
    assert "Livrer quand même" in body
    assert 'name="delivered_on" value="2026-03-02"' in body
    world["kit_b"].refresh_from_db()
    assert world["kit_b"].state == Kit.State.ASSEMBLED
    response = client.post(
        _deliver_url(world), {"site": world["a"].pk, "delivered_on": "2026-03-02", "confirm": "1"}
    )
    assert response.status_code == 302
    world["kit_b"].refresh_from_db()
    assert world["kit_b"].state == Kit.State.DELIVERED and world["kit_b"].site_id == world["a"].pk
    assert str(world["kit_b"].delivered_on) == "2026-03-02"


def test_site_without_kit_is_delivered_at_once(client, world):
    client.force_login(world["coordinator"])
    response = client.post(_deliver_url(world), {"site": world["b"].pk})
    assert response.status_code == 302
    world["kit_b"].refresh_from_db()
    assert world["kit_b"].state == Kit.State.DELIVERED and world["kit_b"].site_id == world["b"].pk


def test_staff_of_a_site_cannot_deliver(client, world):
    client.force_login(world["staff_a"])
    response = client.post(_deliver_url(world), {"site": world["a"].pk, "confirm": "1"})
    assert response.status_code in (403, 404)
    world["kit_b"].refresh_from_db()
    assert world["kit_b"].state == Kit.State.ASSEMBLED
