"""Sponsorship and partnership agreements (conventions) generated from the ledger, and their signatures.

An Agreement binds two parties, the donor organisation and the receiving organisation, around a purpose and
some of the donor's contributions to the recipient (optionally within a partnership of the pipeline). Its
schedule is either written or derived from the contributions' dates (pledge, instalments); its counterparts are
the contributions' Counterpart rows. It is a draft until every party has signed: each party signs once
(AgreementSignature: which organisation, who, when, the signer's name and role), through one of its
administrators (terreau.contributions.agreements). Versions are not kept: once a party has signed, nothing in it
changes.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from terreau.core import states
from terreau.core.access import AccessRule
from terreau.core.models import StateChange, TimeStampedModel

AGREEMENT_PARTIES = AccessRule(branch="branch", organisation=("donor", "recipient"))
IN_AGREEMENT = AccessRule(
    branch="agreement__branch", organisation=("agreement__donor", "agreement__recipient")
)


class Agreement(TimeStampedModel):
    class Kind(models.TextChoices):
        SPONSORSHIP = "sponsorship", _("Convention de mécénat")
        PARTNERSHIP = "partnership", _("Convention de partenariat")

    class State(models.TextChoices):
        DRAFT = "draft", _("Brouillon, en attente des signatures")
        SIGNED = "signed", _("Signée")

    ACCESS = AGREEMENT_PARTIES

    LIFECYCLE = states.Lifecycle(
        field="state",
        transitions={State.DRAFT: {State.SIGNED}, State.SIGNED: set()},
        history="contributions.AgreementChange",
        fk="agreement",
    )

    branch = models.ForeignKey("core.Branch", on_delete=models.PROTECT, related_name="agreements")
    kind = models.CharField(_("type de convention"), max_length=12, choices=Kind.choices)
    title = models.CharField(_("intitulé"), max_length=200)
    partnership = models.ForeignKey(
        "partnerships.Partnership",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="agreements",
        verbose_name=_("partenariat"),
    )
    donor = models.ForeignKey(
        "directory.Organisation",
        on_delete=models.PROTECT,
        related_name="agreements_as_donor",
        verbose_name=_("donateur"),
    )
    recipient = models.ForeignKey(
        "directory.Organisation",
        on_delete=models.PROTECT,
        related_name="agreements_as_recipient",
        verbose_name=_("bénéficiaire"),
    )
    purpose = models.TextField(_("objet"), max_length=4000)
    contributions = models.ManyToManyField(
        "contributions.Contribution", related_name="agreements", verbose_name=_("contributions")
    )
    schedule = models.TextField(
        _("calendrier"),
        max_length=4000,
        blank=True,
        help_text=_("Laissé vide, le calendrier est tiré des dates des contributions."),
    )
    starts_on = models.DateField(_("début"))
    ends_on = models.DateField(_("fin"))
    state = models.CharField(_("état"), max_length=10, choices=State.choices, default=State.DRAFT)
    signed_at = models.DateTimeField(_("signée le"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    is_demo = models.BooleanField(_("donnée de démonstration"), default=False)

    class Meta:
        verbose_name = _("convention")
        verbose_name_plural = _("conventions")
        ordering = ["-starts_on", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=models.F("starts_on")), name="agreement_period_ordered"
            ),
            models.CheckConstraint(
                condition=~Q(donor=models.F("recipient")), name="agreement_donor_not_recipient"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def parties(self) -> tuple:
        return (self.donor, self.recipient)

    @property
    def party_ids(self) -> tuple[int, int]:
        return (self.donor_id, self.recipient_id)


class AgreementChange(StateChange):
    ACCESS = IN_AGREEMENT

    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="history")

    class Meta(StateChange.Meta):
        verbose_name = _("changement d'état d'une convention")
        verbose_name_plural = _("changements d'état des conventions")


class AgreementSignature(models.Model):
    """One party's signature: which organisation, through whom, when, and the name and role written."""

    ACCESS = IN_AGREEMENT

    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="signatures")
    organisation = models.ForeignKey("directory.Organisation", on_delete=models.PROTECT, related_name="+")
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    signed_at = models.DateTimeField(_("signée le"))
    signer_name = models.CharField(_("nom du signataire"), max_length=200)
    signer_role = models.CharField(_("qualité du signataire"), max_length=200)

    class Meta:
        verbose_name = _("signature de convention")
        verbose_name_plural = _("signatures de conventions")
        ordering = ["signed_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["agreement", "organisation"], name="one_signature_per_party")
        ]

    def __str__(self) -> str:
        return f"{self.organisation} · {self.agreement}"
