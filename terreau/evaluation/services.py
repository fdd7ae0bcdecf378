"""The evaluation's framework services: evaluations and their lifecycle, evaluative questions, indicators,
waves; respondents, collection links and share links are in services_people and imported from here.

Keyword-only, transactional, French ValidationError shown as is by the pages. Who may call them is the views'
business (terreau.core.access ``get_for(..., action="change")``): the program's coordinators, its evaluators
and the branch's staff for the framework; coordinators and evaluators only for the respondents.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from terreau.core import states
from terreau.core.dates import is_plausible, out_of_window_message
from terreau.core.jobs import defer
from terreau.evaluation.instrument_models import Instrument
from terreau.evaluation.models import (
    Audience,
    Evaluation,
    EvaluationQuestion,
    Indicator,
    Wave,
)
from terreau.evaluation.response_models import CollectionLink
from terreau.evaluation.tasks import refresh_analyses

MAX_PERIOD_YEARS = 10
WAVE_YEARS_BEFORE = 2  # a "before" wave may open this long before the evaluated period
WAVE_YEARS_AFTER = 3  # a follow-up may close this long after it
TARGET_LIMIT = Decimal("999999999")
SHARE_MEASURES = {Indicator.Measure.SHARE_AGREE, Indicator.Measure.SHARE_IMPROVED}
MAX_QUESTIONS = 30
MAX_INDICATORS = 60


def _by(user: Any) -> Any:
    return user if getattr(user, "is_authenticated", False) else None


def _text(value: Any, *, limit: int, label: str, required: bool = False) -> str:
    text = str(value or "").strip()
    if required and not text:
        raise ValidationError(_("Indiquez %(label)s.") % {"label": label})
    if len(text) > limit:
        raise ValidationError(
            _("%(label)s : %(limit)s caractères au plus.") % {"label": label.capitalize(), "limit": limit}
        )
    return text


def _date(value: Any, label: str) -> datetime.date:
    if isinstance(value, datetime.datetime):
        value = value.date()
    if isinstance(value, str):
        try:
            value = datetime.date.fromisoformat(value.strip())
        except ValueError:
            raise ValidationError(
                _("%(label)s : date invalide (format attendu : AAAA-MM-JJ).") % {"label": label}
            ) from None
    if not isinstance(value, datetime.date):
        raise ValidationError(_("Indiquez %(label)s.") % {"label": label})
    if not is_plausible(value):
        raise ValidationError(f"{label.capitalize()} : {out_of_window_message()}")
    return value


def _add_years(day: datetime.date, years: int) -> datetime.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def _audiences(values: Iterable[str]) -> list[str]:
    wanted = {str(v) for v in values or ()}
    unknown = wanted - set(Audience.values)
    if unknown:
        raise ValidationError(_("Public inconnu."))
    if not wanted:
        raise ValidationError(_("Choisissez au moins un public à interroger."))
    return [a for a in Audience.values if a in wanted]


def _locked_evaluation(evaluation: Evaluation) -> Evaluation:
    return Evaluation.objects.select_for_update().get(pk=evaluation.pk)


# --- evaluations --------------------------------------------------------------------------------------------


def _check_period(start: datetime.date, end: datetime.date) -> None:
    if end < start:
        raise ValidationError(_("La fin de la période évaluée doit suivre son début."))
    if _add_years(start, MAX_PERIOD_YEARS) < end:
        raise ValidationError(
            _("La période évaluée ne peut pas dépasser %(n)s ans.") % {"n": MAX_PERIOD_YEARS}
        )


def _min_count(value: Any) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ValidationError(_("L'effectif minimal publié doit être un nombre entier.")) from None
    if not 3 <= number <= 50:
        raise ValidationError(_("L'effectif minimal publié doit être compris entre 3 et 50."))
    return number


def evaluation_create(
    *,
    program: Any,
    by: Any,
    title: str,
    period_start: Any,
    period_end: Any,
    audiences: Iterable[str],
    purpose: str = "",
    method: str = "",
    limits: str = "",
    min_count: Any = None,
    is_demo: bool = False,
) -> Evaluation:
    """A new evaluation of ``program``, in preparation."""
    start = _date(period_start, _("le début de la période"))
    end = _date(period_end, _("la fin de la période"))
    _check_period(start, end)
    evaluation = Evaluation(
        program=program,
        title=_text(title, limit=200, label=_("le titre"), required=True),
        purpose=_text(purpose, limit=5000, label=_("l'objet")),
        method=_text(method, limit=5000, label=_("la méthode")),
        limits=_text(limits, limit=5000, label=_("les limites")),
        period_start=start,
        period_end=end,
        audiences=_audiences(audiences),
        created_by=_by(by),
        is_demo=is_demo,
    )
    if min_count not in (None, ""):
        evaluation.min_count = _min_count(min_count)
    with transaction.atomic():
        evaluation.save()
        states.begin(evaluation, by=by)
    return evaluation


def evaluation_update(*, evaluation: Evaluation, by: Any, **fields: Any) -> Evaluation:
    """Change the evaluation's description (title, purpose, period, audiences, method, limits, minimum
    count). A public that already has respondents or a questionnaire cannot be removed."""
    allowed = {"title", "purpose", "method", "limits", "period_start", "period_end", "audiences", "min_count"}
    unknown = set(fields) - allowed
    if unknown:
        raise ValidationError(_("Champ inconnu."))
    with transaction.atomic():
        evaluation = _locked_evaluation(evaluation)
        if "title" in fields:
            evaluation.title = _text(fields["title"], limit=200, label=_("le titre"), required=True)
        for name, label in (
            ("purpose", _("l'objet")),
            ("method", _("la méthode")),
            ("limits", _("les limites")),
        ):
            if name in fields:
                setattr(evaluation, name, _text(fields[name], limit=5000, label=label))
        if "period_start" in fields:
            evaluation.period_start = _date(fields["period_start"], _("le début de la période"))
        if "period_end" in fields:
            evaluation.period_end = _date(fields["period_end"], _("la fin de la période"))
        _check_period(evaluation.period_start, evaluation.period_end)
        if "min_count" in fields:
            evaluation.min_count = _min_count(fields["min_count"])
        if "audiences" in fields:
            audiences = _audiences(fields["audiences"])
            removed = set(evaluation.audiences) - set(audiences)
            in_use = (
                set(evaluation.respondents.filter(audience__in=removed).values_list("audience", flat=True))
                | set(evaluation.instruments.filter(audience__in=removed).values_list("audience", flat=True))
                | set(
                    CollectionLink.objects.filter(
                        wave__evaluation=evaluation, audience__in=removed
                    ).values_list("audience", flat=True)
                )
            )
            if in_use:
                labels = dict(Audience.choices)
                raise ValidationError(
                    _(
                        "Le public « %(audience)s » a déjà un questionnaire, des répondants ou des liens : "
                        "il ne peut plus être retiré."
                    )
                    % {"audience": labels[sorted(in_use)[0]]}
                )
            evaluation.audiences = audiences
        evaluation.save()
    return evaluation


def evaluation_move(*, evaluation: Evaluation, to: str, by: Any) -> Evaluation:
    """Start the collection, end it (its open waves are closed) or reopen it."""
    if to not in Evaluation.State.values:
        raise ValidationError(_("État inconnu."))
    with transaction.atomic():
        evaluation = _locked_evaluation(evaluation)
        states.move(evaluation, to, by=by)
        if to == Evaluation.State.CLOSED:
            for wave in evaluation.waves.select_for_update().filter(state=Wave.State.OPEN):
                states.move(wave, Wave.State.CLOSED, by=by, note=_("Évaluation terminée."))
    return evaluation


# --- evaluative questions -----------------------------------------------------------------------------------


def _renumber(rows: list[Any]) -> None:
    for n, row in enumerate(rows, start=1):
        if row.order != n:
            row.order = n
            row.save(update_fields=["order"])


def question_add(*, evaluation: Evaluation, text: str, by: Any) -> EvaluationQuestion:
    text = _text(text, limit=300, label=_("la question évaluative"), required=True)
    with transaction.atomic():
        evaluation = _locked_evaluation(evaluation)
        if evaluation.questions.count() >= MAX_QUESTIONS:
            raise ValidationError(
                _("Une évaluation compte au plus %(n)s questions évaluatives.") % {"n": MAX_QUESTIONS}
            )
        last = evaluation.questions.aggregate(m=Max("order"))["m"] or 0
        return EvaluationQuestion.objects.create(evaluation=evaluation, text=text, order=last + 1)


def question_update(*, question: EvaluationQuestion, text: str, by: Any) -> EvaluationQuestion:
    question.text = _text(text, limit=300, label=_("la question évaluative"), required=True)
    question.save(update_fields=["text"])
    return question


def question_delete(*, question: EvaluationQuestion, by: Any) -> None:
    """Delete a question; its indicators stay, without a question."""
    with transaction.atomic():
        evaluation = _locked_evaluation(question.evaluation)
        question.delete()
        _renumber(list(evaluation.questions.order_by("order", "pk")))


def question_move(*, question: EvaluationQuestion, direction: str, by: Any) -> EvaluationQuestion:
    """Move a question one place up or down (``direction``: "up" or "down")."""
    if direction not in ("up", "down"):
        raise ValidationError(_("Déplacement inconnu."))
    with transaction.atomic():
        evaluation = _locked_evaluation(question.evaluation)
        rows = list(evaluation.questions.order_by("order", "pk"))
        index = next(i for i, row in enumerate(rows) if row.pk == question.pk)
        target = index - 1 if direction == "up" else index + 1
        if 0 <= target < len(rows):
            rows[index], rows[target] = rows[target], rows[index]
        _renumber(rows)
    question.refresh_from_db()
    return question


# --- indicators ---------------------------------------------------------------------------------------------


def _target(value: Any, measure: str) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        number = Decimal(str(value).strip().replace(",", ".").replace("\u202f", "").replace(" ", ""))
    except (InvalidOperation, ValueError):
        raise ValidationError(_("La cible doit être un nombre.")) from None
    if not number.is_finite() or abs(number) > TARGET_LIMIT:
        raise ValidationError(_("La cible est hors des limites permises."))
    if measure in SHARE_MEASURES and not 0 <= number <= 100:
        raise ValidationError(_("Pour une part de répondants, la cible est un pourcentage entre 0 et 100."))
    return number.quantize(Decimal("0.01"))


def _indicator_fields(evaluation: Evaluation, fields: dict[str, Any]) -> dict[str, Any]:
    kind = str(fields.get("kind") or "")
    if kind not in Indicator.Kind.values:
        raise ValidationError(_("Choisissez la nature de l'indicateur."))
    clean: dict[str, Any] = {
        "kind": kind,
        "label": _text(fields.get("label"), limit=200, label=_("le nom de l'indicateur"), required=True),
        "source": _text(fields.get("source"), limit=200, label=_("la source")),
        "output_metric": "",
        "audience": "",
        "item_code": "",
        "measure": "",
    }
    question = fields.get("question")
    if question is not None and question.evaluation_id != evaluation.pk:
        raise ValidationError(_("Cette question évaluative n'appartient pas à l'évaluation."))
    clean["question"] = question
    if kind == Indicator.Kind.OUTPUT:
        metric = str(fields.get("output_metric") or "")
        if metric not in Indicator.Metric.values:
            raise ValidationError(_("Choisissez la donnée de Terreau que mesure cette réalisation."))
        clean["output_metric"] = metric
    else:
        audience = str(fields.get("audience") or "")
        if audience not in evaluation.audiences:
            raise ValidationError(_("Choisissez un public interrogé par cette évaluation."))
        code = str(fields.get("item_code") or "").strip().lower()
        if not code:
            raise ValidationError(_("Indiquez le code de la question du questionnaire."))
        if len(code) > 60 or not all(c.isascii() and (c.isalnum() or c in "-_") for c in code):
            raise ValidationError(
                _(
                    "Le code de la question ne contient que des lettres sans accent, des chiffres et des tirets."
                )
            )
        measure = str(fields.get("measure") or "")
        if measure not in Indicator.Measure.values:
            raise ValidationError(_("Choisissez la mesure de cet effet."))
        clean.update(audience=audience, item_code=code, measure=measure)
    clean["target"] = _target(fields.get("target"), clean["measure"])
    return clean


def indicator_add(*, evaluation: Evaluation, by: Any, **fields: Any) -> Indicator:
    """An output (``kind="output"``, ``output_metric``) or an outcome (``kind="outcome"``, ``audience``,
    ``item_code``, ``measure``), with an optional ``question``, ``target`` and ``source``."""
    with transaction.atomic():
        evaluation = _locked_evaluation(evaluation)
        if evaluation.indicators.count() >= MAX_INDICATORS:
            raise ValidationError(
                _("Une évaluation compte au plus %(n)s indicateurs.") % {"n": MAX_INDICATORS}
            )
        clean = _indicator_fields(evaluation, fields)
        last = evaluation.indicators.aggregate(m=Max("order"))["m"] or 0
        return Indicator.objects.create(evaluation=evaluation, order=last + 1, **clean)


def indicator_update(*, indicator: Indicator, by: Any, **fields: Any) -> Indicator:
    clean = _indicator_fields(indicator.evaluation, fields)
    for name, value in clean.items():
        setattr(indicator, name, value)
    indicator.save()
    return indicator


def indicator_delete(*, indicator: Indicator, by: Any) -> None:
    indicator.delete()


# --- waves --------------------------------------------------------------------------------------------------


def _wave_dates(evaluation: Evaluation, opens_on: Any, closes_on: Any) -> tuple[datetime.date, datetime.date]:
    opens = _date(opens_on, _("l'ouverture"))
    closes = _date(closes_on, _("la clôture"))
    if closes < opens:
        raise ValidationError(_("La clôture de la vague doit suivre son ouverture."))
    earliest = _add_years(evaluation.period_start, -WAVE_YEARS_BEFORE)
    latest = _add_years(evaluation.period_end, WAVE_YEARS_AFTER)
    if opens < earliest or closes > latest:
        raise ValidationError(
            _(
                "Les dates d'une vague doivent rester proches de la période évaluée : entre le %(low)s et "
                "le %(high)s."
            )
            % {"low": earliest.strftime("%d/%m/%Y"), "high": latest.strftime("%d/%m/%Y")}
        )
    return opens, closes


def wave_add(*, evaluation: Evaluation, kind: str, opens_on: Any, closes_on: Any, by: Any) -> Wave:
    if kind not in Wave.Kind.values:
        raise ValidationError(_("Choisissez le type de vague."))
    with transaction.atomic():
        evaluation = _locked_evaluation(evaluation)
        if evaluation.state == Evaluation.State.CLOSED:
            raise ValidationError(
                _("Cette évaluation est terminée : rouvrez la collecte pour ajouter une vague.")
            )
        if evaluation.waves.filter(kind=kind).exists():
            raise ValidationError(_("Cette évaluation a déjà une vague de ce type."))
        opens, closes = _wave_dates(evaluation, opens_on, closes_on)
        wave = Wave.objects.create(evaluation=evaluation, kind=kind, opens_on=opens, closes_on=closes)
        states.begin(wave, by=by)
    return wave


def wave_update(*, wave: Wave, opens_on: Any, closes_on: Any, by: Any) -> Wave:
    with transaction.atomic():
        wave = Wave.objects.select_for_update().select_related("evaluation").get(pk=wave.pk)
        wave.opens_on, wave.closes_on = _wave_dates(wave.evaluation, opens_on, closes_on)
        wave.save(update_fields=["opens_on", "closes_on", "updated_at"])
    return wave


def wave_delete(*, wave: Wave, by: Any) -> None:
    """Delete a planned wave that has no answers."""
    with transaction.atomic():
        wave = Wave.objects.select_for_update().get(pk=wave.pk)
        if wave.state != Wave.State.PLANNED or wave.responses.exists():
            raise ValidationError(_("Seule une vague prévue, sans réponse, peut être supprimée."))
        wave.delete()


def missing_questionnaires(evaluation: Evaluation) -> list[str]:
    """The evaluation's audiences without a current questionnaire holding at least one question."""
    ready = set(
        Instrument.objects.filter(evaluation=evaluation, is_current=True, items__isnull=False).values_list(
            "audience", flat=True
        )
    )
    return [a for a in evaluation.audiences if a not in ready]


