"""Site closures and volunteers' absences of a program, with the public holidays of its sites' departments.

Who does what (terreau.core.access, SiteClosure.ACCESS and VolunteerAbsence.ACCESS): the coordination and the
branch's staff record and remove closures of every site, a site's staff those of their site; volunteers of a
site see its closures. A volunteer records and removes their own absences, the coordination those of the
program's volunteers. Recording one changes the sessions already planned (terreau.activities.closures); the
message says what changed.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from terreau.activities import closures as services
from terreau.activities.forms import AbsenceForm, ClosureForm
from terreau.activities.models import Mission, SiteClosure, VolunteerAbsence
from terreau.activities.views.common import ctx, form_errors, get_program, visible_sites
from terreau.core.access import editable, get_for, visible
from terreau.programs.models import HostSite


def _closure_sites(request: HttpRequest, program):
    """The program's sites where the user may record a closure."""
    return editable(
        request.user,
        HostSite.objects.filter(program=program).select_related("commune"),
        rule=SiteClosure.ACCESS.parent("site"),
    ).order_by("name")


def _absence_missions(request: HttpRequest, program):
    """The missions whose absences the user may record (their own, or the program's as coordination)."""
    return editable(
        request.user, Mission.objects.filter(program=program), rule=VolunteerAbsence.ACCESS.parent("mission")
    ).order_by("last_name", "first_name", "pk")


@login_required
def closures(request: HttpRequest, slug: str) -> HttpResponse:
    program = get_program(request, slug)
    today = timezone.localdate()
    sites_qs, missions_qs = _closure_sites(request, program), _absence_missions(request, program)
    sites, missions = list(sites_qs), list(missions_qs)
    what = request.POST.get("what") if request.method == "POST" else None
    closure_form = ClosureForm(request.POST if what == "closure" else None, sites=sites_qs, prefix="closure")
    absence_form = AbsenceForm(
        request.POST if what == "absence" else None,
        missions=missions_qs,
        own=bool(missions) and all(m.user_id == request.user.pk for m in missions),
        prefix="absence",
    )
    if what in {"closure", "absence"}:
        if not (sites if what == "closure" else missions):
            raise PermissionDenied
        form = closure_form if what == "closure" else absence_form
        if form.is_valid():
            data = form.cleaned_data
            try:
                if what == "closure":
                    _obj, outcome = services.closure_add(
                        site=data["site"],
                        starts_on=data["starts_on"],
                        ends_on=data["ends_on"],
                        reason=data["reason"],
                        by=request.user,
                    )
                    done = _("Fermeture enregistrée.")
                else:
                    _obj, outcome = services.absence_add(
                        mission=data["mission"],
                        starts_on=data["starts_on"],
                        ends_on=data["ends_on"],
                        reason=data["reason"],
                        by=request.user,
                    )
                    done = _("Absence enregistrée.")
            except ValidationError as err:
                form_errors(form, err)
            else:
                messages.success(request, f"{done} {outcome.message()}")
                return redirect("activities:closures", slug=program.slug)
    seen_sites = list(visible_sites(request, program))
    site_closures = visible(
        request.user, SiteClosure.objects.filter(site__program=program, ends_on__gte=today)
    ).select_related("site")
    absences = visible(
        request.user, VolunteerAbsence.objects.filter(mission__program=program, ends_on__gte=today)
    ).select_related("mission")
    closable = {s.pk for s in sites}
    removable_absences = {m.pk for m in missions}
    on_holidays = services.sessions_on_holidays(sites, today=today) if sites else []
    context = ctx(
        request,
        program,
        today=today,
        closure_form=closure_form,
        absence_form=absence_form,
        can_close=bool(sites),
        can_record_absence=bool(missions),
        closures=[{"c": c, "removable": c.site_id in closable} for c in site_closures],
        absences=[{"a": a, "removable": a.mission_id in removable_absences} for a in absences],
        holidays=services.upcoming_holidays(seen_sites, today=today),
        several_departments=len({services.department_of(s) for s in seen_sites}) > 1,
        on_holidays=on_holidays,
    )
    return render(
        request,
        "activities/closures.html",
        context,
        status=400 if what and request.method == "POST" else 200,
    )


@login_required
@require_POST
def closure_delete(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    program = get_program(request, slug)
    closure = get_for(request.user, SiteClosure.objects.filter(site__program=program), action="change", pk=pk)
    kept = services.closure_delete(closure=closure, by=request.user)
    message = _("Fermeture supprimée.")
    if kept:
        message += " " + ngettext(
            "La séance annulée pour cette fermeture reste annulée : planifiez une séance de remplacement "
            "depuis sa page si besoin.",
            "Les %(n)s séances annulées pour cette fermeture restent annulées : planifiez des séances de "
            "remplacement depuis leur page si besoin.",
            kept,
        ) % {"n": kept}
    messages.success(request, message)
    return redirect("activities:closures", slug=program.slug)


@login_required
@require_POST
def absence_delete(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    program = get_program(request, slug)
    absence = get_for(
        request.user, VolunteerAbsence.objects.filter(mission__program=program), action="change", pk=pk
    )
    services.absence_delete(absence=absence, by=request.user)
    messages.success(
        request,
        _(
            "Absence supprimée. Le ou la volontaire n'est pas remis·e automatiquement sur les séances "
            "dont l'absence l'avait retiré·e."
        ),
    )
    return redirect("activities:closures", slug=program.slug)


@login_required
@require_POST
def holiday_cancel(request: HttpRequest, slug: str) -> HttpResponse:
    program = get_program(request, slug)
    sites = list(_closure_sites(request, program))
    if not sites:
        raise PermissionDenied
    outcome = services.holiday_sessions_cancel(sites=sites, by=request.user)
    messages.success(request, outcome.message())
    return redirect("activities:closures", slug=program.slug)
