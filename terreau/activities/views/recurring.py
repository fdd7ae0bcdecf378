"""Weekly sessions: edit, end, delete (coordinators, branch staff and the site's staff); their occurrences to
come follow, and the page says what happened to them."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from terreau.activities import recurring as recurring_services
from terreau.activities.forms import RecurringEndForm, RecurringSessionForm
from terreau.activities.models import RecurringSession, Session
from terreau.activities.views.common import bad, ctx, form_errors, get_program
from terreau.core.access import editable, get_for
from terreau.programs.models import HostSite, Program


def _recurring(request: HttpRequest, program: Program, pk: int) -> RecurringSession:
    """A weekly session of the program the user may change: 404 when they do not see it, 403 when they only
    see it (volunteers, partner viewers)."""
    return get_for(
        request.user,
        RecurringSession.objects.filter(site__program=program).select_related("site"),
        action="change",
        pk=pk,
    )


def recurring_sites(request: HttpRequest, program: Program):
    """The program's sites where the user may add or change weekly sessions."""
    return editable(
        request.user, HostSite.objects.filter(program=program), rule=RecurringSession.ACCESS.parent("site")
    )


def _recurring_form(request, program, rec: RecurringSession, data=None) -> RecurringSessionForm:
    sites = recurring_sites(request, program)
    # Its own copy of the row: validating a bound form writes into its instance.
    instance = RecurringSession.objects.select_related("site").get(pk=rec.pk)
    return RecurringSessionForm(
        data,
        instance=instance,
        sites=sites,
        lock_site=not recurring_services.recurring_is_unused(recurring=rec),
    )


def _recurring_page(request, program, rec, *, form=None, end_form=None) -> HttpResponse:
    today = timezone.localdate()
    upcoming = Session.objects.filter(
        recurring=rec, status=Session.Status.PLANNED, starts_at__gt=timezone.now()
    ).count()
    return render(
        request,
        "activities/recurring_form.html",
        ctx(
            request,
            program,
            rec=rec,
            form=form or _recurring_form(request, program, rec),
            end_form=end_form or RecurringEndForm(initial={"stop_from": today}),
            unused=recurring_services.recurring_is_unused(recurring=rec),
            upcoming=upcoming,
            ended=rec.ends_on is not None and rec.ends_on < today,
        ),
    )


def _occurrences_message(outcome: recurring_services.OccurrencesOutcome) -> str:
    parts = []
    if outcome.moved:
        n = len(outcome.moved)
        parts.append(
            ngettext("%(n)s séance à venir déplacée.", "%(n)s séances à venir déplacées.", n) % {"n": n}
        )
    if outcome.updated:
        n = len(outcome.updated)
        parts.append(
            ngettext("%(n)s séance à venir mise à jour.", "%(n)s séances à venir mises à jour.", n) % {"n": n}
        )
    if outcome.cancelled:
        n = len(outcome.cancelled)
        parts.append(
            ngettext("%(n)s séance prévue annulée.", "%(n)s séances prévues annulées.", n) % {"n": n}
        )
    if outcome.kept:
        n = outcome.kept
        parts.append(
            ngettext(
                "%(n)s séance avec compte rendu conservée.", "%(n)s séances avec compte rendu conservées.", n
            )
            % {"n": n}
        )
    if outcome.moved or outcome.cancelled:
        parts.append(_("Les volontaires affectés et le site sont prévenus."))
    if outcome.released:
        n = len(outcome.released)
        parts.append(
            ngettext(
                "%(n)s place de volontaire libérée : un volontaire n'est plus disponible au nouvel horaire "
                "(il est prévenu, la coordination aussi). Planifiez à nouveau le mois pour la pourvoir.",
                "%(n)s places de volontaires libérées : des volontaires ne sont plus disponibles au nouvel "
                "horaire (ils sont prévenus, la coordination aussi). Planifiez à nouveau les mois concernés "
                "pour les pourvoir.",
                n,
            )
            % {"n": n}
        )
    return " ".join(parts)


@login_required
def recurring_edit(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    program = get_program(request, slug)
    rec = _recurring(request, program, pk)
    if request.method != "POST":
        return _recurring_page(request, program, rec)
    form = _recurring_form(request, program, rec, data=request.POST)
    if form.is_valid():
        changes = {name: form.cleaned_data[name] for name in recurring_services.RECURRING_FIELDS}
        try:
            outcome = recurring_services.recurring_update(recurring=rec, changes=changes, by=request.user)
        except ValidationError as err:
            form_errors(form, err)
        else:
            text = " ".join(filter(None, [_("Séance hebdomadaire modifiée."), _occurrences_message(outcome)]))
            messages.success(request, text)
            return redirect("activities:sessions", slug=program.slug)
    return _recurring_page(request, program, rec, form=form)


@login_required
@require_POST
def recurring_end(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    program = get_program(request, slug)
    rec = _recurring(request, program, pk)
    form = RecurringEndForm(request.POST)
    if form.is_valid():
        stop_from = form.cleaned_data["stop_from"]
        try:
            outcome = recurring_services.recurring_end(
                recurring=rec, stop_from=stop_from, reason=form.cleaned_data["reason"], by=request.user
            )
        except ValidationError as err:
            form_errors(form, err)
        else:
            head = _("Séance hebdomadaire arrêtée à partir du %(day)s.") % {"day": f"{stop_from:%d/%m/%Y}"}
            messages.success(request, " ".join(filter(None, [head, _occurrences_message(outcome)])))
            return redirect("activities:sessions", slug=program.slug)
    return _recurring_page(request, program, rec, end_form=form)


@login_required
@require_POST
def recurring_delete(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    program = get_program(request, slug)
    rec = _recurring(request, program, pk)
    try:
        recurring_services.recurring_delete(recurring=rec, by=request.user)
    except ValidationError as err:
        bad(request, err)
        return redirect("activities:recurring_edit", slug=program.slug, pk=rec.pk)
    messages.success(request, _("Séance hebdomadaire supprimée."))
    return redirect("activities:sessions", slug=program.slug)
