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


class StoredSuggestion(models.Model):
    """One scored (need, offer) pair computed by the matching jobs (terreau.matching.store).

    Every pair whose engine score may reach the threshold shown (STORE_MIN_SCORE) is stored, once, with
    what the pages need to filter, rank and explain it without the engine: the organisations on both sides
    (denormalised for the reads "pairs of this organisation, best first"), the kinds of help and distance
    that decide feasibility (selection.feasible), and the engine's reasons in their terse contract format
    (rendered as French sentences at display time, engine.reason_sentences). Web processes read these rows;
    they never build an index."""

    # Derived from the needs and offers of both organisations: the staff of either branch; the pages show a
    # pair only once both of its items are visible to the reader (terreau.matching.services).
    ACCESS = AccessRule(branch=("need_organisation__branch", "offer_organisation__branch"))

    # The SuggestionBuild that wrote the row: readers use the last finished build's rows only, so a full
    # rebuild writes a new generation beside the current one and swaps it in at once (never half-built).
    generation = models.PositiveIntegerField()
    # No index of their own (db_index=False): each leads one of the indexes below, which serve the lookups
    # by that column alone too (the ORM's cascades). Every index costs each inserted row (an incremental update
    # writes thousands) and the full rebuild its bulk build: ten of them became six.
    need = models.ForeignKey(
        "directory.NeedOffer", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    offer = models.ForeignKey(
        "directory.NeedOffer", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    need_organisation = models.ForeignKey(
        "directory.Organisation", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    offer_organisation = models.ForeignKey(
        "directory.Organisation", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    score = models.FloatField()
    reasons = models.JSONField(default=list)
    need_type = models.CharField(max_length=20, blank=True)
    offer_type = models.CharField(max_length=20, blank=True)
    distance_km = models.FloatField(null=True)
    remote = models.BooleanField(default=False)
    engine_version = models.PositiveSmallIntegerField()
    computed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("suggestion calculée")
        verbose_name_plural = _("suggestions calculées")
        # The generation comes after the looked-up column: on PostgreSQL each generation is a table of its own
        # (one value per table), and the column first also serves the lookups without a generation.
        constraints = [
            models.UniqueConstraint(
                fields=["need", "offer", "generation"], name="unique_stored_suggestion_item"
            )
        ]
        indexes = [
            models.Index(fields=["need_organisation", "generation", "-score"], name="stored_sugg_need_org_g"),
            models.Index(
                fields=["offer_organisation", "generation", "-score"], name="stored_sugg_offer_org_g"
            ),
            models.Index(fields=["offer", "generation", "-score"], name="stored_sugg_offer_g"),
            models.Index(fields=["generation", "-score"], name="stored_sugg_best"),
        ]

    def __str__(self) -> str:
        return f"{self.need_id} × {self.offer_id}: {self.score:.3f}"


class MatchingChange(models.Model):
    """A need, an offer or an organisation changed: its suggestions must be recomputed.

    Written in the transaction of the change (terreau.matching.signals), so a rolled-back edit leaves
    nothing. The matching job claims the pending ones (done=False) and recomputes them; the log also lets
    every worker bring its in-memory index up to date with the changes other workers applied (ids only:
    the current state is always read from the database). Pruned by the nightly rebuild."""

    need_offer_id = models.BigIntegerField(null=True)  # no foreign key: deleted items are logged too
    organisation_id = models.BigIntegerField()
    direction = models.CharField(max_length=10, blank=True)
    at = models.DateTimeField(default=timezone.now)
    done = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("changement à recalculer")
        verbose_name_plural = _("changements à recalculer")
        indexes = [models.Index(fields=["done", "id"], name="matching_change_pending")]

    def __str__(self) -> str:
        return f"{self.organisation_id}/{self.need_offer_id or '-'} ({'fait' if self.done else 'en attente'})"


class MatchingPropagation(models.Model):
    """A changed need or offer whose entries in other items' best lists are still being written.

    An incremental update writes the item's own suggestions and its ENTRIES_AT_ONCE best entries in others'
    lists with the change; when it enters more lists, the rest is written by the same job afterwards, a block
    at a time, each in its own transaction, between the changes that keep coming (terreau.matching.incremental).
    Kept done (not deleted) until the next full rebuild: the sum of `written` tells a worker whether its copy of
    the thresholds missed rows another worker wrote."""

    generation = models.PositiveIntegerField()
    need_offer_id = models.BigIntegerField()  # no foreign key: a deleted item's entry is closed by the job
    organisation_id = models.BigIntegerField()
    at = models.DateTimeField(default=timezone.now)
    done = models.BooleanField(default=False)
    written = models.PositiveIntegerField(default=0)  # rows written by the follow-up blocks

    class Meta:
        verbose_name = _("suggestions à propager")
        verbose_name_plural = _("suggestions à propager")
        indexes = [models.Index(fields=["generation", "done", "id"], name="matching_propagation_pending")]

    def __str__(self) -> str:
        return f"{self.need_offer_id} ({'fait' if self.done else 'en attente'})"


class SuggestionBuild(models.Model):
    """One full computation of the stored suggestions (the nightly job, `terreau rebuild-suggestions`)."""

    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True)
    engine_version = models.PositiveSmallIntegerField()
    organisations = models.PositiveIntegerField(default=0)
    pairs = models.PositiveBigIntegerField(default=0)

    class Meta:
        verbose_name = _("calcul des suggestions")
        verbose_name_plural = _("calculs des suggestions")
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"{self.started_at:%Y-%m-%d %H:%M}: {self.pairs} paires"
