"""Tenancy: a Network has Branches; every private object reaches a Branch through its parents.

Access decisions are made in terreau.core.access from that path, never in views.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from terreau.core.access import AccessRule


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(_("créé le"), auto_now_add=True)
    updated_at = models.DateTimeField(_("modifié le"), auto_now=True)

    class Meta:
        abstract = True


class Visibility(models.TextChoices):
    PUBLIC = "public", _("Public")
    BRANCH = "branch", _("Réservé à l'antenne")


class Network(TimeStampedModel):
    """A network of partnership labs (for example France Active), run by its head office."""

    name = models.CharField(_("nom"), max_length=200)
    slug = models.SlugField(_("identifiant"), unique=True)
    is_demo = models.BooleanField(_("donnée de démonstration"), default=False)

    class Meta:
        verbose_name = _("réseau")
        verbose_name_plural = _("réseaux")

    def __str__(self) -> str:
        return self.name


class Branch(TimeStampedModel):
    """A partnership lab or a local antenna of a network, covering some departments."""

    network = models.ForeignKey(Network, on_delete=models.PROTECT, related_name="branches")
    name = models.CharField(_("nom"), max_length=200)
    slug = models.SlugField(_("identifiant"), unique=True)
    description = models.TextField(_("présentation"), blank=True)
    departments = models.ManyToManyField(
        "territories.Department", related_name="branches", blank=True, verbose_name=_("départements couverts")
    )
    contact_email = models.EmailField(_("courriel de contact"), blank=True)
    is_demo = models.BooleanField(_("donnée de démonstration"), default=False)

    class Meta:
        verbose_name = _("antenne")
        verbose_name_plural = _("antennes")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class StateChange(models.Model):
    """Base of every lifecycle history row: who moved what from which state to which, and when."""

    from_state = models.CharField(_("état précédent"), max_length=40, blank=True)
    to_state = models.CharField(_("nouvel état"), max_length=40)
    at = models.DateTimeField(_("le"), auto_now_add=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    note = models.CharField(_("commentaire"), max_length=500, blank=True)

    class Meta:
        abstract = True
        ordering = ["at", "pk"]


class AuditEvent(models.Model):
    """One sensitive act (a role change, an export, an erasure, a refused access...): append-only.

    Written through terreau.core.audit.audit_record only; read in the admin (superusers, and the staff of the
    event's branch). ``target`` is a readable label kept even when the object is gone; ``content_type`` and
    ``object_id`` point at the object while it exists.
    """

    class Action(models.TextChoices):
        ROLE_GRANTED = "role_granted", _("Rôle accordé")
        ROLE_REVOKED = "role_revoked", _("Rôle retiré")
        ACCOUNT_DEACTIVATED = "account_deactivated", _("Compte désactivé")
        ACCOUNT_REACTIVATED = "account_reactivated", _("Compte réactivé")
        EXPORT_DOWNLOADED = "export_downloaded", _("Export téléchargé")
        PERSONAL_DATA_ERASED = "personal_data_erased", _("Données personnelles effacées")
        PERSONAL_DATA_EXPORTED = "personal_data_exported", _("Données personnelles exportées")
        ACCESS_DENIED = "access_denied", _("Accès refusé")
        RECEIPT_ISSUED = "receipt_issued", _("Reçu émis")
        RECEIPT_CANCELLED = "receipt_cancelled", _("Reçu annulé")
        RECEIPT_ELIGIBILITY = "receipt_eligibility", _("Habilitation aux reçus fiscaux déclarée")
        TWO_FACTOR_ENABLED = "two_factor_enabled", _("Double authentification activée")
        TWO_FACTOR_REMOVED = "two_factor_removed", _("Double authentification retirée")
        BACKUP_CODES_REGENERATED = "backup_codes_regenerated", _("Codes de secours régénérés")
        TWO_FACTOR_RESET = "two_factor_reset", _("Double authentification réinitialisée")

    # The staff of the event's branch read it (network administrators, facilitators); events with no branch
    # (a refused page, an export across branches) only superusers.
    ACCESS = AccessRule(branch="branch")

    at = models.DateTimeField(_("le"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("auteur"),
    )
    action = models.CharField(_("action"), max_length=40, choices=Action.choices, db_index=True)
    target = models.CharField(_("objet"), max_length=300, blank=True)
    content_type = models.ForeignKey(
        "contenttypes.ContentType",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("type d'objet"),
    )
    object_id = models.CharField(_("identifiant de l'objet"), max_length=64, blank=True)
    branch = models.ForeignKey(
        Branch,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("antenne"),
    )
    client_address = models.GenericIPAddressField(_("adresse du client"), null=True, blank=True)
    details = models.JSONField(_("détails"), default=dict, blank=True)

    class Meta:
        verbose_name = _("événement du journal d'audit")
        verbose_name_plural = _("journal d'audit")
        ordering = ["-at", "-pk"]

    def __str__(self) -> str:
        return (
            f"{self.get_action_display()}\u00a0: {self.target}" if self.target else self.get_action_display()
        )


class TrackedJob(models.Model):
    """Long work a person started and follows (a speed-meeting plan, an import, a batch of PDFs): its state
    and progress, written by the job (terreau.core.jobs.tracking), read on its progress page by its owner.
    The queue's own record (attempts, retries) is Procrastinate's job, seen by administrators in the admin."""

    class State(models.TextChoices):
        QUEUED = "queued", _("En attente")
        RUNNING = "running", _("En cours")
        DONE = "done", _("Terminé")
        FAILED = "failed", _("Échec")

    ACCESS = AccessRule(branch="branch", owner="owner")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(_("tâche"), max_length=100)
    title = models.CharField(_("intitulé"), max_length=200)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="tracked_jobs",
        verbose_name=_("demandé par"),
    )
    branch = models.ForeignKey(
        Branch, on_delete=models.CASCADE, null=True, blank=True, related_name="+", verbose_name=_("antenne")
    )
    state = models.CharField(_("état"), max_length=10, choices=State.choices, default=State.QUEUED)
    done = models.PositiveIntegerField(_("fait"), default=0)
    total = models.PositiveIntegerField(_("total"), null=True, blank=True)
    message = models.CharField(_("message"), max_length=300, blank=True)
    error = models.TextField(_("erreur"), blank=True)
    result_url = models.CharField(_("résultat"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("demandé le"), auto_now_add=True, db_index=True)
    started_at = models.DateTimeField(_("commencé le"), null=True, blank=True)
    finished_at = models.DateTimeField(_("terminé le"), null=True, blank=True)

    class Meta:
        verbose_name = _("traitement en arrière-plan")
        verbose_name_plural = _("traitements en arrière-plan")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.title

    @property
    def finished(self) -> bool:
        return self.state in {self.State.DONE, self.State.FAILED}

    @property
    def percent(self) -> int | None:
        if not self.total:
            return None
        return min(100, round(100 * self.done / self.total))
