"""A session's report: held or not, activities, attendance and an incident on the site's equipment."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from terreau.activities.forms import ReportForm
from terreau.activities.models import Participant, Session
from terreau.activities.reports import future_report_message, report_save
from terreau.activities.views.common import ctx, form_errors, get_program
from terreau.core.access import get_for, visible
from terreau.programs.equipment import EquipmentItem


def _items_for(request, session):
    """Equipment at the session's site (programs app)."""
    return visible(request.user, EquipmentItem.objects.filter(site=session.site)).active()


@login_required
def session_report(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    program = get_program(request, slug)
    session = get_for(
        request.user,
        Session.objects.filter(site__program=program).select_related("site"),
        action="change",
        pk=pk,
    )
    participants = visible(
        request.user, Participant.objects.filter(site=session.site, anonymised_at__isnull=True)
    ).order_by("first_name")
    if not session.has_started:  # a report tells what happened: refused before the session starts
        messages.error(request, future_report_message(session))
        return redirect("activities:session", slug=program.slug, pk=session.pk)
    report = getattr(session, "report", None)
    initial = {"duration_minutes": session.duration_minutes, "held": "1"}
    if report:
        initial.update(
            held="1" if report.held else "0",
            cancel_reason=report.cancel_reason,
            activities=report.activities,
            equipment_used=report.equipment_used,
            headcount=report.headcount,
            duration_minutes=report.duration_minutes,
            observations=report.observations,
            participants=[a.participant_id for a in report.attendances.all()],
        )
    form = ReportForm(
        request.POST or None, initial=initial, participants=participants, items=_items_for(request, session)
    )
    if "incident_item" in form.fields:
        form.fields["incident_item"].empty_label = _("Choisir le matériel")
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        incident = None
        if data.get("incident_kind"):
            incident = {
                "kind": data["incident_kind"],
                "note": data.get("incident_note", ""),
                "item": data.get("incident_item"),
                "site_level": bool(data.get("incident_site_level")),
            }
        try:
            report_save(
                session=session,
                data={
                    k: data.get(k)
                    for k in (
                        "held",
                        "cancel_reason",
                        "activities",
                        "equipment_used",
                        "headcount",
                        "duration_minutes",
                        "observations",
                    )
                }
                | {"incidents": data.get("incident_note", "") if incident else ""},
                participants=data["participants"],
                incident=incident,
                by=request.user,
            )
        except ValidationError as err:
            form_errors(form, err)
        else:
            messages.success(request, _("Compte rendu enregistré. Merci !"))
            return redirect("activities:session", slug=program.slug, pk=session.pk)
    return render(request, "activities/report_form.html", ctx(request, program, session=session, form=form))
