"""Writes of the directory: organisation profiles, needs and offers with their status, members.

Keyword-only service functions called by the views (and later by the API) once the caller has fetched
the objects through terreau.core.access; every write runs in one transaction. Refusals that users can
cause raise ServiceError with a French message. The search index follows through the signals of
terreau.directory.signals.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from terreau.accounts.models import User
from terreau.core import states
from terreau.core.access import actor_for, editable
from terreau.core.links import invite_url
from terreau.directory.models import (
    Membership,
    NeedOffer,
    NeedOfferStatus,
    NeedOfferStatusChange,
    Organisation,
)
from terreau.notifications.services import notify

logger = logging.getLogger(__name__)

# What members may change on their organisation; branch staff may also change STAFF_FIELDS.
ORGANISATION_FIELDS = frozenset(
    {
        "name",
        "acronym",
        "kind",
        "host_type",
        "description",
        "themes",
        "logo",
        "commune",
        "address",
        "postal_code",
        "website",
        "email",
        "phone",
        "siren",
        "siret",
        "rna",
        "legal_category",
        "workforce_band",
        "naf_code",
    }
)
STAFF_FIELDS = frozenset({"visibility", "branch", "private_notes"})
LOCATION_FIELDS = ("address", "postal_code", "commune_id")
NEED_OFFER_FIELDS = frozenset(
    {
        "type",
        "theme",
        "title",
        "description",
        "quantity",
        "estimated_value",
        "scope",
        "starts_on",
        "ends_on",
        "visibility",
    }
)

# Words of the buttons that move a need or an offer to a status.
STATUS_ACTIONS: dict[str, str] = {
    NeedOfferStatus.OPEN: gettext_lazy("Rouvrir"),
    NeedOfferStatus.IN_DISCUSSION: gettext_lazy("Marquer comme en discussion"),
    NeedOfferStatus.FULFILLED: gettext_lazy("Marquer comme satisfait"),
    NeedOfferStatus.WITHDRAWN: gettext_lazy("Retirer"),
}

# Legal categories most often met in the directory (INSEE nomenclature, see shared/domain/facts.md).
LEGAL_CATEGORIES: dict[str, str] = {
    "9220": gettext_lazy("Association déclarée"),
    "9221": gettext_lazy("Association déclarée d'insertion par l'économique"),
    "9230": gettext_lazy("Association reconnue d'utilité publique"),
    "9260": gettext_lazy("Association de droit local (Alsace-Moselle)"),
    "9300": gettext_lazy("Fondation"),
    "7210": gettext_lazy("Commune"),
    "7220": gettext_lazy("Département"),
    "7230": gettext_lazy("Région"),
    "7346": gettext_lazy("Communauté de communes"),
}


class ServiceError(Exception):
    """A refusal the user can understand and act upon (message in French)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class OrganisationRights:
    can_edit: bool = False
    is_staff: bool = False
    is_member: bool = False
    can_manage_members: bool = False

    @property
    def can_see_members(self) -> bool:
        return self.is_staff or self.is_member


def organisation_rights(*, user: Any, organisation: Organisation) -> OrganisationRights:
    """What the user may do on this (visible) organisation: at most two queries."""
    actor = actor_for(user)
    if not actor.is_authenticated:
        return OrganisationRights()
    qs = Organisation.objects.filter(pk=organisation.pk)
    is_staff = editable(actor, qs, action="manage").exists()
    is_member = organisation.pk in actor.org_ids
    can_edit = is_staff or editable(actor, qs).exists()
    return OrganisationRights(
        can_edit=can_edit,
        is_staff=is_staff,
        is_member=is_member,
        can_manage_members=is_staff or organisation.pk in actor.org_admin_ids,
    )


def contact_senders(*, user: Any, organisation: Organisation) -> list[Organisation]:
    """The organisations on whose behalf ``user`` may propose a contact to ``organisation``: those they
    are a member of (and may act for), never when they are a member of ``organisation`` itself."""
    actor = actor_for(user)
    if not actor.is_authenticated or not actor.org_ids or organisation.pk in actor.org_ids:
        return []
    own = Organisation.objects.filter(pk__in=actor.org_ids).exclude(pk=organisation.pk)
    return list(editable(actor, own).only("pk", "name").order_by("name"))


def legal_category_label(code: str) -> str:
    return LEGAL_CATEGORIES.get(code, "")


def _exclude(instance: Any, data: Mapping[str, Any]) -> list[str]:
    """Model fields left out of ``data``: full_clean() checks only what the caller changes."""
    return [f.name for f in instance._meta.fields if f.name not in data]


def _apply(instance: Any, data: Mapping[str, Any], allowed: frozenset[str]) -> list[tuple[Any, Any]]:
    """Set the allowed fields of ``data`` on ``instance``; return the many-to-many ones for after save."""
    later = []
    for name, value in data.items():
        if name not in allowed:
            continue
        field = instance._meta.get_field(name)
        if field.many_to_many:
            later.append((field, value))
        else:
            field.save_form_data(instance, value)
    return later


def geocode_quietly(organisation: Organisation) -> None:
    """Best effort: a network failure or a bad answer never fails the save."""
    from terreau.territories.geocoding import geocode_organisation  # at call time: tests stand a fake in

    try:
        geocode_organisation(organisation)
    except Exception:
        logger.warning("Geocoding failed for organisation %s", organisation.pk, exc_info=True)


