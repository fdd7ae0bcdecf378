"""Changes to programs, their team, sites and equipment. Keyword-only, transactional; bad input raises
django.core.exceptions.ValidationError with a French message that views show as is.

Equipment states change only through EquipmentItem.move() (terreau.programs.equipment.TRANSITIONS).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from terreau.core.uploads import check_document
from terreau.programs.equipment import (
    EquipmentEvent,
    EquipmentItem,
    EquipmentType,
    Incident,
    InventoryCheck,
    ItemState,
    Kit,
    KitModel,
    KitStateChange,
    ProgramDocument,
    Repair,
)
from terreau.programs.models import HostSite, Program, ProgramPartner

# The team's grants and revocations live in terreau.programs.team; re-exported for the pages and the admin.
from terreau.programs.team import (  # noqa: F401
    _by,
    check_grant,
    role_grant,
    team_add,
    team_remove,
    volunteer_roles_sync,
)

logger = logging.getLogger(__name__)

Kind = EquipmentEvent.Kind

_TIME = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


# --- program, partners, documents ----------------------------------------------------------------


def program_update(*, program: Program, data: dict[str, Any], by: Any) -> Program:
    """Save the program's editable fields (name, purpose, period, coordinator, public flag, departments)."""
    starts, ends = data.get("starts_on"), data.get("ends_on")
    if starts and ends and ends < starts:
        raise ValidationError(_("La fin du programme doit venir après son début."))
    with transaction.atomic():
        for name in ("name", "purpose", "starts_on", "ends_on", "coordinator", "is_public"):
            if name in data:
                setattr(program, name, data[name])
        program.save()
        if "departments" in data:
            program.departments.set(data["departments"])
    return program


def partner_set(
    *, program: Program, organisation: Any, roles: list[str], note: str = "", by: Any
) -> ProgramPartner:
    """Add an organisation to the program's partners, or change its roles."""
    unknown = [r for r in roles if r not in ProgramPartner.Role.values]
    if unknown or not roles:
        raise ValidationError(_("Choisissez au moins un rôle parmi ceux proposés."))
    if organisation.branch_id != program.branch_id and organisation.visibility != "public":
        raise ValidationError(_("Cette organisation n'est pas accessible pour ce programme."))
    with transaction.atomic():
        partner, _created = ProgramPartner.objects.update_or_create(
            program=program,
            organisation=organisation,
            defaults={"roles": list(dict.fromkeys(roles)), "note": note},
        )
    return partner


def partner_remove(*, partner: ProgramPartner, by: Any) -> None:
    with transaction.atomic():
        partner.delete()


def document_add(*, program: Program, title: str, upload: Any, by: Any) -> ProgramDocument:
    """Store a document after checking its size, extension and first bytes."""
    name = getattr(upload, "name", "") or ""
    content_type = check_document(upload)
    with transaction.atomic():
        return ProgramDocument.objects.create(
            program=program,
            title=(title or name)[:200],
            file=upload,
            content_type=content_type,
            size=upload.size,
            uploaded_by=_by(by),
        )


# --- host sites ------------------------------------------------------------------------------------


