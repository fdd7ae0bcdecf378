"""Participants (personal data: their site's staff and volunteers only): list with attendance, registration,
the person's data (page, JSON, CSV) and erasure."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from terreau.activities import exports
from terreau.activities import participants as participant_services
from terreau.activities.forms import ParticipantForm
from terreau.activities.models import Participant
from terreau.activities.reports import attendance_rates, is_regular
from terreau.activities.views.common import bad, ctx, get_program
from terreau.core.access import editable, get_for, visible
from terreau.core.audit import Action, audit_record
from terreau.programs.models import HostSite


@login_required
def participants(request: HttpRequest, slug: str) -> HttpResponse:
    program = get_program(request, slug)
    rows = visible(
        request.user, Participant.objects.filter(site__program=program, anonymised_at__isnull=True)
    )
    rows = list(rows.select_related("site").order_by("site__name", "first_name"))
    by_site: dict = {}
    for p in rows:
        by_site.setdefault(p.site, []).append(p)
    table = []
    for site, people in by_site.items():
        rates = attendance_rates(participants=people, site=site)
        for p in people:
            n, rate = rates.get(p.pk, (0, 0.0))
            table.append({"p": p, "count": n, "rate": round(rate * 100), "regular": is_regular(n, rate)})
    can_add = _sites_for_participants(request, program).exists()
    return render(request, "activities/participants.html", ctx(request, program, rows=table, can_add=can_add))


def _sites_for_participants(request, program):
    """The program's sites where the user may register participants: those under which core access lets
    them change a participant (the people who run the site's sessions; not branch staff nor coordinators)."""
    return editable(
        request.user, HostSite.objects.filter(program=program), rule=Participant.ACCESS.parent("site")
    )


@login_required
def participant_add(request: HttpRequest, slug: str) -> HttpResponse:
    program = get_program(request, slug)
    sites = _sites_for_participants(request, program)
    if not sites.exists():
        raise PermissionDenied
    form = ParticipantForm(request.POST or None, sites=sites, initial={"consent_on": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k != "site"}
        try:
            participant_services.participant_create(
                site=form.cleaned_data["site"], data=data, by=request.user
            )
        except ValidationError as err:
            bad(request, err)
        else:
            messages.success(request, _("Participant inscrit."))
            return redirect("activities:participants", slug=program.slug)
    return render(
        request, "activities/form.html", ctx(request, program, form=form, title=_("Inscrire un participant"))
    )


def _participant(request, program, pk: int, action: str = "view") -> Participant:
    return get_for(
        request.user,
        Participant.objects.filter(site__program=program).select_related("site__program"),
        action=action,
        pk=pk,
    )


@login_required
def participant_detail(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    program = get_program(request, slug)
    person = _participant(request, program, pk)
    n, rate = attendance_rates(participants=[person], site=person.site).get(person.pk, (0, 0.0))
    return render(
        request,
        "activities/participant_detail.html",
        ctx(
            request,
            program,
            person=person,
            count=n,
            rate=round(rate * 100),
            data=participant_services.participant_export(participant=person),
        ),
    )


@login_required
def participant_export(request: HttpRequest, slug: str, pk: int, fmt: str) -> HttpResponse:
    if fmt not in {"json", "csv"}:
        raise Http404
    program = get_program(request, slug)
    person = _participant(request, program, pk)
    data = participant_services.participant_export(participant=person)
    if fmt == "json":
        response = JsonResponse(data, json_dumps_params={"ensure_ascii": False, "indent": 2})
    else:
        response = HttpResponse(exports.participant_csv(data), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="participant-{person.pk}.{fmt}"'
    audit_record(
        actor=request.user,
        action=Action.PERSONAL_DATA_EXPORTED,
        target=f"participant-{person.pk}.{fmt}",
        obj=person,
        branch_id=program.branch_id,
        request=request,
    )
    return response


@login_required
@require_POST
def participant_erase(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    program = get_program(request, slug)
    person = _participant(request, program, pk, action="change")
    participant_services.participant_erase(participant=person, by=request.user)
    audit_record(
        actor=request.user,
        action=Action.PERSONAL_DATA_ERASED,
        target=f"participant-{person.pk}",
        obj=person,
        branch_id=program.branch_id,
        request=request,
    )
    messages.success(
        request, _("Les données de la personne ont été effacées ; les statistiques sont conservées.")
    )
    return redirect("activities:participants", slug=program.slug)
