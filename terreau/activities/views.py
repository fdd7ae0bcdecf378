"""Pages of a program's activities. Thin: objects come through terreau.core.access, changes through
terreau.activities.services, figures through terreau.activities.dashboard."""

from __future__ import annotations

from datetime import date, time, timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from terreau.accounts.models import User
from terreau.activities import dashboard as dashboards
from terreau.activities import exports, services
from terreau.activities.forms import (
    CancelForm,
    MissionForm,
    MonthForm,
    ParticipantForm,
    RecurringEndForm,
    RecurringSessionForm,
    ReplaceForm,
    ReportForm,
)
from terreau.activities.models import Mission, Participant, RecurringSession, Session
from terreau.core import dates
from terreau.core.access import accounts_for, editable, get_for, visible
from terreau.core.links import absolute_url
from terreau.directory.models import Organisation
from terreau.programs.models import HostSite, Program
from terreau.territories.models import Commune


def _program(request: HttpRequest, slug: str) -> Program:
    return _program_for(request.user, slug)


def _program_for(user, slug: str) -> Program:
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


def _coordinated_program(request: HttpRequest, slug: str) -> Program:
    program = _program(request, slug)
    if not _coordinates(request, program):
        raise PermissionDenied
    return program


def _coordinates(request: HttpRequest, program: Program) -> bool:
    return editable(request.user, Program.objects.filter(pk=program.pk)).exists()


def _sites(request: HttpRequest, program: Program):
    return visible(request.user, HostSite.objects.filter(program=program)).select_related("commune")


def _month(request: HttpRequest) -> date:
    """The month in "?mois=AAAA-MM" (this month when absent); a bad or implausible one is told and
    replaced by this month."""
    try:
        month = dates.parse_month(request.GET.get("mois"))
    except dates.QueryDateError as err:
        messages.warning(request, err.message)
        month = None
    return month or timezone.localdate().replace(day=1)


