"""Answering pages reached without an account: a collection link's start page, then one question per screen under
the response's token, the summary and the thanks page.

The token is the key: an unknown token, or a revoked link, is a 404 page; a closed wave shows a page that says so.
Once the questionnaire is sent its token shows the thanks page only, never the answers. Each « Suivant » posts
the answer (a plain form post; terreau/static/terreau/evaluation-answer.js posts it with fetch and keeps it on the
device while the connection is lost), so that nothing given is lost.
"""

from __future__ import annotations

import math
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from terreau.core.audit import Action, audit_record
from terreau.core.proxy import client_ip
from terreau.core.throttle import throttle_count, throttle_hit
from terreau.evaluation import collect
from terreau.evaluation.collect_forms import LinkStartForm, likert_choices
from terreau.evaluation.instrument_models import Item
from terreau.evaluation.models import Evaluation, Wave
from terreau.evaluation.response_models import Answer, CollectionLink, Response


def is_open(wave: Wave) -> bool:
    return wave.state == Wave.State.OPEN and wave.evaluation.state == Evaluation.State.COLLECTING


def closed_page(request: HttpRequest, *, evaluation: Evaluation, not_ready: bool = False) -> HttpResponse:
    return render(
        request, "evaluation/collect_closed.html", {"evaluation": evaluation, "not_ready": not_ready}
    )


# Personal codes typed on a link, per link and address: after CODE_ATTEMPTS refused codes within CODE_WINDOW
# seconds, every code is refused (a right one included) until the window ends; answering without a code stays open.
CODE_ATTEMPTS = 10
CODE_WINDOW = 15 * 60


def _code_limits() -> tuple[int, int]:
    return (
        int(getattr(settings, "TERREAU_EVALUATION_CODE_ATTEMPTS", CODE_ATTEMPTS)),
        int(getattr(settings, "TERREAU_EVALUATION_CODE_WINDOW", CODE_WINDOW)),
    )


def _code_key(request: HttpRequest, link: CollectionLink) -> str:
    return f"evaluation-code:{link.token}:{client_ip(request) or ''}"


def _code_refusal(exc: ValidationError) -> str:
    """The error code of a refused personal code ("" when the refusal is about something else)."""
    refused = getattr(exc, "error_dict", {}).get("code", [])
    wanted = (collect.CODE_UNKNOWN, collect.CODE_ALREADY_SENT)
    return next((e.code for e in refused if e.code in wanted), "")


def _too_many_codes(retry_after: int) -> str:
    minutes = max(1, math.ceil(retry_after / 60))
    return ngettext(
        "Trop de codes incorrects ont été saisis depuis cet appareil. Pour protéger les réponses de chacun, "
        "réessayez dans %(n)s minute, ou laissez le champ vide pour répondre sans code.",
        "Trop de codes incorrects ont été saisis depuis cet appareil. Pour protéger les réponses de chacun, "
        "réessayez dans %(n)s minutes, ou laissez le champ vide pour répondre sans code.",
        minutes,
    ) % {"n": minutes}


def _count_refused_code(request: HttpRequest, link: CollectionLink, refusal: str) -> None:
    """Counts a refused code; the try that reaches the limit is audited once (not every try after it, which
    is refused before any code is looked up)."""
    limit, window = _code_limits()
    hits = throttle_hit(key=_code_key(request, link), limit=limit, window=window)
    if hits.count == hits.limit:
        evaluation = link.wave.evaluation
        audit_record(
            actor=None,
            action=Action.ACCESS_DENIED,
            target=_("Lien de réponse — %(evaluation)s : trop de codes personnels refusés")
            % {"evaluation": evaluation},
            obj=link,
            branch_id=evaluation.program.branch_id,
            details={"reason": "evaluation_code_attempts", "refused": hits.count, "last": refusal},
            request=request,
        )


