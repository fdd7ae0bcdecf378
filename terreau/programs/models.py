"""Collective programs in operation (Silver Geek): the program, its partners and team, its host sites.

Kits and equipment live in terreau.programs.equipment; volunteers, sessions, reports and participants in
terreau.activities. Every row reaches the program's Branch; program teams get their rights through
terreau.core.access (AccessRule program= / site= paths).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from terreau.core.access import AccessRule
from terreau.core.models import StateChange, TimeStampedModel


class Program(TimeStampedModel):
    ACCESS = AccessRule(branch="branch", program="", public=Q(is_public=True))

    branch = models.ForeignKey("core.Branch", on_delete=models.PROTECT, related_name="programs")
    name = models.CharField(_("nom"), max_length=200)
    slug = models.SlugField(_("identifiant d'adresse"), max_length=200, unique=True)
    purpose = models.TextField(_("objet"), blank=True)
    departments = models.ManyToManyField(
        "territories.Department", blank=True, related_name="programs", verbose_name=_("territoire")
    )
    starts_on = models.DateField(_("début"), null=True, blank=True)
    ends_on = models.DateField(_("fin"), null=True, blank=True)
    coordinator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("coordination"),
    )
    is_public = models.BooleanField(_("présentation publique"), default=False)
    is_demo = models.BooleanField(_("donnée de démonstration"), default=False)

    class Meta:
        verbose_name = _("programme")
        verbose_name_plural = _("programmes")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True)
                | Q(starts_on__isnull=True)
                | Q(ends_on__gte=models.F("starts_on")),
                name="program_period_ordered",
            )
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("programs:detail", kwargs={"slug": self.slug})


class ProgramPartner(TimeStampedModel):
    """An organisation taking part in the program, with its roles (Solidatech: kits, budget, communication...)."""

    ACCESS = AccessRule(branch="program__branch", program="program", organisation="organisation")

    class Role(models.TextChoices):
        PILOT = "pilot", _("Pilotage")
        KITS = "kits", _("Kits et matériel")
        BUDGET = "budget", _("Budget")
        COMMUNICATION = "communication", _("Communication")
        FUNDRAISING = "fundraising", _("Recherche de financements")
        VOLUNTEERS = "volunteers", _("Volontaires")
        HOST = "host", _("Structure d'accueil")
        FUNDER = "funder", _("Financeur")
        EVALUATION = "evaluation", _("Évaluation")

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="partners")
    organisation = models.ForeignKey(
        "directory.Organisation", on_delete=models.PROTECT, related_name="program_partnerships"
    )
    roles = models.JSONField(_("rôles"), default=list, blank=True)
    note = models.CharField(_("précisions"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("partenaire du programme")
        verbose_name_plural = _("partenaires du programme")
        constraints = [
            models.UniqueConstraint(fields=["program", "organisation"], name="unique_program_partner")
        ]

    def __str__(self) -> str:
        return f"{self.organisation} ({self.program})"

    def role_labels(self) -> list[str]:
        labels = dict(self.Role.choices)
        return [str(labels.get(code, code)) for code in self.roles]


class HostSite(TimeStampedModel):
    """A host structure of the program (EHPAD, résidence autonomie, socio-cultural centre, senior club)."""

    ACCESS = AccessRule(branch="program__branch", program="program", site="", organisation="organisation")

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="sites")
    organisation = models.ForeignKey(
        "directory.Organisation",
        on_delete=models.PROTECT,
        related_name="host_sites",
        verbose_name=_("structure d'accueil"),
    )
    name = models.CharField(_("nom du site"), max_length=200)
    address = models.CharField(_("adresse"), max_length=255, blank=True)
    commune = models.ForeignKey("territories.Commune", on_delete=models.PROTECT, related_name="host_sites")
    latitude = models.FloatField(_("latitude"), null=True, blank=True)
    longitude = models.FloatField(_("longitude"), null=True, blank=True)
    contact_name = models.CharField(_("contact sur place"), max_length=150, blank=True)
    contact_phone = models.CharField(_("téléphone du contact"), max_length=30, blank=True)
    contact_email = models.EmailField(_("courriel du contact"), blank=True)
    capacity = models.PositiveIntegerField(_("places par séance"), null=True, blank=True)
    accessibility_notes = models.TextField(_("accessibilité"), blank=True)
    wifi = models.BooleanField(_("Wi-Fi disponible"), default=False)
    wifi_notes = models.CharField(_("précisions Wi-Fi"), max_length=200, blank=True)
    # Weekly windows when sessions can take place: [{"weekday": 0-6, "start": "14:00", "end": "17:00"}].
    time_windows = models.JSONField(_("créneaux possibles"), default=list, blank=True)
    starts_on = models.DateField(_("début dans le programme"), null=True, blank=True)
    is_demo = models.BooleanField(_("donnée de démonstration"), default=False)

    class Meta:
        verbose_name = _("site d'accueil")
        verbose_name_plural = _("sites d'accueil")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ProgramRole(TimeStampedModel):
    """A person's role in a program team. Site staff and volunteers are attached to one site per row.

    Roles are granted and revoked through terreau.programs.team (team_add, role_grant, team_remove),
    which record who did it and when (``granted_by``, ``created_at`` and the ProgramRoleChange history).
    """

    ACCESS = AccessRule(branch="program__branch", program="program", owner="user")

    class Role(models.TextChoices):
        COORDINATOR = "coordinator", _("Coordination")
        SITE_STAFF = "site_staff", _("Équipe du site")
        VOLUNTEER = "volunteer", _("Volontaire")
        PARTNER_VIEWER = "partner_viewer", _("Partenaire (consultation)")
        EVALUATOR = "evaluator", _("Évaluation")

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="team")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="program_roles")
    role = models.CharField(_("rôle"), max_length=20, choices=Role.choices)
    site = models.ForeignKey(HostSite, on_delete=models.CASCADE, null=True, blank=True, related_name="team")
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("attribué par"),
    )

    class Meta:
        verbose_name = _("membre de l'équipe")
        verbose_name_plural = _("équipe du programme")
        constraints = [
            # NULLs are distinct in a unique index: the conditional constraint covers roles without a site
            # (coordination, partner viewers), on SQLite as on PostgreSQL.
            models.UniqueConstraint(
                fields=["program", "user", "role", "site"],
                name="unique_program_role",
                violation_error_message=_("Cette personne a déjà ce rôle dans le programme."),
            ),
            models.UniqueConstraint(
                fields=["program", "user", "role"],
                condition=Q(site__isnull=True),
                name="unique_program_role_without_site",
                violation_error_message=_("Cette personne a déjà ce rôle dans le programme."),
            ),
            models.CheckConstraint(
                condition=Q(role__in=["site_staff", "volunteer"], site__isnull=False)
                | Q(role__in=["coordinator", "partner_viewer", "evaluator"], site__isnull=True),
                name="program_role_site_matches_role",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()}"

    @classmethod
    def personal_data_roles(cls) -> frozenset[str]:
        """Roles that open beneficiaries' personal data, read from the access rules of the models kept from
        branch staff (``branch_staff=False``, the participants and their attendance): a ``site`` path opens
        them to site staff and volunteers, a ``program`` path to coordinators and partner viewers.
        Nobody grants themselves one of these roles (terreau.programs.team.check_grant)."""
        from django.apps import apps

        roles: set[str] = set()
        for model in apps.get_models():
            rule = getattr(model, "ACCESS", None)
            if not isinstance(rule, AccessRule) or rule.branch_staff:
                continue
            if rule.site is not None:
                roles |= {cls.Role.SITE_STAFF, cls.Role.VOLUNTEER}
            if rule.program is not None:
                roles |= {cls.Role.COORDINATOR, cls.Role.PARTNER_VIEWER}
            if rule.evaluation is not None:
                # An evaluation's pseudonymous answers: nobody makes themselves its evaluator (a branch's staff,
                # who never see the answers, would otherwise). The coordination keeps granting itself, as
                # facilitators do when they launch a program.
                roles |= {cls.Role.EVALUATOR}
        return frozenset(str(role) for role in roles)


class ProgramRoleChange(StateChange):
    """A program role granted (to_state "granted") or revoked ("revoked"): who, which role, by whom, when.

    Kept after the role itself is revoked; shown on the program's team page."""

    ACCESS = AccessRule(branch="program__branch", program="program")

    class Act(models.TextChoices):
        GRANTED = "granted", _("Rôle attribué")
        REVOKED = "revoked", _("Rôle retiré")

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="team_history")
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("personne"),
    )
    role = models.CharField(_("rôle"), max_length=20, choices=ProgramRole.Role.choices)
    site = models.ForeignKey(HostSite, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta(StateChange.Meta):
        verbose_name = _("attribution ou retrait de rôle")
        verbose_name_plural = _("historique de l'équipe")

    def __str__(self) -> str:
        return f"{self.member} — {self.get_role_display()} ({self.get_to_state_display()})"

    def get_to_state_display(self) -> str:
        return str(dict(self.Act.choices).get(self.to_state, self.to_state))


# Kits, equipment, incidents, repairs, inventories and documents (imported so that Django registers them).
from terreau.programs.equipment import (  # noqa: E402
    EquipmentEvent,
    EquipmentItem,
    EquipmentType,
    Incident,
    InventoryCheck,
    ItemState,
    Kit,
    KitModel,
    ProgramDocument,
    Repair,
)

__all__ = [
    "EquipmentEvent",
    "EquipmentItem",
    "EquipmentType",
    "HostSite",
    "Incident",
    "InventoryCheck",
    "ItemState",
    "Kit",
    "KitModel",
    "Program",
    "ProgramDocument",
    "ProgramPartner",
    "ProgramRole",
    "ProgramRoleChange",
    "Repair",
]
