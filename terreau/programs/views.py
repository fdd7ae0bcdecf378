"""Pages of programs, host sites and equipment. Thin: objects come through terreau.core.access, changes go
through terreau.programs.services."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Max, Q
from django.forms import BaseForm, BaseFormSet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from terreau.core.access import editable, get_for, visible
from terreau.core.links import site_root
from terreau.directory.models import Organisation
from terreau.programs import forms, pdf, services
from terreau.programs.equipment import (
    EquipmentEvent,
    EquipmentItem,
    Incident,
    InventoryCheck,
    ItemState,
    Kit,
    KitModel,
    ProgramDocument,
    Repair,
)
from terreau.programs.models import HostSite, Program, ProgramPartner, ProgramRole, ProgramRoleChange

T = TypeVar("T")


def _program(request: HttpRequest, slug: str, action: str = "view") -> Program:
    return get_for(
        request.user, Program.objects.select_related("branch", "coordinator"), action=action, slug=slug
    )


def _can_edit(user, program: Program) -> bool:
    return editable(user, Program.objects.filter(pk=program.pk)).exists()


def _error(request: HttpRequest, exc: ValidationError) -> None:
    messages.error(request, " ".join(exc.messages))


def _submit(
    request: HttpRequest,
    *bound: BaseForm | BaseFormSet,
    run: Callable[[], T],
    success: str | Callable[[T], str] | None,
    then: Callable[[T], HttpResponse] | None = None,
    allowed: bool = True,
    invalid: str | None = None,
) -> HttpResponse | None:
    """The shared flow of a posted form: refuse (403) a user who may not change (`allowed`); once every bound
    form is valid, call the service (`run`): its ValidationError becomes an error message; on success, show
    `success` (a text, or made from the service's result) and answer `then(result)`, usually a redirect.

    Returns None when the view should show its page again (GET, invalid forms, refused change). Without
    `then` the form was posted from another page, which cannot show the form's errors: they become an error
    message (`invalid`, or the form's own messages) and the view always redirects back.
    """
    if request.method != "POST":
        return None
    if not allowed:
        raise PermissionDenied
    if not all(form.is_valid() for form in bound):
        if then is None:
            errors = (e for form in bound for errs in form.errors.values() for e in errs)
            messages.error(request, invalid or " ".join(errors))
        return None
    try:
        result = run()
    except ValidationError as exc:
        _error(request, exc)
        return None
    if success is not None:
        messages.success(request, success if isinstance(success, str) else success(result))
    return then(result) if then is not None else None


# --- programs --------------------------------------------------------------------------------------


@login_required
def program_list(request: HttpRequest) -> HttpResponse:
    programs = visible(request.user, Program.objects.select_related("branch"))
    # Site staff and volunteers reach their sites even when they cannot see the whole program.
    own_sites = (
        visible(request.user, HostSite.objects.select_related("program", "commune"))
        .exclude(program__in=programs)
        .order_by("program__name", "name")
    )
    return render(
        request,
        "programs/program_list.html",
        {"programs": programs, "own_sites": own_sites, "nav": "programs"},
    )


def program_detail(request: HttpRequest, slug: str) -> HttpResponse:
    program = _program(request, slug)
    user = request.user
    context = {
        "program": program,
        "can_edit": _can_edit(user, program),
        "departments": program.departments.all(),
        "partners": visible(
            user, ProgramPartner.objects.filter(program=program).select_related("organisation")
        ),
        "sites": visible(
            user, HostSite.objects.filter(program=program).select_related("commune", "organisation")
        ),
        "team": visible(
            user, ProgramRole.objects.filter(program=program).select_related("user", "site")
        ).order_by("role", "user__last_name"),
        "documents": visible(user, ProgramDocument.objects.filter(program=program)),
        "document_form": forms.DocumentForm(),
        "nav": "programs",
    }
    return render(request, "programs/program_detail.html", context)


@login_required
def program_edit(request: HttpRequest, slug: str) -> HttpResponse:
    program = _program(request, slug, action="change")
    form = forms.ProgramForm(request.POST or None, instance=program)
    done = _submit(
        request,
        form,
        run=lambda: services.program_update(program=program, data=form.cleaned_data, by=request.user),
        success=_("Programme enregistré."),
        then=lambda _program: redirect(program),
    )
    if done is not None:
        return done
    return render(
        request, "programs/program_form.html", {"program": program, "form": form, "nav": "programs"}
    )


@login_required
def partners(request: HttpRequest, slug: str) -> HttpResponse:
    program = _program(request, slug)
    can_edit = _can_edit(request.user, program)
    organisations = visible(request.user, Organisation.objects.all()).filter(branch=program.branch)
    form = forms.PartnerForm(request.POST or None, organisations=organisations)
    done = _submit(
        request,
        form,
        allowed=can_edit,
        run=lambda: services.partner_set(
            program=program,
            organisation=form.cleaned_data["organisation"],
            roles=form.cleaned_data["roles"],
            note=form.cleaned_data["note"],
            by=request.user,
        ),
        success=_("Partenaire enregistré."),
        then=lambda _partner: redirect("programs:partners", slug=program.slug),
    )
    if done is not None:
        return done
    context = {
        "program": program,
        "can_edit": can_edit,
        "partners": visible(
            request.user, ProgramPartner.objects.filter(program=program).select_related("organisation")
        ),
        "form": form,
        "nav": "programs",
    }
    return render(request, "programs/partners.html", context)


@login_required
@require_POST
def partner_remove(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    program = _program(request, slug, action="change")
    partner = get_for(request.user, ProgramPartner.objects.filter(program=program), action="change", pk=pk)
    services.partner_remove(partner=partner, by=request.user)
    messages.success(request, _("Partenaire retiré."))
    return redirect("programs:partners", slug=program.slug)


@login_required
def team(request: HttpRequest, slug: str) -> HttpResponse:
    program = _program(request, slug)
    can_edit = _can_edit(request.user, program)
    sites = visible(request.user, HostSite.objects.filter(program=program))
    form = forms.TeamForm(request.POST or None, sites=sites)
    done = _submit(
        request,
        form,
        allowed=can_edit,
        run=lambda: services.team_add(
            program=program,
            email=form.cleaned_data["email"],
            role=form.cleaned_data["role"],
            site=form.cleaned_data["site"],
            first_name=form.cleaned_data["first_name"],
            last_name=form.cleaned_data["last_name"],
            by=request.user,
            site_url=site_root(request),
        ),
        success=_("La personne a été ajoutée à l'équipe et prévenue par courriel."),
        then=lambda _role: redirect("programs:team", slug=program.slug),
    )
    if done is not None:
        return done
    members = visible(
        request.user, ProgramRole.objects.filter(program=program).select_related("user", "site")
    )
    context = {
        "program": program,
        "can_edit": can_edit,
        "members": members.order_by("role", "user__last_name"),
        # Who granted or revoked which role, and when (newest first), for those who manage the team.
        "history": visible(
            request.user,
            ProgramRoleChange.objects.filter(program=program).select_related("member", "site", "by"),
        ).order_by("-at", "-pk")[:50]
        if can_edit
        else [],
        "form": form,
        "nav": "programs",
    }
    return render(request, "programs/team.html", context)


@login_required
@require_POST
def team_remove(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    program = _program(request, slug, action="change")
    role = get_for(request.user, ProgramRole.objects.filter(program=program), action="change", pk=pk)
    services.team_remove(role=role, by=request.user)
    messages.success(request, _("Rôle retiré."))
    return redirect("programs:team", slug=program.slug)


@login_required
@require_POST
def document_upload(request: HttpRequest, slug: str) -> HttpResponse:
    program = _program(request, slug, action="change")
    form = forms.DocumentForm(request.POST, request.FILES)
    _submit(
        request,
        form,
        run=lambda: services.document_add(
            program=program,
            title=form.cleaned_data["title"],
            upload=form.cleaned_data["file"],
            by=request.user,
        ),
        success=_("Document ajouté."),
    )
    return redirect(program)


@login_required
def document_download(request: HttpRequest, slug: str, pk: int) -> FileResponse:
    document = get_for(request.user, ProgramDocument.objects.filter(program__slug=slug), pk=pk)
    try:
        handle = document.file.open("rb")
    except (FileNotFoundError, ValueError):
        raise Http404 from None
    name = document.file.name.rsplit("/", 1)[-1]
    return FileResponse(handle, as_attachment=True, filename=name, content_type=document.content_type or None)


# --- host sites ------------------------------------------------------------------------------------


def _sites_program(request: HttpRequest, slug: str) -> tuple[Program, bool]:
    """The program, for a user who sees it or one of its sites (site staff, volunteers)."""
    program = visible(request.user, Program.objects.select_related("branch")).filter(slug=slug).first()
    if program is not None:
        return program, True
    site = visible(
        request.user, HostSite.objects.filter(program__slug=slug).select_related("program")
    ).first()
    if site is None:
        raise Http404
    return site.program, False


@login_required
def site_list(request: HttpRequest, slug: str) -> HttpResponse:
    program, sees_program = _sites_program(request, slug)
    sites = visible(
        request.user, HostSite.objects.filter(program=program).select_related("commune", "organisation")
    )
    return render(
        request,
        "programs/site_list.html",
        {"program": program, "sees_program": sees_program, "sites": sites, "nav": "programs"},
    )


def _site(request: HttpRequest, slug: str, pk: int, action: str = "view") -> HostSite:
    qs = HostSite.objects.filter(program__slug=slug).select_related("program", "commune", "organisation")
    return get_for(request.user, qs, action=action, pk=pk)


@login_required
def site_detail(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    site = _site(request, slug, pk)
    user = request.user
    items = visible(user, EquipmentItem.objects.filter(site=site).select_related("kit"))
    last_check = (
        visible(user, InventoryCheck.objects.filter(site=site))
        .prefetch_related("missing", "unexpected")
        .first()
    )
    context = {
        "program": site.program,
        "site": site,
        "sees_program": visible(user, Program.objects.filter(pk=site.program_id)).exists(),
        "can_edit": editable(user, HostSite.objects.filter(pk=site.pk)).exists(),
        "can_manage_equipment": _can_edit(user, site.program),
        "kits": visible(user, Kit.objects.filter(site=site).select_related("model")),
        "items": items,
        "incidents": visible(
            user, Incident.objects.filter(site=site, resolved_at__isnull=True).select_related("item")
        ),
        "last_check": last_check,
        "windows": _windows_display(site.time_windows),
        "nav": "programs",
    }
    return render(request, "programs/site_detail.html", context)


def _windows_display(windows) -> list[dict]:
    days = dict(forms.WEEKDAYS)
    return [{**w, "day": days.get(w.get("weekday"), "?")} for w in windows or [] if isinstance(w, dict)]


@login_required
def site_edit(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    site = _site(request, slug, pk, action="change")
    post = request.POST if request.method == "POST" else None
    form = forms.SiteForm(post, instance=site)
    windows = forms.TimeWindowFormSet(post, initial=site.time_windows or None, prefix="creneaux")
    done = _submit(
        request,
        form,
        windows,
        run=lambda: services.site_update(
            site=site,
            data={**form.cleaned_data, "time_windows": [w for w in windows.cleaned_data if w]},
            by=request.user,
        ),
        success=_("Site enregistré."),
        then=lambda _site: redirect("programs:site", slug=slug, pk=site.pk),
    )
    if done is not None:
        return done
    return render(
        request,
        "programs/site_form.html",
        {"program": site.program, "site": site, "form": form, "windows": windows, "nav": "programs"},
    )


@login_required
def inventory(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    site = _site(request, slug, pk, action="change")
    expected = visible(request.user, EquipmentItem.objects.filter(site=site, state=ItemState.AT_SITE))
    form = forms.InventoryForm(request.POST or None, items=expected)

    def checked(check: InventoryCheck) -> HttpResponse:
        n = check.missing.count()
        if n:
            messages.warning(
                request, _("Inventaire enregistré : %(n)s équipement(s) manquant(s).") % {"n": n}
            )
        else:
            messages.success(request, _("Inventaire enregistré : rien ne manque."))
        return redirect("programs:site", slug=slug, pk=site.pk)

    done = _submit(
        request,
        form,
        run=lambda: services.inventory_check(
            site=site,
            seen_item_ids=[i.pk for i in form.cleaned_data["seen"]],
            by=request.user,
            note=form.cleaned_data["note"],
        ),
        success=None,  # the message depends on what is missing
        then=checked,
    )
    if done is not None:
        return done
    return render(
        request,
        "programs/inventory.html",
        {"program": site.program, "site": site, "form": form, "nav": "programs"},
    )


# --- equipment -------------------------------------------------------------------------------------


@login_required
def equipment(request: HttpRequest, slug: str) -> HttpResponse:
    program = _program(request, slug)
    items = visible(request.user, EquipmentItem.objects.filter(program=program))
    state = request.GET.get("etat", "")
    listed = items.select_related("site", "kit", "given_by")
    if state in ItemState.values:
        listed = listed.filter(state=state)
    context = {
        "program": program,
        "can_edit": _can_edit(request.user, program),
        "overview": services.equipment_overview(items=items),
        "items": listed.order_by("state", "type", "serial_number"),
        "state": state,
        "states": ItemState.choices,
        "kits": visible(request.user, Kit.objects.filter(program=program).select_related("site", "model")),
        "nav": "programs",
    }
    return render(request, "programs/equipment.html", context)


@login_required
def item_add(request: HttpRequest, slug: str) -> HttpResponse:
    program = _program(request, slug, action="change")
    organisations = visible(request.user, Organisation.objects.all()).filter(
        program_partnerships__program=program
    )
    form = forms.ItemForm(request.POST or None, organisations=organisations)
    done = _submit(
        request,
        form,
        run=lambda: services.item_register(program=program, data=form.cleaned_data, by=request.user),
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
    can_manage = _can_edit(user, item.program)
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
    _submit(
        request,
        form,
        run=lambda: services.incident_report(
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
    program = _program(request, slug, action="change")
    item = get_for(request.user, EquipmentItem.objects.filter(program=program), action="change", pk=pk)
    try:
        if action == "reparation":
            form = forms.RepairSendForm(request.POST)
            if not form.is_valid():
                raise ValidationError(_("Vérifiez le formulaire."))
            services.repair_send(item=item, by=request.user, **form.cleaned_data)
            messages.success(request, _("Équipement envoyé en réparation."))
        elif action == "retour":
            form = forms.RepairReturnForm(request.POST)
            repair = item.repairs.filter(returned_on__isnull=True).first()
            if repair is None or not form.is_valid():
                raise ValidationError(_("Aucune réparation en cours, ou formulaire incomplet."))
            services.repair_return(repair=repair, by=request.user, **form.cleaned_data)
            messages.success(request, _("Retour de réparation enregistré."))
        elif action == "retrouve":
            services.item_found(item=item, by=request.user, note=request.POST.get("note", "")[:300])
            messages.success(request, _("Équipement retrouvé : il est de nouveau en stock."))
        elif action == "reforme":
            services.item_retire(item=item, by=request.user, note=request.POST.get("note", "")[:300])
            messages.success(request, _("Équipement réformé."))
        else:
            raise Http404
    except ValidationError as exc:
        _error(request, exc)
    return redirect("programs:item", slug=slug, pk=item.pk)


@login_required
def kits(request: HttpRequest, slug: str) -> HttpResponse:
    program = _program(request, slug)
    can_edit = _can_edit(request.user, program)
    stock = visible(request.user, EquipmentItem.objects.filter(program=program, state=ItemState.IN_STOCK))
    form = forms.AssembleForm(
        request.POST or None,
        kit_models=visible(request.user, KitModel.objects.filter(program=program)),
        items=stock.order_by("type", "serial_number"),
    )
    done = _submit(
        request,
        form,
        allowed=can_edit,
        run=lambda: services.kit_assemble(
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
    can_manage = _can_edit(user, kit.program)
    items = visible(user, EquipmentItem.objects.filter(kit=kit))
    stock = visible(user, EquipmentItem.objects.filter(program=kit.program_id, state=ItemState.IN_STOCK))
    context = {
        "program": kit.program,
        "kit": kit,
        "items": items,
        "can_manage": can_manage,
        "sees_program": visible(user, Program.objects.filter(pk=kit.program_id)).exists(),
        "deliver_form": forms.DeliverForm(
            sites=visible(user, HostSite.objects.filter(program=kit.program_id))
        ),
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
    _program(request, slug, action="change")
    kit = _kit(request, slug, pk, action="change")
    # Bound on any POST, even an empty one, so that a forged post shows the form's errors.
    form = forms.DismantleForm(request.POST if request.method == "POST" else None)
    done = _submit(
        request,
        form,
        run=lambda: services.kit_dismantle(kit=kit, by=request.user, reason=form.cleaned_data["reason"]),
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


@login_required
@require_POST
def kit_deliver(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    program = _program(request, slug, action="change")
    kit = _kit(request, slug, pk, action="change")
    form = forms.DeliverForm(
        request.POST, sites=visible(request.user, HostSite.objects.filter(program=program))
    )
    _submit(
        request,
        form,
        run=lambda: services.kit_deliver(
            kit=kit, site=form.cleaned_data["site"], on=form.cleaned_data["delivered_on"], by=request.user
        ),
        success=_("Kit livré. Le bon de livraison est prêt."),
        invalid=_("Choisissez le site de livraison."),
    )
    return redirect("programs:kit", slug=slug, pk=kit.pk)


@login_required
@require_POST
def kit_swap(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    program = _program(request, slug, action="change")
    kit = _kit(request, slug, pk, action="change")
    form = forms.SwapForm(
        request.POST,
        out_items=EquipmentItem.objects.filter(kit=kit),
        in_items=EquipmentItem.objects.filter(program=program, state=ItemState.IN_STOCK),
    )
    _submit(
        request,
        form,
        run=lambda: services.item_swap(
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
