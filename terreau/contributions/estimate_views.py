"""The donor's page, "Nos contributions": what an organisation gave in a year, what it was worth, and an
ESTIMATE of its tax reduction (terreau.contributions.tax), with the turnover it enters for the yearly cap.

Who sees it: the members of the donor organisation, and the staff of its branch (any organisation); anybody
else gets 404, even for a public organisation (access through terreau.core.access, DonorYear's rule).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.db.models import Sum
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_safe

from terreau.contributions import tax
from terreau.contributions.estimate_models import DonorYear, received_gifts_by_year
from terreau.contributions.models import RECEIPTABLE_KINDS, Contribution
from terreau.contributions.rules import rules
from terreau.contributions.valuation import fr_money, fr_percent
from terreau.core.access import actor_for, editable, get_for, visible
from terreau.directory.models import Organisation

FIRST_YEAR = 2000


class FrenchDecimalField(forms.DecimalField):
    """Reads "10 000 000,50" as typed (spaces of any kind between thousands, a decimal comma)."""

    def to_python(self, value):
        if isinstance(value, str):
            value = "".join(value.split()).replace("\u202f", "")
        return super().to_python(value)


class TurnoverForm(forms.Form):
    turnover = FrenchDecimalField(
        label=gettext_lazy("Chiffre d'affaires hors taxes de l'année (€)"),
        min_value=Decimal("0"),
        max_digits=15,
        decimal_places=2,
        localize=True,
        help_text=gettext_lazy(
            "Sert à calculer le plafond annuel (0,5 % du chiffre d'affaires, 20 000 € au moins)."
        ),
    )


def _year(raw: str | None) -> int:
    """The year asked for (?annee=), or the current year for anything else."""
    today = date.today().year
    try:
        year = int(str(raw or "").strip())
    except ValueError:
        return today
    return year if FIRST_YEAR <= year <= today + 1 else today


def _donor(request: HttpRequest, slug: str) -> Organisation:
    org = get_for(request.user, Organisation.objects.select_related("branch"), slug=slug)
    # A public organisation is visible to all; its contributions only to its members and its branch's staff.
    rule = DonorYear.ACCESS.parent("organisation")
    if not editable(request.user, Organisation.objects.filter(pk=org.pk), rule=rule).exists():
        raise Http404
    return org


@login_required
@require_safe
def my_contributions(request: HttpRequest) -> HttpResponse:
    """The signed-in member's organisation(s): straight to the page when there is one."""
    orgs = list(Organisation.objects.filter(pk__in=actor_for(request.user).org_ids).order_by("name"))
    if len(orgs) == 1:
        return redirect("contributions:donor_estimate", slug=orgs[0].slug)
    return render(request, "contributions/estimate_choose.html", {"orgs": orgs, "nav": "contributions"})


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def donor_estimate(request: HttpRequest, slug: str) -> HttpResponse:
    org = _donor(request, slug)
    year = _year(request.POST.get("annee") if request.method == "POST" else request.GET.get("annee"))
    stored = DonorYear.objects.filter(organisation=org, year=year).first()
    if request.method == "POST":
        form = TurnoverForm(request.POST)
        if form.is_valid():
            with transaction.atomic():
                DonorYear.objects.update_or_create(
                    organisation=org,
                    year=year,
                    defaults={"turnover": form.cleaned_data["turnover"], "entered_by": request.user},
                )
            messages.success(request, _("Chiffre d'affaires %(year)s enregistré.") % {"year": year})
            return redirect(f"{reverse('contributions:donor_estimate', args=[org.slug])}?annee={year}")
    else:
        form = TurnoverForm(initial={"turnover": stored.turnover if stored else None})
    return render(request, "contributions/estimate.html", _context(request, org, year, form))


def _context(request: HttpRequest, org: Organisation, year: int, form: TurnoverForm) -> dict:
    contributions = (
        visible(request.user, Contribution.objects.live().of_year(year).filter(donor=org))
        .select_related("recipient", "program")
        .order_by("pledged_on", "pk")
    )
    total = contributions.aggregate(total=Sum("value"))["total"] or Decimal("0")
    receiptable_total = contributions.filter(kind__in=RECEIPTABLE_KINDS).aggregate(total=Sum("value"))[
        "total"
    ] or Decimal("0")
    gifts = received_gifts_by_year(org)
    turnovers = dict(DonorYear.objects.filter(organisation=org).values_list("year", "turnover"))
    estimate = tax.company_estimate(gifts_by_year=gifts, turnover_by_year=turnovers, year=year)
    company = rules().company
    today = date.today().year
    years = sorted(
        {*range(today - 5, today + 1), year, *(y for y in gifts if FIRST_YEAR <= y <= today)}, reverse=True
    )
    return {
        "org": org,
        "year": year,
        "years": years,
        "contributions": contributions,
        "count": len(contributions),
        "total": fr_money(total),
        "receiptable_total": fr_money(receiptable_total),
        "estimate": estimate,
        "explain": tax.explain(estimate),
        "reduction": fr_money(estimate.reduction),
        "gifts_received": fr_money(estimate.gifts),
        "cap": fr_money(estimate.cap),
        "carried": [
            {
                "year": lot.from_year,
                "amount": fr_money(lot.amount),
                "rate": fr_percent(lot.rate),
                "last_year": lot.last_year,
            }
            for lot in estimate.balance
        ],
        "rules": {
            "rate": fr_percent(company.rate.value),
            "reduced_rate": fr_percent(company.reduced_rate.value),
            "threshold": fr_money(company.reduced_rate_threshold.value),
            "floor": fr_money(company.cap_floor.value),
            "turnover_rate": fr_percent(company.cap_turnover_rate.value),
            "carry_years": int(company.carry_forward_years.value),
        },
        "turnover_known": year in turnovers,
        "form": form,
        "nav": "contributions",
    }
