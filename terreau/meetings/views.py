"""Speed-meeting pages. Thin: the event comes through terreau.core.access (its branch's staff and its named
organisers run it), the participant is identified by their signed link or their own registration (core
access's owner path), changes go through services."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from terreau.core.access import editable, get_for
from terreau.events import tokens
from terreau.events.models import Event, Registration
from terreau.meetings import agendas, calendar, pdf, plans, services
from terreau.meetings.forms import AbsenceForm, AvailabilityForm, FeedbackForm, SetupForm, WishesForm
from terreau.meetings.models import Feedback, SpeedMeeting

SPEED = Event.Kind.SPEED_MEETING


# --- organisers -------------------------------------------------------------------------------------


def _managed(request: HttpRequest, slug: str) -> Event:
    """The speed-meeting event if the user organises it or is staff of its branch; 404 otherwise (an event
    run by another branch is not revealed)."""
    event = (
        editable(request.user, Event.objects.filter(slug=slug, kind=SPEED))
        .select_related("branch", "commune")
        .first()
    )
    if event is None:
        raise Http404
    return event


def _speed_meeting(event: Event) -> SpeedMeeting | None:
    return event.speed_meeting_or_none()


def _errors(request: HttpRequest, exc: ValidationError) -> None:
    messages.error(request, " ".join(exc.messages))


def _adjusted_message(n: dict[str, int]) -> str:
    """The message after a re-plan on the day, with French plurals ("1 rendez-vous annulé, 2 ajoutés")."""
    return _("Planning ajusté : %(removed)s, %(added)s, %(moved)s.") % {
        "removed": ngettext("%(n)s rendez-vous annulé", "%(n)s rendez-vous annulés", n["removed"])
        % {"n": n["removed"]},
        "added": ngettext("%(n)s ajouté", "%(n)s ajoutés", n["added"]) % {"n": n["added"]},
        "moved": ngettext("%(n)s déplacé", "%(n)s déplacés", n["moved"]) % {"n": n["moved"]},
    }


@login_required
def setup(request: HttpRequest, slug: str) -> HttpResponse:
    event = _managed(request, slug)
    sm = _speed_meeting(event)
    if sm is None:
        sm = SpeedMeeting(event=event, wishes_deadline=event.deadline)
    form = SetupForm(request.POST or None, instance=sm)
    if request.method == "POST" and form.is_valid():
        try:
            services.speed_meeting_setup(event=event, data=form.setup_data(), by=request.user)
        except ValidationError as exc:
            form.add_error(None, " ".join(exc.messages))
        else:
            messages.success(request, _("Paramètres des rendez-vous enregistrés."))
            return redirect("meetings:planning", slug=event.slug)
    return render(
        request,
        "meetings/setup.html",
        {"event": event, "form": form, "sm": sm, "nav": "events"},
        status=400 if request.method == "POST" else 200,
    )


@login_required
def planning(request: HttpRequest, slug: str) -> HttpResponse:
    event = _managed(request, slug)
    sm = _speed_meeting(event)
    if sm is None:
        return redirect("meetings:setup", slug=event.slug)
    people = list(services.participants(sm))
    names = {r.pk: r for r in people}
    meetings = list(sm.meetings.select_related("a", "b", "a__organisation", "b__organisation"))
    rounds = [
        {"number": r + 1, "start": start, "end": end, "meetings": [m for m in meetings if m.round == r]}
        for r, start, end in sm.round_times()
    ]
    unmet = [
        {"from": names.get(w["from"]), "to": names.get(w["to"]), "weight": w["weight"]}
        for w in sm.unmet_wishes
    ]
    counts = {r.pk: 0 for r in people}
    for m in meetings:
        for x in (m.a_id, m.b_id):
            counts[x] = counts.get(x, 0) + 1
    rows = [
        {
            "r": r,
            "side": services.side_of(r),
            "unavailable": [x + 1 for x in services.unavailable_of(r)],
            "absent": getattr(getattr(r, "participation", None), "absent", False),
            "wishes": r.wishes_made.count(),
            "meetings": counts.get(r.pk, 0),
        }
        for r in people
    ]
    last_replan = sm.history.exclude(details={}).filter(details__has_key="current_round").last()
    return render(
        request,
        "meetings/planning.html",
        {
            "event": event,
            "sm": sm,
            "rows": rows,
            "rounds": rounds,
            "unmet": unmet,
            "history": sm.history.select_related("by"),
            "absence_form": AbsenceForm(participants=services.participants(sm)),
            "last_replan": last_replan,
            "planning_job": plans.running_planning_job(sm),
            "nav": "events",
        },
    )


@login_required
@require_POST
def plan_run(request: HttpRequest, slug: str) -> HttpResponse:
    event = _managed(request, slug)
    sm = _speed_meeting(event)
    if sm is None:
        raise Http404
    try:
        tracked = plans.start_planning(sm=sm, by=request.user)
    except ValidationError as exc:
        _errors(request, exc)
        return redirect("meetings:planning", slug=event.slug)
    return redirect("core:tracked_job", pk=tracked.pk)


@login_required
@require_POST
def publish(request: HttpRequest, slug: str) -> HttpResponse:
    event = _managed(request, slug)
    sm = _speed_meeting(event)
    if sm is None:
        raise Http404
    final = request.POST.get("final") == "1"
    try:
        plans.plan_publish(sm=sm, final=final, by=request.user)
    except ValidationError as exc:
        _errors(request, exc)
    else:
        messages.success(
            request,
            _("Planning définitif publié : les participants ont reçu leur agenda par courriel.")
            if final
            else _(
                "Planning provisoire publié : les participants ont reçu par courriel le lien vers leur "
                "agenda provisoire."
            ),
        )
    return redirect("meetings:planning", slug=event.slug)


@login_required
@require_POST
def absent(request: HttpRequest, slug: str) -> HttpResponse:
    event = _managed(request, slug)
    sm = _speed_meeting(event)
    if sm is None:
        raise Http404
    form = AbsenceForm(request.POST, participants=services.participants(sm))
    if not form.is_valid():
        messages.error(request, _("Choisissez le participant absent."))
        return redirect("meetings:planning", slug=event.slug)
    current = form.cleaned_data["current_round"]
    try:
        changes = plans.mark_absent(
            sm=sm,
            registration=form.cleaned_data["registration"],
            by=request.user,
            current_round=current - 1 if current else None,
        )
    except ValidationError as exc:
        _errors(request, exc)
    else:
        messages.success(
            request,
            _adjusted_message({k: len(v) for k, v in changes.items()}),
        )
    return redirect(reverse("meetings:planning", kwargs={"slug": event.slug}) + "#changements")


@login_required
def availability_manage(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """Organisers edit a participant's availability."""
    event = _managed(request, slug)
    sm = _speed_meeting(event)
    if sm is None:
        raise Http404
    registration = services.participants(sm).filter(pk=pk).first()
    if registration is None:
        raise Http404
    form = AvailabilityForm(
        request.POST or None,
        sm=sm,
        initial={"unavailable": [str(r) for r in services.unavailable_of(registration)]},
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.availability_save(sm=sm, registration=registration, unavailable=form.rounds())
        except ValidationError as exc:
            form.add_error(None, " ".join(exc.messages))
        else:
            messages.success(request, _("Disponibilités enregistrées."))
            return redirect("meetings:planning", slug=event.slug)
    return render(
        request,
        "meetings/availability.html",
        {"event": event, "sm": sm, "form": form, "registration": registration, "nav": "events"},
    )


@login_required
def table_plan(request: HttpRequest, slug: str) -> HttpResponse:
    event = _managed(request, slug)
    sm = _speed_meeting(event)
    if sm is None or sm.planned_at is None:
        raise Http404
    meetings = list(sm.meetings.select_related("a", "b", "a__organisation", "b__organisation"))
    response = HttpResponse(pdf.table_plan_pdf(sm, meetings), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="plan-de-table-{event.slug}.pdf"'
    return response


# --- participants -----------------------------------------------------------------------------------


class _Denied(Exception):
    def __init__(self, response: HttpResponse):
        self.response = response


def _participant(request: HttpRequest, slug: str, token: str | None) -> tuple[SpeedMeeting, Registration]:
    """The speed-meeting and the participant: from the signed link, or from the signed-in account."""
    if token is not None:
        try:
            pk = tokens.read_token(token, "manage")
        except tokens.BadLink as exc:
            raise _Denied(
                render(request, "events/bad_link.html", {"reason": exc.reason}, status=400)
            ) from None
        registration = (
            Registration.objects.select_related("event", "event__branch", "organisation")
            .filter(pk=pk, event__slug=slug, event__kind=SPEED)
            .first()
        )
        if registration is None:
            raise Http404
        event = registration.event
    else:
        if not request.user.is_authenticated:
            raise _Denied(redirect(f"{reverse('accounts:login')}?next={request.path}"))
        event = get_for(request.user, Event.objects.select_related("branch"), slug=slug, kind=SPEED)
        registration = event.registration_of(request.user)
        if registration is None:
            raise Http404
    sm = event.speed_meeting_or_none()
    if sm is None or not services.is_participant(sm, registration):
        raise Http404
    return sm, registration


def _links(event: Event, token: str | None) -> dict[str, str]:
    def url(name: str) -> str:
        if token:
            return reverse(f"meetings:{name}_token", kwargs={"slug": event.slug, "token": token})
        return reverse(f"meetings:{name}", kwargs={"slug": event.slug})

    return {
        "wishes": url("wishes"),
        "availability": url("availability"),
        "agenda": url("agenda"),
        "agenda_pdf": url("agenda_pdf"),
        "agenda_ics": url("agenda_ics"),
        "feedback": url("feedback"),
    }


def participant_view(func):
    def wrapper(request: HttpRequest, slug: str, token: str | None = None) -> HttpResponse:
        try:
            sm, registration = _participant(request, slug, token)
        except _Denied as denied:
            return denied.response
        return func(request, sm, registration, _links(sm.event, token))

    wrapper.__name__ = func.__name__
    wrapper.__doc__ = func.__doc__
    return wrapper


@participant_view
def wishes(request: HttpRequest, sm: SpeedMeeting, registration: Registration, links) -> HttpResponse:
    """The participant marks the others: must meet, would like, no thanks (until the deadline)."""
    is_open = sm.wishes_open()
    candidates = services.wish_candidates(sm, registration)
    current = services.wishes_of(registration)
    form = WishesForm(
        request.POST if request.method == "POST" else None,
        candidates=candidates,
        current=current,
        disabled=not is_open,
    )
    status = 200
    if request.method == "POST":
        if not is_open:
            messages.error(
                request, _("La date limite des souhaits est passée : ils ne peuvent plus être modifiés.")
            )
            status = 400
        elif form.is_valid():
            try:
                count = services.wishes_save(sm=sm, source=registration, levels=form.levels())
            except ValidationError as exc:
                form.add_error(None, " ".join(exc.messages))
                status = 400
            else:
                messages.success(request, _("Vos souhaits sont enregistrés (%(n)s).") % {"n": count})
                return redirect(links["wishes"])
        else:
            status = 400
    suggested = (
        services.engine_suggestions(registration=registration, candidates=candidates) if is_open else []
    )
    return render(
        request,
        "meetings/wishes.html",
        {
            "event": sm.event,
            "sm": sm,
            "registration": registration,
            "side": services.side_of(registration),
            "form": form,
            "is_open": is_open,
            "suggested": suggested,
            "availability_form": AvailabilityForm(
                sm=sm, initial={"unavailable": [str(r) for r in services.unavailable_of(registration)]}
            ),
            "links": links,
            "nav": "events",
        },
        status=status,
    )


@require_POST
@participant_view
def availability(request: HttpRequest, sm: SpeedMeeting, registration: Registration, links) -> HttpResponse:
    form = AvailabilityForm(request.POST, sm=sm)
    if form.is_valid():
        try:
            services.availability_save(sm=sm, registration=registration, unavailable=form.rounds())
        except ValidationError as exc:
            _errors(request, exc)
        else:
            messages.success(request, _("Vos disponibilités sont enregistrées."))
    else:
        messages.error(request, _("Choisissez parmi les tours proposés."))
    return redirect(links["wishes"] + "#disponibilites")


def _agenda_rows(sm: SpeedMeeting, registration: Registration) -> list[dict]:
    return [
        {
            "meeting": m,
            "other": m.other(registration),
            "start": sm.round_starts_at(m.round),
            "end": sm.round_ends_at(m.round),
        }
        for m in agendas.agenda_of(sm, registration)
    ]


@participant_view
def agenda(request: HttpRequest, sm: SpeedMeeting, registration: Registration, links) -> HttpResponse:
    return render(
        request,
        "meetings/agenda.html",
        {
            "event": sm.event,
            "sm": sm,
            "registration": registration,
            "rows": _agenda_rows(sm, registration) if sm.is_published else [],
            "links": links,
            "nav": "events",
        },
    )


@participant_view
def agenda_pdf(request: HttpRequest, sm: SpeedMeeting, registration: Registration, links) -> HttpResponse:
    if not sm.is_published:
        raise Http404
    body = pdf.agenda_pdf(sm, registration, agendas.agenda_of(sm, registration))
    response = HttpResponse(body, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="mes-rendez-vous-{sm.event.slug}.pdf"'
    return response


@participant_view
def agenda_ics(request: HttpRequest, sm: SpeedMeeting, registration: Registration, links) -> HttpResponse:
    if not sm.is_published:
        raise Http404
    body = calendar.agenda_ics(sm, registration, agendas.agenda_of(sm, registration))
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="mes-rendez-vous-{sm.event.slug}.ics"'
    return response


@participant_view
def feedback(request: HttpRequest, sm: SpeedMeeting, registration: Registration, links) -> HttpResponse:
    """After the meetings: rate each one (1–5) and say what follows."""
    now = timezone.now()
    meetings = [m for m in agendas.agenda_of(sm, registration) if sm.state == sm.State.FINAL]
    given = {
        f.meeting_id: f for f in Feedback.objects.filter(registration=registration, meeting__in=meetings)
    }
    status = 200
    items = []
    for m in meetings:
        prefix = f"m{m.pk}"
        posted = request.method == "POST" and request.POST.get("meeting") == str(m.pk)
        old = given.get(m.pk)
        initial = (
            {"rating": str(old.rating), "follow_up": old.follow_up, "comment": old.comment} if old else None
        )
        form = FeedbackForm(request.POST if posted else None, prefix=prefix, initial=initial)
        if posted:
            if form.is_valid():
                try:
                    agendas.feedback_save(
                        meeting=m,
                        registration=registration,
                        by=request.user if request.user.is_authenticated else None,
                        now=now,
                        **form.cleaned_data,
                    )
                except ValidationError as exc:
                    form.add_error(None, " ".join(exc.messages))
                    status = 400
                else:
                    messages.success(request, _("Merci, votre avis est enregistré."))
                    return redirect(links["feedback"])
            else:
                status = 400
        items.append(
            {
                "meeting": m,
                "other": m.other(registration),
                "form": form,
                "open": now >= sm.round_ends_at(m.round),
                "given": old,
            }
        )
    return render(
        request,
        "meetings/feedback.html",
        {
            "event": sm.event,
            "sm": sm,
            "registration": registration,
            "items": items,
            "links": links,
            "nav": "events",
        },
        status=status,
    )
