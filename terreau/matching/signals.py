"""Keeps the warm matching index of this process up to date, after each commit (see indexing)."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_save
from django.dispatch import receiver

from terreau.directory.models import NeedOffer, Organisation
from terreau.matching import indexing, services
from terreau.partnerships.models import ContactRequest

# Organisation fields the engine reads; saves touching only others (search text...) are ignored.
ORGANISATION_FIELDS = frozenset({"kind", "name", "commune", "commune_id", "latitude", "longitude"})
# Need/offer fields that place it in the index: a save that may change them looks up where it was.
PLACE_FIELDS = frozenset({"organisation", "organisation_id", "direction"})


def _touches(update_fields: Any, fields: frozenset[str]) -> bool:
    return update_fields is None or bool(fields.intersection(update_fields))


def _later(func, *args, **kwargs) -> None:
    if indexing.index_is_warm():
        transaction.on_commit(lambda: func(*args, **kwargs))


@receiver(post_save, sender=Organisation, dispatch_uid="matching_organisation_saved")
def organisation_saved(sender, instance: Organisation, raw: bool = False, update_fields=None, **kwargs):
    if not raw and _touches(update_fields, ORGANISATION_FIELDS):
        _later(indexing.index_organisation, instance.pk)


@receiver(post_delete, sender=Organisation, dispatch_uid="matching_organisation_deleted")
def organisation_deleted(sender, instance: Organisation, **kwargs):
    _later(indexing.index_remove_organisation, instance.pk)


@receiver(pre_save, sender=NeedOffer, dispatch_uid="matching_need_offer_moving")
def need_offer_moving(
    sender, instance: NeedOffer, raw: bool = False, using=None, update_fields=None, **kwargs
):
    """Remembers (organisation, direction) of a need or offer before a save that may move it (one query,
    only while the index is warm), so that the index drops it where it was."""
    instance._matching_place = None
    if raw or instance._state.adding or instance.pk is None or not _touches(update_fields, PLACE_FIELDS):
        return
    if indexing.index_is_warm():
        instance._matching_place = (
            NeedOffer._base_manager.using(using)
            .filter(pk=instance.pk)
            .values_list("organisation_id", "direction")
            .first()
        )


@receiver(post_save, sender=NeedOffer, dispatch_uid="matching_need_offer_saved")
def need_offer_saved(sender, instance: NeedOffer, raw: bool = False, **kwargs):
    place = instance.__dict__.pop("_matching_place", None)
    if raw:
        return
    if place is not None and place != (instance.organisation_id, instance.direction):
        _later(indexing.index_remove_need_offer, organisation_id=place[0], direction=place[1], pk=instance.pk)
    _later(indexing.index_need_offer, instance.pk)


@receiver(post_delete, sender=NeedOffer, dispatch_uid="matching_need_offer_deleted")
def need_offer_deleted(sender, instance: NeedOffer, **kwargs):
    _later(
        indexing.index_remove_need_offer,
        organisation_id=instance.organisation_id,
        direction=instance.direction,
        pk=instance.pk,
    )


@receiver(m2m_changed, sender=Organisation.themes.through, dispatch_uid="matching_themes_changed")
def themes_changed(sender, instance, action: str, reverse: bool, pk_set=None, **kwargs):
    if not reverse and action in ("post_add", "post_remove", "post_clear"):
        _later(indexing.index_organisation, instance.pk)


@receiver(post_save, sender=ContactRequest, dispatch_uid="matching_contact_request_created")
def contact_request_created(
    sender, instance: ContactRequest, created: bool = False, raw: bool = False, **kwargs
):
    if created and not raw:
        services.suggestion_contacted(request=instance)
