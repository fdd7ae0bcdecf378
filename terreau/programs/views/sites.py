"""A program's host sites: the list (site staff and volunteers reach their own sites without the whole
program), a site's page and edit form with its weekly time windows, its equipment inventory."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from terreau.core.access import editable, get_for, visible
from terreau.core.forms_flow import submit
from terreau.programs import forms
from terreau.programs import items as item_services
from terreau.programs import sites as site_services
from terreau.programs.equipment import EquipmentItem, Incident, InventoryCheck, ItemState, Kit
from terreau.programs.models import HostSite, Program
from terreau.programs.views.common import may_change


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
        "can_manage_equipment": may_change(user, site.program),
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
    done = submit(
        request,
        form,
        windows,
        run=lambda: site_services.site_update(
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
                request,
                ngettext(
                    "Inventaire enregistré : %(n)s équipement manquant.",
                    "Inventaire enregistré : %(n)s équipements manquants.",
                    n,
                )
                % {"n": n},
            )
        else:
            messages.success(request, _("Inventaire enregistré : rien ne manque."))
        return redirect("programs:site", slug=slug, pk=site.pk)

    done = submit(
        request,
        form,
        run=lambda: item_services.inventory_check(
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