def _next_month(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


def _ctx(request, program, **extra):
    return {
        "program": program,
        "nav": "programs",
        "can_coordinate": _coordinates(request, program),
        "sees_program": visible(request.user, Program.objects.filter(pk=program.pk)).exists(),
        **extra,
    }


def _bad(request, err: ValidationError) -> None:
    for message in err.messages:
        messages.error(request, message)


# --- sessions: weekly sessions, planning, occurrences -----------------------------------------------


@login_required
def sessions_home(request: HttpRequest, slug: str) -> HttpResponse:
    program = _program(request, slug)
    recurring = visible(request.user, RecurringSession.objects.filter(site__program=program)).select_related(
        "site"
    )
    form = None
    # Coordinators and branch staff add weekly sessions at any site of the program, site staff at their own.
    sites = _recurring_sites(request, program)
    if sites.exists():
        form = RecurringSessionForm(request.POST or None, sites=sites)
        if request.method == "POST" and form.is_valid():
            rec = form.save(commit=False)
            rec.save()
            messages.success(request, _("Séance hebdomadaire ajoutée."))
            return redirect("activities:sessions", slug=program.slug)
    elif request.method == "POST":
        raise PermissionDenied
    month = _month(request)
    changeable = editable(request.user, RecurringSession.objects.filter(site__program=program))
    return render(
        request,
        "activities/sessions_home.html",
        _ctx(
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
    program = _coordinated_program(request, slug)
    form = MonthForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Indiquez un mois au format AAAA-MM."))
        return redirect("activities:sessions", slug=program.slug)
    start = form.cleaned_data["month"]
    end = _next_month(start) - timedelta(days=1)
    outcome = services.plan_sessions(program=program, start=start, end=end, by=request.user)
    return render(
        request, "activities/plan_result.html", _ctx(request, program, outcome=outcome, month=start)
    )


# --- weekly sessions: edit, end, delete (coordinators, branch staff and the site's staff) ----------------


def _recurring(request: HttpRequest, program: Program, pk: int) -> RecurringSession:
    """A weekly session of the program the user may change: 404 when they do not see it, 403 when they only
    see it (volunteers, partner viewers)."""
    return get_for(
        request.user,
        RecurringSession.objects.filter(site__program=program).select_related("site"),
        action="change",
        pk=pk,
    )


def _recurring_sites(request: HttpRequest, program: Program):
    """The program's sites where the user may add or change weekly sessions."""
    return editable(
        request.user, HostSite.objects.filter(program=program), rule=RecurringSession.ACCESS.parent("site")
    )


def _recurring_form(request, program, rec: RecurringSession, data=None) -> RecurringSessionForm:
    sites = _recurring_sites(request, program)
    # Its own copy of the row: validating a bound form writes into its instance.
    instance = RecurringSession.objects.select_related("site").get(pk=rec.pk)
    return RecurringSessionForm(
        data,
        instance=instance,
        sites=sites,
        lock_site=not services.recurring_is_unused(recurring=rec),
    )


def _recurring_page(request, program, rec, *, form=None, end_form=None) -> HttpResponse:
    today = timezone.localdate()
    upcoming = Session.objects.filter(
        recurring=rec, status=Session.Status.PLANNED, starts_at__gt=timezone.now()
    ).count()
    return render(
        request,
        "activities/recurring_form.html",
        _ctx(
            request,
            program,
            rec=rec,
            form=form or _recurring_form(request, program, rec),
            end_form=end_form or RecurringEndForm(initial={"stop_from": today}),
            unused=services.recurring_is_unused(recurring=rec),
            upcoming=upcoming,
            ended=rec.ends_on is not None and rec.ends_on < today,
        ),
    )


def _form_errors(form, err: ValidationError) -> None:
    if hasattr(err, "error_dict"):
        for name, errs in err.message_dict.items():
            form.add_error(name if name in form.fields else None, errs)
    else:
        form.add_error(None, err)


def _occurrences_message(outcome: services.OccurrencesOutcome) -> str:
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
    program = _program(request, slug)
    rec = _recurring(request, program, pk)
    if request.method != "POST":
        return _recurring_page(request, program, rec)
    form = _recurring_form(request, program, rec, data=request.POST)
    if form.is_valid():
        changes = {name: form.cleaned_data[name] for name in services.RECURRING_FIELDS}
        try:
            outcome = services.recurring_update(recurring=rec, changes=changes, by=request.user)
        except ValidationError as err:
            _form_errors(form, err)
        else:
            text = " ".join(filter(None, [_("Séance hebdomadaire modifiée."), _occurrences_message(outcome)]))
            messages.success(request, text)
            return redirect("activities:sessions", slug=program.slug)
    return _recurring_page(request, program, rec, form=form)


@login_required
@require_POST
def recurring_end(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    program = _program(request, slug)
    rec = _recurring(request, program, pk)
    form = RecurringEndForm(request.POST)
    if form.is_valid():
        stop_from = form.cleaned_data["stop_from"]
        try:
            outcome = services.recurring_end(
                recurring=rec, stop_from=stop_from, reason=form.cleaned_data["reason"], by=request.user
            )
        except ValidationError as err:
            _form_errors(form, err)
        else:
            head = _("Séance hebdomadaire arrêtée à partir du %(day)s.") % {"day": f"{stop_from:%d/%m/%Y}"}
            messages.success(request, " ".join(filter(None, [head, _occurrences_message(outcome)])))
            return redirect("activities:sessions", slug=program.slug)
    return _recurring_page(request, program, rec, end_form=form)


@login_required
@require_POST
def recurring_delete(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    program = _program(request, slug)
    rec = _recurring(request, program, pk)
    try:
        services.recurring_delete(recurring=rec, by=request.user)
    except ValidationError as err:
        _bad(request, err)
        return redirect("activities:recurring_edit", slug=program.slug, pk=rec.pk)
    messages.success(request, _("Séance hebdomadaire supprimée."))
    return redirect("activities:sessions", slug=program.slug)


@login_required
def session_detail(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    program = _program(request, slug)
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
        _ctx(
            request,
            program,
            session=session,
            report=report,
            volunteers=session.volunteers.all(),
            can_edit=can_edit,
            cancel_form=CancelForm(),
            replace_form=ReplaceForm(),
            replacement=Session.objects.filter(replaces=session).first(),
        ),
    )


@login_required
@require_POST
def session_cancel(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    program = _program(request, slug)
    session = get_for(request.user, Session.objects.filter(site__program=program), action="change", pk=pk)
    form = CancelForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Indiquez le motif de l'annulation."))
    else:
        try:
            services.session_cancel(session=session, reason=form.cleaned_data["reason"], by=request.user)
            messages.success(request, _("Séance annulée ; les volontaires et le site sont prévenus."))
        except ValidationError as err:
            _bad(request, err)
    return redirect("activities:session", slug=program.slug, pk=session.pk)


@login_required
@require_POST
def session_replace(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    program = _program(request, slug)
    session = get_for(request.user, Session.objects.filter(site__program=program), action="change", pk=pk)
    form = ReplaceForm(request.POST)
    if not form.is_valid():
        if form.has_error("starts_at", dates.PlausibleDateValidator.code):
            messages.error(request, dates.out_of_window_message())
        else:
            messages.error(request, _("Indiquez une date et une heure valides."))
        return redirect("activities:session", slug=program.slug, pk=session.pk)
    try:
        new = services.session_replace(
            session=session, starts_at=form.cleaned_data["starts_at"], by=request.user
        )
    except ValidationError as err:
        _bad(request, err)
        return redirect("activities:session", slug=program.slug, pk=session.pk)
    messages.success(request, _("Séance remplacée ; les volontaires et le site sont prévenus."))
    return redirect("activities:session", slug=program.slug, pk=new.pk)


def _items_for(request, session):
    """Equipment at the session's site (programs app), or None while that model is missing."""
    try:
        from terreau.programs.equipment import EquipmentItem
    except ImportError:
        return None
    return visible(request.user, EquipmentItem.objects.filter(site=session.site)).active()


@login_required
def session_report(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    program = _program(request, slug)
    session = get_for(
        request.user,
        Session.objects.filter(site__program=program).select_related("site"),
        action="change",
        pk=pk,
    )
    participants = visible(
        request.user, Participant.objects.filter(site=session.site, anonymised_at__isnull=True)
    ).order_by("first_name")
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
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        incident = None
        if data.get("incident_kind"):
            incident = {
                "kind": data["incident_kind"],
                "note": data.get("incident_note", ""),
                "item": data.get("incident_item"),
            }
        try:
            services.report_save(
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
            _bad(request, err)
        else:
            messages.success(request, _("Compte rendu enregistré. Merci !"))
            return redirect("activities:session", slug=program.slug, pk=session.pk)
    return render(request, "activities/report_form.html", _ctx(request, program, session=session, form=form))


# --- calendars -----------------------------------------------------------------------------------------


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
    program = _program(request, slug)
    month = _month(request)
    scope, obj_id, title = "program", None, program.name
    sites = list(_sites(request, program))
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
    elif scope == "program" and not _coordinates(request, program):
        own = visible(request.user, Mission.objects.filter(program=program, user=request.user)).first()
        if own is not None and request.GET.get("tout") is None:
            # A volunteer lands on their own calendar.
            return redirect(
                f"{reverse('activities:calendar', kwargs={'slug': program.slug})}?volontaire={own.pk}"
            )
    sessions = (
        sessions.filter(
            starts_at__gte=services.local_dt(month, time.min),
            starts_at__lt=services.local_dt(_next_month(month), time.min),
        )
        .select_related("site", "report")
        .prefetch_related("volunteers")
        .order_by("starts_at")
    )
    days: dict[date, list[Session]] = {}
    for s in sessions:
        days.setdefault(timezone.localtime(s.starts_at).date(), []).append(s)
    token = services.calendar_token(user=request.user, program=program, scope=scope, obj_id=obj_id)
    feed = absolute_url(reverse("activities:feed", kwargs={"slug": program.slug, "token": token}))
    query = f"&site={obj_id}" if scope == "site" else f"&volontaire={obj_id}" if scope == "volunteer" else ""
    return render(
        request,
        "activities/calendar.html",
        _ctx(
            request,
            program,
            days=sorted(days.items()),
            month=month,
            previous=(month - timedelta(days=1)).replace(day=1),
            next=_next_month(month),
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
    data = services.read_calendar_token(token)
    if data is None:
        raise Http404
    user = User.objects.filter(pk=data["u"], is_active=True).first()
    if user is None:
        raise Http404
    program = _program_for(user, slug)
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


# --- volunteers (missions) -----------------------------------------------------------------------------


@login_required
def missions(request: HttpRequest, slug: str) -> HttpResponse:
    program = _program(request, slug)
    rows = visible(request.user, Mission.objects.filter(program=program)).select_related("host_organisation")
    rows = rows.prefetch_related("sites")
    return render(
        request, "activities/missions.html", _ctx(request, program, missions=rows, today=timezone.localdate())
    )


@login_required
def mission_edit(request: HttpRequest, slug: str, pk: int | None = None) -> HttpResponse:
    program = _coordinated_program(request, slug)
    mission = (
        get_for(request.user, Mission.objects.filter(program=program), action="change", pk=pk)
        if pk
        else Mission(program=program)
    )
    # Only what the coordinator may pick, and the mission's current choices: the organisations of the
    # program's branch they see, and the accounts of terreau.core.access.accounts_for.
    local = visible(request.user, Organisation.objects.filter(branch=program.branch_id))
    accounts = accounts_for(request.user).filter(is_active=True)
    form = MissionForm(
        request.POST or None,
        instance=mission,
        sites=_sites(request, program),
        organisations=Organisation.objects.filter(
            Q(pk__in=local.values("pk")) | Q(pk=mission.host_organisation_id)
        ).order_by("name"),
        users=User.objects.filter(Q(pk__in=accounts.values("pk")) | Q(pk=mission.user_id)).order_by("email"),
        communes=Commune.objects.filter(department__in=program.departments.all()).order_by("name")
        if program.departments.exists()
        else Commune.objects.order_by("name"),
    )
    if request.method == "POST" and form.is_valid():
        obj = form.save(commit=False)
        try:
            services.mission_save(mission=obj, sites=form.cleaned_data["sites"], by=request.user)
        except ValidationError as err:
            if hasattr(err, "error_dict"):
                for field, errs in err.message_dict.items():
                    form.add_error(field if field in form.fields else None, errs)
            else:
                form.add_error(None, err)
        else:
            messages.success(request, _("Mission enregistrée."))
            return redirect("activities:missions", slug=program.slug)
    title = _("Modifier la mission") if pk else _("Nouvelle mission de service civique")
    return render(request, "activities/form.html", _ctx(request, program, form=form, title=title))


# --- participants (personal data: their site's staff and volunteers only) ---------------------------


@login_required
def participants(request: HttpRequest, slug: str) -> HttpResponse:
    program = _program(request, slug)
    rows = visible(
        request.user, Participant.objects.filter(site__program=program, anonymised_at__isnull=True)
    )
    rows = list(rows.select_related("site").order_by("site__name", "first_name"))
    by_site: dict = {}
    for p in rows:
        by_site.setdefault(p.site, []).append(p)
    table = []
    for site, people in by_site.items():
        rates = services.attendance_rates(participants=people, site=site)
        for p in people:
            n, rate = rates.get(p.pk, (0, 0.0))
            table.append(
                {"p": p, "count": n, "rate": round(rate * 100), "regular": services.is_regular(n, rate)}
            )
    can_add = _sites_for_participants(request, program).exists()
    return render(
        request, "activities/participants.html", _ctx(request, program, rows=table, can_add=can_add)
    )


def _sites_for_participants(request, program):
    """The program's sites where the user may register participants: those under which core access lets
    them change a participant (the people who run the site's sessions; not branch staff nor coordinators)."""
    return editable(
        request.user, HostSite.objects.filter(program=program), rule=Participant.ACCESS.parent("site")
    )


@login_required
def participant_add(request: HttpRequest, slug: str) -> HttpResponse:
    program = _program(request, slug)
    sites = _sites_for_participants(request, program)
    if not sites.exists():
        raise PermissionDenied
    form = ParticipantForm(request.POST or None, sites=sites, initial={"consent_on": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k != "site"}
        try:
            services.participant_create(site=form.cleaned_data["site"], data=data, by=request.user)
        except ValidationError as err:
            _bad(request, err)
        else:
            messages.success(request, _("Participant inscrit."))
            return redirect("activities:participants", slug=program.slug)
    return render(
        request, "activities/form.html", _ctx(request, program, form=form, title=_("Inscrire un participant"))
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
    program = _program(request, slug)
    person = _participant(request, program, pk)
    n, rate = services.attendance_rates(participants=[person], site=person.site).get(person.pk, (0, 0.0))
    return render(
        request,
        "activities/participant_detail.html",
        _ctx(
            request,
            program,
            person=person,
            count=n,
            rate=round(rate * 100),
            data=services.participant_export(participant=person),
        ),
    )


@login_required
def participant_export(request: HttpRequest, slug: str, pk: int, fmt: str) -> HttpResponse:
    if fmt not in {"json", "csv"}:
        raise Http404
    program = _program(request, slug)
    person = _participant(request, program, pk)
    data = services.participant_export(participant=person)
    if fmt == "json":
        response = JsonResponse(data, json_dumps_params={"ensure_ascii": False, "indent": 2})
    else:
        response = HttpResponse(exports.participant_csv(data), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="participant-{person.pk}.{fmt}"'
    return response


@login_required
@require_POST
def participant_erase(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    program = _program(request, slug)
    person = _participant(request, program, pk, action="change")
    services.participant_erase(participant=person, by=request.user)
    messages.success(
        request, _("Les données de la personne ont été effacées ; les statistiques sont conservées.")
    )
    return redirect("activities:participants", slug=program.slug)


# --- dashboard -------------------------------------------------------------------------------------------


def _dashboard_period(request) -> tuple[date | None, date | None, list[str]]:
    """The period from "du" to "au" (inclusive, AAAA-MM-JJ): a bad or implausible bound is left out,
    with the French message that says why."""
    bounds: list[date | None] = []
    problems: list[str] = []
    for name in ("du", "au"):
        try:
            bounds.append(dates.parse_day(request.GET.get(name)))
        except dates.QueryDateError as err:
            bounds.append(None)
            problems.append(err.message)
    return bounds[0], bounds[1], problems


def _dashboard_scope(request, program) -> dashboards.Scope:
    """The dashboard's filters (site, department, period from "du" to "au" inclusive) as a scope."""
    site, dept = request.GET.get("site", ""), request.GET.get("departement", "")
    start, end, _problems = _dashboard_period(request)
    return dashboards.scope_for(
        user=request.user,
        program=program,
        site_id=int(site) if site.isdigit() else None,
        department=dept[:3] or None,
        start=services.local_dt(start, time.min) if start else None,
        end=services.local_dt(end + timedelta(days=1), time.min) if end else None,
    )


def _equipment(request, program):
    try:
        from terreau.programs.equipment import EquipmentItem
    except ImportError:
        return None
    return visible(request.user, EquipmentItem.objects.filter(program=program))


@login_required
def dashboard(request: HttpRequest, slug: str) -> HttpResponse:
    program = _program(request, slug)
    for problem in dict.fromkeys(_dashboard_period(request)[2]):
        messages.warning(request, problem)
    dash = dashboards.build(scope=_dashboard_scope(request, program), equipment=_equipment(request, program))
    sites = _sites(request, program)
    departments = sorted({(s.commune.department_id, s.commune.department_id) for s in sites})
    return render(
        request,
        "activities/dashboard.html",
        _ctx(
            request,
            program,
            dash=dash,
            sites=sites,
            departments=departments,
            query=request.GET.urlencode(),
            this_month=f"{timezone.localdate():%Y-%m}",
        ),
    )


@login_required
def dashboard_xlsx(request: HttpRequest, slug: str) -> HttpResponse:
    program = _program(request, slug)
    if _dashboard_period(request)[2]:
        # Back to the dashboard, which tells what is wrong with the period, rather than another period.
        return _back_to_dashboard(request, program)
    scope = _dashboard_scope(request, program)
    dash = dashboards.build(scope=scope, equipment=_equipment(request, program))
    body = exports.dashboard_xlsx(dash, scope.sessions(), program_name=program.name)
    response = HttpResponse(
        body, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = f'attachment; filename="{program.slug}-activite.xlsx"'
    return response


@login_required
def monthly_report(request: HttpRequest, slug: str) -> HttpResponse:
    program = _program(request, slug)
    try:
        month = dates.parse_month(request.GET.get("mois")) or timezone.localdate().replace(day=1)
    except dates.QueryDateError as err:
        messages.error(request, err.message)
        return _back_to_dashboard(request, program)
    scope = dashboards.scope_for(
        user=request.user,
        program=program,
        start=services.local_dt(month, time.min),
        end=services.local_dt(_next_month(month), time.min),
    )
    dash = dashboards.build(scope=scope, equipment=_equipment(request, program))
    body = exports.monthly_pdf(dash, program_name=program.name, branch_name=program.branch.name, month=month)
    response = HttpResponse(body, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{program.slug}-{month:%Y-%m}.pdf"'
    return response


def _back_to_dashboard(request: HttpRequest, program: Program) -> HttpResponse:
    query = request.GET.copy()
    query.pop("mois", None)
    url = reverse("activities:dashboard", kwargs={"slug": program.slug})
    return redirect(f"{url}?{query.urlencode()}" if query else url)
