"""Notifications (the bell and the digest), the outbox of e-mails, and each person's choices per kind."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from terreau.core.access import AccessRule


class NotificationQuerySet(models.QuerySet):
    def for_user(self, user) -> NotificationQuerySet:
        """A person's own notifications (a superuser reads only theirs too: it is their inbox)."""
        if not getattr(user, "is_authenticated", False):
            return self.none()
        return self.filter(recipient=user)

    def unread(self) -> NotificationQuerySet:
        return self.filter(read_at__isnull=True)


class Notification(models.Model):
    """One message to one person: in the bell of an account holder, and in their daily digest when they chose
    it. A person without an account (a contact person, a registrant) is named by their address."""

    ACCESS = AccessRule(branch=(), owner="recipient", branch_staff=False)

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="notifications",
        verbose_name=_("destinataire"),
    )
    email = models.EmailField(_("adresse"), blank=True)
    kind = models.CharField(_("type"), max_length=60)
    title = models.CharField(_("titre"), max_length=300)
    body = models.TextField(_("texte"), blank=True)
    link = models.CharField(_("lien"), max_length=500, blank=True)
    read_at = models.DateTimeField(_("lue le"), null=True, blank=True)
    # The person chose the daily digest for this kind: listed in the next digest, then stamped.
    in_digest = models.BooleanField(_("dans le résumé quotidien"), default=False)
    digested_at = models.DateTimeField(_("résumé envoyé le"), null=True, blank=True)
    created_at = models.DateTimeField(_("créée le"), auto_now_add=True, db_index=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["recipient", "read_at"], name="notif_recipient_unread"),
            models.Index(
                fields=["recipient"],
                condition=Q(in_digest=True, digested_at__isnull=True),
                name="notif_digest_due",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class EmailDelivery(models.Model):
    """The outbox: one row per e-mail, written in the transaction that decided to send it, sent by a job.

    Rendered once (subject, plain text, HTML, attachments, headers), so a retry sends exactly what was meant.
    """

    class State(models.TextChoices):
        PENDING = "pending", _("À envoyer")
        SENT = "sent", _("Envoyé")
        FAILED = "failed", _("Échec")
        SKIPPED = "skipped", _("Non envoyé")

    # Personal: its own person only (superusers through the admin), never branch staff.
    ACCESS = AccessRule(branch=(), owner="recipient", branch_staff=False)

    notification = models.ForeignKey(
        Notification,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="deliveries",
        verbose_name=_("notification"),
    )
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="email_deliveries",
        verbose_name=_("destinataire"),
    )
    kind = models.CharField(_("type"), max_length=60)
    to_email = models.EmailField(_("adresse"))
    from_email = models.CharField(_("expéditeur"), max_length=254, blank=True)
    subject = models.CharField(_("objet"), max_length=300)
    text = models.TextField(_("texte"))
    html = models.TextField(_("HTML"), blank=True)
    # [{"filename", "mimetype", "content" (base64)}]: the calendar files and PDFs sent with the message.
    attachments = models.JSONField(_("pièces jointes"), default=list, blank=True)
    headers = models.JSONField(_("en-têtes"), default=dict, blank=True)
    dedup_key = models.CharField(_("clé d'unicité"), max_length=200, blank=True)
    state = models.CharField(_("état"), max_length=10, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveSmallIntegerField(_("tentatives"), default=0)
    last_error = models.TextField(_("dernière erreur"), blank=True)
    # A lease, not a lock: the sender that claimed the row; another one leaves it alone until it expires.
    claimed_until = models.DateTimeField(_("réservé jusqu'au"), null=True, blank=True)
    last_attempt_at = models.DateTimeField(_("dernière tentative"), null=True, blank=True)
    sent_at = models.DateTimeField(_("envoyé le"), null=True, blank=True)
    created_at = models.DateTimeField(_("créé le"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("courriel envoyé")
        verbose_name_plural = _("courriels envoyés")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["dedup_key"], condition=~Q(dedup_key=""), name="delivery_dedup_key"
            ),
        ]
        indexes = [models.Index(fields=["state", "created_at"], name="delivery_state_created")]

    def __str__(self) -> str:
        return f"{self.subject} → {self.to_email}"


class Preference(models.Model):
    """How a person receives one kind: immediately, in the daily digest, or not at all. A person without an
    account who unsubscribed is named by their address."""

    class Choice(models.TextChoices):
        IMMEDIATE = "immediate", _("Immédiatement")
        DIGEST = "digest", _("Résumé quotidien")
        OFF = "off", _("Jamais")

    # Personal: its own person only (superusers through the admin), never branch staff.
    ACCESS = AccessRule(branch=(), owner="user", branch_staff=False)

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="notification_preferences",
        verbose_name=_("personne"),
    )
    email = models.EmailField(_("adresse"), blank=True)
    kind = models.CharField(_("type"), max_length=60)
    choice = models.CharField(_("réception"), max_length=10, choices=Choice.choices)
    updated_at = models.DateTimeField(_("modifié le"), auto_now=True)

    class Meta:
        verbose_name = _("préférence de notification")
        verbose_name_plural = _("préférences de notification")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "kind"], condition=Q(user__isnull=False), name="pref_user_kind"
            ),
            models.UniqueConstraint(
                fields=["email", "kind"], condition=Q(user__isnull=True), name="pref_email_kind"
            ),
            models.CheckConstraint(condition=Q(user__isnull=False) | ~Q(email=""), name="pref_user_or_email"),
        ]

    def __str__(self) -> str:
        return f"{self.user or self.email} · {self.kind} · {self.get_choice_display()}"
