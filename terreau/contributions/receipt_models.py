"""Tax receipts (reçus fiscaux) and the right to issue them.

An organisation may issue receipts only once one of its administrators has confirmed its eligibility and the
ground (ReceiptEligibility; art. 1740 A CGI fines wrong receipts). A Receipt covers one or several received
contributions of one donor, for one gift or a period; it follows Cerfa 16216 for companies and 11580 for
individuals. Its number is sequential per issuing organisation and year, with no gap and no duplicate: the
next number is taken from ReceiptSequence under a row lock, in the same transaction as the receipt
(terreau.contributions.receipts). Once issued a receipt never changes: what it says is frozen in ``issuer_snapshot``,
``donor_snapshot`` and its amounts; a mistake is corrected by cancelling it with a reason and issuing a new
one that points at it (``replaces``); both are kept.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from terreau.core.access import AccessRule
from terreau.core.models import TimeStampedModel


class ReceiptEligibility(TimeStampedModel):
    """An organisation's own statement that it may issue tax receipts, who confirmed it and on what ground."""

    class Ground(models.TextChoices):
        GENERAL_INTEREST = "general_interest", _("Organisme d'intérêt général")
        PUBLIC_UTILITY = "public_utility", _("Association ou fondation reconnue d'utilité publique")
        RESCRIT = "rescrit", _("Rescrit fiscal de l'administration")
        OTHER = "other", _("Autre fondement (art. 200 et 238 bis du CGI)")

    ACCESS = AccessRule(branch="organisation__branch", organisation="organisation")

    organisation = models.OneToOneField(
        "directory.Organisation", on_delete=models.CASCADE, related_name="receipt_eligibility"
    )
    eligible = models.BooleanField(_("peut émettre des reçus fiscaux"), default=False)
    ground = models.CharField(_("fondement"), max_length=20, choices=Ground.choices, blank=True)
    ground_details = models.TextField(_("précisions"), max_length=1000, blank=True)
    rescrit_reference = models.CharField(_("référence du rescrit"), max_length=100, blank=True)
    purpose = models.TextField(
        _("objet de l'organisme (mentionné sur les reçus)"), max_length=1000, blank=True
    )
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    confirmed_at = models.DateTimeField(_("confirmé le"), null=True, blank=True)

    class Meta:
        verbose_name = _("habilitation à émettre des reçus fiscaux")
        verbose_name_plural = _("habilitations à émettre des reçus fiscaux")

    def __str__(self) -> str:
        return str(self.organisation)


class ReceiptSequence(models.Model):
    """The last number given by an organisation in a year: locked (FOR UPDATE) to take the next one."""

    ACCESS = AccessRule(branch="issuer__branch")

    issuer = models.ForeignKey("directory.Organisation", on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField(_("année"))
    last_number = models.PositiveIntegerField(_("dernier numéro"), default=0)

    class Meta:
        verbose_name = _("séquence de numérotation des reçus")
        verbose_name_plural = _("séquences de numérotation des reçus")
        constraints = [models.UniqueConstraint(fields=["issuer", "year"], name="unique_receipt_sequence")]

    def __str__(self) -> str:
        return f"{self.issuer_id}/{self.year}: {self.last_number}"


class Receipt(TimeStampedModel):
    class Form(models.TextChoices):
        COMPANY = "company", _("Entreprise (Cerfa n° 16216)")
        INDIVIDUAL = "individual", _("Particulier (Cerfa n° 11580)")

    class Nature(models.TextChoices):
        CASH = "cash", _("Numéraire")
        IN_KIND = "in_kind", _("En nature")
        SKILLS = "skills", _("Mécénat de compétences")

    class State(models.TextChoices):
        ISSUED = "issued", _("Émis")
        CANCELLED = "cancelled", _("Annulé")

    ACCESS = AccessRule(branch="branch", organisation=("issuer", "donor"))

    # Fields that may still be written after issue (the cancellation); anything else is frozen.
    MUTABLE_AFTER_ISSUE = frozenset({"state", "cancelled_at", "cancelled_by", "cancel_reason", "updated_at"})

    branch = models.ForeignKey("core.Branch", on_delete=models.PROTECT, related_name="receipts")
    issuer = models.ForeignKey(
        "directory.Organisation", on_delete=models.PROTECT, related_name="receipts_issued"
    )
    year = models.PositiveSmallIntegerField(_("année"))
    sequence = models.PositiveIntegerField(_("rang dans l'année"))
    number = models.CharField(_("numéro"), max_length=40)
    form = models.CharField(_("modèle"), max_length=12, choices=Form.choices)
    nature = models.CharField(_("forme du don"), max_length=10, choices=Nature.choices)
    donor = models.ForeignKey(
        "directory.Organisation",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="receipts_received",
        verbose_name=_("donateur"),
    )
    contributions = models.ManyToManyField(
        "contributions.Contribution", related_name="receipts", verbose_name=_("contributions")
    )
    period_start = models.DateField(_("début de la période"))
    period_end = models.DateField(_("fin de la période"))
    amount = models.DecimalField(_("montant (€)"), max_digits=12, decimal_places=2)
    amount_in_words = models.CharField(_("montant en lettres"), max_length=400)
    in_kind_description = models.TextField(_("description des dons en nature"), blank=True)
    payment_method = models.CharField(_("mode de versement"), max_length=100, blank=True)
    issuer_snapshot = models.JSONField(_("bénéficiaire à la date d'émission"), default=dict)
    donor_snapshot = models.JSONField(_("donateur à la date d'émission"), default=dict)
    issued_at = models.DateTimeField(_("émis le"))
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    state = models.CharField(_("état"), max_length=10, choices=State.choices, default=State.ISSUED)
    cancelled_at = models.DateTimeField(_("annulé le"), null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    cancel_reason = models.TextField(_("motif de l'annulation"), max_length=1000, blank=True)
    replaces = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="replaced_by",
        verbose_name=_("remplace le reçu"),
    )
    is_demo = models.BooleanField(_("donnée de démonstration"), default=False)

    class Meta:
        verbose_name = _("reçu fiscal")
        verbose_name_plural = _("reçus fiscaux")
        ordering = ["-year", "-sequence"]
        constraints = [
            models.UniqueConstraint(fields=["issuer", "year", "sequence"], name="unique_receipt_number"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="receipt_amount_positive"),
            models.CheckConstraint(
                condition=Q(period_end__gte=models.F("period_start")), name="receipt_period_ordered"
            ),
        ]

    def __str__(self) -> str:
        return self.number

    def save(self, *args, **kwargs) -> None:
        # Immutable once issued: only the cancellation fields may be written again (pages, API and admin all
        # end here; terreau.contributions.receipts is the only writer).
        if self.pk is not None and not self._state.adding:
            update_fields = kwargs.get("update_fields")
            if update_fields is None or not set(update_fields) <= self.MUTABLE_AFTER_ISSUE:
                raise ValidationError(
                    _("Un reçu fiscal émis ne peut pas être modifié ; annulez-le puis émettez-en un autre.")
                )
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError(_("Un reçu fiscal émis ne peut pas être supprimé ; annulez-le avec un motif."))