def organisation_update(*, organisation: Organisation, data: Mapping[str, Any], by: Any) -> Organisation:
    """Save the organisation's profile; geocode it again when its address or commune changed."""
    allowed = ORGANISATION_FIELDS
    if STAFF_FIELDS & set(data):
        if not editable(by, Organisation.objects.filter(pk=organisation.pk), action="manage").exists():
            raise PermissionDenied
        allowed = allowed | STAFF_FIELDS
    with transaction.atomic():
        before = (
            Organisation.objects.select_for_update().filter(pk=organisation.pk).values(*LOCATION_FIELDS).get()
        )
        m2m = _apply(organisation, data, allowed)
        location_changed = any(before[f] != getattr(organisation, f) for f in LOCATION_FIELDS)
        if location_changed:
            organisation.latitude = organisation.longitude = organisation.geocoded_at = None
        organisation.full_clean(exclude=_exclude(organisation, data))
        organisation.save()
        for field, value in m2m:
            field.save_form_data(organisation, value)
    if location_changed and (organisation.address or organisation.commune_id):
        geocode_quietly(organisation)
    return organisation


def need_offer_create(*, organisation: Organisation, data: Mapping[str, Any], by: Any) -> NeedOffer:
    """A new need or offer of ``organisation`` (direction taken from ``data``), open."""
    direction = data.get("direction")
    need_offer = NeedOffer(organisation=organisation, direction=direction, status=NeedOfferStatus.OPEN)
    with transaction.atomic():
        _apply(need_offer, data, NEED_OFFER_FIELDS)
        need_offer.full_clean(exclude=_exclude(need_offer, data))
        need_offer.save()
    return need_offer


def need_offer_update(*, need_offer: NeedOffer, data: Mapping[str, Any], by: Any) -> NeedOffer:
    """Change the text and details of a need or offer (never its direction, organisation or status)."""
    with transaction.atomic():
        _apply(need_offer, data, NEED_OFFER_FIELDS)
        need_offer.full_clean(exclude=_exclude(need_offer, data))
        need_offer.save()
    return need_offer


def need_offer_set_status(
    *, need_offer: NeedOffer, to: str, by: Any, note: str = ""
) -> NeedOfferStatusChange:
    """Move to status ``to`` through NeedOffer.change_status() (terreau.core.states), which records the
    history; a refused move is a ServiceError."""
    with transaction.atomic():
        locked = NeedOffer.objects.select_for_update().get(pk=need_offer.pk)
        if not states.can_move(locked, to):
            current = NeedOfferStatus(locked.status).label
            target = NeedOfferStatus(to).label if to in NeedOfferStatus.values else to
            raise ServiceError(
                _("Impossible de passer du statut « %(current)s » au statut « %(target)s ».")
                % {"current": current, "target": target}
            )
        change = locked.change_status(to=to, by=by, note=note[:500])
    need_offer.status, need_offer.updated_at = locked.status, locked.updated_at
    return change


def _send_member_mail(*, membership: Membership, invite: bool, by: Any, site_url: str) -> None:
    user = membership.user
    context = {
        "organisation": membership.organisation,
        "membership": membership,
        "by": by,
        "site_url": site_url,
        "invite": invite,
        "link": "",
    }
    if invite:
        context["link"] = invite_url(user, root=site_url)
    else:
        context["link"] = site_url + membership.organisation.get_absolute_url()
    # Written in the caller's transaction, sent after its commit (a mail server failure is retried there).
    notify(
        kind="directory.membership",
        recipients=[user],
        template="directory/emails/organisation_member",
        context=context,
        link=membership.organisation.get_absolute_url(),
    )


def membership_add(
    *,
    organisation: Organisation,
    email: str,
    by: Any,
    site_url: str,
    role: str = Membership.Role.MEMBER,
    job_title: str = "",
    first_name: str = "",
    last_name: str = "",
) -> Membership:
    """Add a person to the organisation by e-mail; a new account gets a link to choose its password."""
    email = email.strip().lower()
    if role not in Membership.Role.values:
        raise ServiceError(_("Rôle inconnu."))
    try:
        with transaction.atomic():
            user = User.objects.filter(email__iexact=email).first()
            if user is None:
                # No usable password: the person chooses one through the password-reset link.
                user = User.objects.create_user(
                    email=email, password=None, first_name=first_name.strip(), last_name=last_name.strip()
                )
            elif Membership.objects.filter(user=user, organisation=organisation).exists():
                raise ServiceError(_("Cette personne est déjà membre de la structure."))
            membership = Membership.objects.create(
                user=user, organisation=organisation, role=role, job_title=job_title.strip()
            )
            _send_member_mail(
                membership=membership, invite=not user.has_usable_password(), by=by, site_url=site_url
            )
    except IntegrityError:
        raise ServiceError(_("Cette personne est déjà membre de la structure.")) from None
    return membership


def membership_remove(*, membership: Membership, by: Any) -> None:
    """Remove a member; an administrator may not remove themselves when they are the last one."""
    with transaction.atomic():
        admins = list(
            Membership.objects.select_for_update()
            .filter(organisation_id=membership.organisation_id, role=Membership.Role.ADMIN)
            .values_list("pk", flat=True)
        )
        is_self = by is not None and membership.user_id == getattr(by, "pk", None)
        if is_self and membership.role == Membership.Role.ADMIN and admins == [membership.pk]:
            raise ServiceError(
                _(
                    "Vous êtes le dernier administrateur de la structure : désignez d'abord "
                    "un autre administrateur avant de vous retirer."
                )
            )
        membership.delete()
