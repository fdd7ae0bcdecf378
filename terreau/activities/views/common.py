"""What the activities pages share: the program a user sees (or one of whose sites they see), whether they
coordinate it, its sites they see, the month asked for, the page context, and errors shown as messages or on a form."""

from __future__ import annotations

from datetime import date, timedelta

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest
from django.utils import timezone

from terreau.core import dates
from terreau.core.access import editable, visible
from terreau.programs.models import HostSite, Program


def get_program(request: HttpRequest, slug: str) -> Program:
    return program_for(request.user, slug)


def program_for(user, slug: str) -> Program:
    """The program, for a user who sees it or one of its sites (site staff and volunteers see only sites)."""
    program = visible(user, Program.objects.select_related("branch")).filter(slug=slug).first()
    if program is not None:
        return program
    site = visible(
        user, HostSite.objects.filter(program__slug=slug).select_related("program__branch")
    ).first()
    if site is None:
        raise Http404
    return site.program


def coordinated_program(request: HttpRequest, slug: str) -> Program:
    program = get_program(request, slug)
    if not coordinates(request, program):
        raise PermissionDenied
    return program


def coordinates(request: HttpRequest, program: Program) -> bool:
    return editable(request.user, Program.objects.filter(pk=program.pk)).exists()


def visible_sites(request: HttpRequest, program: Program):
    return visible(request.user, HostSite.objects.filter(program=program)).select_related(
        "commune__department"
    )


def asked_month(request: HttpRequest) -> date:
    """The month in "?mois=AAAA-MM" (this month when absent); a bad or implausible one is told and
    replaced by this month."""
    try:
        month = dates.parse_month(request.GET.get("mois"))
    except dates.QueryDateError as err:
        messages.warning(request, err.message)
        month = None
    return month or timezone.localdate().replace(day=1)


def next_month(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


def ctx(request, program, **extra):
    return {
        "program": program,
        "nav": "programs",
        "can_coordinate": coordinates(request, program),
        "sees_program": visible(request.user, Program.objects.filter(pk=program.pk)).exists(),
        **extra,
    }


def bad(request, err: ValidationError) -> None:
    for message in err.messages:
        messages.error(request, message)


def form_errors(form, err: ValidationError) -> None:
    if hasattr(err, "error_dict"):
        for name, errs in err.message_dict.items():
            form.add_error(name if name in form.fields else None, errs)
    else:
        form.add_error(None, err)
