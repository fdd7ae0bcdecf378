"""Calendars of a program, a site or a volunteer, and their iCalendar feeds for calendar apps."""

from __future__ import annotations

from datetime import date, time, timedelta

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from terreau.accounts.models import User
from terreau.activities import exports
from terreau.activities.models import Mission, Session
from terreau.activities.planning import skipped_days
from terreau.activities.sessions import calendar_token, local_dt, read_calendar_token
from terreau.activities.views.common import (
    asked_month,
    coordinates,
    ctx,
    get_program,
    next_month,
    program_for,
    visible_sites,
)
from terreau.core.access import visible
from terreau.core.links import absolute_url


def _scoped_sessions(user, program, scope: str, obj_id):
    qs = visible(user, Session.objects.filter(site__program=program))
    if scope == "site":
        qs = qs.filter(site_id=obj_id)
    elif scope == "volunteer":
        mission = visible(user, Mission.objects.filter(program=program, pk=obj_id)).first()
        if mission is None:
            return qs.none(), None
        qs = qs.filter(volunteers=mission)
        return qs, mission
    return qs, None


@login_required
def calendar(request: HttpRequest, slug: str) -> HttpResponse:
    program = get_program(request, slug)
    month = asked_month(request)
    scope, obj_id, title = "program", None, program.name
    sites = list(visible_sites(request, program))
    site_id, mission_id = request.GET.get("site"), request.GET.get("volontaire")
    if site_id and site_id.isdigit():
        site = next((s for s in sites if s.pk == int(site_id)), None)
        if site is None:
            raise Http404
        scope, obj_id, title = "site", site.pk, site.name
    elif mission_id and mission_id.isdigit():
        scope, obj_id = "volunteer", int(mission_id)
    sessions, mission = _scoped_sessions(request.user, program, scope, obj_id)
    if scope == "volunteer":
        if mission is None:
            raise Http404
        title = str(mission)
    elif scope == "program" and not coordinates(request, program):
        own = visible(request.user, Mission.objects.filter(program=program, user=request.user)).first()
        if own is not None and request.GET.get("tout") is None:
            # A volunteer lands on their own calendar.
            return redirect(
                f"{reverse('activities:calendar', kwargs={'slug': program.slug})}?volontaire={own.pk}"
            )
    sessions = (
        sessions.filter(
            starts_at__gte=local_dt(month, time.min),
            starts_at__lt=local_dt(next_month(month), time.min),
        )
        .select_related("site", "report")
        .prefetch_related("volunteers")
        .order_by("starts_at")
    )
    days: dict[date, list[Session]] = {}
    for s in sessions:
        days.setdefault(timezone.localtime(s.starts_at).date(), []).append(s)
    # The days a weekly session skips (public holiday, site closure), said where the session would have been.
    closed: dict[date, list] = {}
    if scope != "volunteer":
        shown = {obj_id} if scope == "site" else {site.pk for site in sites}
        for skipped in skipped_days(program=program, start=month, end=next_month(month) - timedelta(days=1)):
            if skipped.site.pk in shown:
                closed.setdefault(skipped.day, []).append(skipped)
    token = calendar_token(user=request.user, program=program, scope=scope, obj_id=obj_id)
    feed = absolute_url(reverse("activities:feed", kwargs={"slug": program.slug, "token": token}))
    query = f"&site={obj_id}" if scope == "site" else f"&volontaire={obj_id}" if scope == "volunteer" else ""
    return render(
        request,
        "activities/calendar.html",
        ctx(
            request,
            program,
            days=[
                (day, days.get(day, []), closed.get(day, [])) for day in sorted(days.keys() | closed.keys())
            ],
            month=month,
            previous=(month - timedelta(days=1)).replace(day=1),
            next=next_month(month),
            sites=sites,
            missions=visible(request.user, Mission.objects.filter(program=program)),
            scope=scope,
            obj_id=obj_id,
            title=title,
            feed=feed,
            query=query,
        ),
    )


def calendar_feed(request: HttpRequest, slug: str, token: str) -> HttpResponse:
    """iCalendar feed for calendar apps (no session cookie): the token names the user whose rights apply."""
    data = read_calendar_token(token)
    if data is None:
        raise Http404
    user = User.objects.filter(pk=data["u"], is_active=True).first()
    if user is None:
        raise Http404
    program = program_for(user, slug)
    if program.pk != data["p"]:
        raise Http404
    sessions, _mission = _scoped_sessions(user, program, data["s"], data["i"])
    since = timezone.now() - timedelta(days=90)
    sessions = (
        sessions.filter(starts_at__gte=since).select_related("site__commune").prefetch_related("volunteers")
    )
    response = HttpResponse(
        exports.sessions_ics(sessions, name=program.name), content_type="text/calendar; charset=utf-8"
    )
    response["Content-Disposition"] = f'inline; filename="{program.slug}.ics"'
    return response
