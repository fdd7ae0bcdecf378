"""The evaluation's framework pages: a program's evaluations, a new evaluation, the evaluation page (purpose,
questions and indicators, waves, questionnaires, respondents, links), its description and its state; the
"Évaluation" panel of the program page.

Who sees what (terreau.core.access): the evaluation page is seen by the program's coordinators and evaluators,
its partner viewers (read only, without respondents nor links) and the branch's staff (without respondents nor
collection links); the framework is changed by coordinators, evaluators and the branch's staff; respondents and
collection links are managed by coordinators and evaluators only. The volunteers and staff of the program's sites get, on the program page,
only a button to start an assisted entry. Questions, indicators and waves: views_framework_parts; respondents
and links: views_framework_people. Services: terreau.evaluation.services (and services_people).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from terreau.core import states
from terreau.core.access import actor_for, editable, get_for, visible
from terreau.core.forms_flow import show_error, submit
from terreau.core.links import absolute_url
from terreau.evaluation import services
from terreau.evaluation.forms import EvaluationForm, LinkForm, QuestionForm, RespondentForm, ShareLinkForm
from terreau.evaluation.instrument_models import Instrument
from terreau.evaluation.models import Audience, Evaluation, ShareLink, Wave
from terreau.evaluation.response_models import CollectionLink, Respondent
from terreau.programs.models import HostSite, Program

# --- shared helpers -----------------------------------------------------------------------------------------


def evaluation_for(request: HttpRequest, pk: int, action: str = "view") -> Evaluation:
    """The evaluation the user may see (404 otherwise), or change (403 when seen only)."""
    return get_for(request.user, Evaluation.objects.select_related("program__branch"), action=action, pk=pk)


def may_change(user: Any, evaluation: Evaluation) -> bool:
    return editable(user, Evaluation.objects.filter(pk=evaluation.pk)).exists()


def manages_respondents(user: Any, evaluation: Evaluation) -> bool:
    """Coordinators and evaluators (and superusers): respondents are kept from the branch's staff and partners."""
    rule = Respondent.ACCESS.parent("evaluation")
    return editable(user, Evaluation.objects.filter(pk=evaluation.pk), rule=rule).exists()


def manages_collection(user: Any, evaluation: Evaluation) -> bool:
    """Coordinators and evaluators (and superusers): the collection links, whose tokens let anybody answer."""
    rule = CollectionLink.ACCESS.parent("wave__evaluation")
    return editable(user, Evaluation.objects.filter(pk=evaluation.pk), rule=rule).exists()


def require_respondents(request: HttpRequest, pk: int) -> Evaluation:
    evaluation = evaluation_for(request, pk)
    if not manages_respondents(request.user, evaluation):
        raise PermissionDenied
    return evaluation


def may_create(user: Any, program: Program) -> bool:
    """Whether the user may create an evaluation of the program (coordinators, evaluators, branch's staff)."""
    rule = Evaluation.ACCESS.parent("program")
    return editable(user, Program.objects.filter(pk=program.pk), rule=rule).exists()


def program_sites(user: Any, evaluation: Evaluation):
    return HostSite.objects.filter(program=evaluation.program_id).order_by("name")


def back(evaluation: Evaluation, anchor: str = "") -> HttpResponse:
    url = reverse("evaluation:detail", kwargs={"pk": evaluation.pk})
    return redirect(f"{url}#{anchor}" if anchor else url)


def run_post(
    request: HttpRequest, evaluation: Evaluation, action, success: str, anchor: str = ""
) -> HttpResponse:
    """A button's POST: the service's French refusal becomes a message; back to the evaluation page."""
    try:
        action()
    except ValidationError as exc:
        show_error(request, exc)
    else:
        messages.success(request, success)
    return back(evaluation, anchor)


def form_page(request: HttpRequest, *, evaluation: Evaluation, form, title: str, submit_label: str, **extra):
    context = {"evaluation": evaluation, "form": form, "title": title, "submit_label": submit_label, **extra}
    return render(request, "evaluation/framework_form.html", context)


