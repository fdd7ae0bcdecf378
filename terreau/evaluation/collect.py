"""Collecting answers: starting a respondent's questionnaire for a wave, saving each answer as it is given,
skip logic, and sending the questionnaire.

Used by the pages without an account (a collection link, then the response's token), by assisted entry on a
tablet (a volunteer reads each question to a senior) and by paper entry (a form typed in later). Every function
is keyword-only and transactional, and refuses bad input with a French ValidationError: a closed wave, a
questionnaire already sent, a value outside the scale or the choices, an item of another questionnaire.

A required item is answered when it has an answer or an explicit « Je préfère ne pas répondre »: nobody is forced
to say what they would rather keep to themselves, but nobody skips a required question by accident either.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping
from datetime import date
from decimal import Decimal, InvalidOperation
from importlib import import_module
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Value
from django.db.models.functions import Replace, Upper
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from terreau.evaluation.instrument_models import Instrument, Item
from terreau.evaluation.logic import as_text, is_shown
from terreau.evaluation.models import Evaluation, Wave, new_token
from terreau.evaluation.response_models import Answer, CollectionLink, Respondent, Response

TEXT_MAX = 5000
NUMBER_LIMIT = Decimal("1000000000")  # |n| above a billion is absurd for any question asked here
CLOSED_WAVE = gettext_lazy(
    "Cette vague de collecte est close : les réponses ne sont plus acceptées. Merci de votre participation."
)
ALREADY_SENT = gettext_lazy("Un questionnaire a déjà été envoyé avec ce code pour cette vague.")
# One message for every code that opens nothing (unknown, of another evaluation, of another audience): a guesser
# learns nothing from the wording. The error codes let the answering page count failed tries (views_collect_public).
UNKNOWN_CODE = gettext_lazy(
    "Ce code n'est pas connu : vérifiez-le (il figure sur le papier remis par l'équipe), "
    "ou laissez le champ vide pour répondre sans code."
)
CODE_UNKNOWN = "code_unknown"
CODE_ALREADY_SENT = "code_already_sent"
NOT_FOUND = "not_found"


def normalise_code(code: str) -> str:
    """A personal code as typed ("ab 12-cd") compared the way it is stored, without case, spaces or dashes."""
    return re.sub(r"[\s\-‐‑–—]+", "", code or "").upper()


def _new_code(evaluation: Evaluation) -> str:
    new_respondent_code = None
    for module in ("terreau.evaluation.services_people", "terreau.evaluation.services"):
        try:
            new_respondent_code = getattr(import_module(module), "new_respondent_code", None)
        except ImportError:  # the framework's services are not there: the same shape of code, below
            continue
        if new_respondent_code is not None:
            break
    if new_respondent_code is not None:
        for call in (
            lambda: new_respondent_code(evaluation=evaluation),
            lambda: new_respondent_code(evaluation),
        ):
            try:
                return call()
            except TypeError:
                continue
        return new_respondent_code()
    alphabet = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
    while True:
        code = "-".join("".join(secrets.choice(alphabet) for _ in range(4)) for _ in range(2))
        if not Respondent.objects.filter(evaluation=evaluation, code=code).exists():
            return code


def current_instrument_for(*, evaluation: Evaluation, audience: str) -> Instrument | None:
    return Instrument.objects.filter(evaluation=evaluation, audience=audience, is_current=True).first()


def check_open(wave: Wave) -> None:
    """Refuses answers to a wave that is not open, or whose evaluation is not collecting."""
    if wave.state != Wave.State.OPEN or wave.evaluation.state != Evaluation.State.COLLECTING:
        raise ValidationError(CLOSED_WAVE, code="closed")


def find_respondent(*, evaluation: Evaluation, audience: str, code: str) -> Respondent | None:
    wanted = normalise_code(code)
    if not wanted:
        return None
    plain = Upper(Replace(Replace("code", Value("-"), Value("")), Value(" "), Value("")))
    return (
        Respondent.objects.annotate(plain=plain)
        .filter(evaluation=evaluation, audience=audience, plain=wanted)
        .first()
    )


@transaction.atomic
def response_start(
    *,
    wave: Wave,
    audience: str,
    mode: str,
    respondent: Respondent | None = None,
    code: str = "",
    site: Any = None,
    link: CollectionLink | None = None,
    by: Any = None,
    consent_on: date | None = None,
    consent_by: str = "",
    age_band: str = "",
) -> Response:
    """The respondent's questionnaire for this wave: resumed when they started it, refused once sent.

    With ``code``: the respondent of this evaluation and audience who holds it (case, spaces and dashes do not
    matter). Without a respondent nor a code: a new, self-registered respondent with a new code.
    ``consent_on`` records the date the person agreed to answer (and ``consent_by`` who collected it).
    """
    wave = Wave.objects.select_related("evaluation").get(pk=wave.pk)
    evaluation = wave.evaluation
    check_open(wave)
    if mode not in Response.Mode.values:
        raise ValidationError(_("Ce mode de réponse n'existe pas."))
    if audience not in evaluation.audiences:
        raise ValidationError(_("Ce public n'est pas interrogé par cette évaluation."))
    if site is not None and site.program_id != evaluation.program_id:
        raise ValidationError({"site": _("Ce site ne fait pas partie du programme.")})
    instrument = current_instrument_for(evaluation=evaluation, audience=audience)
    if instrument is None:
        raise ValidationError(_("Le questionnaire de ce public n'est pas encore prêt."))
    if respondent is None and code.strip():
        respondent = find_respondent(evaluation=evaluation, audience=audience, code=code)
        if respondent is None:
            raise ValidationError({"code": ValidationError(UNKNOWN_CODE, code=CODE_UNKNOWN)})
    if respondent is not None and (
        respondent.evaluation_id != evaluation.pk or respondent.audience != audience
    ):
        raise ValidationError(
            {"code": ValidationError(_("Ce code n'est pas connu pour ce questionnaire."), code=CODE_UNKNOWN)}
        )
    if respondent is None:
        respondent = Respondent.objects.create(
            evaluation=evaluation,
            audience=audience,
            code=_new_code(evaluation),
            site=site,
            age_band=age_band or Respondent.AgeBand.UNKNOWN,
            enrolled=False,
            is_demo=evaluation.is_demo,
        )
    respondent = Respondent.objects.select_for_update().get(pk=respondent.pk)
    changed = []
    if consent_on is not None and respondent.consent_on is None:
        respondent.consent_on, respondent.consent_by = consent_on, consent_by[:150]
        changed += ["consent_on", "consent_by"]
    if site is not None and respondent.site_id is None:
        respondent.site = site
        changed.append("site")
    if age_band and respondent.age_band == Respondent.AgeBand.UNKNOWN:
        respondent.age_band = age_band
        changed.append("age_band")
    if changed:
        respondent.save(update_fields=[*changed, "updated_at"])
    existing = Response.objects.select_for_update().filter(respondent=respondent, wave=wave).first()
    if existing is not None:
        if existing.submitted_at is not None:
            raise ValidationError({"code": ValidationError(ALREADY_SENT, code=CODE_ALREADY_SENT)})
        if by is not None and existing.entered_by_id == getattr(by, "pk", None) and existing.mode == mode:
            return existing  # the same person carries on the entry they started (a tablet restarted)
        # Someone else typed this code (another device, another volunteer): the unsent answers are never shown
        # to them. The questionnaire starts again, under a new token, so the old one can no longer write either.
        Answer.objects.filter(response=existing).delete()
        existing.token = new_token()
        existing.mode, existing.link, existing.entered_by, existing.instrument = mode, link, by, instrument
        existing.save(update_fields=["token", "mode", "link", "entered_by", "instrument", "updated_at"])
        return existing
    return Response.objects.create(
        respondent=respondent, wave=wave, instrument=instrument, mode=mode, link=link, entered_by=by
    )


CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _empty() -> ValidationError:
    return ValidationError(_("Choisissez une réponse, ou « Je préfère ne pas répondre »."), code="empty")


def _decimal(text: str) -> Decimal | None:
    cleaned = re.sub(r"[\s  ]", "", text).replace(",", ".")
    if not re.fullmatch(r"-?\d{1,12}(\.\d+)?", cleaned):
        return None
    try:
        number = Decimal(cleaned)
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def _figure(number: Decimal) -> str:
    return as_text(number).replace(".", ",")


def clean_raw(item: Item, raw: Mapping[str, Any]) -> dict[str, Any]:
    """The fields of an Answer (number, text, choices, declined) from what was given for this item.

    ``raw``: {"declined": bool} or {"value": "..."} ({"values": [...]} or a list "value" for a multiple choice).
    Refuses, in French, a value outside the item's scale, bounds or choices, and an empty answer (code "empty").
    """
    if raw.get("declined"):
        return {"number": None, "text": "", "choices": [], "declined": True}
    value = raw.get("values", raw.get("value"))
    if item.kind == Item.Kind.MULTIPLE:
        values = [
            str(v) for v in (value if isinstance(value, list | tuple) else [value]) if v not in (None, "")
        ]
        if not values:
            raise _empty()
        known = [str(c.get("value")) for c in item.choices or []]
        if any(v not in known for v in values):
            raise ValidationError(_("Cette réponse ne fait pas partie des choix proposés."), code="invalid")
        return {"number": None, "text": "", "choices": [v for v in known if v in values], "declined": False}
    if isinstance(value, list | tuple):
        value = value[-1] if value else ""
    # Control characters (a NUL byte, which PostgreSQL refuses) are never part of an answer.
    text = "" if value is None else CONTROL_CHARS.sub("", str(value)).strip()
    if not text:
        raise _empty()
    answer = {"number": None, "text": "", "choices": [], "declined": False}
    if item.kind == Item.Kind.LIKERT:
        if not re.fullmatch(r"-?\d{1,4}", text) or not item.scale_min <= int(text) <= item.scale_max:
            raise ValidationError(
                _("Choisissez une valeur de l'échelle, de %(min)s à %(max)s.")
                % {"min": item.scale_min, "max": item.scale_max},
                code="invalid",
            )
        answer["number"] = Decimal(int(text))
    elif item.kind == Item.Kind.YES_NO:
        if text not in ("yes", "no"):
            raise ValidationError(_("Répondez par oui ou par non."), code="invalid")
        answer["number"] = Decimal(1 if text == "yes" else 0)
    elif item.kind == Item.Kind.NUMBER:
        number = _decimal(text)
        low, high = item.number_min, item.number_max
        if number is None or abs(number) >= NUMBER_LIMIT:
            raise ValidationError(
                _("Saisissez un nombre, en chiffres (par exemple 3 ou 2,5)."), code="invalid"
            )
        if (low is not None and number < low) or (high is not None and number > high):
            if low is not None and high is not None:
                message = _("Saisissez un nombre entre %(min)s et %(max)s.")
            elif low is not None:
                message = _("Saisissez un nombre au moins égal à %(min)s.")
            else:
                message = _("Saisissez un nombre au plus égal à %(max)s.")
            bounds = {
                "min": _figure(low) if low is not None else "",
                "max": _figure(high) if high is not None else "",
            }
            raise ValidationError(message % bounds, code="invalid")
        answer["number"] = number.quantize(Decimal("0.01"))
    elif item.kind == Item.Kind.SINGLE:
        if text not in [str(c.get("value")) for c in item.choices or []]:
            raise ValidationError(_("Cette réponse ne fait pas partie des choix proposés."), code="invalid")
        answer["text"] = text
    else:
        if len(text) > TEXT_MAX:
            raise ValidationError(
                _("Votre réponse est trop longue : %(max)s caractères au plus (vous en avez écrit %(n)s).")
                % {"max": f"{TEXT_MAX:,}".replace(",", " "), "n": f"{len(text):,}".replace(",", " ")},
                code="invalid",
            )
        answer["text"] = text
    return answer


def _writable(response: Response) -> Response:
    locked = Response.objects.select_for_update().select_related("wave__evaluation").get(pk=response.pk)
    if locked.submitted_at is not None:
        raise ValidationError(
            _("Ce questionnaire a déjà été envoyé : il ne peut plus être modifié."), code="sent"
        )
    revoked = CollectionLink.objects.filter(pk=locked.link_id, revoked_at__isnull=False)
    if locked.link_id is not None and revoked.exists():
        raise ValidationError(
            _("Ce lien a été désactivé par l'équipe : il ne permet plus de répondre."), code="revoked"
        )
    check_open(locked.wave)
    return locked


@transaction.atomic
def answer_save(*, response: Response, item: Item, raw: Mapping[str, Any]) -> Answer:
    """Saves one answer as it is given (replacing an earlier answer to the same item); the questionnaire is
    frozen at its first answer, so that it is never edited under the answers."""
    if item.instrument_id != response.instrument_id:
        raise ValidationError(_("Cette question n'existe pas."), code=NOT_FOUND)
    locked = _writable(response)
    fields = clean_raw(item, raw)
    answer, _created = Answer.objects.update_or_create(response=locked, item=item, defaults=fields)
    Instrument.objects.filter(pk=locked.instrument_id, frozen_at__isnull=True).update(
        frozen_at=timezone.now()
    )
    return answer


@transaction.atomic
def answer_clear(*, response: Response, item: Item) -> None:
    """Forgets the answer to an item left empty (a question that is not required)."""
    if item.instrument_id != response.instrument_id:
        raise ValidationError(_("Cette question n'existe pas."), code=NOT_FOUND)
    locked = _writable(response)
    Answer.objects.filter(response=locked, item=item).delete()


def answer_value(answer: Answer) -> Any:
    """An answer's value as skip logic reads it (None when declined)."""
    if answer.declined:
        return None
    kind = answer.item.kind
    if kind == Item.Kind.MULTIPLE:
        return list(answer.choices)
    if kind == Item.Kind.YES_NO:
        return None if answer.number is None else ("yes" if answer.number else "no")
    if kind in (Item.Kind.LIKERT, Item.Kind.NUMBER):
        return None if answer.number is None else as_text(answer.number)
    return answer.text or None


