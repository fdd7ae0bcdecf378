"""The life of an equipment item: registered in stock, incidents (broken, lost, stolen), repairs, found
again, retired, counted at its site's inventory; and the overview of a program's equipment. Keyword-only,
transactional; bad input raises django.core.exceptions.ValidationError with a French message that views show
as is.

States change only through EquipmentItem.move(), which refuses the changes the item's lifecycle does not
allow and writes the item's history. Kits (assembling, delivering, swapping, dismantling) live in terreau.programs.kits.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from terreau.core import states
from terreau.programs.equipment import (
    EquipmentEvent,
    EquipmentItem,
    EquipmentType,
    Incident,
    InventoryCheck,
    ItemState,
    Repair,
)
from terreau.programs.models import HostSite, Program
from terreau.programs.team import _by

Kind = EquipmentEvent.Kind


def lock_items(items: list[EquipmentItem]) -> list[EquipmentItem]:
    """Fresh, row-locked copies of the items (the caller is inside a transaction)."""
    ids = [i.pk for i in items]
    fresh = {i.pk: i for i in EquipmentItem.objects.select_for_update().filter(pk__in=ids)}
    return [fresh[i] for i in ids if i in fresh]


def item_register(*, program: Program, data: dict[str, Any], by: Any) -> EquipmentItem:
    """Register a new item in stock."""
    serial = (data.get("serial_number") or "").strip()
    if not serial:
        raise ValidationError(_("Le numéro de série est obligatoire."))
    if data.get("origin") == EquipmentItem.Origin.GIVEN and not data.get("given_by"):
        raise ValidationError(_("Indiquez qui a donné cet équipement."))
    try:
        with transaction.atomic():
            item = EquipmentItem(
                program=program,
                type=data.get("type") or EquipmentType.OTHER,
                make=(data.get("make") or "").strip(),
                model_name=(data.get("model_name") or "").strip(),
                serial_number=serial,
                origin=data.get("origin") or EquipmentItem.Origin.BOUGHT,
                given_by=data.get("given_by") if data.get("origin") == EquipmentItem.Origin.GIVEN else None,
                value=data.get("value") or Decimal("0"),
                is_demo=bool(data.get("is_demo")),
            )
            item.full_clean(exclude=["program"], validate_unique=False, validate_constraints=False)
            item.save()
            states.begin(item, by=by, kind=Kind.REGISTERED)
    except IntegrityError:
        raise ValidationError(
            _("Le numéro de série %(serial)s est déjà enregistré dans ce programme.") % {"serial": serial}
        ) from None
    return item


def incident_report(
    *, item: EquipmentItem, kind: str, note: str, by: Any, session_report: Any = None
) -> Incident:
    """Record a broken, lost or stolen item. Lost and stolen items leave their kit and site (state lost);
    a broken item stays where it is until it is swapped or sent to repair.

    session_report: the activities.SessionReport the incident was noted in (its pk is kept).
    """
    if kind not in Incident.Kind.values:
        raise ValidationError(_("Type d'incident inconnu."))
    with transaction.atomic():
        item = EquipmentItem.objects.select_for_update().get(pk=item.pk)
        if item.state in (ItemState.LOST, ItemState.RETIRED):
            raise ValidationError(
                _("%(item)s est déjà %(state)s.")
                % {"item": item.serial_number, "state": item.get_state_display().lower()}
            )
        site = item.site
        incident = Incident.objects.create(
            item=item,
            kind=kind,
            note=(note or "")[:500],
            site=site,
            reported_by=_by(by),
            session_report_ref=getattr(session_report, "pk", None),
        )
        label = f"{incident.get_kind_display()}{' : ' + note if note else ''}"
        if kind == Incident.Kind.BROKEN:
            item.move(item.state, by=by, kind=Kind.INCIDENT, note=label, site=item.site, kit=item.kit)
        else:
            item.move(ItemState.LOST, by=by, kind=Kind.INCIDENT, note=label, site=None, kit=None)
    return incident


def repair_send(
    *,
    item: EquipmentItem,
    by: Any,
    repairer: str = "",
    note: str = "",
    incident: Incident | None = None,
    on: date | None = None,
) -> Repair:
    """Send an item to repair: it leaves its kit and site until it comes back (to stock)."""
    with transaction.atomic():
        item = EquipmentItem.objects.select_for_update().get(pk=item.pk)
        if incident is None:
            incident = item.incidents.filter(kind=Incident.Kind.BROKEN, resolved_at__isnull=True).first()
        repair = Repair(
            item=item,
            incident=incident,
            repairer=repairer.strip()[:200],
            note=note[:500],
            sent_on=on or timezone.localdate(),
            from_site=item.site,
            from_kit=item.kit,
        )
        item.move(
            ItemState.IN_REPAIR, by=by, kind=Kind.REPAIR_SENT, note=repairer or note, site=None, kit=None
        )
        repair.save()
    return repair


def repair_return(
    *,
    repair: Repair,
    outcome: str,
    by: Any,
    cost: Decimal | None = None,
    note: str = "",
    on: date | None = None,
) -> Repair:
    """Close a repair: a repaired item goes back to stock, an unrepairable one is retired."""
    if outcome not in Repair.Outcome.values:
        raise ValidationError(_("Indiquez le résultat de la réparation."))
    if cost is not None and cost < 0:
        raise ValidationError(_("Le coût ne peut pas être négatif."))
    with transaction.atomic():
        repair = Repair.objects.select_for_update().get(pk=repair.pk)
        if repair.returned_on is not None:
            raise ValidationError(_("Cette réparation est déjà close."))
        item = EquipmentItem.objects.select_for_update().get(pk=repair.item_id)
        to_state = ItemState.IN_STOCK if outcome == Repair.Outcome.REPAIRED else ItemState.RETIRED
        label = Repair.Outcome(outcome).label + (f" : {note}" if note else "")
        item.move(to_state, by=by, kind=Kind.REPAIR_RETURNED, note=str(label))
        repair.returned_on = on or timezone.localdate()
        repair.outcome = outcome
        repair.cost = cost
        if note:
            repair.note = note[:500]
        repair.save()
        if repair.incident_id:
            Incident.objects.filter(pk=repair.incident_id).update(resolved_at=timezone.now())
    return repair


def item_found(*, item: EquipmentItem, by: Any, note: str = "") -> EquipmentItem:
    """A lost item is found again: back to stock."""
    with transaction.atomic():
        (item,) = lock_items([item])
        item.move(ItemState.IN_STOCK, by=by, kind=Kind.FOUND, note=note)
        item.incidents.filter(resolved_at__isnull=True).update(resolved_at=timezone.now())
    return item


def item_retire(*, item: EquipmentItem, by: Any, note: str = "") -> EquipmentItem:
    with transaction.atomic():
        (item,) = lock_items([item])
        item.move(ItemState.RETIRED, by=by, kind=Kind.RETIRED, note=note)
    return item


def inventory_check(*, site: HostSite, seen_item_ids: list[int], by: Any, note: str = "") -> InventoryCheck:
    """Compare what is seen at a site with what should be there; missing items are flagged (history and
    the check), not declared lost: an incident does that once the search is over."""
    seen = set()
    for raw in seen_item_ids:
        try:
            seen.add(int(raw))
        except (TypeError, ValueError):
            raise ValidationError(_("Liste d'équipements invalide.")) from None
    with transaction.atomic():
        expected = list(EquipmentItem.objects.select_for_update().filter(site=site, state=ItemState.AT_SITE))
        expected_ids = {i.pk for i in expected}
        # Only items of the same program count; ids of other programs are ignored.
        seen_items = list(EquipmentItem.objects.filter(program_id=site.program_id, pk__in=seen))
        check = InventoryCheck.objects.create(
            site=site,
            checked_by=_by(by),
            expected_count=len(expected),
            seen_count=len([i for i in seen_items if i.pk in expected_ids]),
            note=note[:500],
        )
        missing = [i for i in expected if i.pk not in seen]
        unexpected = [i for i in seen_items if i.pk not in expected_ids]
        check.missing.set(missing)
        check.unexpected.set(unexpected)
        for item in missing:
            item.move(item.state, by=by, kind=Kind.INVENTORY_MISSING, note=note, site=item.site, kit=item.kit)
    return check


# --- overview --------------------------------------------------------------------------------------


@dataclass
class EquipmentOverview:
    total_items: int = 0
    total_value: Decimal = Decimal("0")
    active_value: Decimal = Decimal("0")
    by_state: list[dict[str, Any]] = field(default_factory=list)
    by_type: list[dict[str, Any]] = field(default_factory=list)
    by_site: list[dict[str, Any]] = field(default_factory=list)
    open_incidents: int = 0
    open_repairs: int = 0


def equipment_overview(*, items: Any) -> EquipmentOverview:
    """Counts by state, type and site, and values, of the items (a queryset already scoped by access)."""
    states = dict(ItemState.choices)
    types = dict(EquipmentType.choices)
    totals = items.aggregate(n=Count("pk"), value=Sum("value"))
    active = items.active().aggregate(value=Sum("value"))
    by_state = {
        row["state"]: row for row in items.values("state").annotate(n=Count("pk"), value=Sum("value"))
    }
    by_site = (
        items.filter(site__isnull=False)
        .values("site", "site__name", "site__commune__name")
        .annotate(
            n=Count("pk"),
            value=Sum("value"),
            tablets=Count("pk", filter=Q(type=EquipmentType.TABLET)),
            consoles=Count("pk", filter=Q(type=EquipmentType.CONSOLE)),
            projectors=Count("pk", filter=Q(type=EquipmentType.PROJECTOR)),
        )
        .order_by("site__name")
    )
    return EquipmentOverview(
        total_items=totals["n"] or 0,
        total_value=totals["value"] or Decimal("0"),
        active_value=active["value"] or Decimal("0"),
        by_state=[
            {
                "state": code,
                "label": label,
                "n": by_state.get(code, {}).get("n", 0),
                "value": by_state.get(code, {}).get("value") or Decimal("0"),
            }
            for code, label in states.items()
        ],
        by_type=[
            {
                "type": row["type"],
                "label": types.get(row["type"], row["type"]),
                "n": row["n"],
                "value": row["value"],
            }
            for row in items.values("type").annotate(n=Count("pk"), value=Sum("value")).order_by("type")
        ],
        by_site=list(by_site),
        open_incidents=Incident.objects.filter(item__in=items, resolved_at__isnull=True).count(),
        open_repairs=Repair.objects.filter(item__in=items, returned_on__isnull=True).count(),
    )