def _program_for(request: HttpRequest, slug: str) -> Program:
    """The program whose evaluations the user may see or create (404 otherwise)."""
    user = request.user
    program = visible(user, Program.objects.select_related("branch")).filter(slug=slug).first()
    if program is None:
        rule = Evaluation.ACCESS.parent("program")
        program = (
            editable(user, Program.objects.select_related("branch"), rule=rule).filter(slug=slug).first()
        )
    if program is None:
        program = Program.objects.filter(
            pk__in=visible(user, Evaluation.objects.filter(program__slug=slug)).values("program_id")
        ).first()
    if program is None:
        raise Http404
    return program


# --- a program's evaluations -------------------------------------------------------------------------------


@login_required
@require_safe
def program_evaluations(request: HttpRequest, slug: str) -> HttpResponse:
    program = _program_for(request, slug)
    evaluations = visible(request.user, Evaluation.objects.filter(program=program)).order_by("-period_start")
    creates = may_create(request.user, program)
    if not creates and not evaluations.exists():
        raise Http404
    context = {
        "program": program,
        "evaluations": evaluations,
        "may_create": creates,
        "sees_program": visible(request.user, Program.objects.filter(pk=program.pk)).exists(),
    }
    return render(request, "evaluation/evaluation_list.html", context)


@login_required
def evaluation_create(request: HttpRequest, slug: str) -> HttpResponse:
    program = _program_for(request, slug)
    if not may_create(request.user, program):
        raise PermissionDenied
    form = EvaluationForm(request.POST or None, initial={"audiences": [Audience.PARTICIPANTS]})
    done = submit(
        request,
        form,
        run=lambda: services.evaluation_create(program=program, by=request.user, **form.cleaned_data),
        success=_(
            "L'évaluation a été créée. Décrivez maintenant ses questions, ses indicateurs et ses vagues."
        ),
        then=lambda evaluation: redirect("evaluation:detail", pk=evaluation.pk),
    )
    if done is not None:
        return done
    context = {
        "program": program,
        "form": form,
        "sees_program": visible(request.user, Program.objects.filter(pk=program.pk)).exists(),
    }
    return render(request, "evaluation/evaluation_create.html", context)


@login_required
def evaluation_edit(request: HttpRequest, pk: int) -> HttpResponse:
    evaluation = evaluation_for(request, pk, action="change")
    form = EvaluationForm(request.POST or None, initial=EvaluationForm.initial_for(evaluation))
    done = submit(
        request,
        form,
        run=lambda: services.evaluation_update(evaluation=evaluation, by=request.user, **form.cleaned_data),
        success=_("L'évaluation a été enregistrée."),
        then=lambda ev: back(ev),
    )
    if done is not None:
        return done
    return form_page(
        request,
        evaluation=evaluation,
        form=form,
        title=_("Modifier l'évaluation"),
        submit_label=_("Enregistrer"),
    )


MOVES = {
    Evaluation.State.COLLECTING: _("La collecte est en cours."),
    Evaluation.State.CLOSED: _("L'évaluation est terminée : ses vagues ouvertes ont été closes."),
}


@login_required
@require_POST
def evaluation_move(request: HttpRequest, pk: int) -> HttpResponse:
    evaluation = evaluation_for(request, pk, action="change")
    to = request.POST.get("to", "")
    return run_post(
        request,
        evaluation,
        lambda: services.evaluation_move(evaluation=evaluation, to=to, by=request.user),
        str(MOVES.get(to, _("État enregistré."))),
    )


# --- the evaluation page -----------------------------------------------------------------------------------


def _questionnaires(evaluation: Evaluation) -> list[dict]:
    current = {
        i.audience: i
        for i in Instrument.objects.filter(evaluation=evaluation, is_current=True).prefetch_related("items")
    }
    labels = dict(Audience.choices)
    rows = []
    for audience in evaluation.audiences:
        instrument = current.get(audience)
        rows.append(
            {
                "audience": audience,
                "label": labels.get(audience, audience),
                "instrument": instrument,
                "items": len(instrument.items.all()) if instrument else 0,
            }
        )
    return rows


