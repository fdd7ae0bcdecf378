"""The evaluation's framework pages, continued: evaluative questions, indicators and waves (adding, editing,
deleting, ordering, opening and closing). Everything here is for who may change the evaluation
(coordinators, evaluators, the branch's staff); rows are fetched through terreau.core.access."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from terreau.core.access import get_for
from terreau.core.forms_flow import submit
from terreau.evaluation import services
from terreau.evaluation.forms import IndicatorForm, QuestionForm, WaveForm
from terreau.evaluation.models import EvaluationQuestion, Indicator, Wave
from terreau.evaluation.views_framework import back, evaluation_for, form_page, run_post


def _question(request: HttpRequest, pk: int) -> EvaluationQuestion:
    return get_for(
        request.user, EvaluationQuestion.objects.select_related("evaluation"), action="change", pk=pk
    )


def _indicator(request: HttpRequest, pk: int) -> Indicator:
    return get_for(request.user, Indicator.objects.select_related("evaluation"), action="change", pk=pk)


def _wave(request: HttpRequest, pk: int) -> Wave:
    return get_for(request.user, Wave.objects.select_related("evaluation__program"), action="change", pk=pk)


# --- evaluative questions -----------------------------------------------------------------------------------


@login_required
def question_add(request: HttpRequest, pk: int) -> HttpResponse:
    evaluation = evaluation_for(request, pk, action="change")
    form = QuestionForm(request.POST or None)
    done = submit(
        request,
        form,
        run=lambda: services.question_add(
            evaluation=evaluation, text=form.cleaned_data["text"], by=request.user
        ),
        success=_("La question évaluative a été ajoutée."),
        then=lambda _q: back(evaluation, "questions"),
    )
    if done is not None:
        return done
    return form_page(
        request,
        evaluation=evaluation,
        form=form,
        title=_("Nouvelle question évaluative"),
        submit_label=_("Ajouter la question"),
    )


@login_required
def question_edit(request: HttpRequest, pk: int) -> HttpResponse:
    question = _question(request, pk)
    form = QuestionForm(request.POST or None, initial={"text": question.text})
    done = submit(
        request,
        form,
        run=lambda: services.question_update(
            question=question, text=form.cleaned_data["text"], by=request.user
        ),
        success=_("La question évaluative a été enregistrée."),
        then=lambda _q: back(question.evaluation, "questions"),
    )
    if done is not None:
        return done
    return form_page(
        request,
        evaluation=question.evaluation,
        form=form,
        title=_("Modifier la question évaluative"),
        submit_label=_("Enregistrer"),
    )


@login_required
@require_POST
def question_delete(request: HttpRequest, pk: int) -> HttpResponse:
    question = _question(request, pk)
    return run_post(
        request,
        question.evaluation,
        lambda: services.question_delete(question=question, by=request.user),
        _("La question évaluative a été supprimée ; ses indicateurs sont conservés."),
        "questions",
    )


@login_required
@require_POST
def question_move(request: HttpRequest, pk: int) -> HttpResponse:
    question = _question(request, pk)
    direction = request.POST.get("direction", "")
    return run_post(
        request,
        question.evaluation,
        lambda: services.question_move(question=question, direction=direction, by=request.user),
        _("L'ordre des questions a été enregistré."),
        "questions",
    )


# --- indicators ---------------------------------------------------------------------------------------------


def _indicator_page(request, *, evaluation, form, title, submit_label):
    return form_page(
        request,
        evaluation=evaluation,
        form=form,
        title=title,
        submit_label=submit_label,
        help=_(
            "Une réalisation se calcule avec les données de Terreau (séances, participants, heures de "
            "volontariat…). Un effet se lit dans les réponses d'un public à une question de son questionnaire."
        ),
    )


@login_required
def indicator_add(request: HttpRequest, pk: int) -> HttpResponse:
    evaluation = evaluation_for(request, pk, action="change")
    initial = {"kind": Indicator.Kind.OUTCOME}
    question = request.GET.get("question", "")
    if question.isdigit():
        initial["question"] = int(question)
    form = IndicatorForm(request.POST or None, evaluation=evaluation, initial=initial)
    done = submit(
        request,
        form,
        run=lambda: services.indicator_add(evaluation=evaluation, by=request.user, **form.cleaned_data),
        success=_("L'indicateur a été ajouté."),
        then=lambda _i: back(evaluation, "questions"),
    )
    if done is not None:
        return done
    return _indicator_page(
        request,
        evaluation=evaluation,
        form=form,
        title=_("Nouvel indicateur"),
        submit_label=_("Ajouter l'indicateur"),
    )


@login_required
def indicator_edit(request: HttpRequest, pk: int) -> HttpResponse:
    indicator = _indicator(request, pk)
    evaluation = indicator.evaluation
    form = IndicatorForm(
        request.POST or None, evaluation=evaluation, initial=IndicatorForm.initial_for(indicator)
    )
    done = submit(
        request,
        form,
        run=lambda: services.indicator_update(indicator=indicator, by=request.user, **form.cleaned_data),
        success=_("L'indicateur a été enregistré."),
        then=lambda _i: back(evaluation, "questions"),
    )
    if done is not None:
        return done
    return _indicator_page(
        request,
        evaluation=evaluation,
        form=form,
        title=_("Modifier l'indicateur"),
        submit_label=_("Enregistrer"),
    )


@login_required
@require_POST
def indicator_delete(request: HttpRequest, pk: int) -> HttpResponse:
    indicator = _indicator(request, pk)
    return run_post(
        request,
        indicator.evaluation,
        lambda: services.indicator_delete(indicator=indicator, by=request.user),
        _("L'indicateur a été supprimé."),
        "questions",
    )


# --- waves --------------------------------------------------------------------------------------------------


@login_required
def wave_add(request: HttpRequest, pk: int) -> HttpResponse:
    evaluation = evaluation_for(request, pk, action="change")
    taken = set(evaluation.waves.values_list("kind", flat=True))
    free = [k for k in Wave.Kind.values if k not in taken]
    form = WaveForm(request.POST or None, initial={"kind": free[0] if free else ""})
    done = submit(
        request,
        form,
        run=lambda: services.wave_add(evaluation=evaluation, by=request.user, **form.cleaned_data),
        success=_("La vague a été ajoutée."),
        then=lambda _w: back(evaluation, "vagues"),
    )
    if done is not None:
        return done
    return form_page(
        request,
        evaluation=evaluation,
        form=form,
        title=_("Nouvelle vague"),
        submit_label=_("Ajouter la vague"),
    )


@login_required
def wave_edit(request: HttpRequest, pk: int) -> HttpResponse:
    wave = _wave(request, pk)
    form = WaveForm(
        request.POST or None, editing=True, initial={"opens_on": wave.opens_on, "closes_on": wave.closes_on}
    )
    done = submit(
        request,
        form,
        run=lambda: services.wave_update(wave=wave, by=request.user, **form.cleaned_data),
        success=_("Les dates de la vague ont été enregistrées."),
        then=lambda _w: back(wave.evaluation, "vagues"),
    )
    if done is not None:
        return done
    return form_page(
        request,
        evaluation=wave.evaluation,
        form=form,
        title=_("Vague « %(kind)s » : dates") % {"kind": wave.get_kind_display()},
        submit_label=_("Enregistrer"),
    )


@login_required
@require_POST
def wave_delete(request: HttpRequest, pk: int) -> HttpResponse:
    wave = _wave(request, pk)
    return run_post(
        request,
        wave.evaluation,
        lambda: services.wave_delete(wave=wave, by=request.user),
        _("La vague a été supprimée."),
        "vagues",
    )


@login_required
@require_POST
def wave_open(request: HttpRequest, pk: int) -> HttpResponse:
    wave = _wave(request, pk)
    return run_post(
        request,
        wave.evaluation,
        lambda: services.wave_open(wave=wave, by=request.user),
        _("La vague « %(kind)s » est ouverte : les réponses sont acceptées.")
        % {"kind": wave.get_kind_display()},
        "vagues",
    )


@login_required
@require_POST
def wave_close(request: HttpRequest, pk: int) -> HttpResponse:
    wave = _wave(request, pk)
    return run_post(
        request,
        wave.evaluation,
        lambda: services.wave_close(wave=wave, by=request.user),
        _("La vague « %(kind)s » est close : plus aucune réponse n'est acceptée.")
        % {"kind": wave.get_kind_display()},
        "vagues",
    )