@never_cache  # a shared tablet's back button must not show the previous person's page
@require_http_methods(["GET", "HEAD", "POST"])
def link_start(request: HttpRequest, token: str) -> HttpResponse:
    """The link's start page: consent, an optional personal code, the site.

    Personal codes: a code is the respondent's key to pairing their answers across waves, and whoever types it
    answers in their name (an unsent questionnaire started elsewhere starts again). So the tries are limited
    (CODE_ATTEMPTS refused codes per link and address, then every code is refused for the rest of the window,
    with a 429), and a refused code gets one message whatever the reason (unknown, of another questionnaire).
    « Déjà envoyé » is said only once the code is found valid: the person who sent their questionnaire needs to
    know it (or they would retype their code, give up, and answer again without it: counted twice, and never
    paired), whereas a guesser who found a valid code learns one more bit (answered or not) about a pseudonymous
    code whose holder they do not know. That try counts as a refused one all the same, so that probing sent
    codes is limited like guessing.
    """
    link = (
        CollectionLink.objects.select_related("wave__evaluation__program", "site")
        .filter(token=token[:40], revoked_at__isnull=True)
        .first()
    )
    if link is None:
        raise Http404
    wave, evaluation = link.wave, link.wave.evaluation
    if not is_open(wave):
        return closed_page(request, evaluation=evaluation)
    instrument = collect.current_instrument_for(evaluation=evaluation, audience=link.audience)
    if instrument is None:
        return closed_page(request, evaluation=evaluation, not_ready=True)
    program_sites = evaluation.program.sites.all()
    sites = None if link.site_id or program_sites.count() < 2 else program_sites
    form = LinkStartForm(request.POST or None, sites=sites)
    status = 200
    limit, window = _code_limits()
    if request.method == "POST" and form.is_valid():
        hits = throttle_count(key=_code_key(request, link), limit=limit, window=window)
        if form.cleaned_data["code"].strip() and hits.blocked:
            # Refused before the code is looked up; everything typed stays in the form.
            form.add_error("code", _too_many_codes(hits.retry_after))
            status = 429
        else:
            try:
                response = collect.response_start(
                    wave=wave,
                    audience=link.audience,
                    mode=Response.Mode.LINK,
                    code=form.cleaned_data["code"],
                    site=link.site or form.cleaned_data.get("site"),
                    link=link,
                    consent_on=timezone.localdate(),
                    consent_by=_("en ligne"),
                )
            except ValidationError as exc:
                refusal = _code_refusal(exc)
                if refusal:
                    _count_refused_code(request, link, refusal)
                _form_errors(form, exc)
            else:
                return redirect("evaluation:answer", token=response.token)
    page = render(
        request,
        "evaluation/collect_link.html",
        {"form": form, "instrument": instrument, "evaluation": evaluation, "count": instrument.items.count()},
        status=status,
    )
    if status == 429:
        page["Retry-After"] = str(hits.retry_after)
    return page


