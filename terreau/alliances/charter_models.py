"""The collective's charter: a light description of the project, written in versions by a working group.

A version is edited as a draft, then submitted for approval (frozen from then on); every partner organisation
named in it approves it (who, when); once all have, it is approved and may launch the program. A new version
starts without approvals and supersedes the previous one. Changes go through terreau.alliances.charter.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from terreau.core import states
from terreau.core.access import AccessRule
from terreau.core.models import StateChange, TimeStampedModel

# The charter is seen by the group's members and by the partners named in any of its versions.
CHARTER_ACCESS = AccessRule(
    branch="group__branch",
    organisation=("group__members__organisation", "versions__partners__organisation"),
    many=True,
)


def _version_rule(prefix: str) -> AccessRule:
    return AccessRule(
        branch=f"{prefix}charter__group__branch",
        organisation=(
            f"{prefix}charter__group__members__organisation",
            f"{prefix}charter__versions__partners__organisation",
        ),
        many=True,
    )


class Charter(TimeStampedModel):
    ACCESS = CHARTER_ACCESS

    group = models.OneToOneField("alliances.WorkingGroup", on_delete=models.PROTECT, related_name="charter")
    title = models.CharField(_("titre du projet collectif"), max_length=200)
    # The program it launched (alliances import programs; programs never import alliances).
    program = models.OneToOneField(
        "programs.Program",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="charter",
        verbose_name=_("programme lancé"),
    )
    launched_version = models.ForeignKey(
        "alliances.CharterVersion", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    launched_at = models.DateTimeField(_("programme lancé le"), null=True, blank=True)
    launched_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    is_demo = models.BooleanField(_("donnée de démonstration"), default=False)

    class Meta:
        verbose_name = _("charte du collectif")
        verbose_name_plural = _("chartes des collectifs")
        ordering = ["title", "pk"]

    def __str__(self) -> str:
        return self.title

    def current(self) -> CharterVersion | None:
        return self.versions.order_by("-number").first()


class CharterVersion(TimeStampedModel):
    class State(models.TextChoices):
        DRAFT = "draft", _("Brouillon")
        SUBMITTED = "submitted", _("Soumise à l'approbation")
        APPROVED = "approved", _("Approuvée")
        SUPERSEDED = "superseded", _("Remplacée")

    ACCESS = _version_rule("")

    charter = models.ForeignKey(Charter, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveSmallIntegerField(_("version"))
    state = models.CharField(_("état"), max_length=12, choices=State.choices, default=State.DRAFT)
    purpose = models.TextField(_("objet"), max_length=5000)
    publics = models.JSONField(_("publics"), default=list, blank=True)
    publics_details = models.TextField(_("précisions sur les publics"), max_length=2000, blank=True)
    departments = models.ManyToManyField(
        "territories.Department", blank=True, related_name="+", verbose_name=_("départements")
    )
    epcis = models.ManyToManyField(
        "territories.Epci", blank=True, related_name="+", verbose_name=_("intercommunalités")
    )
    communes = models.ManyToManyField(
        "territories.Commune", blank=True, related_name="+", verbose_name=_("communes")
    )
    key_issues = models.ManyToManyField(
        "alliances.KeyIssue",
        blank=True,
        related_name="charter_versions",
        verbose_name=_("enjeux clés traités"),
    )
    resources = models.TextField(_("moyens"), max_length=4000, blank=True)
    # First budget outline: [{"label": "Tablettes", "amount": "4500.00", "source": "Solidatech"}].
    budget_lines = models.JSONField(_("premier budget"), default=list, blank=True)
    governance = models.TextField(_("gouvernance"), max_length=4000, blank=True)
    starts_on = models.DateField(_("démarrage prévu"), null=True, blank=True)
    written_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    submitted_at = models.DateTimeField(_("soumise le"), null=True, blank=True)

    LIFECYCLE = states.Lifecycle(
        field="state",
        transitions={
            State.DRAFT: {State.SUBMITTED, State.SUPERSEDED},
            State.SUBMITTED: {State.APPROVED, State.SUPERSEDED},
            State.APPROVED: {State.SUPERSEDED},
            State.SUPERSEDED: set(),
        },
        history="alliances.CharterVersionChange",
        fk="version",
        refusal=_("La version « %(object)s » ne peut pas passer de « %(from)s » à « %(to)s »."),
    )

    class Meta:
        verbose_name = _("version de la charte")
        verbose_name_plural = _("versions de la charte")
        ordering = ["charter", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["charter", "number"], name="one_charter_version_number")
        ]

    def __str__(self) -> str:
        return f"{self.charter} — v{self.number}"

    @property
    def frozen(self) -> bool:
        return self.state != self.State.DRAFT


class CharterVersionChange(StateChange):
    ACCESS = _version_rule("version__")

    version = models.ForeignKey(CharterVersion, on_delete=models.CASCADE, related_name="history")

    class Meta(StateChange.Meta):
        verbose_name = _("changement d'une version de charte")
        verbose_name_plural = _("historique des chartes")


class CharterPartner(models.Model):
    """A partner named in a version and the roles it takes (the program's partner roles)."""

    ACCESS = _version_rule("version__")

    version = models.ForeignKey(CharterVersion, on_delete=models.CASCADE, related_name="partners")
    organisation = models.ForeignKey("directory.Organisation", on_delete=models.PROTECT, related_name="+")
    # Codes of terreau.programs.models.ProgramPartner.Role.
    roles = models.JSONField(_("rôles"), default=list)
    note = models.CharField(_("précisions"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("partenaire de la charte")
        verbose_name_plural = _("partenaires de la charte")
        ordering = ["organisation__name", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["version", "organisation"], name="one_charter_partner")
        ]

    def __str__(self) -> str:
        return str(self.organisation)


class CharterApproval(models.Model):
    """A partner's approval of a submitted version: which organisation, who, when."""

    ACCESS = _version_rule("version__")

    version = models.ForeignKey(CharterVersion, on_delete=models.CASCADE, related_name="approvals")
    organisation = models.ForeignKey("directory.Organisation", on_delete=models.PROTECT, related_name="+")
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    at = models.DateTimeField(_("le"), auto_now_add=True)

    class Meta:
        verbose_name = _("approbation de la charte")
        verbose_name_plural = _("approbations de la charte")
        ordering = ["at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["version", "organisation"], name="one_approval_per_partner"),
        ]

    def __str__(self) -> str:
        return f"{self.organisation} · {self.version}"


__all__ = ["Charter", "CharterApproval", "CharterPartner", "CharterVersion", "CharterVersionChange"]
