"""What a donor organisation tells Terreau to estimate its tax reduction: its turnover of a year.

The yearly cap of corporate giving is the higher of 20 000 € or 0.5 % of turnover excluding tax
(terreau.contributions.rules); the turnover is entered by the company (or its branch's staff) on its
"Nos contributions" page, one row per organisation and year. ``received_gifts_by_year`` sums what the donor
gave that may give a reduction, by year of receipt, for terreau.contributions.tax.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from terreau.core.access import AccessRule
from terreau.core.models import TimeStampedModel


class DonorYear(TimeStampedModel):
    """A donor organisation's turnover excluding tax for one year (only used for the tax estimate)."""

    ACCESS = AccessRule(branch="organisation__branch", organisation="organisation")

    organisation = models.ForeignKey(
        "directory.Organisation",
        on_delete=models.CASCADE,
        related_name="donor_years",
        verbose_name=_("structure"),
    )
    year = models.PositiveSmallIntegerField(_("année"))
    turnover = models.DecimalField(
        _("chiffre d'affaires hors taxes (€)"),
        max_digits=15,
        decimal_places=2,
        validators=[
            MinValueValidator(Decimal("0"), message=_("Le chiffre d'affaires ne peut pas être négatif."))
        ],
    )
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("chiffre d'affaires d'un donateur")
        verbose_name_plural = _("chiffres d'affaires des donateurs")
        ordering = ["organisation", "-year"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "year"], name="unique_donor_year"),
            models.CheckConstraint(condition=Q(turnover__gte=0), name="donor_year_turnover_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.organisation} — {self.year}"


def received_gifts_by_year(organisation) -> dict[int, Decimal]:
    """What ``organisation`` gave that may give a tax reduction (RECEIPTABLE_KINDS, not cancelled), by year of
    receipt: its instalments by their date; a contribution marked received without instalments, its value in
    the year of its pledge. Pledges not yet received do not count."""
    from terreau.contributions.models import RECEIPTABLE_KINDS, Contribution, Instalment

    contributions = Contribution.objects.live().filter(donor=organisation, kind__in=RECEIPTABLE_KINDS)
    totals: dict[int, Decimal] = defaultdict(Decimal)
    with_instalments = set()
    for contribution_id, received_on, amount in Instalment.objects.filter(
        contribution__in=contributions
    ).values_list("contribution_id", "received_on", "amount"):
        totals[received_on.year] += amount
        with_instalments.add(contribution_id)
    received = contributions.filter(state=Contribution.State.RECEIVED).exclude(pk__in=with_instalments)
    for pledged_on, value in received.values_list("pledged_on", "value"):
        totals[pledged_on.year] += value
    return dict(totals)
