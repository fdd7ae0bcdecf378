"""The contributions ledger: who gives what to whom, for what, what it is worth, and how much has arrived.

A Contribution is one gift, sponsorship, grant, in-kind gift, loan of premises, skills sponsorship or
volunteering, from a donor (an organisation, optionally a person of it; or a private individual) to a receiving
organisation, for a program, a working group, a partnership or the organisation in general. It is pledged, then
received (in one or several instalments), or cancelled; every move is kept (ContributionChange).

Its ``value`` is always computed by terreau.contributions.valuation from the inputs stored here (cost price for
in-kind gifts, capped salary and charges for skills sponsorship, an hourly rate for volunteering), never typed
in directly for those kinds, and the way it was computed is kept in ``value_basis`` (French, shown on screen
and in PDFs). Money is Decimal with two places, never float.

Who sees what (terreau.core.access): the branch's staff everything; the members of the donor organisation and
of the receiving organisation the contributions they are party to; the program's coordinators those made to
their program. Who may do what (a donor declares a pledge, the receiver records what arrived) is decided in
terreau.contributions.services.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from terreau.core import states
from terreau.core.access import AccessRule
from terreau.core.models import StateChange, TimeStampedModel

CENT = Decimal("0.01")
POSITIVE = MinValueValidator(CENT, message=_("Le montant doit être supérieur à zéro."))

PARTIES = AccessRule(branch="branch", organisation=("donor", "recipient"), program="program")


class Kind(models.TextChoices):
    """The kinds of contribution; ``Family`` groups them for valuation, receipts and the accounts."""

    GIFT = "gift", _("Don financier")
    SPONSORSHIP = "sponsorship", _("Mécénat financier avec contreparties")
    GRANT = "grant", _("Subvention")
    EQUIPMENT = "equipment", _("Don de matériel")
    GOODS = "goods", _("Don de biens")
    SERVICES = "services", _("Prestation de services offerte")
    PREMISES = "premises", _("Mise à disposition de locaux ou de véhicules")
    SKILLS_SPONSORSHIP = "skills_sponsorship", _("Mécénat de compétences")
    SKILLS_VOLUNTEERING = "skills_volunteering", _("Bénévolat de compétences")
    VOLUNTEERING = "volunteering", _("Bénévolat")


MONEY_KINDS = frozenset({Kind.GIFT, Kind.SPONSORSHIP, Kind.GRANT})
IN_KIND_KINDS = frozenset({Kind.EQUIPMENT, Kind.GOODS, Kind.SERVICES, Kind.PREMISES})
TIME_KINDS = frozenset({Kind.SKILLS_VOLUNTEERING, Kind.VOLUNTEERING})
# Kinds that may give the donor a tax reduction (art. 238 bis / 200 CGI): volunteering never does, and a grant is
# public money, not a gift.
RECEIPTABLE_KINDS = frozenset({Kind.GIFT, Kind.SPONSORSHIP, *IN_KIND_KINDS, Kind.SKILLS_SPONSORSHIP})


class ContributionQuerySet(models.QuerySet):
    def live(self) -> ContributionQuerySet:
        return self.exclude(state=Contribution.State.CANCELLED)

    def of_year(self, year: int) -> ContributionQuerySet:
        return self.filter(pledged_on__year=year)

    def for_program(self, program) -> ContributionQuerySet:
        return self.filter(program=program)


class Contribution(TimeStampedModel):
    class State(models.TextChoices):
        PLEDGED = "pledged", _("Promise")
        PARTLY_RECEIVED = "partly_received", _("Reçue en partie")
        RECEIVED = "received", _("Reçue")
        CANCELLED = "cancelled", _("Annulée")

    ACCESS = PARTIES

    LIFECYCLE = states.Lifecycle(
        field="state",
        transitions={
            State.PLEDGED: {State.PARTLY_RECEIVED, State.RECEIVED, State.CANCELLED},
            State.PARTLY_RECEIVED: {State.RECEIVED, State.CANCELLED},
            State.RECEIVED: set(),
            State.CANCELLED: set(),
        },
        history="contributions.ContributionChange",
        fk="contribution",
    )

    branch = models.ForeignKey("core.Branch", on_delete=models.PROTECT, related_name="contributions")
    # Who gives: an organisation (optionally one of its people), or a private individual (Cerfa 11580), whose
    # name and address are personal data kept only for the receipt (erased with the person's data).
    donor = models.ForeignKey(
        "directory.Organisation",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="contributions_given",
        verbose_name=_("donateur"),
    )
    donor_person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("personne du donateur"),
    )
    individual_name = models.CharField(_("nom du particulier donateur"), max_length=200, blank=True)
    individual_address = models.TextField(_("adresse du particulier donateur"), max_length=500, blank=True)
    recipient = models.ForeignKey(
        "directory.Organisation",
        on_delete=models.PROTECT,
        related_name="contributions_received",
        verbose_name=_("bénéficiaire"),
    )
    # For what: at most one of these; none means the receiving organisation in general.
    program = models.ForeignKey(
        "programs.Program",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="contributions",
        verbose_name=_("programme"),
    )
    working_group = models.ForeignKey(
        "alliances.WorkingGroup",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="contributions",
        verbose_name=_("groupe de travail"),
    )
    partnership = models.ForeignKey(
        "partnerships.Partnership",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="contributions",
        verbose_name=_("partenariat"),
    )
    kind = models.CharField(_("nature"), max_length=24, choices=Kind.choices)
    description = models.TextField(_("description"), max_length=4000)
    equipment_items = models.ManyToManyField(
        "programs.EquipmentItem",
        blank=True,
        related_name="contributions",
        verbose_name=_("matériel du programme"),
    )
    pledged_on = models.DateField(_("date de la promesse"))
    # Valuation inputs (terreau.contributions.valuation decides which ones each kind needs).
    amount = models.DecimalField(
        _("montant (€)"), max_digits=12, decimal_places=2, null=True, blank=True, validators=[POSITIVE]
    )
    quantity = models.DecimalField(_("quantité"), max_digits=10, decimal_places=2, null=True, blank=True)
    unit_cost = models.DecimalField(
        _("coût de revient unitaire (€)"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    hours = models.DecimalField(_("heures"), max_digits=8, decimal_places=2, null=True, blank=True)
    monthly_gross_salary = models.DecimalField(
        _("salaire brut mensuel (€)"), max_digits=10, decimal_places=2, null=True, blank=True
    )
    employer_charges_rate = models.DecimalField(
        _("taux de charges patronales (%)"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    hourly_rate = models.DecimalField(
        _("taux horaire de valorisation (€)"), max_digits=8, decimal_places=2, null=True, blank=True
    )
    value = models.DecimalField(_("valeur (€)"), max_digits=12, decimal_places=2, default=Decimal("0.00"))
    value_basis = models.TextField(_("mode de valorisation"), blank=True)
    state = models.CharField(_("état"), max_length=20, choices=State.choices, default=State.PLEDGED)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    is_demo = models.BooleanField(_("donnée de démonstration"), default=False)

    objects = ContributionQuerySet.as_manager()

    class Meta:
        verbose_name = _("contribution")
        verbose_name_plural = _("contributions")
        ordering = ["-pledged_on", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(donor__isnull=False) | ~Q(individual_name=""), name="contribution_has_donor"
            ),
            models.CheckConstraint(condition=Q(value__gte=0), name="contribution_value_not_negative"),
            models.CheckConstraint(
                condition=~Q(donor=models.F("recipient")), name="contribution_donor_not_recipient"
            ),
        ]
        indexes = [models.Index(fields=["branch", "pledged_on"], name="contribution_branch_date_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} — {self.donor_label} → {self.recipient}"

    @property
    def donor_label(self) -> str:
        return str(self.donor) if self.donor_id else self.individual_name

    @property
    def is_money(self) -> bool:
        return self.kind in MONEY_KINDS

    @property
    def is_receiptable(self) -> bool:
        return self.kind in RECEIPTABLE_KINDS


class ContributionChange(StateChange):
    ACCESS = AccessRule(
        branch="contribution__branch",
        organisation=("contribution__donor", "contribution__recipient"),
        program="contribution__program",
    )

    contribution = models.ForeignKey(Contribution, on_delete=models.CASCADE, related_name="history")

    class Meta(StateChange.Meta):
        verbose_name = _("changement d'état d'une contribution")
        verbose_name_plural = _("changements d'état des contributions")


IN_CONTRIBUTION = ContributionChange.ACCESS


class Instalment(TimeStampedModel):
    """What actually arrived of a contribution: an amount (or value delivered) on a date."""

    ACCESS = IN_CONTRIBUTION

    contribution = models.ForeignKey(Contribution, on_delete=models.CASCADE, related_name="instalments")
    received_on = models.DateField(_("reçu le"))
    amount = models.DecimalField(_("montant (€)"), max_digits=12, decimal_places=2, validators=[POSITIVE])
    note = models.CharField(_("précisions"), max_length=300, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("versement")
        verbose_name_plural = _("versements")
        ordering = ["received_on", "pk"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="instalment_amount_positive")]

    def __str__(self) -> str:
        return f"{self.amount} € ({self.received_on})"


class ContributionDocument(TimeStampedModel):
    """An agreement, an invoice, a timesheet... kept with the contribution (private storage, terreau.core.uploads)."""

    class Kind(models.TextChoices):
        AGREEMENT = "agreement", _("Convention")
        INVOICE = "invoice", _("Facture")
        TIMESHEET = "timesheet", _("Relevé d'heures")
        OTHER = "other", _("Autre")

    ACCESS = IN_CONTRIBUTION

    contribution = models.ForeignKey(Contribution, on_delete=models.CASCADE, related_name="documents")
    kind = models.CharField(_("type"), max_length=12, choices=Kind.choices, default=Kind.OTHER)
    title = models.CharField(_("titre"), max_length=200)
    file = models.FileField(_("fichier"), upload_to="contributions/%Y/", max_length=300)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("pièce justificative")
        verbose_name_plural = _("pièces justificatives")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.title


class Counterpart(TimeStampedModel):
    """What a sponsor receives in return (logo, name in a report, tickets...), valued to compare with the gift."""

    class Kind(models.TextChoices):
        VISIBILITY = "visibility", _("Visibilité (logo, mention)")
        GOODS = "goods", _("Biens")
        SERVICES = "services", _("Services")
        INVITATIONS = "invitations", _("Invitations")
        OTHER = "other", _("Autre")

    ACCESS = IN_CONTRIBUTION

    contribution = models.ForeignKey(Contribution, on_delete=models.CASCADE, related_name="counterparts")
    kind = models.CharField(_("type"), max_length=12, choices=Kind.choices)
    description = models.CharField(_("description"), max_length=300)
    value = models.DecimalField(_("valeur (€)"), max_digits=12, decimal_places=2)

    class Meta:
        verbose_name = _("contrepartie")
        verbose_name_plural = _("contreparties")
        constraints = [
            models.CheckConstraint(condition=Q(value__gte=0), name="counterpart_value_not_negative")
        ]

    def __str__(self) -> str:
        return self.description


from terreau.contributions.agreement_models import (  # noqa: E402
    Agreement,
    AgreementChange,
    AgreementSignature,
)
from terreau.contributions.estimate_models import DonorYear  # noqa: E402
from terreau.contributions.receipt_models import Receipt, ReceiptEligibility, ReceiptSequence  # noqa: E402

__all__ = [
    "Agreement",
    "AgreementChange",
    "AgreementSignature",
    "Contribution",
    "ContributionChange",
    "ContributionDocument",
    "Counterpart",
    "DonorYear",
    "Instalment",
    "Kind",
    "Receipt",
    "ReceiptEligibility",
    "ReceiptSequence",
]