def wave_open(*, wave: Wave, by: Any) -> Wave:
    """Open a wave for answers. Every audience must have its questionnaire; a draft evaluation starts its
    collection."""
    with transaction.atomic():
        evaluation = _locked_evaluation(wave.evaluation)
        wave = Wave.objects.select_for_update().get(pk=wave.pk)
        if evaluation.state == Evaluation.State.CLOSED:
            raise ValidationError(
                _("Cette évaluation est terminée : rouvrez d'abord la collecte pour ouvrir une vague.")
            )
        if not evaluation.audiences:
            raise ValidationError(_("Choisissez d'abord les publics interrogés par cette évaluation."))
        missing = missing_questionnaires(evaluation)
        if missing:
            labels = dict(Audience.choices)
            raise ValidationError(
                _(
                    "Cette vague ne peut pas s'ouvrir : le public « %(audience)s » n'a pas encore de "
                    "questionnaire avec au moins une question."
                )
                % {"audience": labels[missing[0]]}
            )
        states.move(wave, Wave.State.OPEN, by=by)
        if evaluation.state == Evaluation.State.DRAFT:
            states.move(evaluation, Evaluation.State.COLLECTING, by=by, note=_("Ouverture d'une vague."))
    wave.evaluation = evaluation
    return wave


def wave_close(*, wave: Wave, by: Any) -> Wave:
    with transaction.atomic():
        wave = Wave.objects.select_for_update().get(pk=wave.pk)
        states.move(wave, Wave.State.CLOSED, by=by)
        defer(refresh_analyses)  # the report is read once a wave closes: its analysis ready by then
    return wave


# Respondents, collection links and share links (terreau.evaluation.services_people), imported from here.
from terreau.evaluation.services_people import (  # noqa: E402
    CODE_ALPHABET,
    link_create,
    link_revoke,
    new_respondent_code,
    respondent_create,
    respondent_erase,
    respondents_enrol_participants,
    share_link_create,
    share_link_revoke,
)

__all__ = [
    "CODE_ALPHABET",
    "evaluation_create",
    "evaluation_move",
    "evaluation_update",
    "indicator_add",
    "indicator_delete",
    "indicator_update",
    "link_create",
    "link_revoke",
    "missing_questionnaires",
    "new_respondent_code",
    "question_add",
    "question_delete",
    "question_move",
    "question_update",
    "respondent_create",
    "respondent_erase",
    "respondents_enrol_participants",
    "share_link_create",
    "share_link_revoke",
    "wave_add",
    "wave_close",
    "wave_delete",
    "wave_open",
    "wave_update",
]
