"""Contact requests (members of both organisations) and the partnership pipeline (branch staff)."""

from __future__ import annotations

import itertools

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from terreau.core import french
from terreau.core.access import actor_for, editable, get_for, visible
from terreau.core.audit import audit_export
from terreau.core.tabular import csv_response
from terreau.directory.models import NeedOffer, Organisation
from terreau.partnerships import services
from terreau.partnerships.forms import AnswerForm, ProposeForm
from terreau.partnerships.models import ContactRequest, Partnership
from terreau.partnerships.queries import pipeline


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    actor = actor_for(request.user)
    qs = (
        visible(actor, ContactRequest.objects.involving(actor.org_ids))
        .select_related("sender", "recipient", "need", "offer", "partnership")
        .order_by("-created_at")
    )
    received = [r for r in qs if r.recipient_id in actor.org_ids]
    sent = [r for r in qs if r.sender_id in actor.org_ids]
    partnerships = (
        visible(actor, Partnership.objects.of_organisations(actor.org_ids))
        .select_related("branch")
        .prefetch_related("partners")
    )
    return render(
        request,
        "partnerships/inbox.html",
        {"received": received, "sent": sent, "partnerships": partnerships, "nav": "partnerships"},
    )


@login_required
@require_POST
def propose(request: HttpRequest) -> HttpResponse:
    form = ProposeForm(request.POST)
    if not form.is_valid():
        return HttpResponseBadRequest(_("Demande incomplète : rechargez la page et réessayez."))
    data = form.cleaned_data
    sender = get_for(request.user, Organisation.objects.all(), action="change", pk=data["sender"])
    recipient = get_for(request.user, Organisation.objects.all(), pk=data["recipient"])
    items = NeedOffer.objects.select_related("organisation")
    need = get_for(request.user, items, pk=data["need"]) if data.get("need") else None
    offer = get_for(request.user, items, pk=data["offer"]) if data.get("offer") else None
    try:
        services.contact_request_create(
            sender=sender,
            recipient=recipient,
            need=need,
            offer=offer,
            message=data["message"],
            reasons=[line.strip()[:200] for line in data.get("reasons", "").splitlines() if line.strip()],
            by=request.user,
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            _("Votre proposition a été envoyée %(to_name)s.") % {"to_name": french.at(recipient.name)},
        )
    return redirect(request.POST.get("next") if _safe(request.POST.get("next")) else "partnerships:inbox")


def _safe(url: str | None) -> bool:
    return bool(url) and url.startswith("/") and not url.startswith("//")


@login_required
@require_POST
def answer(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_for(request.user)
    contact = get_for(actor, ContactRequest.objects.select_related("sender", "recipient"), pk=pk)
    form = AnswerForm(request.POST)
    if not form.is_valid():
        return HttpResponseBadRequest(_("Réponse invalide."))
    decision = form.cleaned_data["decision"]
    # Only the recipient's members answer; only the sender's members withdraw.
    side = contact.sender_id if decision == "withdraw" else contact.recipient_id
    if side not in actor.org_ids and not actor.is_superuser:
        raise PermissionDenied
    try:
        if decision == "accept":
            services.contact_request_accept(
                request=contact, by=request.user, answer=form.cleaned_data["answer"]
            )
            messages.success(
                request, _("Mise en relation acceptée : l'antenne suit désormais ce partenariat.")
            )
        elif decision == "decline":
            services.contact_request_decline(
                request=contact, by=request.user, answer=form.cleaned_data["answer"]
            )
            messages.success(request, _("Proposition déclinée."))
        else:
            services.contact_request_withdraw(request=contact, by=request.user)
            messages.success(request, _("Proposition retirée."))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("partnerships:inbox")


def _staff_partnerships(request: HttpRequest):
    actor = actor_for(request.user)
    if not actor.is_staff_anywhere:
        raise PermissionDenied
    return editable(actor, Partnership.objects.all(), action="manage")


def _pipeline_partnerships(request: HttpRequest):
    """Branch staff follow their branches' pipeline; an organisation's member follows their own
    organisations' partnerships; anybody else has no pipeline."""
    actor = actor_for(request.user)
    if actor.is_staff_anywhere:
        return _staff_partnerships(request), True
    if not actor.org_ids:
        raise PermissionDenied
    return visible(actor, Partnership.objects.of_organisations(actor.org_ids)), False


@login_required
def board(request: HttpRequest) -> HttpResponse:
    qs, staff = _pipeline_partnerships(request)
    stage = request.GET.get("stage", "")
    listed = qs.filter(stage=stage) if stage in Partnership.Stage.values else qs
    page = Paginator(
        listed.select_related("branch").prefetch_related("partners").order_by("-updated_at"), 25
    ).get_page(request.GET.get("page"))
    return render(
        request,
        "partnerships/board.html",
        {
            "pipeline": pipeline(qs),
            "page": page,
            "stage": stage,
            "stage_label": Partnership.Stage(stage).label if stage in Partnership.Stage.values else "",
            "staff": staff,
            "nav": "partnerships",
        },
    )


@login_required
def board_export(request: HttpRequest) -> HttpResponse:
    qs = (
        _staff_partnerships(request)
        .select_related("branch")
        .prefetch_related("partners")
        .order_by("created_at")
    )
    header = ["Intitulé", "Partenaires", "Type", "Étape", "Origine", "Antenne", "Ouvert le", "Mis à jour le"]
    rows = (
        [
            p.title,
            " | ".join(o.name for o in p.partners.all()),
            p.get_kind_display(),
            p.get_stage_display(),
            p.get_origin_display(),
            p.branch.name,
            p.created_at.date().isoformat(),
            p.updated_at.date().isoformat(),
        ]
        for p in qs
    )
    audit_export(request, target="partenariats.csv")
    return csv_response(itertools.chain([header], rows), filename="partenariats.csv")
