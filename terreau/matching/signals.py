"""Logs each change that moves suggestions and defers the matching job that recomputes them.

The change (MatchingChange) and the job are written in the caller's transaction: a rolled-back edit logs and
queues nothing. The job holds a queueing lock (one waiting at a time) and handles every pending change it
finds, so a burst of edits costs one or two jobs, not one each (terreau.matching.tasks)."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import m2m_changed, post_delete, post_init, post_save
from django.dispatch import receiver

from terreau.core.jobs import defer
from terreau.directory.models import NeedOffer, Organisation
from terreau.matching import services, store
from terreau.partnerships.models import ContactRequest

# Organisation fields the engine reads; saves touching only others (search text...) are ignored.
ORGANISATION_FIELDS = frozenset({"kind", "name", "commune", "commune_id", "latitude", "longitude"})
# Need/offer fields the engine reads; saves touching only others are ignored.
NEED_OFFER_FIELDS = frozenset(
    {
        "organisation",
        "organisation_id",
        "direction",
        "type",
        "theme",
        "theme_id",
        "title",
        "description",
        "status",
        "visibility",
        "updated_at",
    }
)


def _touches(update_fields: Any, fields: frozenset[str]) -> bool:
    return update_fields is None or bool(fields.intersection(update_fields))


def _changed(*, organisation_id: int, need_offer_id: int | None = None, direction: str = "") -> None:
    from terreau.matching import tasks

    store.record_change(organisation_id=organisation_id, need_offer_id=need_offer_id, direction=direction)
    defer(tasks.refresh_suggestions)


@receiver(post_save, sender=Organisation, dispatch_uid="matching_organisation_saved")
def organisation_saved(sender, instance: Organisation, raw: bool = False, update_fields=None, **kwargs):
    if not raw and _touches(update_fields, ORGANISATION_FIELDS):
        _changed(organisation_id=instance.pk)


@receiver(post_delete, sender=Organisation, dispatch_uid="matching_organisation_deleted")
def organisation_deleted(sender, instance: Organisation, **kwargs):
    _changed(organisation_id=instance.pk)


@receiver(post_init, sender=NeedOffer, dispatch_uid="matching_need_offer_loaded")
def need_offer_loaded(sender, instance: NeedOffer, **kwargs):
    """Remembers the organisation a need or offer was loaded with (no query), to log a move from it."""
    instance._matching_from = instance.__dict__.get("organisation_id")


@receiver(post_save, sender=NeedOffer, dispatch_uid="matching_need_offer_saved")
def need_offer_saved(sender, instance: NeedOffer, raw: bool = False, update_fields=None, **kwargs):
    before = instance.__dict__.pop("_matching_from", None)
    if raw or not _touches(update_fields, NEED_OFFER_FIELDS):
        return
    if before is not None and before != instance.organisation_id:
        _changed(organisation_id=before, need_offer_id=instance.pk, direction=instance.direction)
    _changed(
        organisation_id=instance.organisation_id, need_offer_id=instance.pk, direction=instance.direction
    )


@receiver(post_delete, sender=NeedOffer, dispatch_uid="matching_need_offer_deleted")
def need_offer_deleted(sender, instance: NeedOffer, **kwargs):
    _changed(
        organisation_id=instance.organisation_id, need_offer_id=instance.pk, direction=instance.direction
    )


@receiver(m2m_changed, sender=Organisation.themes.through, dispatch_uid="matching_themes_changed")
def themes_changed(sender, instance, action: str, reverse: bool, pk_set=None, **kwargs):
    if not reverse and action in ("post_add", "post_remove", "post_clear"):
        _changed(organisation_id=instance.pk)


@receiver(post_save, sender=ContactRequest, dispatch_uid="matching_contact_request_created")
def contact_request_created(
    sender, instance: ContactRequest, created: bool = False, raw: bool = False, **kwargs
):
    if created and not raw:
        services.suggestion_contacted(request=instance)
