"""Sessions pages: the weekly sessions of a program with the month's planning, and one dated session (detail,
cancel, replace)."""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from terreau.activities import sessions as session_services
from terreau.activities.forms import CancelForm, MonthForm, RecurringSessionForm, ReplaceForm
from terreau.activities.models import Participant, RecurringSession, Session
from terreau.activities.planning import plan_sessions
from terreau.activities.views.common import (
    asked_month,
    bad,
    coordinated_program,
    ctx,
    get_program,
    next_month,
)
from terreau.activities.views.recurring import recurring_sites
from terreau.core import dates
from terreau.core.access import editable, get_for, visible


@login_required
def sessions_home(request: HttpRequest, slug: str) -> HttpResponse:
    program = get_program(request, slug)
    recurring = visible(request.user, RecurringSession.objects.filter(site__program=program)).select_related(
        "site"
    )
    form = None
    # Coordinators and branch staff add weekly sessions at any site of the program, site staff at their own.
    sites = recurring_sites(request, program)
    if sites.exists():
        form = RecurringSessionForm(request.POST or None, sites=sites)
        if request.method == "POST" and form.is_valid():
            rec = form.save(commit=False)
            rec.save()
            messages.success(request, _("Séance hebdomadaire ajoutée."))
            return redirect("activities:sessions", slug=program.slug)
    elif request.method == "POST":
        raise PermissionDenied
    month = asked_month(request)
    changeable = editable(request.user, RecurringSession.objects.filter(site__program=program))
    return render(
        request,
        "activities/sessions_home.html",
        ctx(
            request,
            program,
            recurring=recurring,
            form=form,
            plan_form=MonthForm(initial={"month": f"{month:%Y-%m}"}),
            changeable_ids=set(changeable.values_list("pk", flat=True)),
            today=timezone.localdate(),
        ),
    )


@login_required
@require_POST
def plan_month(request: HttpRequest, slug: str) -> HttpResponse:
    program = coordinated_program(request, slug)
    form = MonthForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Indiquez un mois au format AAAA-MM."))
        return redirect("activities:sessions", slug=program.slug)
    start = form.cleaned_data["month"]
    end = next_month(start) - timedelta(days=1)
    outcome = plan_sessions(program=program, start=start, end=end, by=request.user)
    return render(request, "activities/plan_result.html", ctx(request, program, outcome=outcome, month=start))


@login_required
def session_detail(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    program = get_program(request, slug)
    session = get_for(
        request.user,
        Session.objects.filter(site__program=program).select_related("site__commune", "replaces"),
        pk=pk,
    )
    can_edit = editable(request.user, Session.objects.filter(pk=session.pk)).exists()
    report = getattr(session, "report", None)
    return render(
        request,
        "activities/session_detail.html",
        ctx(
            request,
            program,
            session=session,
            report=report,
            # Named attendance, for those who may see the participants (they run the site's sessions).
            named=list(
                visible(request.user, Participant.objects.filter(attendances__report=report)).order_by(
                    "first_name"
                )
            )
            if report
            else [],
            volunteers=session.volunteers.all(),
            can_edit=can_edit,
            cancel_form=CancelForm(),
            replace_form=ReplaceForm(),
            replacement=Session.objects.filter(replaces=session).first(),
            history=session.history.select_related("by"),
        ),
    )


@login_required
@require_POST
def session_cancel(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    program = get_program(request, slug)
    session = get_for(request.user, Session.objects.filter(site__program=program), action="change", pk=pk)
    form = CancelForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Indiquez le motif de l'annulation."))
    else:
        try:
            session_services.session_cancel(
                session=session, reason=form.cleaned_data["reason"], by=request.user
            )
            messages.success(request, _("Séance annulée ; les volontaires et le site sont prévenus."))
        except ValidationError as err:
            bad(request, err)
    return redirect("activities:session", slug=program.slug, pk=session.pk)


@login_required
@require_POST
def session_replace(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    program = get_program(request, slug)
    session = get_for(request.user, Session.objects.filter(site__program=program), action="change", pk=pk)
    form = ReplaceForm(request.POST)
    if not form.is_valid():
        if form.has_error("starts_at", dates.PlausibleDateValidator.code):
            messages.error(request, dates.out_of_window_message())
        else:
            messages.error(request, _("Indiquez une date et une heure valides."))
        return redirect("activities:session", slug=program.slug, pk=session.pk)
    try:
        new = session_services.session_replace(
            session=session, starts_at=form.cleaned_data["starts_at"], by=request.user
        )
    except ValidationError as err:
        bad(request, err)
        return redirect("activities:session", slug=program.slug, pk=session.pk)
    messages.success(request, _("Séance remplacée ; les volontaires et le site sont prévenus."))
    return redirect("activities:session", slug=program.slug, pk=new.pk)