def parse_time_windows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Validate weekly windows [{"weekday": 0-6, "start": "HH:MM", "end": "HH:MM"}]; blank rows are skipped."""
    out = []
    for row in rows:
        weekday, start, end = (
            row.get("weekday"),
            (row.get("start") or "").strip(),
            (row.get("end") or "").strip(),
        )
        if weekday in (None, "") and not start and not end:
            continue
        try:
            day = int(weekday)
        except (TypeError, ValueError):
            day = -1
        if not 0 <= day <= 6:
            raise ValidationError(_("Jour de la semaine invalide."))
        if not _TIME.match(start) or not _TIME.match(end):
            raise ValidationError(_("Les heures s'écrivent HH:MM, par exemple 14:30."))
        if end <= start:
            raise ValidationError(
                _("Un créneau doit finir après son début (%(start)s–%(end)s).") % {"start": start, "end": end}
            )
        out.append({"weekday": day, "start": start, "end": end})
    out.sort(key=lambda w: (w["weekday"], w["start"]))
    for a, b in zip(out, out[1:], strict=False):
        if a["weekday"] == b["weekday"] and b["start"] < a["end"]:
            raise ValidationError(_("Deux créneaux du même jour se chevauchent."))
    return out


def site_update(*, site: HostSite, data: dict[str, Any], by: Any) -> HostSite:
    editable_fields = (
        "name",
        "address",
        "contact_name",
        "contact_phone",
        "contact_email",
        "capacity",
        "accessibility_notes",
        "wifi",
        "wifi_notes",
        "starts_on",
    )
    with transaction.atomic():
        for name in editable_fields:
            if name in data:
                setattr(site, name, data[name])
        if "time_windows" in data:
            site.time_windows = parse_time_windows(data["time_windows"])
        site.full_clean(exclude=["program", "organisation", "commune"])
        site.save()
    return site


# --- equipment -------------------------------------------------------------------------------------


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
            EquipmentEvent.objects.create(
                item=item, kind=Kind.REGISTERED, from_state="", to_state=item.state, by=_by(by)
            )
    except IntegrityError:
        raise ValidationError(
            _("Le numéro de série %(serial)s est déjà enregistré dans ce programme.") % {"serial": serial}
        ) from None
    return item


def _locked(items: list[EquipmentItem]) -> list[EquipmentItem]:
    """Fresh, row-locked copies of the items (the caller is inside a transaction)."""
    ids = [i.pk for i in items]
    fresh = {i.pk: i for i in EquipmentItem.objects.select_for_update().filter(pk__in=ids)}
    return [fresh[i] for i in ids if i in fresh]


def kit_assemble(*, kit_model: KitModel, items: list[EquipmentItem], code: str, by: Any) -> Kit:
    """Put items in stock together as a new kit; their types must match the kit model's composition."""
    code = (code or "").strip()
    if not code:
        raise ValidationError(_("Donnez un code au kit."))
    if len({i.pk for i in items}) != len(items):
        raise ValidationError(_("Un même équipement est choisi deux fois."))
    with transaction.atomic():
        locked = _locked(items)
        if len(locked) != len(items):
            raise ValidationError(_("Un équipement choisi n'existe plus."))
        for item in locked:
            if item.program_id != kit_model.program_id:
                raise ValidationError(
                    _("%(item)s n'appartient pas à ce programme.") % {"item": item.serial_number}
                )
            if item.state != ItemState.IN_STOCK:
                raise ValidationError(
                    _("%(item)s n'est pas en stock (%(state)s).")
                    % {"item": item.serial_number, "state": item.get_state_display()}
                )
        counts: dict[str, int] = {}
        for item in locked:
            counts[item.type] = counts.get(item.type, 0) + 1
        expected = kit_model.quantities()
        if counts != expected:
            raise ValidationError(
                _("La composition ne correspond pas au modèle « %(model)s » : attendu %(expected)s.")
                % {"model": kit_model.name, "expected": kit_model.composition_label()}
            )
        if Kit.objects.filter(program_id=kit_model.program_id, code=code).exists():
            raise ValidationError(_("Le code de kit %(code)s est déjà utilisé.") % {"code": code})
        kit = Kit.objects.create(program_id=kit_model.program_id, model=kit_model, code=code)
        for item in locked:
            item.move(ItemState.IN_KIT, by=by, kind=Kind.ASSEMBLED, kit=kit)
        KitStateChange.objects.create(kit=kit, from_state="", to_state=kit.state, by=_by(by))
    return kit


def kit_deliver(*, kit: Kit, site: HostSite, by: Any, on: date | None = None) -> Kit:
    """Deliver an assembled kit to a host site of its program: every item in it goes to the site."""
    with transaction.atomic():
        kit = Kit.objects.select_for_update().get(pk=kit.pk)
        if site.program_id != kit.program_id:
            raise ValidationError(_("Ce site n'appartient pas au programme du kit."))
        if kit.state != Kit.State.ASSEMBLED:
            raise ValidationError(
                _("Le kit %(code)s ne peut pas être livré (%(state)s).")
                % {"code": kit.code, "state": kit.get_state_display()}
            )
        items = list(EquipmentItem.objects.select_for_update().filter(kit=kit, state=ItemState.IN_KIT))
        if not items:
            raise ValidationError(_("Le kit %(code)s est vide.") % {"code": kit.code})
        for item in items:
            item.move(ItemState.AT_SITE, by=by, kind=Kind.DELIVERED, site=site, kit=kit)
        KitStateChange.objects.create(
            kit=kit, from_state=kit.state, to_state=Kit.State.DELIVERED, by=_by(by), site=site
        )
        kit.site = site
        kit.state = Kit.State.DELIVERED
        kit.delivered_on = on or timezone.localdate()
        kit.delivered_by = _by(by)
        kit.save(update_fields=["site", "state", "delivered_on", "delivered_by", "updated_at"])
    return kit


KIT_DISMANTLE_REASON_MAX = 300


