"""Kits: items in stock assembled into a kit, delivered to a host site, an item swapped, the kit taken apart.
Keyword-only, transactional; bad input raises django.core.exceptions.ValidationError with a French message
that views show as is.

Every item moves through EquipmentItem.move() (its history), every kit state change writes a KitStateChange.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from terreau.core import states
from terreau.programs.equipment import EquipmentEvent, EquipmentItem, ItemState, Kit, KitModel
from terreau.programs.items import lock_items
from terreau.programs.models import HostSite
from terreau.programs.team import _by

Kind = EquipmentEvent.Kind


def kit_assemble(*, kit_model: KitModel, items: list[EquipmentItem], code: str, by: Any) -> Kit:
    """Put items in stock together as a new kit; their types must match the kit model's composition."""
    code = (code or "").strip()
    if not code:
        raise ValidationError(_("Donnez un code au kit."))
    if len({i.pk for i in items}) != len(items):
        raise ValidationError(_("Un même équipement est choisi deux fois."))
    with transaction.atomic():
        locked = lock_items(items)
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
        states.begin(kit, by=by)
    return kit


SITE_HAS_KIT = "site_has_kit"


def kits_at_site(site: HostSite, *, besides: Kit | None = None):
    """The kits delivered to a site (and still there), but ``besides``."""
    qs = Kit.objects.filter(site=site, state=Kit.State.DELIVERED).order_by("delivered_on", "code")
    return qs.exclude(pk=besides.pk) if besides is not None else qs


def site_has_kit_message(site: HostSite, kits) -> str:
    codes = ", ".join(k.code for k in kits)
    return ngettext(
        "Le site %(site)s a déjà un kit livré (%(codes)s). Confirmez pour lui en livrer un autre.",
        "Le site %(site)s a déjà %(n)s kits livrés (%(codes)s). Confirmez pour lui en livrer un autre.",
        len(kits),
    ) % {"site": site.name, "codes": codes, "n": len(kits)}


def kit_deliver(
    *, kit: Kit, site: HostSite, by: Any, on: date | None = None, unless_site_has_kit: bool = False
) -> Kit:
    """Deliver an assembled kit to a host site of its program: every item in it goes to the site.

    With ``unless_site_has_kit`` (the pages, until the person confirms), a site that already holds a delivered
    kit is refused with a ValidationError (code SITE_HAS_KIT) naming its kits."""
    with transaction.atomic():
        kit = Kit.objects.select_for_update().get(pk=kit.pk)
        if site.program_id != kit.program_id:
            raise ValidationError(_("Ce site n'appartient pas au programme du kit."))
        if unless_site_has_kit:
            there = list(kits_at_site(site, besides=kit))
            if there:
                raise ValidationError(site_has_kit_message(site, there), code=SITE_HAS_KIT)
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
        states.move(
            kit,
            Kit.State.DELIVERED,
            by=by,
            site=site,
            also={"site": site, "delivered_on": on or timezone.localdate(), "delivered_by": _by(by)},
        )
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
        for item in in_kit:
            # Items in the kit or at its site go back to stock; anything else (never expected here) keeps
            # its state and only leaves the kit. They leave the kit, but their history rows name it.
            back = item.state in (ItemState.IN_KIT, ItemState.AT_SITE, ItemState.IN_STOCK)
            to_state = ItemState.IN_STOCK if back else item.state
            also = {"site": None, "kit": None}
            states.move(item, to_state, by=by, note=note, also=also, kind=Kind.DISMANTLED, kit=kit)
        for item in away:
            # Stays in repair, away from the kit: only a history row naming the kit.
            states.move(item, item.state, by=by, note=note, kind=Kind.DISMANTLED, kit=kit)
        # The kit's history row keeps the site it leaves.
        states.move(kit, Kit.State.DISMANTLED, by=by, note=reason, site=kit.site, also={"site": None})
    return kit


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
        (in_item,) = lock_items([in_item])
        if in_item.program_id != kit.program_id:
            raise ValidationError(_("Cet équipement n'appartient pas au programme du kit."))
        if in_item.state != ItemState.IN_STOCK:
            raise ValidationError(
                _("%(item)s n'est pas en stock (%(state)s).")
                % {"item": in_item.serial_number, "state": in_item.get_state_display()}
            )
        if out_item is not None:
            (out_item,) = lock_items([out_item])
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