def _form_errors(form: Any, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


def _response(token: str) -> Response:
    response = (
        Response.objects.select_related("wave__evaluation__program", "instrument", "respondent", "entered_by")
        .filter(token=token[:40])
        .first()
    )
    if response is None:
        raise Http404
    return response


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def _url(response: Response, item: Item | None = None, *, end: bool = False) -> str:
    url = reverse("evaluation:answer", kwargs={"token": response.token})
    if end:
        return f"{url}?fin=1"
    return f"{url}?q={item.code}" if item is not None else url


def _raw(request: HttpRequest, item: Item) -> dict[str, Any]:
    values = [v for v in request.POST.getlist("value") if v.strip()]
    if item.kind == Item.Kind.MULTIPLE:
        return {"values": values}
    return {"value": values[-1] if values else ""}


@never_cache  # a shared tablet's back button must not show the previous person's answers
@require_http_methods(["GET", "HEAD", "POST"])
def answer(request: HttpRequest, token: str) -> HttpResponse:
    response = _response(token)
    if response.submitted_at is not None:
        if request.method == "POST" and _wants_json(request):
            return JsonResponse({"next": _url(response)})
        return render(request, "evaluation/answer_thanks.html", {"response": response})
    if not is_open(response.wave):
        if request.method == "POST" and _wants_json(request):
            return JsonResponse({"next": _url(response)})
        return closed_page(request, evaluation=response.wave.evaluation)
    if request.method == "POST":
        return _post(request, response)
    answers = collect.answers_of(response)
    shown = collect.visible_items(response=response, answers=answers)
    code = request.GET.get("q")
    if request.GET.get("fin") or (not code and not any(i.pk not in answers for i in shown)):
        return _summary(request, response, shown, answers)
    if code:
        item = next((i for i in shown if i.code == code), None)
        if item is None:
            if not response.instrument.items.filter(code=code[:60]).exists():
                raise Http404
            return redirect(_url(response))  # hidden now by an earlier answer: resume
    else:
        item = next(i for i in shown if i.pk not in answers)
    return _question(request, response, item, shown, answers)


def _question(
    request: HttpRequest,
    response: Response,
    item: Item,
    shown: list[Item],
    answers: dict[int, Answer],
    *,
    error: str = "",
    typed: list[str] | None = None,
    status: int = 200,
) -> HttpResponse:
    position = shown.index(item) if item in shown else 0
    given = answers.get(item.pk)
    if typed is not None:
        selected = typed
    elif given is None or given.declined:
        selected = []
    else:
        value = collect.answer_value(given)
        selected = [str(v) for v in value] if isinstance(value, list) else [str(value)]
    options: list[tuple[str, str]] = []
    if item.kind == Item.Kind.LIKERT:
        options = [(v, v) for v, _label in likert_choices(item)]
    elif item.kind == Item.Kind.YES_NO:
        options = [("yes", _("Oui")), ("no", _("Non"))]
    elif item.kind in (Item.Kind.SINGLE, Item.Kind.MULTIPLE):
        options = [(str(c.get("value")), str(c.get("label", c.get("value")))) for c in item.choices or []]
    context = {
        "response": response,
        "item": item,
        "options": options,
        "selected": selected,
        "text_value": selected[0] if selected and item.kind in (Item.Kind.TEXT, Item.Kind.NUMBER) else "",
        "declined": given is not None and given.declined,
        "position": position + 1,
        "total": len(shown),
        "previous_url": _url(response, shown[position - 1]) if position > 0 else "",
        "error": error,
        "assisted": response.mode == Response.Mode.ASSISTED,
    }
    return render(request, "evaluation/answer_question.html", context, status=status)


def _summary(
    request: HttpRequest, response: Response, shown: list[Item], answers: dict[int, Answer], error: str = ""
) -> HttpResponse:
    given = [answers[i.pk] for i in shown if i.pk in answers]
    context = {
        "response": response,
        "total": len(shown),
        "answered": sum(1 for a in given if not a.declined),
        "declined": sum(1 for a in given if a.declined),
        "unanswered": len(shown) - len(given),
        "first_url": _url(response, shown[0]) if shown else "",
        "last_url": _url(response, shown[-1]) if shown else "",
        "error": error,
        "assisted": response.mode == Response.Mode.ASSISTED,
    }
    return render(request, "evaluation/answer_summary.html", context, status=400 if error else 200)


def _post(request: HttpRequest, response: Response) -> HttpResponse:
    action = request.POST.get("action", "next")
    if action == "submit":
        try:
            collect.response_submit(response=response)
        except ValidationError as exc:
            answers = collect.answers_of(response)
            shown = collect.visible_items(response=response, answers=answers)
            if _wants_json(request):
                return JsonResponse({"error": " ".join(exc.messages)}, status=400)
            return _summary(request, response, shown, answers, error=" ".join(exc.messages))
        return JsonResponse({"next": _url(response)}) if _wants_json(request) else redirect(_url(response))
    code = str(request.POST.get("item", ""))[:60].replace("\x00", "")  # PostgreSQL refuses a NUL byte
    item = response.instrument.items.filter(code=code).first()
    if item is None:
        raise Http404
    raw = {"declined": True} if action == "decline" else _raw(request, item)
    try:
        if action == "previous":
            _save_quietly(response, item, raw)
        else:
            _save(response, item, raw)
    except ValidationError as exc:
        if exc.code in ("closed", "sent"):
            return (
                JsonResponse({"next": _url(response)}) if _wants_json(request) else redirect(_url(response))
            )
        message = " ".join(exc.messages)
        if _wants_json(request):
            return JsonResponse({"error": message}, status=400)
        answers = collect.answers_of(response)
        shown = collect.visible_items(response=response, answers=answers)
        typed = raw.get("values") or ([raw["value"]] if raw.get("value") else [])
        return _question(request, response, item, shown, answers, error=message, typed=typed, status=400)
    shown = collect.visible_items(response=response)
    order = list(response.instrument.items.order_by("order", "pk").values_list("pk", flat=True))
    here = order.index(item.pk)
    if action == "previous":
        before = [i for i in shown if order.index(i.pk) < here]
        url = _url(response, before[-1]) if before else _url(response, item)
    else:
        after = [i for i in shown if order.index(i.pk) > here]
        url = _url(response, after[0]) if after else _url(response, end=True)
    return JsonResponse({"next": url}) if _wants_json(request) else redirect(url)


def _save(response: Response, item: Item, raw: dict[str, Any]) -> None:
    try:
        collect.answer_save(response=response, item=item, raw=raw)
    except ValidationError as exc:
        if exc.code != "empty" or item.required:
            raise
        collect.answer_clear(response=response, item=item)


def _save_quietly(response: Response, item: Item, raw: dict[str, Any]) -> None:
    """« Précédent » keeps a valid answer given on the way, and goes back without one otherwise."""
    try:
        collect.answer_save(response=response, item=item, raw=raw)
    except ValidationError as exc:
        if exc.code in ("closed", "sent"):
            raise