def kit_dismantle(*, kit: Kit, by: Any, reason: str) -> Kit:
    """Take a kit apart (a host site leaves the program, the kit comes back at the end of the program).

    Its items go back to the program's stock, free to be assembled into another kit; an item broken on site
    goes back too, with its incident still open. The kit leaves its site and becomes dismantled for good
    (its code stays taken). Every item and the kit itself get a history row saying who, when and why.

    An item out for repair already left the kit when it was sent (repair_send detaches it): it stays in
    repair, gets a history row about the dismantling, and goes back to stock when it returns, as usual.
    """
    reason = " ".join((reason or "").split())
    if not reason:
        raise ValidationError(_("Indiquez pourquoi le kit est démonté."))
    if len(reason) > KIT_DISMANTLE_REASON_MAX:
        raise ValidationError(
            _("Le motif ne doit pas dépasser %(n)s caractères.") % {"n": KIT_DISMANTLE_REASON_MAX}
        )
    with transaction.atomic():
        kit = Kit.objects.select_for_update().get(pk=kit.pk)
        if kit.state == Kit.State.DISMANTLED:
            raise ValidationError(_("Le kit %(code)s est déjà démonté.") % {"code": kit.code})
        in_kit = list(EquipmentItem.objects.select_for_update().filter(kit=kit).order_by("pk"))
        away = list(kit.items_in_repair().select_for_update().exclude(kit=kit).order_by("pk"))
        note = _("Kit %(code)s démonté : %(reason)s") % {"code": kit.code, "reason": reason}
        events = []
        for item in in_kit:
            # Items in the kit or at its site go back to stock; anything else (never expected here) keeps
            # its state and only leaves the kit.
            back = item.state in (ItemState.IN_KIT, ItemState.AT_SITE, ItemState.IN_STOCK)
            to_state = ItemState.IN_STOCK if back else item.state
            events.append(item.move(to_state, by=by, kind=Kind.DISMANTLED, note=note, site=None, kit=None))
        # The items have left the kit, but their history rows say which kit was dismantled.
        EquipmentEvent.objects.filter(pk__in=[e.pk for e in events]).update(kit=kit)
        for item in away:
            EquipmentEvent.objects.create(
                item=item,
                kind=Kind.DISMANTLED,
                from_state=item.state,
                to_state=item.state,
                by=_by(by),
                note=note[:500],
                kit=kit,
            )
        KitStateChange.objects.create(
            kit=kit,
            from_state=kit.state,
            to_state=Kit.State.DISMANTLED,
            by=_by(by),
            note=reason,
            site=kit.site,
        )
        kit.state = Kit.State.DISMANTLED
        kit.site = None
        kit.save(update_fields=["state", "site", "updated_at"])
    return kit


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


def item_swap(
    *, kit: Kit, out_item: EquipmentItem | None, in_item: EquipmentItem, by: Any, note: str = ""
) -> None:
    """Replace an item of a kit by one from stock (out_item None: fill a gap left by a repair or a loss).

    The removed item goes back to stock; the new one joins the kit, at its site if it was delivered.
    """
    with transaction.atomic():
        kit = Kit.objects.select_for_update().get(pk=kit.pk)
        if kit.state == Kit.State.DISMANTLED:
            raise ValidationError(_("Ce kit est démonté."))
        (in_item,) = _locked([in_item])
        if in_item.program_id != kit.program_id:
            raise ValidationError(_("Cet équipement n'appartient pas au programme du kit."))
        if in_item.state != ItemState.IN_STOCK:
            raise ValidationError(
                _("%(item)s n'est pas en stock (%(state)s).")
                % {"item": in_item.serial_number, "state": in_item.get_state_display()}
            )
        if out_item is not None:
            (out_item,) = _locked([out_item])
            if out_item.kit_id != kit.pk:
                raise ValidationError(
                    _("%(item)s ne fait pas partie du kit %(code)s.")
                    % {"item": out_item.serial_number, "code": kit.code}
                )
            if out_item.type != in_item.type:
                raise ValidationError(
                    _("Un équipement ne peut être remplacé que par un équipement du même type.")
                )
            out_item.move(ItemState.IN_STOCK, by=by, kind=Kind.SWAPPED_OUT, note=note, site=None, kit=None)
        else:
            present = EquipmentItem.objects.filter(kit=kit, type=in_item.type).count()
            if present >= kit.model.quantities().get(in_item.type, 0):
                raise ValidationError(
                    _("Le kit a déjà tous ses équipements de ce type : choisissez celui à remplacer.")
                )
        if kit.state == Kit.State.DELIVERED:
            in_item.move(ItemState.AT_SITE, by=by, kind=Kind.SWAPPED_IN, note=note, site=kit.site, kit=kit)
        else:
            in_item.move(ItemState.IN_KIT, by=by, kind=Kind.SWAPPED_IN, note=note, kit=kit)


def item_found(*, item: EquipmentItem, by: Any, note: str = "") -> EquipmentItem:
    """A lost item is found again: back to stock."""
    with transaction.atomic():
        (item,) = _locked([item])
        item.move(ItemState.IN_STOCK, by=by, kind=Kind.FOUND, note=note)
        item.incidents.filter(resolved_at__isnull=True).update(resolved_at=timezone.now())
    return item


def item_retire(*, item: EquipmentItem, by: Any, note: str = "") -> EquipmentItem:
    with transaction.atomic():
        (item,) = _locked([item])
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
