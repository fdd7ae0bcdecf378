"""Equipment lifecycle: every allowed transition through the services, and the forbidden ones."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from terreau.programs.equipment import EquipmentEvent, EquipmentItem, Incident, ItemState, Kit, Repair
from terreau.programs.items import (
    equipment_overview,
    incident_report,
    inventory_check,
    item_found,
    item_register,
    repair_return,
    repair_send,
)
from terreau.programs.kits import item_swap, kit_assemble, kit_deliver, kit_dismantle
from tests.factories import UserFactory
from tests.programs.test_programs_support import make_items, make_program, people

pytestmark = pytest.mark.django_db
K = EquipmentEvent.Kind
TRANSITIONS = EquipmentItem.LIFECYCLE.transitions


@pytest.fixture
def setup():
    program, site_a, site_b, kit_model = make_program()
    return program, site_a, site_b, kit_model, UserFactory()


def _kit(setup, code="K01", prefix="SN"):
    program, _a, _b, kit_model, user = setup
    items = make_items(program, prefix=prefix)
    return kit_assemble(kit_model=kit_model, items=items, code=code, by=user), items


def test_assemble_deliver_records_history(setup):
    program, site_a, _b, _m, user = setup
    kit, items = _kit(setup)
    assert {i.state for i in kit.items.all()} == {ItemState.IN_KIT}
    kit_deliver(kit=kit, site=site_a, by=user)
    kit.refresh_from_db()
    assert kit.state == Kit.State.DELIVERED and kit.site == site_a and kit.delivered_on
    tablet = items[0]
    tablet.refresh_from_db()
    assert tablet.state == ItemState.AT_SITE and tablet.site == site_a and tablet.kit == kit
    history = list(tablet.events.values_list("kind", "from_state", "to_state"))
    assert history == [("assembled", "in_stock", "in_kit"), ("delivered", "in_kit", "at_site")]
    assert tablet.events.last().by == user and tablet.events.last().site == site_a


def test_assemble_refuses_wrong_composition_and_busy_items(setup):
    program, _a, _b, kit_model, user = setup
    items = make_items(program, tablets=4)
    with pytest.raises(ValidationError, match="composition"):
        kit_assemble(kit_model=kit_model, items=items, code="K1", by=user)
    assert not Kit.objects.exists()
    kit, full = _kit(setup, code="K2", prefix="X")
    with pytest.raises(ValidationError, match="pas en stock"):
        kit_assemble(kit_model=kit_model, items=full, code="K3", by=user)
    with pytest.raises(ValidationError, match="déjà utilisé"):
        kit_assemble(kit_model=kit_model, items=make_items(program, prefix="Y"), code="K2", by=user)


def test_deliver_twice_or_to_another_program_is_refused(setup):
    _p, site_a, _b, _m, user = setup
    kit, _items = _kit(setup)
    other_program, other_site, _ob, _om = make_program(slug="autre")
    with pytest.raises(ValidationError, match="programme"):
        kit_deliver(kit=kit, site=other_site, by=user)
    kit_deliver(kit=kit, site=site_a, by=user)
    with pytest.raises(ValidationError, match="ne peut pas être livré"):
        kit_deliver(kit=kit, site=site_a, by=user)


def test_broken_incident_swap_repair_return(setup):
    program, site_a, _b, _m, user = setup
    kit, items = _kit(setup)
    kit_deliver(kit=kit, site=site_a, by=user)
    broken = items[0]
    incident = incident_report(item=broken, kind="broken", note="écran fêlé", by=user)
    broken.refresh_from_db()
    assert broken.state == ItemState.AT_SITE  # a broken item stays until swapped or sent to repair
    assert incident.site == site_a
    (spare,) = make_items(program, prefix="SPARE", tablets=1, consoles=0, projectors=0)
    item_swap(kit=kit, out_item=broken, in_item=spare, by=user, note="remplacement")
    broken.refresh_from_db()
    spare.refresh_from_db()
    assert broken.state == ItemState.IN_STOCK and broken.kit is None and broken.site is None
    assert spare.state == ItemState.AT_SITE and spare.kit == kit and spare.site == site_a
    repair = repair_send(item=broken, repairer="Atelier du Marais", by=user)
    assert repair.incident == incident
    broken.refresh_from_db()
    assert broken.state == ItemState.IN_REPAIR
    repair_return(repair=repair, outcome="repaired", cost=Decimal("35"), by=user)
    broken.refresh_from_db()
    incident.refresh_from_db()
    assert broken.state == ItemState.IN_STOCK and incident.resolved_at is not None
    kinds = list(broken.events.values_list("kind", flat=True))
    assert kinds == ["assembled", "delivered", "incident", "swapped_out", "repair_sent", "repair_returned"]
    with pytest.raises(ValidationError, match="close"):
        repair_return(repair=repair, outcome="repaired", by=user)


def test_unrepairable_item_is_retired_and_then_frozen(setup):
    program, *_rest, user = setup
    (item,) = make_items(program, tablets=1, consoles=0, projectors=0)
    repair = repair_send(item=item, by=user)
    repair_return(repair=repair, outcome="unrepairable", by=user)
    item.refresh_from_db()
    assert item.state == ItemState.RETIRED
    for call in (
        lambda: repair_send(item=item, by=user),
        lambda: incident_report(item=item, kind="broken", note="", by=user),
        lambda: item_found(item=item, by=user),
    ):
        with pytest.raises(ValidationError):
            call()
    assert Repair.objects.filter(item=item).count() == 1


def test_lost_and_found(setup):
    program, site_a, _b, _m, user = setup
    kit, items = _kit(setup)
    kit_deliver(kit=kit, site=site_a, by=user)
    item = items[5]
    incident = incident_report(item=item, kind="stolen", note="", by=user, session_report=None)
    item.refresh_from_db()
    assert item.state == ItemState.LOST and item.site is None and item.kit is None
    assert incident.kind == Incident.Kind.STOLEN and incident.site == site_a
    with pytest.raises(ValidationError):
        incident_report(item=item, kind="lost", note="", by=user)
    with pytest.raises(ValidationError):  # a lost item cannot go to repair
        repair_send(item=item, by=user)
    item_found(item=item, by=user)
    item.refresh_from_db()
    assert item.state == ItemState.IN_STOCK
    # The gap in the kit is filled from stock.
    item_swap(kit=kit, out_item=None, in_item=item, by=user)
    item.refresh_from_db()
    assert item.state == ItemState.AT_SITE and item.kit == kit


def test_incident_keeps_the_session_report_reference(setup):
    program, *_rest, user = setup
    (item,) = make_items(program, tablets=1, consoles=0, projectors=0)

    class Report:
        pk = 4242

    incident = incident_report(item=item, kind="broken", note="chute", by=user, session_report=Report())
    assert incident.session_report_ref == 4242


def test_swap_refuses_other_type_and_foreign_items(setup):
    program, site_a, _b, _m, user = setup
    kit, items = _kit(setup)
    (console,) = make_items(program, prefix="C", tablets=0, consoles=1, projectors=0)
    with pytest.raises(ValidationError, match="même type"):
        item_swap(kit=kit, out_item=items[0], in_item=console, by=user)
    outside, spare = make_items(program, prefix="O", tablets=2, consoles=0, projectors=0)
    with pytest.raises(ValidationError, match="ne fait pas partie"):
        item_swap(kit=kit, out_item=outside, in_item=spare, by=user)
    with pytest.raises(ValidationError, match="tous ses équipements"):
        item_swap(kit=kit, out_item=None, in_item=outside, by=user)


def test_inventory_flags_missing_and_unexpected(setup):
    program, site_a, site_b, _m, user = setup
    kit, items = _kit(setup)
    kit_deliver(kit=kit, site=site_a, by=user)
    (stray,) = make_items(program, prefix="S", tablets=1, consoles=0, projectors=0)
    seen = [i.pk for i in items[:-2]] + [stray.pk]
    check = inventory_check(site=site_a, seen_item_ids=seen, by=user)
    assert set(check.missing.all()) == set(items[-2:])
    assert list(check.unexpected.all()) == [stray]
    assert check.expected_count == 8 and check.seen_count == 6
    missing = items[-1]
    missing.refresh_from_db()
    assert missing.state == ItemState.AT_SITE  # flagged, not declared lost
    assert missing.events.last().kind == K.INVENTORY_MISSING
    with pytest.raises(ValidationError):
        inventory_check(site=site_b, seen_item_ids=["abc"], by=user)


@pytest.mark.parametrize(
    ("from_state", "to_state"),
    [(f, t) for f in ItemState.values for t in ItemState.values if f != t and t not in TRANSITIONS[f]],
)
def test_forbidden_transitions_are_refused(setup, from_state, to_state):
    program, *_rest, user = setup
    (item,) = make_items(program, tablets=1, consoles=0, projectors=0)
    item.state = from_state
    item.save()
    with pytest.raises(ValidationError, match="impossible"):
        item.move(to_state, by=user, kind=K.FOUND)
    item.refresh_from_db()
    assert item.state == from_state and not item.events.exists()


def test_register_and_duplicate_serial(setup):
    program, *_rest, user = setup
    data = {
        "type": "tablet",
        "make": "Samsung",
        "serial_number": "R9-1",
        "origin": "bought",
        "value": Decimal("200"),
    }
    item = item_register(program=program, data=data, by=user)
    assert item.events.get().kind == K.REGISTERED
    with pytest.raises(ValidationError, match="déjà enregistré"):
        item_register(program=program, data=data, by=user)
    with pytest.raises(ValidationError, match="qui a donné"):
        item_register(program=program, data={**data, "serial_number": "R9-2", "origin": "given"}, by=user)


def test_overview_counts_and_values(setup):
    program, site_a, _b, _m, user = setup
    kit, items = _kit(setup)
    kit_deliver(kit=kit, site=site_a, by=user)
    incident_report(item=items[0], kind="lost", note="", by=user)
    overview = equipment_overview(items=program.equipment.all())
    states = {row["state"]: row["n"] for row in overview.by_state}
    assert overview.total_items == 8
    assert states["at_site"] == 7 and states["lost"] == 1
    assert overview.total_value == Decimal("229") * 5 + Decimal("299") * 2 + Decimal("450")
    assert overview.active_value == overview.total_value - Decimal("229")
    assert overview.by_site[0]["tablets"] == 4 and overview.open_incidents == 1


# --- dismantling a kit ------------------------------------------------------------------------------


def test_dismantle_a_delivered_kit_puts_its_items_back_in_stock_with_history(setup):
    program, site_a, _b, kit_model, user = setup
    kit, items = _kit(setup)
    kit_deliver(kit=kit, site=site_a, by=user)
    delivered_on = Kit.objects.get(pk=kit.pk).delivered_on
    kit_dismantle(kit=kit, by=user, reason="  Le site quitte   le programme ")
    kit.refresh_from_db()
    assert kit.state == Kit.State.DISMANTLED and kit.site is None and kit.delivered_on == delivered_on
    assembled, delivered, change = kit.state_changes.all()
    assert [(c.from_state, c.to_state) for c in (assembled, delivered)] == [
        ("", "assembled"),
        ("assembled", "delivered"),
    ]
    assert delivered.site == site_a and assembled.by == delivered.by == user
    assert (change.from_state, change.to_state, change.by, change.site) == (
        "delivered",
        "dismantled",
        user,
        site_a,
    )
    assert change.note == "Le site quitte le programme" and change.at is not None
    assert kit.dismantling() == change
    for item in items:
        item.refresh_from_db()
        assert item.state == ItemState.IN_STOCK and item.kit is None and item.site is None
        event = item.events.last()
        assert (event.kind, event.from_state, event.to_state) == (K.DISMANTLED, "at_site", "in_stock")
        assert event.by == user and event.kit == kit and "Le site quitte le programme" in event.note
    assert not kit.items.exists()
    # Back in stock means free for another kit.
    again = kit_assemble(kit_model=kit_model, items=items, code="K02", by=user)
    assert again.items.count() == len(items)


def test_dismantle_an_assembled_kit_and_refuse_twice(setup):
    _p, site_a, _b, _m, user = setup
    kit, items = _kit(setup)
    with pytest.raises(ValidationError, match="pourquoi"):
        kit_dismantle(kit=kit, by=user, reason="   ")
    kit_dismantle(kit=kit, by=user, reason="Erreur de composition")
    items[0].refresh_from_db()
    assert items[0].events.last().from_state == "in_kit" and items[0].state == ItemState.IN_STOCK
    assert kit.state_changes.get(to_state=Kit.State.DISMANTLED).site is None
    with pytest.raises(ValidationError, match="déjà démonté"):
        kit_dismantle(kit=kit, by=user, reason="encore")
    assert kit.state_changes.filter(to_state=Kit.State.DISMANTLED).count() == 1
    assert EquipmentEvent.objects.filter(kind=K.DISMANTLED).count() == len(items)
    # A dismantled kit can be neither delivered nor completed.
    (spare,) = make_items(kit.program, prefix="SP", tablets=1, consoles=0, projectors=0)
    with pytest.raises(ValidationError, match="ne peut pas être livré"):
        kit_deliver(kit=kit, site=site_a, by=user)
    with pytest.raises(ValidationError, match="démonté"):
        item_swap(kit=kit, out_item=None, in_item=spare, by=user)


def test_dismantle_with_an_item_in_repair_and_a_broken_one(setup):
    """An item in repair already left the kit: it stays in repair (history row only) and goes to stock when
    it comes back; a broken item still in the kit goes back to stock with its incident open."""
    _p, site_a, _b, _m, user = setup
    kit, items = _kit(setup)
    kit_deliver(kit=kit, site=site_a, by=user)
    away, broken = items[0], items[1]
    incident_report(item=away, kind="broken", note="écran", by=user)
    repair = repair_send(item=away, repairer="Atelier", by=user)
    incident = incident_report(item=broken, kind="broken", note="bouton", by=user)
    kit_dismantle(kit=kit, by=user, reason="Fin du programme")
    away.refresh_from_db()
    assert away.state == ItemState.IN_REPAIR and away.kit is None and away.site is None
    event = away.events.last()
    assert (event.kind, event.from_state, event.to_state, event.kit) == (
        K.DISMANTLED,
        "in_repair",
        "in_repair",
        kit,
    )
    broken.refresh_from_db()
    incident.refresh_from_db()
    assert broken.state == ItemState.IN_STOCK and incident.resolved_at is None
    repair_return(repair=repair, outcome="repaired", by=user)
    away.refresh_from_db()
    assert away.state == ItemState.IN_STOCK and away.kit is None


def test_dismantling_leaves_inventory_and_other_kits_alone(setup):
    program, site_a, _b, _m, user = setup
    kit, _items = _kit(setup)
    other, other_items = _kit(setup, code="K02", prefix="O")
    kit_deliver(kit=kit, site=site_a, by=user)
    kit_deliver(kit=other, site=site_a, by=user)
    kit_dismantle(kit=kit, by=user, reason="Retour")
    check = inventory_check(site=site_a, seen_item_ids=[i.pk for i in other_items], by=user)
    assert check.expected_count == len(other_items) and not check.missing.exists()
    other.refresh_from_db()
    assert other.state == Kit.State.DELIVERED and other.items.count() == len(other_items)


# --- dismantling through the pages ------------------------------------------------------------------


@pytest.fixture
def world():
    program, site_a, site_b, kit_model = make_program()
    users = people(program, site_a)
    kit = kit_assemble(kit_model=kit_model, items=make_items(program), code="K-A", by=users["coordinator"])
    kit_deliver(kit=kit, site=site_a, by=users["coordinator"])
    kit_b = kit_assemble(
        kit_model=kit_model, items=make_items(program, prefix="B"), code="K-B", by=users["coordinator"]
    )
    kit_deliver(kit=kit_b, site=site_a, by=users["coordinator"])
    return {"program": program, "a": site_a, "kit": kit, "kit_b": kit_b, **users}


def _dismantle_url(world, kit=None):
    return reverse("programs:kit_dismantle", args=[world["program"].slug, (kit or world["kit"]).pk])


# who: (confirmation page, posted dismantling); None is the anonymous visitor (sent to the login page).
DISMANTLE_MATRIX = {
    "coordinator": (200, 302),
    "facilitator": (200, 302),
    "staff_a": (404, 404),
    "volunteer_a": (404, 404),
    "viewer": (403, 403),
    "other": (404, 404),
    None: (302, 302),
}


@pytest.mark.parametrize("who", list(DISMANTLE_MATRIX), ids=lambda w: w or "anonymous")
def test_dismantle_permission_matrix(client, world, who):
    if who:
        client.force_login(world[who])
    url = _dismantle_url(world)
    got = (client.get(url).status_code, client.post(url, {"reason": "Fin"}).status_code)
    assert got == DISMANTLE_MATRIX[who]
    kit = Kit.objects.get(pk=world["kit"].pk)
    allowed = who in ("coordinator", "facilitator")
    assert (kit.state == Kit.State.DISMANTLED) is allowed
    assert kit.state_changes.filter(to_state=Kit.State.DISMANTLED).exists() is allowed


def test_coordinator_confirms_then_dismantles_through_the_pages(client, world):
    client.force_login(world["coordinator"])
    slug, kit = world["program"].slug, world["kit"]
    kit_url = reverse("programs:kit", args=[slug, kit.pk])
    page = client.get(kit_url).content.decode()
    assert _dismantle_url(world) in page
    confirm = client.get(_dismantle_url(world)).content.decode()
    assert "Oui, démonter le kit" in confirm and 'name="reason"' in confirm and kit_url in confirm
    kit.refresh_from_db()
    assert kit.state == Kit.State.DELIVERED  # showing the confirmation changes nothing
    response = client.post(_dismantle_url(world), {"reason": "Le site <b>quitte</b> le programme"})
    assert response.status_code == 302 and response["Location"] == kit_url
    page = client.get(kit_url).content.decode()
    assert "Le site &lt;b&gt;quitte&lt;/b&gt; le programme" in page and world["a"].name in page
    assert _dismantle_url(world) not in page
    assert reverse("programs:kit_swap", args=[slug, kit.pk]) not in page
    assert reverse("programs:delivery_note", args=[slug, kit.pk]) not in page
    # The kit list shows it apart, under the dismantled kits.
    listing = client.get(reverse("programs:kits", args=[slug])).content.decode()
    active, _sep, dismantled = listing.partition("Kits démontés")
    assert ">K-B<" in active and ">K-A<" not in active and ">K-A<" in dismantled
    # The other kit's delivery note is unaffected; the dismantled one has none.
    assert client.get(reverse("programs:delivery_note", args=[slug, world["kit_b"].pk])).status_code == 200
    assert client.get(reverse("programs:delivery_note", args=[slug, kit.pk])).status_code == 404


@pytest.mark.parametrize(
    "data",
    [{}, {"reason": ""}, {"reason": "   "}, {"reason": "x" * 301}, {"other": "1"}],
    ids=["nothing", "empty", "blank", "too-long", "unknown-field"],
)
def test_forged_dismantle_posts_change_nothing(client, world, data):
    client.force_login(world["coordinator"])
    response = client.post(_dismantle_url(world), data)
    assert response.status_code == 200 and 'role="alert"' in response.content.decode()
    assert Kit.objects.get(pk=world["kit"].pk).state == Kit.State.DELIVERED
    assert not EquipmentEvent.objects.filter(kind=K.DISMANTLED).exists()


def test_dismantle_posts_on_unknown_foreign_or_dismantled_kits(client, world):
    client.force_login(world["coordinator"])
    slug = world["program"].slug
    other_program, _oa, _ob, other_model = make_program(slug="autre")
    foreign = kit_assemble(
        kit_model=other_model, items=make_items(other_program, prefix="F"), code="K-F", by=None
    )
    for url in (
        reverse("programs:kit_dismantle", args=[slug, 999999]),
        reverse("programs:kit_dismantle", args=[slug, foreign.pk]),  # another program's kit under this slug
        reverse("programs:kit_dismantle", args=["inconnu", world["kit"].pk]),
    ):
        assert client.post(url, {"reason": "x"}).status_code == 404
    assert Kit.objects.get(pk=foreign.pk).state == Kit.State.ASSEMBLED
    kit_url = reverse("programs:kit", args=[slug, world["kit"].pk])
    assert client.post(_dismantle_url(world), {"reason": "Fin"}).status_code == 302
    # Twice: refused with a French message, back to the kit page; the confirmation page sends there too.
    response = client.post(_dismantle_url(world), {"reason": "Encore"}, follow=True)
    assert response.redirect_chain == [(kit_url, 302)] and "déjà démonté" in response.content.decode()
    assert client.get(_dismantle_url(world))["Location"] == kit_url
    assert world["kit"].state_changes.filter(to_state=Kit.State.DISMANTLED).count() == 1
