"""Organisation profile, its editing, its needs and offers with their status, and its members.

Objects come through terreau.core.access (404 when not visible, 403 when visible but not changeable);
writes go through terreau.directory.services.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from terreau.core.access import branches_managed, get_for, visible
from terreau.core.links import site_root
from terreau.directory import services
from terreau.directory.forms import MemberAddForm, NeedOfferForm, OrganisationForm, StatusForm
from terreau.directory.models import (
    Direction,
    Membership,
    NeedOffer,
    NeedOfferStatus,
    NeedOfferStatusChange,
    Organisation,
)

STATUS_LABELS = dict(NeedOfferStatus.choices)
# Active needs and offers first on the profile.
STATUS_ORDER = {status: rank for rank, status in enumerate(NeedOfferStatus.values)}


def _organisations():
    return Organisation.objects.select_related("commune__department", "branch")


def _need_offers():
    return NeedOffer.objects.select_related("organisation__commune", "organisation__branch", "theme")


def _add_service_errors(form, error: ValidationError) -> None:
    """Errors found by the model on save (e.g. a concurrent change) shown like form errors."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


def detail(request: HttpRequest, slug: str) -> HttpResponse:
    organisation = get_for(request.user, _organisations().prefetch_related("themes"), slug=slug)
    rights = services.organisation_rights(user=request.user, organisation=organisation)
    items = list(
        visible(request.user, NeedOffer.objects.filter(organisation=organisation))
        .select_related("theme")
        .order_by("-updated_at", "pk")
    )
    items.sort(key=lambda item: STATUS_ORDER.get(item.status, len(STATUS_ORDER)))
    members = []
    if rights.can_see_members:
        members = list(
            visible(request.user, Membership.objects.filter(organisation=organisation))
            .select_related("user")
            .order_by("role", "user__last_name", "user__first_name", "user__email")
        )
    return render(
        request,
        "directory/organisation_detail.html",
        {
            "organisation": organisation,
            "rights": rights,
            "needs": [i for i in items if i.direction == Direction.NEED],
            "offers": [i for i in items if i.direction == Direction.OFFER],
            "members": members,
            "legal_category_label": services.legal_category_label(organisation.legal_category),
            "contact_senders": services.contact_senders(user=request.user, organisation=organisation),
            "nav": "directory",
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def edit(request: HttpRequest, slug: str) -> HttpResponse:
    organisation = get_for(request.user, _organisations(), action="change", slug=slug)
    rights = services.organisation_rights(user=request.user, organisation=organisation)
    form_kwargs = {"instance": organisation, "staff": rights.is_staff}
    if rights.is_staff:
        form_kwargs["branches"] = branches_managed(request.user)
    if request.method == "POST":
        form = OrganisationForm(request.POST, request.FILES, **form_kwargs)
        if form.is_valid():
            try:
                services.organisation_update(
                    organisation=organisation, data=form.cleaned_data, by=request.user
                )
            except ValidationError as error:
                _add_service_errors(form, error)
            else:
                messages.success(request, _("La fiche de la structure a été enregistrée."))
                return redirect(organisation)
    else:
        form = OrganisationForm(**form_kwargs)
    return render(
        request,
        "directory/organisation_form.html",
        {"organisation": organisation, "form": form, "rights": rights, "nav": "directory"},
        status=400 if form.errors else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def need_offer_create(request: HttpRequest, slug: str) -> HttpResponse:
    organisation = get_for(request.user, _organisations(), action="change", slug=slug)
    if request.method == "POST":
        form = NeedOfferForm(request.POST)
        if form.is_valid():
            try:
                need_offer = services.need_offer_create(
                    organisation=organisation, data=form.cleaned_data, by=request.user
                )
            except ValidationError as error:
                _add_service_errors(form, error)
            else:
                if need_offer.is_need:
                    messages.success(
                        request, _("Le besoin « %(title)s » a été ajouté.") % {"title": need_offer.title}
                    )
                else:
                    messages.success(
                        request, _("La ressource « %(title)s » a été ajoutée.") % {"title": need_offer.title}
                    )
                return HttpResponseRedirect(f"{organisation.get_absolute_url()}#bo-{need_offer.pk}")
    else:
        direction = request.GET.get("direction")
        form = NeedOfferForm(
            initial={"direction": direction if direction in Direction.values else Direction.NEED}
        )
    direction = form["direction"].value()
    return render(
        request,
        "directory/need_offer_form.html",
        {
            "organisation": organisation,
            "form": form,
            "need_offer": None,
            "direction": direction if direction in Direction.values else "",
            "nav": "directory",
        },
        status=400 if form.errors else 200,
    )


def _status_context(need_offer: NeedOffer) -> dict:
    history = list(
        NeedOfferStatusChange.objects.filter(need_offer=need_offer)
        .select_related("by")
        .order_by("-at", "-pk")
    )
    for change in history:
        change.from_label = STATUS_LABELS.get(change.from_state, change.from_state)
        change.to_label = STATUS_LABELS.get(change.to_state, change.to_state)
    return {
        "need_offer": need_offer,
        "history": history,
        "transitions": [(s, services.STATUS_ACTIONS[s]) for s in need_offer.allowed_statuses()],
    }


@login_required
@require_http_methods(["GET", "POST"])
def need_offer_edit(request: HttpRequest, pk: int) -> HttpResponse:
    need_offer = get_for(request.user, _need_offers(), action="change", pk=pk)
    if request.method == "POST":
        form = NeedOfferForm(request.POST, instance=need_offer)
        if form.is_valid():
            try:
                services.need_offer_update(need_offer=need_offer, data=form.cleaned_data, by=request.user)
            except ValidationError as error:
                _add_service_errors(form, error)
            else:
                messages.success(request, _("Les modifications ont été enregistrées."))
                return HttpResponseRedirect(
                    f"{need_offer.organisation.get_absolute_url()}#bo-{need_offer.pk}"
                )
    else:
        form = NeedOfferForm(instance=need_offer)
    return render(
        request,
        "directory/need_offer_form.html",
        {
            "organisation": need_offer.organisation,
            "form": form,
            "direction": need_offer.direction,
            "nav": "directory",
            **_status_context(need_offer),
        },
        status=400 if form.errors else 200,
    )


@login_required
@require_POST
def need_offer_status(request: HttpRequest, pk: int) -> HttpResponse:
    need_offer = get_for(request.user, _need_offers(), action="change", pk=pk)
    form = StatusForm(request.POST)
    error = ""
    if not form.is_valid():
        error = _("Statut inconnu : choisissez l'un des boutons proposés.")
    else:
        try:
            services.need_offer_set_status(
                need_offer=need_offer,
                to=form.cleaned_data["to"],
                by=request.user,
                note=form.cleaned_data["note"],
            )
        except services.ServiceError as refusal:
            error = refusal.message
    if request.htmx:
        context = {**_status_context(need_offer), "status_error": error}
        if not error:
            context["status_message"] = _("Statut modifié : %(status)s.") % {
                "status": need_offer.get_status_display()
            }
        # htmx swaps only 2xx answers by default: the refusal is shown in the panel with a 200.
        return render(request, "directory/need_offer_form.html#status-panel", context)
    if error:
        return render(
            request,
            "directory/need_offer_status_error.html",
            {"need_offer": need_offer, "error": error, "nav": "directory"},
            status=400,
        )
    messages.success(request, _("Statut modifié : %(status)s.") % {"status": need_offer.get_status_display()})
    return redirect("directory:need_offer_edit", pk=need_offer.pk)


def _members_rights(request: HttpRequest, slug: str) -> tuple[Organisation, services.OrganisationRights]:
    organisation = get_for(request.user, _organisations(), slug=slug)
    rights = services.organisation_rights(user=request.user, organisation=organisation)
    if not rights.can_manage_members:
        raise PermissionDenied
    return organisation, rights


@login_required
@require_http_methods(["GET", "POST"])
def members(request: HttpRequest, slug: str) -> HttpResponse:
    organisation, rights = _members_rights(request, slug)
    form = MemberAddForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            membership = services.membership_add(
                organisation=organisation,
                email=data["email"],
                role=data["role"],
                job_title=data["job_title"],
                first_name=data["first_name"],
                last_name=data["last_name"],
                by=request.user,
                site_url=site_root(request),
            )
        except services.ServiceError as refusal:
            form.add_error(None, refusal.message)
        else:
            messages.success(
                request,
                _("%(email)s a été ajouté·e aux membres ; un courriel lui a été envoyé.")
                % {"email": membership.user.email},
            )
            return redirect("directory:organisation_members", slug=organisation.slug)
    memberships = list(
        visible(request.user, Membership.objects.filter(organisation=organisation))
        .select_related("user")
        .order_by("role", "user__last_name", "user__first_name", "user__email")
    )
    return render(
        request,
        "directory/organisation_members.html",
        {"organisation": organisation, "memberships": memberships, "form": form, "nav": "directory"},
        status=400 if form.errors else 200,
    )


@login_required
@require_POST
def member_remove(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    organisation, rights = _members_rights(request, slug)
    membership = get_for(
        request.user, Membership.objects.filter(organisation=organisation).select_related("user"), pk=pk
    )
    try:
        services.membership_remove(membership=membership, by=request.user)
    except services.ServiceError as refusal:
        messages.error(request, refusal.message)
        return redirect("directory:organisation_members", slug=organisation.slug)
    messages.success(request, _("%(name)s ne fait plus partie des membres.") % {"name": membership.user})
    if membership.user_id == request.user.pk and not rights.is_staff:
        return redirect("accounts:profile")
    return redirect("directory:organisation_members", slug=organisation.slug)
