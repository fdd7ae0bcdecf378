"""The ways to the contributions' pages, drawn by other apps' templates without importing this app (the templates
load the tags by name): ``{% my_contributions %}`` on "Mon espace" and ``{% organisation_contributions org %}``
inside the contributions list of an organisation's page."""

from __future__ import annotations

from typing import Any

from django import template
from django.db.models import Q

from terreau.contributions import receipts
from terreau.contributions.models import Contribution
from terreau.contributions.receipt_models import ReceiptEligibility
from terreau.core.access import actor_for
from terreau.directory.models import Organisation, OrganisationKind

register = template.Library()

# Kinds of organisation that may be of general interest (a company never issues tax receipts).
CANDIDATE_KINDS = (OrganisationKind.ASSOCIATION, OrganisationKind.FOUNDATION)


def may_issue_receipts(org_ids) -> Q:
    """Organisations that issue receipts or might: eligibility stated (either way), a kind that may be of general
    interest, or gifts received."""
    stated = ReceiptEligibility.objects.values("organisation_id")
    received = Contribution.objects.values("recipient_id")
    return Q(pk__in=org_ids) & (Q(pk__in=stated) | Q(kind__in=CANDIDATE_KINDS) | Q(pk__in=received))


@register.inclusion_tag("contributions/_my_contributions.html", takes_context=True)
def my_contributions(context: dict[str, Any]) -> dict[str, Any]:
    request = context.get("request")
    actor = actor_for(getattr(request, "user", None))
    issuers: list[dict[str, Any]] = []
    if actor.org_admin_ids:
        orgs = Organisation.objects.filter(may_issue_receipts(list(actor.org_admin_ids))).order_by("name")
        issuers = [{"org": org, "eligibility": receipts.eligibility_of(org)} for org in orgs[:20]]
    return {
        "show": bool(actor.org_ids) or actor.is_staff_anywhere,
        "member": bool(actor.org_ids),
        "issuers": issuers,
        "staff": actor.is_staff_anywhere,
    }


@register.inclusion_tag("contributions/_organisation_links.html", takes_context=True)
def organisation_contributions(context: dict[str, Any], organisation: Organisation) -> dict[str, Any]:
    """Links for the organisation's members (its estimate, its receipts) and for those who manage its receipts."""
    request = context.get("request")
    user = getattr(request, "user", None)
    actor = actor_for(user)
    member = organisation.pk in actor.org_ids
    manage = bool(user and user.is_authenticated) and receipts.may_manage(user, organisation)
    issuer = (member or manage) and Organisation.objects.filter(
        may_issue_receipts([organisation.pk])
    ).exists()
    return {
        "org": organisation,
        "member": member,
        "estimate": member or manage,
        "issuer": issuer,
        "manage": manage,
    }