def answers_of(response: Response) -> dict[int, Answer]:
    """The response's answers by item id."""
    return {a.item_id: a for a in Answer.objects.filter(response=response).select_related("item")}


def visible_items(*, response: Response, answers: dict[int, Answer] | None = None) -> list[Item]:
    """The questionnaire's items shown to this respondent, in order, given their answers so far (an item hidden
    by an earlier answer hides in turn the items that depend on it)."""
    answers = answers_of(response) if answers is None else answers
    shown: list[Item] = []
    by_code: dict[str, Any] = {}
    for item in Item.objects.filter(instrument_id=response.instrument_id).order_by("order", "pk"):
        if not is_shown(item.show_if, by_code):
            continue
        shown.append(item)
        if item.pk in answers:
            by_code[item.code] = answer_value(answers[item.pk])
    return shown


def next_item(*, response: Response) -> Item | None:
    """Where to resume: the first shown item not yet answered (None when every shown item is answered)."""
    answers = answers_of(response)
    return next((i for i in visible_items(response=response, answers=answers) if i.pk not in answers), None)


@transaction.atomic
def response_submit(*, response: Response) -> Response:
    """Sends the questionnaire: every shown required item answered (or declined); answers to items that skip
    logic now hides are deleted."""
    locked = _writable(response)
    answers = answers_of(locked)
    shown = visible_items(response=locked, answers=answers)
    missing = [i for i in shown if i.required and i.pk not in answers]
    if missing:
        names = ", ".join(f"« {i.text} »" for i in missing[:3])
        raise ValidationError(
            ngettext(
                "Il manque une réponse à la question %(names)s.",
                "Il manque une réponse aux questions %(names)s.",
                len(missing),
            )
            % {"names": names},
            code="missing",
        )
    shown_ids = {i.pk for i in shown}
    Answer.objects.filter(response=locked).exclude(item_id__in=shown_ids).delete()
    locked.submitted_at = timezone.now()
    locked.save(update_fields=["submitted_at", "updated_at"])
    # The report's stored analysis is brought up to date in the background, after the commit.
    from terreau.core.jobs import defer
    from terreau.evaluation.tasks import refresh_analyses

    defer(refresh_analyses)
    return locked


@transaction.atomic
def paper_record(
    *, wave: Wave, audience: str, code: str, site: Any, by: Any, answers: Mapping[str, Mapping[str, Any]]
) -> Response:
    """A paper questionnaire typed in, in one transaction: its answers by item code, every question left blank
    on the paper recorded as « pas de réponse », then sent. Nothing is kept if anything is refused."""
    response = response_start(
        wave=wave,
        audience=audience,
        mode=Response.Mode.PAPER,
        code=code,
        site=site,
        by=by,
        consent_on=timezone.localdate(),
        consent_by=_("Questionnaire papier saisi par %(name)s") % {"name": by} if by else "",
    )
    items = {i.code: i for i in Item.objects.filter(instrument_id=response.instrument_id)}
    for item_code, raw in answers.items():
        item = items.get(item_code)
        if item is None:
            raise ValidationError(
                _("Ce questionnaire a changé depuis : rechargez la page pour saisir ce papier.")
            )
        answer_save(response=response, item=item, raw=raw)
    given = answers_of(response)
    for item in visible_items(response=response, answers=given):
        if item.pk not in given:
            answer_save(response=response, item=item, raw={"declined": True})
    return response_submit(response=response)
