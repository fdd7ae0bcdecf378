"""A program's kits: the list and assembling one, a kit's page, delivering it to a site, swapping an
item, dismantling it, and its delivery note (PDF)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Max, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from terreau.core.access import get_for, visible
from terreau.core.forms_flow import submit
from terreau.programs import forms, pdf
from terreau.programs import kits as kit_services
from terreau.programs.equipment import EquipmentEvent, EquipmentItem, Incident, ItemState, Kit, KitModel
from terreau.programs.models import HostSite, Program
from terreau.programs.views.common import may_change, program_for


@login_required
def kits(request: HttpRequest, slug: str) -> HttpResponse:
    program = program_for(request, slug)
    can_edit = may_change(request.user, program)
    stock = visible(request.user, EquipmentItem.objects.filter(program=program, state=ItemState.IN_STOCK))
    form = forms.AssembleForm(
        request.POST or None,
        kit_models=visible(request.user, KitModel.objects.filter(program=program)),
        items=stock.order_by("type", "serial_number"),
    )
    done = submit(
        request,
        form,
        allowed=can_edit,
        run=lambda: kit_services.kit_assemble(
            kit_model=form.cleaned_data["kit_model"],
            items=list(form.cleaned_data["items"]),
            code=form.cleaned_data["code"],
            by=request.user,
        ),
        success=lambda kit: _("Kit %(code)s constitué.") % {"code": kit.code},
        then=lambda kit: redirect("programs:kit", slug=slug, pk=kit.pk),
    )
    if done is not None:
        return done
    kits = visible(request.user, Kit.objects.filter(program=program).select_related("site", "model"))
    context = {
        "program": program,
        "can_edit": can_edit,
        "kits": kits.exclude(state=Kit.State.DISMANTLED),
        "dismantled_kits": kits.filter(state=Kit.State.DISMANTLED).annotate(
            dismantled_at=Max("state_changes__at", filter=Q(state_changes__to_state=Kit.State.DISMANTLED))
        ),
        "form": form,
        "nav": "programs",
    }
    return render(request, "programs/kits.html", context)


def _kit(request: HttpRequest, slug: str, pk: int, action: str = "view") -> Kit:
    qs = Kit.objects.filter(program__slug=slug).select_related("program__branch", "model", "site__commune")
    return get_for(request.user, qs, action=action, pk=pk)


@login_required
def kit_detail(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    kit = _kit(request, slug, pk)
    user = request.user
    can_manage = may_change(user, kit.program)
    items = visible(user, EquipmentItem.objects.filter(kit=kit))
    stock = visible(user, EquipmentItem.objects.filter(program=kit.program_id, state=ItemState.IN_STOCK))
    context = {
        "program": kit.program,
        "kit": kit,
        "items": items,
        "can_manage": can_manage,
        "sees_program": visible(user, Program.objects.filter(pk=kit.program_id)).exists(),
        "deliver_form": _deliver_form(user, kit.program_id),
        "swap_form": forms.SwapForm(out_items=items, in_items=stock),
        "dismantling": kit.dismantling() if kit.is_dismantled else None,
        # What the kit held when it was taken apart (its items have left it since).
        "dismantled_items": visible(
            user,
            EquipmentItem.objects.filter(
                events__kit=kit, events__kind=EquipmentEvent.Kind.DISMANTLED
            ).distinct(),
        )
        if kit.is_dismantled
        else EquipmentItem.objects.none(),
        "nav": "programs",
    }
    return render(request, "programs/kit_detail.html", context)


@login_required
def kit_dismantle(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """Confirmation page (GET) and dismantling (POST) of a kit: its items go back to stock."""
    program_for(request, slug, action="change")
    kit = _kit(request, slug, pk, action="change")
    # Bound on any POST, even an empty one, so that a forged post shows the form's errors.
    form = forms.DismantleForm(request.POST if request.method == "POST" else None)
    done = submit(
        request,
        form,
        run=lambda: kit_services.kit_dismantle(kit=kit, by=request.user, reason=form.cleaned_data["reason"]),
        success=lambda kit: (
            _("Kit %(code)s démonté : ses équipements sont de retour en stock.") % {"code": kit.code}
        ),
        then=lambda kit: redirect("programs:kit", slug=slug, pk=kit.pk),
    )
    if done is not None:
        return done
    kit.refresh_from_db(fields=["state"])
    if kit.is_dismantled:
        if request.method != "POST":  # a refused post already has its error message
            messages.info(request, _("Le kit %(code)s est déjà démonté.") % {"code": kit.code})
        return redirect("programs:kit", slug=slug, pk=kit.pk)
    items = visible(request.user, EquipmentItem.objects.filter(kit=kit))
    context = {
        "program": kit.program,
        "kit": kit,
        "form": form,
        "items": items.order_by("type", "serial_number"),
        "broken": items.filter(incidents__kind=Incident.Kind.BROKEN, incidents__resolved_at__isnull=True)
        .distinct()
        .order_by("serial_number"),
        "in_repair": visible(request.user, kit.items_in_repair()).order_by("serial_number"),
        "nav": "programs",
    }
    return render(request, "programs/kit_dismantle.html", context)


def _deliver_form(user, program_id: int, data=None) -> forms.DeliverForm:
    """The delivery form, its sites that already hold a delivered kit marked in the list."""
    form = forms.DeliverForm(data, sites=visible(user, HostSite.objects.filter(program=program_id)))
    with_kit = set(
        Kit.objects.filter(program=program_id, state=Kit.State.DELIVERED, site__isnull=False).values_list(
            "site_id", flat=True
        )
    )
    form.fields["site"].label_from_instance = lambda site: (
        _("%(site)s (a déjà un kit)") % {"site": site.name} if site.pk in with_kit else site.name
    )
    return form


@login_required
@require_POST
def kit_deliver(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """Deliver the kit; to a site that already holds one, only once the person has confirmed (a page that
    says which kit the site has, with "Livrer quand même")."""
    program = program_for(request, slug, action="change")
    kit = _kit(request, slug, pk, action="change")
    form = _deliver_form(request.user, program.pk, request.POST)
    confirmed = request.POST.get("confirm") == "1"
    try:
        submit(
            request,
            form,
            run=lambda: _deliver(request, kit, form, confirmed),
            success=_("Kit livré. Le bon de livraison est prêt."),
            invalid=_("Choisissez le site de livraison."),
        )
    except _SiteHasKit as exc:
        return render(
            request,
            "programs/kit_deliver_confirm.html",
            {
                "program": program,
                "kit": kit,
                "site": form.cleaned_data["site"],
                "delivered_on": form.cleaned_data["delivered_on"],
                "warning": exc.message,
                "nav": "programs",
            },
        )
    return redirect("programs:kit", slug=slug, pk=kit.pk)


class _SiteHasKit(Exception):
    def __init__(self, message: str):
        self.message = message


def _deliver(request: HttpRequest, kit: Kit, form, confirmed: bool) -> Kit:
    try:
        return kit_services.kit_deliver(
            kit=kit,
            site=form.cleaned_data["site"],
            on=form.cleaned_data["delivered_on"],
            by=request.user,
            unless_site_has_kit=not confirmed,
        )
    except ValidationError as exc:
        if getattr(exc, "code", None) == kit_services.SITE_HAS_KIT:
            raise _SiteHasKit(" ".join(exc.messages)) from None
        raise


@login_required
@require_POST
def kit_swap(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    program = program_for(request, slug, action="change")
    kit = _kit(request, slug, pk, action="change")
    form = forms.SwapForm(
        request.POST,
        out_items=visible(request.user, EquipmentItem.objects.filter(kit=kit)),
        in_items=visible(
            request.user, EquipmentItem.objects.filter(program=program, state=ItemState.IN_STOCK)
        ),
    )
    submit(
        request,
        form,
        run=lambda: kit_services.item_swap(
            kit=kit,
            out_item=form.cleaned_data["out_item"],
            in_item=form.cleaned_data["in_item"],
            note=form.cleaned_data["note"],
            by=request.user,
        ),
        success=_("Échange enregistré."),
        invalid=_("Choisissez l'équipement de remplacement."),
    )
    return redirect("programs:kit", slug=slug, pk=kit.pk)


@login_required
def delivery_note(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    kit = _kit(request, slug, pk)
    if kit.state != Kit.State.DELIVERED:
        raise Http404
    items = list(
        visible(request.user, EquipmentItem.objects.filter(kit=kit)).order_by("type", "serial_number")
    )
    # The note lists what was delivered with the kit (the delivery events), even items since swapped out.
    delivered_ids = EquipmentEvent.objects.filter(kit=kit, kind=EquipmentEvent.Kind.DELIVERED).values(
        "item_id"
    )
    delivered = list(
        visible(request.user, EquipmentItem.objects.filter(pk__in=delivered_ids)).order_by(
            "type", "serial_number"
        )
    )
    body = pdf.delivery_note(kit, delivered or items)
    response = HttpResponse(body, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="bon-de-livraison-{kit.code}.pdf"'
    return response
