"""The head office and facilitators manage the staff of their branches from the web (the team page).

Keyword-only and transactional; a refused act raises django.core.exceptions.ValidationError with a French
message that the views show as is. Every act is recorded (AccountChange: who, when, to whom, which branch).

Scope, decided from terreau.core.access (branches_managed, accounts_for):
- a network administrator creates branches in their networks, invites facilitators into any branch of them,
  grants and withdraws facilitator roles there, and deactivates or reactivates the accounts of those branches;
- a facilitator does the same within their own branches (they create no branch);
- nobody acts on themselves, on a superuser or on a network administrator (the head office's accounts stay
  with the superusers), and a facilitator does not act on a person who also holds a role in a branch they do
  not manage.
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils.text import slugify
from django.utils.translation import gettext as _

from terreau.accounts.models import AccountChange, BranchRole, NetworkRole, User
from terreau.core.access import Actor, accounts_for, actor_for, branches_managed, visible
from terreau.core.audit import Action, audit_record
from terreau.core.links import invite_url
from terreau.core.models import Branch, Network
from terreau.notifications.services import notify

logger = logging.getLogger(__name__)


def networks_administered(user: Any) -> QuerySet[Network]:
    """Networks where the user may create branches (their head office; every network for a superuser)."""
    actor = _actor(user)
    if actor.is_superuser:
        return Network.objects.all()
    return Network.objects.filter(pk__in=actor.network_ids)


def people_in_scope(user: Any) -> QuerySet[User]:
    """Accounts the user may deactivate, reactivate or change the facilitator roles of."""
    actor = _actor(user)
    if not actor.is_authenticated or not (actor.is_superuser or actor.branch_ids):
        return User.objects.none()
    people = accounts_for(actor).exclude(pk=actor.user_id).exclude(is_superuser=True)
    if actor.is_superuser:
        return people
    # Nobody of the head office, nor anybody who also works for a branch the user does not manage.
    people = people.exclude(pk__in=NetworkRole.objects.values("user_id")).exclude(
        pk__in=BranchRole.objects.exclude(branch_id__in=actor.branch_ids).values("user_id")
    )
    # Organisation memberships and program roles, reached through the relations the apps declare on User
    # (accounts imports no domain app): any such row in another branch keeps the person out of scope.
    relations = {f.name: f for f in User._meta.get_fields()}
    elsewhere = {"memberships": "organisation__branch_id__in", "program_roles": "program__branch_id__in"}
    for relation, lookup in elsewhere.items():
        if relation in relations:
            rows = relations[relation].related_model._default_manager.exclude(**{lookup: actor.branch_ids})
            people = people.exclude(pk__in=rows.values("user_id"))
    return people


def changes_visible(user: Any) -> QuerySet[AccountChange]:
    return visible(user, AccountChange.objects.select_related("by", "person", "branch"))


def branch_create(*, network: Network, name: str, by: Any, contact_email: str = "") -> Branch:
    """Create a branch in a network the user administers, with a unique address identifier."""
    name = (name or "").strip()
    if not name:
        raise ValidationError(_("Donnez un nom à l'antenne."))
    if not networks_administered(by).filter(pk=network.pk).exists():
        raise ValidationError(_("Seule la tête de réseau peut créer une antenne dans ce réseau."))
    base = slugify(name)[:40] or "antenne"
    slug, n = base, 1
    while Branch.objects.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    with transaction.atomic():
        branch = Branch.objects.create(
            network=network, name=name, slug=slug, contact_email=(contact_email or "").strip()
        )
        _log(act=AccountChange.Act.BRANCH_CREATED, by=by, branch=branch)
    logger.info("Branch %s created in network %s by user %s", branch.pk, network.pk, by.pk)
    return branch


def facilitator_invite(
    *, branch: Branch, email: str, by: Any, site_url: str, first_name: str = "", last_name: str = ""
) -> BranchRole:
    """Make a person facilitator of ``branch`` by e-mail; a new account gets a link to choose its password."""
    email = (email or "").strip().lower()
    _check_branch(branch=branch, by=by)
    with transaction.atomic():
        user = User.objects.filter(email__iexact=email).first()
        invited = user is None
        if invited:
            user = User.objects.create_user(
                email=email, password=None, first_name=first_name.strip(), last_name=last_name.strip()
            )
            _log(act=AccountChange.Act.INVITED, by=by, branch=branch, person=user)
        role = role_grant(branch=branch, person=user, by=by)
        context = {
            "branch": branch,
            "by": by,
            "invite": not user.has_usable_password(),
            "link": invite_url(user, root=site_url) if not user.has_usable_password() else site_url + "/",
        }
        # Sent after the commit through terreau.notifications (a mail server failure is retried there).
        notify(
            kind="accounts.staff_role",
            recipients=[user],
            template="accounts/emails/staff_role",
            context=context,
        )
    return role


def role_grant(*, branch: Branch, person: User, by: Any) -> BranchRole:
    """Make an account facilitator of ``branch`` (a branch the user manages; never themselves)."""
    _check_branch(branch=branch, by=by)
    if person.pk == getattr(by, "pk", None):
        raise ValidationError(_("Vous ne pouvez pas vous attribuer vous-même un rôle d'animation."))
    if person.is_superuser or NetworkRole.objects.filter(user=person).exists():
        raise ValidationError(
            _("Cette personne fait partie de la tête de réseau : son rôle ne se change pas ici.")
        )
    if BranchRole.objects.filter(user=person, branch=branch).exists():
        raise ValidationError(_("Cette personne anime déjà cette antenne."))
    try:
        with transaction.atomic():
            role = BranchRole.objects.create(user=person, branch=branch)
            _log(act=AccountChange.Act.ROLE_GRANTED, by=by, branch=branch, person=person)
            audit_record(
                actor=by,
                action=Action.ROLE_GRANTED,
                target=person.email,
                obj=role,
                details={"role": "facilitator"},
            )
    except IntegrityError:
        raise ValidationError(_("Cette personne anime déjà cette antenne.")) from None
    logger.info("User %s made facilitator of branch %s by user %s", person.pk, branch.pk, by.pk)
    return role


def role_revoke(*, role: BranchRole, by: Any) -> None:
    """Withdraw a facilitator role in a branch the user manages (never their own)."""
    _check_branch(branch=role.branch, by=by)
    if role.user_id == getattr(by, "pk", None):
        raise ValidationError(
            _("Vous ne pouvez pas retirer votre propre rôle : demandez-le à la tête de réseau.")
        )
    if not people_in_scope(by).filter(pk=role.user_id).exists():
        raise ValidationError(_("Vous n'avez pas le droit de changer le rôle de cette personne."))
    with transaction.atomic():
        _log(act=AccountChange.Act.ROLE_REVOKED, by=by, branch=role.branch, person=role.user)
        audit_record(
            actor=by,
            action=Action.ROLE_REVOKED,
            target=role.user.email,
            obj=role,
            details={"role": "facilitator"},
        )
        role.delete()
    logger.info(
        "Facilitator role of user %s in branch %s withdrawn by user %s", role.user_id, role.branch_id, by.pk
    )


def account_set_active(*, person: User, active: bool, by: Any) -> AccountChange:
    """Deactivate (the person can no longer sign in; their sessions end) or reactivate an account in scope."""
    if person.pk == getattr(by, "pk", None):
        raise ValidationError(_("Vous ne pouvez pas désactiver votre propre compte."))
    if not people_in_scope(by).filter(pk=person.pk).exists():
        raise ValidationError(_("Vous n'avez pas le droit de changer ce compte."))
    if person.is_active == active:
        raise ValidationError(
            _("Ce compte est déjà actif.") if active else _("Ce compte est déjà désactivé.")
        )
    branch = branch_of(person=person, by=by)
    with transaction.atomic():
        User.objects.filter(pk=person.pk).update(is_active=active)
        person.is_active = active
        act = AccountChange.Act.REACTIVATED if active else AccountChange.Act.DEACTIVATED
        change = _log(act=act, by=by, branch=branch, person=person)
        audit_record(
            actor=by,
            action=Action.ACCOUNT_REACTIVATED if active else Action.ACCOUNT_DEACTIVATED,
            target=person.email,
            obj=person,
            branch_id=branch.pk,
        )
    logger.info("Account %s %s by user %s", person.pk, act, by.pk)
    return change


def branch_of(*, person: User, by: Any) -> Branch:
    """The branch managed by ``by`` through which the person is in their scope (where the act is recorded)."""
    actor = _actor(by)
    managed = branches_managed(actor)
    paths = ("roles__user", "organisations__memberships__user", "programs__team__user")
    for path in paths:
        branch = managed.filter(**{path: person}).order_by("name").first()
        if branch is not None:
            return branch
    branch = managed.filter(programs__coordinator=person).order_by("name").first()
    if branch is None:
        raise ValidationError(_("Vous n'avez pas le droit de changer ce compte."))
    return branch


def _check_branch(*, branch: Branch, by: Any) -> None:
    if not branches_managed(by).filter(pk=branch.pk).exists():
        raise ValidationError(_("Vous n'animez pas cette antenne."))


def _log(*, act: str, by: Any, branch: Branch, person: User | None = None) -> AccountChange:
    return AccountChange.objects.create(
        act=act,
        by=by if getattr(by, "is_authenticated", False) else None,
        person=person,
        email=person.email if person is not None else "",
        branch=branch,
    )


def _actor(user: Any) -> Actor:
    return user if isinstance(user, Actor) else actor_for(user)
