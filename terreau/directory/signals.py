"""Keep the search index current when organisations, their needs and offers or their themes change.

Every handler reindexes the organisations concerned (and with them the index of their private needs and
offers, see terreau.directory.search) at once, in the caller's transaction (so a rolled-back
write leaves the index as it was). A need or offer moved to another organisation reindexes both: the one it
leaves is read before the save (one query, only for saves that may change the organisation). Bulk writes
that bypass signals (bulk_create, update(), COPY) call terreau.directory.search.reindex_organisations(ids)
themselves.
"""

from __future__ import annotations

from typing import Any

from django.db.models.signals import m2m_changed, post_delete, post_save, pre_save
from django.dispatch import receiver

from terreau.directory.models import NeedOffer, Organisation, Theme
from terreau.directory.search import is_postgresql, reindex_organisations

# Text of the search index, and what the filter rows hold (models.OrganisationFilter).
ORGANISATION_FIELDS = frozenset(
    {"name", "acronym", "description"}
    | {"kind", "commune", "commune_id", "branch", "branch_id", "visibility"}
)
NEED_OFFER_FIELDS = frozenset(
    {"title", "description", "status", "visibility", "organisation", "organisation_id", "theme"}
    | {"theme_id", "type", "direction"}
)


def _touches(update_fields: Any, fields: frozenset[str]) -> bool:
    return update_fields is None or bool(fields.intersection(update_fields))


@receiver(post_save, sender=Organisation, dispatch_uid="search_organisation_saved")
def organisation_saved(sender, instance: Organisation, raw: bool = False, update_fields=None, **kwargs):
    if not raw and _touches(update_fields, ORGANISATION_FIELDS):
        reindex_organisations([instance.pk])


MOVE_FIELDS = frozenset({"organisation", "organisation_id"})


@receiver(pre_save, sender=NeedOffer, dispatch_uid="search_need_offer_moving")
def need_offer_moving(
    sender, instance: NeedOffer, raw: bool = False, using=None, update_fields=None, **kwargs
):
    """Remembers the organisation a need or offer is leaving, for need_offer_saved to reindex it too."""
    instance._search_left_organisation_id = None
    if raw or instance._state.adding or instance.pk is None or not _touches(update_fields, MOVE_FIELDS):
        return
    stored = (
        NeedOffer._base_manager.using(using)
        .filter(pk=instance.pk)
        .values_list("organisation_id", flat=True)
        .first()
    )
    if stored is not None and stored != instance.organisation_id:
        instance._search_left_organisation_id = stored


@receiver(post_save, sender=NeedOffer, dispatch_uid="search_need_offer_saved")
def need_offer_saved(sender, instance: NeedOffer, raw: bool = False, update_fields=None, **kwargs):
    left = instance.__dict__.pop("_search_left_organisation_id", None)
    if not raw and _touches(update_fields, NEED_OFFER_FIELDS):
        reindex_organisations([instance.organisation_id, left])


@receiver(post_delete, sender=NeedOffer, dispatch_uid="search_need_offer_deleted")
def need_offer_deleted(sender, instance: NeedOffer, **kwargs):
    reindex_organisations([instance.organisation_id])


@receiver(m2m_changed, sender=Organisation.themes.through, dispatch_uid="search_themes_changed")
def themes_changed(sender, instance, action: str, reverse: bool, pk_set=None, **kwargs):
    if not reverse:
        if action in ("post_add", "post_remove", "post_clear"):
            reindex_organisations([instance.pk])
    elif action == "pre_clear":  # theme.organisations.clear(): remember who loses the theme
        instance._search_cleared_ids = list(instance.organisations.values_list("pk", flat=True))
    elif action == "post_clear":
        reindex_organisations(getattr(instance, "_search_cleared_ids", ()))
    elif action in ("post_add", "post_remove"):
        reindex_organisations(pk_set or ())


@receiver(post_save, sender=Theme, dispatch_uid="search_theme_saved")
def theme_saved(sender, instance: Theme, raw: bool = False, created: bool = False, **kwargs):
    if raw or created:
        return
    reindex_organisations(instance.organisations.values_list("pk", flat=True))


# --- cached filter choices (terreau.directory.queries.filter_choices) -------------------------------


def _forget_filter_choices(sender, **kwargs) -> None:
    from terreau.directory.queries import forget_filter_choices

    forget_filter_choices()


def _connect_filter_choices() -> None:
    from terreau.core.models import Branch
    from terreau.territories.models import Department

    for model in (Organisation, Theme, Branch, Department):
        for signal in (post_save, post_delete):
            signal.connect(
                _forget_filter_choices, sender=model, dispatch_uid=f"filter_choices_{model.__name__}"
            )
    m2m_changed.connect(
        _forget_filter_choices, sender=Branch.departments.through, dispatch_uid="filter_choices_branch_depts"
    )


_connect_filter_choices()


def index_unindexed(sender: Any = None, *, using: str = "default", **kwargs: Any) -> int:
    """After `migrate`: index the organisations that have never been indexed (a database migrated from before the
    search index, or rows written by hand). Runs today's indexer against today's schema, which a migration must not;
    on an indexed database it costs one indexed query. Returns how many were indexed."""
    # PostgreSQL searches search_vector and leaves search_document empty; SQLite the other way round.
    unindexed = {"search_vector__isnull": True} if is_postgresql() else {"search_document": ""}
    ids = list(Organisation.objects.using(using).filter(**unindexed).values_list("pk", flat=True))
    if ids:
        reindex_organisations(ids)
    return len(ids)
