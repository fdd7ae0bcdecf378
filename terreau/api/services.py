"""API-only writes (keyword-only, transactional). The profile, need and offer writes shared with the pages
live in terreau.directory.services; callers pass objects fetched through terreau.core.access."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.utils.text import slugify
from rest_framework.authtoken.models import Token

from terreau.directory import services as directory_services
from terreau.directory.models import NeedOffer, Organisation
from terreau.directory.search import reindex_organisations


def unique_organisation_slug(name: str) -> str:
    base = (slugify(name)[:240].strip("-")) or "organisation"
    slug, n = base, 1
    while Organisation.objects.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug


def organisation_create(*, data: Mapping[str, Any], by: Any) -> Organisation:
    """A new organisation (the caller checked that ``by`` manages its branch)."""
    data = dict(data)
    themes = data.pop("themes", [])
    if not data.get("slug"):
        data["slug"] = unique_organisation_slug(data["name"])
    with transaction.atomic():
        organisation = Organisation(**data)
        organisation.full_clean()
        organisation.save()
        organisation.themes.set(themes)
        reindex_organisations([organisation.pk])
    if organisation.address or organisation.commune_id:
        directory_services.geocode_quietly(organisation)
    return organisation


def organisation_delete(*, organisation: Organisation, by: Any) -> None:
    with transaction.atomic():
        organisation.delete()


def need_offer_save(
    *, need_offer: NeedOffer, data: Mapping[str, Any], by: Any, status: str | None = None, note: str = ""
) -> NeedOffer:
    """Update fields and, when asked, the status (through NeedOffer.change_status), all or nothing."""
    with transaction.atomic():
        directory_services.need_offer_update(need_offer=need_offer, data=data, by=by)
        if status and status != need_offer.status:
            directory_services.need_offer_set_status(need_offer=need_offer, to=status, by=by, note=note)
    return need_offer


def token_for(*, user: Any) -> Token | None:
    return Token.objects.filter(user=user).first()


def token_issue(*, user: Any, regenerate: bool = False) -> tuple[Token, bool]:
    """The user's API token, created if missing (or replaced when ``regenerate``); True when new."""
    with transaction.atomic():
        if regenerate:
            Token.objects.filter(user=user).delete()
        return Token.objects.get_or_create(user=user)


def token_revoke(*, user: Any) -> bool:
    with transaction.atomic():
        deleted, _ = Token.objects.filter(user=user).delete()
    return bool(deleted)
