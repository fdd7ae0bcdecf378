"""The evaluation's framework pages, continued: respondents (enrolling the consenting participants, new personal
codes, the printable list of codes, erasure) and collection links for the program's coordinators and evaluators
only; share links for who may change the evaluation. Rows are fetched through terreau.core.access."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from terreau.core.access import get_for, visible
from terreau.core.forms_flow import show_error
from terreau.evaluation import services
from terreau.evaluation.forms import LinkForm, RespondentForm, ShareLinkForm
from terreau.evaluation.models import Audience, ShareLink
from terreau.evaluation.response_models import CollectionLink, Respondent
from terreau.evaluation.views_framework import (
    back,
    evaluation_for,
    form_page,
    manages_collection,
    program_sites,
    require_respondents,
)

# --- respondents --------------------------------------------------------------------------------------------


@login_required
@require_POST
def respondents_enrol(request: HttpRequest, pk: int) -> HttpResponse:
    evaluation = require_respondents(request, pk)
    try:
        added = services.respondents_enrol_participants(evaluation=evaluation, by=request.user)
    except ValidationError as exc:
        show_error(request, exc)
    else:
        if added:
            messages.success(
                request,
                ngettext(
                    "%(n)s participant ayant donné son accord a reçu un code personnel.",
                    "%(n)s participants ayant donné leur accord ont reçu un code personnel.",
                    added,
                )
                % {"n": added},
            )
        else:
            messages.info(request, _("Aucun nouveau participant ayant donné son accord à inscrire."))
    return back(evaluation, "repondants")


@login_required
def respondent_add(request: HttpRequest, pk: int) -> HttpResponse:
    evaluation = require_respondents(request, pk)
    sites = program_sites(request.user, evaluation)
    form = RespondentForm(request.POST or None, evaluation=evaluation, sites=sites)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            with transaction.atomic():
                codes = [
                    services.respondent_create(
                        evaluation=evaluation,
                        audience=data["audience"],
                        site=data["site"],
                        age_band=data["age_band"],
                    ).code
                    for _n in range(data["count"])
                ]
        except ValidationError as exc:
            show_error(request, exc)
        else:
            messages.success(
                request,
                ngettext(
                    "Code personnel créé : %(codes)s.", "Codes personnels créés : %(codes)s.", len(codes)
                )
                % {"codes": ", ".join(codes)},
            )
            return back(evaluation, "repondants")
    return form_page(
        request,
        evaluation=evaluation,
        form=form,
        title=_("Nouveaux codes personnels"),
        submit_label=_("Créer les codes"),
        help=_("Un code remplace le nom de la personne : notez-le sur sa carte, jamais à côté de son nom."),
    )


@login_required
@require_safe
def respondent_list(request: HttpRequest, pk: int) -> HttpResponse:
    """The respondents' codes by audience and site: to manage (erase) or to print for the team (codes only)."""
    evaluation = require_respondents(request, pk)
    rows = (
        visible(request.user, Respondent.objects.filter(evaluation=evaluation))
        .select_related("site")
        .order_by("audience", "site__name", "code")
    )
    labels = dict(Audience.choices)
    groups: dict[tuple[str, str], list[Respondent]] = {}
    for respondent in rows:
        key = (
            str(labels.get(respondent.audience, respondent.audience)),
            respondent.site.name if respondent.site else "",
        )
        groups.setdefault(key, []).append(respondent)
    printing = request.GET.get("imprimer") == "1"
    template = (
        "evaluation/framework_codes_print.html" if printing else "evaluation/framework_respondents.html"
    )
    context = {
        "evaluation": evaluation,
        "groups": [{"audience": a, "site": s, "respondents": r} for (a, s), r in groups.items()],
        "total": sum(len(r) for r in groups.values()),
    }
    return render(request, template, context)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def respondent_erase(request: HttpRequest, pk: int) -> HttpResponse:
    respondent = get_for(
        request.user, Respondent.objects.select_related("evaluation__program"), action="change", pk=pk
    )
    evaluation = respondent.evaluation
    if request.method == "POST":
        code = respondent.code
        services.respondent_erase(respondent=respondent, by=request.user)
        messages.success(
            request, _("Le répondant %(code)s et toutes ses réponses ont été effacés.") % {"code": code}
        )
        return back(evaluation, "repondants")
    answered = respondent.responses.count()
    return render(
        request,
        "evaluation/framework_respondent_erase.html",
        {"evaluation": evaluation, "respondent": respondent, "answered": answered},
    )


# --- collection links ---------------------------------------------------------------------------------------


@login_required
@require_POST
def link_create(request: HttpRequest, pk: int) -> HttpResponse:
    evaluation = evaluation_for(request, pk)
    if not manages_collection(request.user, evaluation):
        raise PermissionDenied
    form = LinkForm(request.POST, evaluation=evaluation, sites=program_sites(request.user, evaluation))
    if not form.is_valid():
        messages.error(
            request, _("Choisissez une vague ouverte ou prévue, un public et, si besoin, un site.")
        )
        return back(evaluation, "liens")
    try:
        services.link_create(by=request.user, **form.cleaned_data)
    except ValidationError as exc:
        show_error(request, exc)
    else:
        messages.success(request, _("Le lien de réponse est prêt : copiez-le et envoyez-le."))
    return back(evaluation, "liens")


@login_required
@require_POST
def link_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    link = get_for(
        request.user, CollectionLink.objects.select_related("wave__evaluation"), action="change", pk=pk
    )
    services.link_revoke(link=link, by=request.user)
    messages.success(request, _("Le lien de réponse est désactivé : il ne permet plus de répondre."))
    return back(link.wave.evaluation, "liens")


# --- share links --------------------------------------------------------------------------------------------


@login_required
def share_create(request: HttpRequest, pk: int) -> HttpResponse:
    evaluation = evaluation_for(request, pk, action="change")
    form = ShareLinkForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.share_link_create(
                evaluation=evaluation, label=form.cleaned_data["label"], by=request.user
            )
        except ValidationError as exc:
            show_error(request, exc)
        else:
            messages.success(request, _("Le lien de partage du rapport est prêt : copiez-le et envoyez-le."))
            return back(evaluation, "partage")
    return form_page(
        request,
        evaluation=evaluation,
        form=form,
        title=_("Nouveau lien de partage du rapport"),
        submit_label=_("Créer le lien"),
        help=_(
            "Le lien montre le rapport, et rien d'autre, à qui le reçoit, jusqu'à ce que vous le révoquiez."
        ),
    )


@login_required
@require_POST
def share_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    link = get_for(request.user, ShareLink.objects.select_related("evaluation"), action="change", pk=pk)
    services.share_link_revoke(link=link, by=request.user)
    messages.success(request, _("Le lien de partage « %(label)s » est révoqué.") % {"label": link.label})
    return back(link.evaluation, "partage")
