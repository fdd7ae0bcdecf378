"""Complémentarités: suggested partners for an organisation's members, the territory for its facilitators."""

from __future__ import annotations

import itertools

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from terreau.core.access import actor_for, branches_managed, editable, get_for
from terreau.core.audit import audit_export
from terreau.core.tabular import csv_response
from terreau.directory.models import NeedOffer, Organisation
from terreau.matching import services
from terreau.matching.forms import DismissForm
from terreau.matching.models import SuggestionFeedback


def _organisation(request: HttpRequest, slug: str) -> Organisation:
    """The organisation whose suggestions are asked: its members and its branch staff only."""
    return get_for(
        request.user, Organisation.objects.select_related("commune", "branch"), action="change", slug=slug
    )


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """The user's organisations (one: straight to its page)."""
    actor = actor_for(request.user)
    orgs = list(
        editable(actor, Organisation.objects.filter(pk__in=actor.org_ids))
        .only("name", "slug")
        .order_by("name")
    )
    if len(orgs) == 1:
        return redirect("matching:suggestions", slug=orgs[0].slug)
    if not orgs and actor.is_staff_anywhere:
        return redirect("matching:territory_home")
    return render(request, "matching/home.html", {"organisations": orgs, "nav": "matching"})


@login_required
def suggestions(request: HttpRequest, slug: str) -> HttpResponse:
    organisation = _organisation(request, slug)
    found = services.suggestions_for(organisation=organisation, user=request.user)
    return render(
        request,
        "matching/suggestions.html",
        {
            "organisation": organisation,
            "suggestions": found,
            "ready": services.suggestions_ready(),
            "updating": services.suggestions_updating(organisation),
            "reasons": SuggestionFeedback.Reason.choices,
            "min_percent": round(services.ALLIANCE_MIN_SCORE * 100),
            "physical_km": round(services.PHYSICAL_MAX_KM),
            "nav": "matching",
        },
    )


@login_required
@require_POST
def dismiss(request: HttpRequest, slug: str) -> HttpResponse:
    organisation = _organisation(request, slug)
    back = redirect("matching:suggestions", slug=organisation.slug)
    form = DismissForm(request.POST)
    htmx = request.headers.get("HX-Request") == "true"
    if not form.is_valid():
        message = _("Choisissez un motif dans la liste pour masquer cette suggestion.")
        if htmx:
            return HttpResponse(format_html('<p class="form-error" role="alert">{}</p>', message), status=422)
        messages.error(request, message)
        return back
    items = NeedOffer.objects.select_related("organisation")
    need = get_for(request.user, items, pk=form.cleaned_data["need"])
    offer = get_for(request.user, items, pk=form.cleaned_data["offer"])
    try:
        services.suggestion_dismiss(
            organisation=organisation,
            need=need,
            offer=offer,
            reason=form.cleaned_data["reason"],
            note=form.cleaned_data["note"],
            by=request.user,
        )
    except ValidationError as exc:
        if htmx:
            return HttpResponse(
                format_html('<p class="form-error" role="alert">{}</p>', " ".join(exc.messages)), status=422
            )
        messages.error(request, " ".join(exc.messages))
        return back
    if htmx:
        return render(request, "matching/_dismissed.html")
    messages.success(
        request, _("Suggestion masquée : merci, votre avis améliore les prochaines suggestions.")
    )
    return back


# --- facilitators ------------------------------------------------------------------------------------


def _branch(request: HttpRequest, slug: str):
    actor = actor_for(request.user)
    if not actor.is_staff_anywhere:
        raise PermissionDenied
    branch = branches_managed(actor).filter(slug=slug).first()
    if branch is None:
        raise Http404
    return branch


@login_required
def territory_home(request: HttpRequest) -> HttpResponse:
    actor = actor_for(request.user)
    if not actor.is_staff_anywhere:
        raise PermissionDenied
    branches = list(branches_managed(actor).order_by("name"))
    if len(branches) == 1:
        return redirect("matching:territory", slug=branches[0].slug)
    return render(request, "matching/territory_home.html", {"branches": branches, "nav": "matching"})


@login_required
def territory(request: HttpRequest, slug: str) -> HttpResponse:
    branch = _branch(request, slug)
    overview = services.territory_overview(branch=branch, user=request.user)
    if not overview.ready:
        services.suggestions_ready()  # asks for the first computation when a queue runs the jobs
    return render(
        request,
        "matching/territory.html",
        {
            "branch": branch,
            "overview": overview,
            "min_percent": round(services.ALLIANCE_MIN_SCORE * 100),
            "physical_km": round(services.PHYSICAL_MAX_KM),
            "per_need": services.ALLIANCES_PER_NEED,
            "per_organisation": services.ALLIANCES_PER_ORGANISATION,
            "nav": "matching",
        },
    )


@login_required
def territory_alliances_csv(request: HttpRequest, slug: str) -> HttpResponse:
    branch = _branch(request, slug)
    overview = services.territory_overview(branch=branch, user=request.user, top=200)
    header = ["Score", "Structure ayant le besoin", "Besoin", "Structure offrant", "Ressource", "Raisons"]
    rows = (
        [
            f"{a.score:.3f}",
            a.need.organisation.name,
            a.need.title,
            a.offer.organisation.name,
            a.offer.title,
            " ".join(a.why),
        ]
        for a in overview.alliances
    )
    audit_export(request, target="alliances-potentielles.csv", branch_id=branch.pk)
    return csv_response(itertools.chain([header], rows), filename="alliances-potentielles.csv")


@login_required
def territory_unmet_csv(request: HttpRequest, slug: str) -> HttpResponse:
    branch = _branch(request, slug)
    overview = services.territory_overview(branch=branch, user=request.user)
    header = ["Thème", "Département", "Structure", "Besoin", "Type", "Mis à jour le"]
    rows = (
        [
            group.theme,
            group.department,
            need.organisation.name,
            need.title,
            need.get_type_display(),
            need.updated_at.date().isoformat(),
        ]
        for group in overview.unmet
        for need in group.needs
    )
    audit_export(request, target="besoins-non-pourvus.csv", branch_id=branch.pk)
    return csv_response(itertools.chain([header], rows), filename="besoins-non-pourvus.csv")
