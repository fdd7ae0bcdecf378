"""Equipment lifecycle: every allowed transition through the services, and the forbidden ones."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from terreau.programs import services
from terreau.programs.equipment import TRANSITIONS, EquipmentEvent, Incident, ItemState, Kit, Repair
from tests.factories import UserFactory
from tests.test_programs_support import make_items, make_program

pytestmark = pytest.mark.django_db
K = EquipmentEvent.Kind


@pytest.fixture
def setup():
    program, site_a, site_b, kit_model = make_program()
    return program, site_a, site_b, kit_model, UserFactory()


def _kit(setup, code="K01", prefix="SN"):
    program, _a, _b, kit_model, user = setup
    items = make_items(program, prefix=prefix)
    return services.kit_assemble(kit_model=kit_model, items=items, code=code, by=user), items


def test_assemble_deliver_records_history(setup):
    program, site_a, _b, _m, user = setup
    kit, items = _kit(setup)
    assert {i.state for i in kit.items.all()} == {ItemState.IN_KIT}
    services.kit_deliver(kit=kit, site=site_a, by=user)
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
        services.kit_assemble(kit_model=kit_model, items=items, code="K1", by=user)
    assert not Kit.objects.exists()
    kit, full = _kit(setup, code="K2", prefix="X")
    with pytest.raises(ValidationError, match="pas en stock"):
        services.kit_assemble(kit_model=kit_model, items=full, code="K3", by=user)
    with pytest.raises(ValidationError, match="déjà utilisé"):
        services.kit_assemble(kit_model=kit_model, items=make_items(program, prefix="Y"), code="K2", by=user)


def test_deliver_twice_or_to_another_program_is_refused(setup):
    _p, site_a, _b, _m, user = setup
    kit, _items = _kit(setup)
    other_program, other_site, _ob, _om = make_program(slug="autre")
    with pytest.raises(ValidationError, match="programme"):
        services.kit_deliver(kit=kit, site=other_site, by=user)
    services.kit_deliver(kit=kit, site=site_a, by=user)
    with pytest.raises(ValidationError, match="ne peut pas être livré"):
        services.kit_deliver(kit=kit, site=site_a, by=user)


def test_broken_incident_swap_repair_return(setup):
    program, site_a, _b, _m, user = setup
    kit, items = _kit(setup)
    services.kit_deliver(kit=kit, site=site_a, by=user)
    broken = items[0]
    incident = services.incident_report(item=broken, kind="broken", note="écran fêlé", by=user)
    broken.refresh_from_db()
    assert broken.state == ItemState.AT_SITE  # a broken item stays until swapped or sent to repair
    assert incident.site == site_a
    (spare,) = make_items(program, prefix="SPARE", tablets=1, consoles=0, projectors=0)
    services.item_swap(kit=kit, out_item=broken, in_item=spare, by=user, note="remplacement")
    broken.refresh_from_db()
    spare.refresh_from_db()
    assert broken.state == ItemState.IN_STOCK and broken.kit is None and broken.site is None
    assert spare.state == ItemState.AT_SITE and spare.kit == kit and spare.site == site_a
    repair = services.repair_send(item=broken, repairer="Atelier du Marais", by=user)
    assert repair.incident == incident
    broken.refresh_from_db()
    assert broken.state == ItemState.IN_REPAIR
    services.repair_return(repair=repair, outcome="repaired", cost=Decimal("35"), by=user)
    broken.refresh_from_db()
    incident.refresh_from_db()
    assert broken.state == ItemState.IN_STOCK and incident.resolved_at is not None
    kinds = list(broken.events.values_list("kind", flat=True))
    assert kinds == ["assembled", "delivered", "incident", "swapped_out", "repair_sent", "repair_returned"]
    with pytest.raises(ValidationError, match="close"):
        services.repair_return(repair=repair, outcome="repaired", by=user)


def test_unrepairable_item_is_retired_and_then_frozen(setup):
    program, *_rest, user = setup
    (item,) = make_items(program, tablets=1, consoles=0, projectors=0)
    repair = services.repair_send(item=item, by=user)
    services.repair_return(repair=repair, outcome="unrepairable", by=user)
    item.refresh_from_db()
    assert item.state == ItemState.RETIRED
    for call in (
        lambda: services.repair_send(item=item, by=user),
        lambda: services.incident_report(item=item, kind="broken", note="", by=user),
        lambda: services.item_found(item=item, by=user),
    ):
        with pytest.raises(ValidationError):
            call()
    assert Repair.objects.filter(item=item).count() == 1


def test_lost_and_found(setup):
    program, site_a, _b, _m, user = setup
    kit, items = _kit(setup)
    services.kit_deliver(kit=kit, site=site_a, by=user)
    item = items[5]
    incident = services.incident_report(item=item, kind="stolen", note="", by=user, session_report=None)
    item.refresh_from_db()
    assert item.state == ItemState.LOST and item.site is None and item.kit is None
    assert incident.kind == Incident.Kind.STOLEN and incident.site == site_a
    with pytest.raises(ValidationError):
        services.incident_report(item=item, kind="lost", note="", by=user)
    with pytest.raises(ValidationError):  # a lost item cannot go to repair
        services.repair_send(item=item, by=user)
    services.item_found(item=item, by=user)
    item.refresh_from_db()
    assert item.state == ItemState.IN_STOCK
    # The gap in the kit is filled from stock.
    services.item_swap(kit=kit, out_item=None, in_item=item, by=user)
    item.refresh_from_db()
    assert item.state == ItemState.AT_SITE and item.kit == kit


def test_incident_keeps_the_session_report_reference(setup):
    program, *_rest, user = setup
    (item,) = make_items(program, tablets=1, consoles=0, projectors=0)

    class Report:
        pk = 4242

    incident = services.incident_report(
        item=item, kind="broken", note="chute", by=user, session_report=Report()
    )
    assert incident.session_report_ref == 4242


def test_swap_refuses_other_type_and_foreign_items(setup):
    program, site_a, _b, _m, user = setup
    kit, items = _kit(setup)
    (console,) = make_items(program, prefix="C", tablets=0, consoles=1, projectors=0)
    with pytest.raises(ValidationError, match="même type"):
        services.item_swap(kit=kit, out_item=items[0], in_item=console, by=user)
    outside, spare = make_items(program, prefix="O", tablets=2, consoles=0, projectors=0)
    with pytest.raises(ValidationError, match="ne fait pas partie"):
        services.item_swap(kit=kit, out_item=outside, in_item=spare, by=user)
    with pytest.raises(ValidationError, match="tous ses équipements"):
        services.item_swap(kit=kit, out_item=None, in_item=outside, by=user)


def test_inventory_flags_missing_and_unexpected(setup):
    program, site_a, site_b, _m, user = setup
    kit, items = _kit(setup)
    services.kit_deliver(kit=kit, site=site_a, by=user)
    (stray,) = make_items(program, prefix="S", tablets=1, consoles=0, projectors=0)
    seen = [i.pk for i in items[:-2]] + [stray.pk]
    check = services.inventory_check(site=site_a, seen_item_ids=seen, by=user)
    assert set(check.missing.all()) == set(items[-2:])
    assert list(check.unexpected.all()) == [stray]
    assert check.expected_count == 8 and check.seen_count == 6
    missing = items[-1]
    missing.refresh_from_db()
    assert missing.state == ItemState.AT_SITE  # flagged, not declared lost
    assert missing.events.last().kind == K.INVENTORY_MISSING
    with pytest.raises(ValidationError):
        services.inventory_check(site=site_b, seen_item_ids=["abc"], by=user)


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
    item = services.item_register(program=program, data=data, by=user)
    assert item.events.get().kind == K.REGISTERED
    with pytest.raises(ValidationError, match="déjà enregistré"):
        services.item_register(program=program, data=data, by=user)
    with pytest.raises(ValidationError, match="qui a donné"):
        services.item_register(
            program=program, data={**data, "serial_number": "R9-2", "origin": "given"}, by=user
        )


def test_overview_counts_and_values(setup):
    program, site_a, _b, _m, user = setup
    kit, items = _kit(setup)
    services.kit_deliver(kit=kit, site=site_a, by=user)
    services.incident_report(item=items[0], kind="lost", note="", by=user)
    overview = services.equipment_overview(items=program.equipment.all())
    states = {row["state"]: row["n"] for row in overview.by_state}
    assert overview.total_items == 8
    assert states["at_site"] == 7 and states["lost"] == 1
    assert overview.total_value == Decimal("229") * 5 + Decimal("299") * 2 + Decimal("450")
    assert overview.active_value == overview.total_value - Decimal("229")
    assert overview.by_site[0]["tablets"] == 4 and overview.open_incidents == 1
