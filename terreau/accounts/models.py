"""Users sign in with their e-mail address; their roles in networks and branches live here."""

from __future__ import annotations

import unicodedata

from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.db import models
from django.utils.translation import gettext_lazy as _

from terreau.core.access import AccessRule
from terreau.core.models import TimeStampedModel


def clean_login(typed: str) -> str:
    """The e-mail address as a login form reads it: Unicode compatibility form, surrounding spaces removed.
    Case is matched by the lookup (get_by_natural_key) and folded by the login throttling."""
    return unicodedata.normalize("NFKC", str(typed)).strip()


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra):
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra):
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra):
        extra.update(is_staff=True, is_superuser=True)
        return self._create_user(email, password, **extra)

    def get_by_natural_key(self, username: str):
        return self.get(email__iexact=clean_login(username))


class User(AbstractUser):
    username = None
    email = models.EmailField(_("adresse e-mail"), unique=True)
    is_demo = models.BooleanField(_("donnée de démonstration"), default=False)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []
    objects = UserManager()

    class Meta:
        verbose_name = _("utilisateur")
        verbose_name_plural = _("utilisateurs")

    def __str__(self) -> str:
        return self.get_full_name() or self.email


class NetworkRole(TimeStampedModel):
    class Role(models.TextChoices):
        ADMIN = "admin", _("Administrateur du réseau")

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="network_roles")
    network = models.ForeignKey("core.Network", on_delete=models.CASCADE, related_name="roles")
    role = models.CharField(_("rôle"), max_length=20, choices=Role.choices, default=Role.ADMIN)

    class Meta:
        verbose_name = _("rôle dans un réseau")
        verbose_name_plural = _("rôles dans un réseau")
        constraints = [models.UniqueConstraint(fields=["user", "network"], name="unique_network_role")]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()} ({self.network})"

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        _grant_admin_site(self.user)


class BranchRole(TimeStampedModel):
    class Role(models.TextChoices):
        FACILITATOR = "facilitator", _("Animateur ou animatrice")

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="branch_roles")
    branch = models.ForeignKey("core.Branch", on_delete=models.CASCADE, related_name="roles")
    role = models.CharField(_("rôle"), max_length=20, choices=Role.choices, default=Role.FACILITATOR)

    class Meta:
        verbose_name = _("rôle dans une antenne")
        verbose_name_plural = _("rôles dans une antenne")
        constraints = [models.UniqueConstraint(fields=["user", "branch"], name="unique_branch_role")]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()} ({self.branch})"

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        _grant_admin_site(self.user)


def _grant_admin_site(user: User) -> None:
    """Branch staff use the Django admin, scoped to their branches (terreau.core.admin_scoping)."""
    if not user.is_staff:
        user.is_staff = True
        user.save(update_fields=["is_staff"])


class AccountChange(models.Model):
    """What the head office and facilitators did to accounts from the team pages (terreau.accounts.staff):
    who, when, to whom, in which branch. Shown on the team page to the staff of that branch."""

    ACCESS = AccessRule(branch="branch")

    class Act(models.TextChoices):
        INVITED = "invited", _("Invitation envoyée")
        ROLE_GRANTED = "role_granted", _("Rôle d'animation attribué")
        ROLE_REVOKED = "role_revoked", _("Rôle d'animation retiré")
        DEACTIVATED = "deactivated", _("Compte désactivé")
        REACTIVATED = "reactivated", _("Compte réactivé")
        BRANCH_CREATED = "branch_created", _("Antenne créée")

    act = models.CharField(_("acte"), max_length=20, choices=Act.choices)
    at = models.DateTimeField(_("le"), auto_now_add=True)
    by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("par")
    )
    person = models.ForeignKey(
        User,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="account_changes",
        verbose_name=_("personne"),
    )
    email = models.EmailField(_("adresse e-mail de la personne"), blank=True)
    branch = models.ForeignKey(
        "core.Branch", on_delete=models.CASCADE, related_name="account_changes", verbose_name=_("antenne")
    )

    class Meta:
        verbose_name = _("acte sur un compte")
        verbose_name_plural = _("actes sur les comptes")
        ordering = ["-at", "-pk"]

    def __str__(self) -> str:
        return f"{self.get_act_display()} — {self.email or self.branch} ({self.at:%Y-%m-%d %H:%M})"
