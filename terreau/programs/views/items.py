"""A program's equipment: the overview and list of items, registering one, an item's page with its
history, incidents reported on it and the coordination's actions (repair, found, retired)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from terreau.core.access import editable, get_for, visible
from terreau.core.forms_flow import show_error, submit
from terreau.directory.models import Organisation
from terreau.programs import forms
from terreau.programs import items as item_services
from terreau.programs.equipment import EquipmentEvent, EquipmentItem, ItemState, Kit, Repair
from terreau.programs.models import Program
from terreau.programs.views.common import may_change, program_for


@login_required
def equipment(request: HttpRequest, slug: str) -> HttpResponse:
    program = program_for(request, slug)
    items = visible(request.user, EquipmentItem.objects.filter(program=program))
    state = request.GET.get("etat", "")
    listed = items.select_related("site", "kit", "given_by")
    if state in ItemState.values:
        listed = listed.filter(state=state)
    context = {
        "program": program,
        "can_edit": may_change(request.user, program),
        "overview": item_services.equipment_overview(items=items),
        "items": listed.order_by("state", "type", "serial_number"),
        "state": state,
        "states": ItemState.choices,
        "kits": visible(request.user, Kit.objects.filter(program=program).select_related("site", "model")),
        "nav": "programs",
    }
    return render(request, "programs/equipment.html", context)


@login_required
def item_add(request: HttpRequest, slug: str) -> HttpResponse:
    program = program_for(request, slug, action="change")
    organisations = visible(request.user, Organisation.objects.all()).filter(
        program_partnerships__program=program
    )
    form = forms.ItemForm(request.POST or None, organisations=organisations)
    done = submit(
        request,
        form,
        run=lambda: item_services.item_register(program=program, data=form.cleaned_data, by=request.user),
        success=_("Équipement enregistré en stock."),
        then=lambda item: redirect("programs:item", slug=slug, pk=item.pk),
    )
    if done is not None:
        return done
    return render(request, "programs/item_form.html", {"program": program, "form": form, "nav": "programs"})


@login_required
def item_detail(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    qs = EquipmentItem.objects.filter(program__slug=slug).select_related("program", "site", "kit", "given_by")
    item = get_for(request.user, qs, pk=pk)
    user = request.user
    can_manage = may_change(user, item.program)
    open_repair = item.repairs.filter(returned_on__isnull=True).first() if can_manage else None
    context = {
        "program": item.program,
        "item": item,
        "sees_program": visible(user, Program.objects.filter(pk=item.program_id)).exists(),
        "can_report": editable(user, EquipmentItem.objects.filter(pk=item.pk)).exists()
        and item.state not in (ItemState.LOST, ItemState.RETIRED),
        "can_manage": can_manage,
        "events": EquipmentEvent.objects.filter(item=item).select_related("by", "site", "kit"),
        "incidents": item.incidents.select_related("reported_by", "site"),
        "repairs": item.repairs.all() if can_manage else Repair.objects.none(),
        "open_repair": open_repair,
        "incident_form": forms.IncidentForm(),
        "repair_send_form": forms.RepairSendForm(),
        "repair_return_form": forms.RepairReturnForm(),
        "nav": "programs",
    }
    return render(request, "programs/item_detail.html", context)


@login_required
@require_POST
def item_incident(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    item = get_for(request.user, EquipmentItem.objects.filter(program__slug=slug), action="change", pk=pk)
    form = forms.IncidentForm(request.POST)
    submit(
        request,
        form,
        run=lambda: item_services.incident_report(
            item=item, kind=form.cleaned_data["kind"], note=form.cleaned_data["note"], by=request.user
        ),
        success=_("Incident enregistré."),
        invalid=_("Choisissez le type d'incident."),
    )
    return redirect("programs:item", slug=slug, pk=item.pk)


@login_required
@require_POST
def item_action(request: HttpRequest, slug: str, pk: int, action: str) -> HttpResponse:
    """Coordination actions on an item: repair send/return, found, retire."""
    program = program_for(request, slug, action="change")
    item = get_for(request.user, EquipmentItem.objects.filter(program=program), action="change", pk=pk)
    try:
        if action == "reparation":
            form = forms.RepairSendForm(request.POST)
            if not form.is_valid():
                raise ValidationError(_("Vérifiez le formulaire."))
            item_services.repair_send(item=item, by=request.user, **form.cleaned_data)
            messages.success(request, _("Équipement envoyé en réparation."))
        elif action == "retour":
            form = forms.RepairReturnForm(request.POST)
            repair = item.repairs.filter(returned_on__isnull=True).first()
            if repair is None or not form.is_valid():
                raise ValidationError(_("Aucune réparation en cours, ou formulaire incomplet."))
            item_services.repair_return(repair=repair, by=request.user, **form.cleaned_data)
            messages.success(request, _("Retour de réparation enregistré."))
        elif action == "retrouve":
            item_services.item_found(item=item, by=request.user, note=request.POST.get("note", "")[:300])
            messages.success(request, _("Équipement retrouvé : il est de nouveau en stock."))
        elif action == "reforme":
            item_services.item_retire(item=item, by=request.user, note=request.POST.get("note", "")[:300])
            messages.success(request, _("Équipement réformé."))
        else:
            raise Http404
    except ValidationError as exc:
        show_error(request, exc)
    return redirect("programs:item", slug=slug, pk=item.pk)