def _respondent_counts(evaluation: Evaluation) -> list[dict]:
    counts = Counter(
        Respondent.objects.filter(evaluation=evaluation).values_list("audience", "site__name").iterator()
    )
    labels = dict(Audience.choices)
    return [
        {"audience": labels.get(audience, audience), "site": site or "", "count": n}
        for (audience, site), n in sorted(counts.items(), key=lambda kv: (kv[0][0], kv[0][1] or ""))
    ]


def _links(request: HttpRequest, evaluation: Evaluation) -> list[CollectionLink]:
    links = list(
        visible(request.user, CollectionLink.objects.filter(wave__evaluation=evaluation))
        .select_related("wave", "site")
        .order_by("wave__opens_on", "audience", "site__name", "-created_at")
    )
    for link in links:
        link.url = absolute_url(reverse("evaluation:link", kwargs={"token": link.token}), request)
    return links


def _share_links(request: HttpRequest, evaluation: Evaluation) -> list[ShareLink]:
    links = list(evaluation.share_links.select_related("created_by"))
    for link in links:
        link.url = absolute_url(reverse("evaluation:shared_report", kwargs={"token": link.token}), request)
    return links


@login_required
@require_safe
def evaluation_detail(request: HttpRequest, pk: int) -> HttpResponse:
    evaluation = evaluation_for(request, pk)
    user = request.user
    can_change = may_change(user, evaluation)
    respondents = manages_respondents(user, evaluation)
    sites = program_sites(user, evaluation)
    waves = list(evaluation.waves.all())
    for wave in waves:
        wave.moves = states.allowed(wave) if can_change else []
    questions = list(evaluation.questions.prefetch_related("indicators"))
    context = {
        "evaluation": evaluation,
        "program": evaluation.program,
        "can_change": can_change,
        "respondents": respondents,
        "sees_program": visible(user, Program.objects.filter(pk=evaluation.program_id)).exists(),
        "moves": states.allowed(evaluation) if can_change else [],
        "questions": questions,
        "loose_indicators": evaluation.indicators.filter(question__isnull=True),
        "waves": waves,
        "questionnaires": _questionnaires(evaluation),
        "missing": services.missing_questionnaires(evaluation),
    }
    if can_change:
        context.update(
            question_form=QuestionForm(),
            share_links=_share_links(request, evaluation),
            share_form=ShareLinkForm(),
        )
    if can_change and manages_collection(user, evaluation):
        context.update(
            collects=True,
            links=_links(request, evaluation),
            link_form=LinkForm(evaluation=evaluation, sites=sites),
        )
    if respondents:
        context.update(
            respondent_counts=_respondent_counts(evaluation),
            respondent_total=Respondent.objects.filter(evaluation=evaluation).count(),
            respondent_form=RespondentForm(evaluation=evaluation, sites=sites),
        )
    return render(request, "evaluation/evaluation_detail.html", context)


# --- the program page's panel ------------------------------------------------------------------------------


def program_panel(request: HttpRequest, program: Program) -> str:
    """The program's evaluations on its page; for the sites' teams, a button to start an assisted entry."""
    user = request.user
    if not getattr(user, "is_authenticated", False):
        return ""
    evaluations = list(visible(user, Evaluation.objects.filter(program=program)).order_by("-period_start"))
    creates = may_create(user, program)
    assisted: list[Evaluation] = []
    if not evaluations:
        site_team = actor_for(user).site_ids & set(
            HostSite.objects.filter(program=program).values_list("pk", flat=True)
        )
        if site_team:
            open_now = Evaluation.objects.filter(
                program=program, state=Evaluation.State.COLLECTING, waves__state=Wave.State.OPEN
            ).distinct()
            assisted = list(open_now)
    if not evaluations and not creates and not assisted:
        return ""
    context = {"program": program, "evaluations": evaluations, "may_create": creates, "assisted": assisted}
    return render_to_string("evaluation/_panel.html", context, request=request)
