"""The program team: granting and revoking roles. Keyword-only, transactional; bad input raises
django.core.exceptions.ValidationError with a French message that views show as is.

Every grant and revocation records who did it and when (ProgramRole.granted_by, ProgramRoleChange), and
nobody grants themselves a role that opens beneficiaries' personal data (ProgramRole.personal_data_roles()).
The web pages (team page, volunteers' missions) and the admin all go through these functions.
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from terreau.accounts.models import User
from terreau.core.access import editable
from terreau.core.audit import Action, audit_record
from terreau.core.links import invite_url
from terreau.notifications.services import notify
from terreau.programs.models import HostSite, Program, ProgramRole, ProgramRoleChange

logger = logging.getLogger(__name__)


def _by(user: Any) -> Any:
    return user if getattr(user, "is_authenticated", False) else None


def _send_team_mail(*, role: ProgramRole, invite: bool, by: Any, site_url: str) -> None:
    user = role.user
    link = site_url + role.program.get_absolute_url()
    if role.site_id:
        link = site_url + reverse("programs:site", kwargs={"slug": role.program.slug, "pk": role.site_id})
    if invite:
        link = invite_url(user, root=site_url)
    context = {"role": role, "program": role.program, "by": by, "invite": invite, "link": link}
    # Written in the caller's transaction, sent after its commit (a mail server failure is retried there).
    notify(
        kind="programs.team_role",
        recipients=[user],
        template="programs/emails/team",
        context=context,
        link=role.program.get_absolute_url(),
    )


def _self_grant_message(role_label: str) -> str:
    return _(
        "Vous ne pouvez pas vous attribuer vous-même le rôle « %(role)s » : il donne accès aux données "
        "personnelles des participants. Une autre personne habilitée (la coordination du programme ou "
        "l'animation de l'antenne) doit vous l'attribuer."
    ) % {"role": role_label}


def check_grant(*, team_role: ProgramRole, by: Any) -> None:
    """Refuse a role grant that ``by`` may not make (ValidationError with a French message).

    ``by`` must have the right to change the program (its coordination, its branch's staff); a site role
    names a site of the program; nobody grants themselves a role that opens beneficiaries' personal data
    (ProgramRole.personal_data_roles(): site staff and volunteers): another person with the right grants it,
    so that the act is visible and recorded.
    """
    role = team_role.role
    if role not in ProgramRole.Role.values:
        raise ValidationError(_("Rôle inconnu."))
    needs_site = role in (ProgramRole.Role.SITE_STAFF, ProgramRole.Role.VOLUNTEER)
    if needs_site and team_role.site_id is None:
        raise ValidationError(_("Choisissez le site de cette personne."))
    if not needs_site and team_role.site_id is not None:
        raise ValidationError(_("Ce rôle porte sur tout le programme : ne choisissez pas de site."))
    if team_role.site_id is not None and team_role.site.program_id != team_role.program_id:
        raise ValidationError(_("Ce site n'appartient pas au programme."))
    may_grant = editable(by, Program.objects.filter(pk=team_role.program_id)).values_list("pk", flat=True)
    if by is None or team_role.program_id not in set(may_grant):
        raise ValidationError(_("Vous n'avez pas le droit d'attribuer des rôles dans ce programme."))
    if team_role.user_id == by.pk and role in ProgramRole.personal_data_roles():
        raise ValidationError(_self_grant_message(team_role.get_role_display()))


def role_grant(*, team_role: ProgramRole, by: Any) -> ProgramRole:
    """Save a new (unsaved) team role after check_grant, recording who granted it and when."""
    check_grant(team_role=team_role, by=by)
    if (
        team_role.pk is None
        and ProgramRole.objects.filter(
            program_id=team_role.program_id,
            user_id=team_role.user_id,
            role=team_role.role,
            site=team_role.site_id,
        ).exists()
    ):
        raise ValidationError(_("Cette personne a déjà ce rôle dans le programme."))
    try:
        with transaction.atomic():
            team_role.granted_by = by
            team_role.save()
            _log_role(team_role=team_role, act=ProgramRoleChange.Act.GRANTED, by=by)
    except IntegrityError:
        raise ValidationError(_("Cette personne a déjà ce rôle dans le programme.")) from None
    logger.info(
        "Program %s: role %s granted to user %s by user %s",
        team_role.program_id,
        team_role.role,
        team_role.user_id,
        by.pk,
    )
    return team_role


def _log_role(*, team_role: ProgramRole, act: str, by: Any) -> ProgramRoleChange:
    granted = act == ProgramRoleChange.Act.GRANTED
    audit_record(
        actor=_by(by),
        action=Action.ROLE_GRANTED if granted else Action.ROLE_REVOKED,
        target=f"{team_role.user.email} ({team_role.get_role_display()}, {team_role.program})",
        obj=team_role,
        branch_id=team_role.program.branch_id,
        details={"role": team_role.role, "program": team_role.program_id},
    )
    return ProgramRoleChange.objects.create(
        program_id=team_role.program_id,
        member_id=team_role.user_id,
        role=team_role.role,
        site_id=team_role.site_id,
        from_state="" if act == ProgramRoleChange.Act.GRANTED else ProgramRoleChange.Act.GRANTED,
        to_state=act,
        by=_by(by),
    )


def team_add(
    *,
    program: Program,
    email: str,
    role: str,
    by: Any,
    site_url: str,
    site: HostSite | None = None,
    first_name: str = "",
    last_name: str = "",
) -> ProgramRole:
    """Add a person to the team by e-mail; a new account gets a link to choose its password."""
    email = (email or "").strip().lower()
    if role not in ProgramRole.Role.values:
        raise ValidationError(_("Rôle inconnu."))
    if role not in (ProgramRole.Role.SITE_STAFF, ProgramRole.Role.VOLUNTEER):
        site = None
    with transaction.atomic():
        user = User.objects.filter(email__iexact=email).first()
        check_grant(team_role=ProgramRole(program=program, user=user, role=role, site=site), by=by)
        if user is None:
            user = User.objects.create_user(
                email=email, password=None, first_name=first_name.strip(), last_name=last_name.strip()
            )
        team_role = role_grant(team_role=ProgramRole(program=program, user=user, role=role, site=site), by=by)
        _send_team_mail(role=team_role, invite=not user.has_usable_password(), by=by, site_url=site_url)
    return team_role


def team_remove(*, role: ProgramRole, by: Any) -> None:
    """Revoke a team role, recording who revoked it and when."""
    with transaction.atomic():
        _log_role(team_role=role, act=ProgramRoleChange.Act.REVOKED, by=by)
        role.delete()
    logger.info(
        "Program %s: role %s of user %s revoked by user %s",
        role.program_id,
        role.role,
        role.user_id,
        getattr(by, "pk", None),
    )


def volunteer_roles_sync(*, program: Program, user_id: int, site_ids: set[int], by: Any) -> None:
    """Give a civic-service volunteer the volunteer role at exactly ``site_ids`` (their mission's sites),
    recording each grant and revocation. Nobody grants themselves these roles (they open participants'
    data): a person saving their own mission with new sites is refused. ``by`` None: a system act (demo)."""
    Role = ProgramRole.Role
    roles = ProgramRole.objects.filter(program=program, user_id=user_id, role=Role.VOLUNTEER)
    existing = set(roles.values_list("site_id", flat=True))
    added = site_ids - existing
    if (
        added
        and _by(by) is not None
        and by.pk == user_id
        and Role.VOLUNTEER in ProgramRole.personal_data_roles()
    ):
        raise ValidationError(_self_grant_message(Role.VOLUNTEER.label))
    with transaction.atomic():
        for role in roles.exclude(site_id__in=site_ids):
            team_remove(role=role, by=by)
        for site_id in sorted(added):
            team_role = ProgramRole.objects.create(
                program=program, user_id=user_id, role=Role.VOLUNTEER, site_id=site_id, granted_by=_by(by)
            )
            _log_role(team_role=team_role, act=ProgramRoleChange.Act.GRANTED, by=by)
