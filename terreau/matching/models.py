"""What members told Terreau about its suggestions: kept to hide dismissed pairs and to improve ranking."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from terreau.core.access import AccessRule


class SuggestionFeedback(models.Model):
    """An organisation's verdict on a suggested pair (its need and a partner's offer, or the reverse)."""

    # Members of the organisation that gave the feedback and the staff of its branch.
    ACCESS = AccessRule(branch="organisation__branch", organisation="organisation")

    class Verdict(models.TextChoices):
        DISMISSED = "dismissed", _("Pas pertinent")
        CONTACTED = "contacted", _("Contact proposé")

    class Reason(models.TextChoices):
        NOT_RELEVANT = "not_relevant", _("Sans rapport avec nos besoins ou nos ressources")
        TOO_FAR = "too_far", _("Trop loin de nous")
        OUTDATED = "outdated", _("Ce besoin ou cette ressource n'est plus d'actualité")
        ALREADY_PARTNERS = "already_partners", _("Nous travaillons déjà ensemble")
        OTHER = "other", _("Autre raison")

    organisation = models.ForeignKey(
        "directory.Organisation", on_delete=models.CASCADE, related_name="suggestion_feedback"
    )
    partner = models.ForeignKey("directory.Organisation", on_delete=models.CASCADE, related_name="+")
    need = models.ForeignKey("directory.NeedOffer", on_delete=models.CASCADE, related_name="+")
    offer = models.ForeignKey("directory.NeedOffer", on_delete=models.CASCADE, related_name="+")
    verdict = models.CharField(_("verdict"), max_length=10, choices=Verdict.choices)
    reason = models.CharField(_("motif"), max_length=20, choices=Reason.choices, blank=True)
    note = models.CharField(_("précision"), max_length=500, blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    at = models.DateTimeField(_("le"), default=timezone.now)

    class Meta:
        verbose_name = _("retour sur une suggestion")
        verbose_name_plural = _("retours sur les suggestions")
        ordering = ["-at"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "need", "offer", "verdict"], name="unique_suggestion_feedback"
            )
        ]
        indexes = [models.Index(fields=["organisation", "verdict"])]

    def __str__(self) -> str:
        return f"{self.organisation_id}: {self.need_id} × {self.offer_id} ({self.verdict})"
