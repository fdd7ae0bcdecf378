"""Tenancy: a Network has Branches; every private object reaches a Branch through its parents.

Access decisions are made in terreau.core.access from that path, never in views.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


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
