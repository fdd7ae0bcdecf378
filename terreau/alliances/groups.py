"""Working groups: every change goes through here (keyword-only, transactional; bad input raises a
ValidationError with a French message the views show as is).

Who may act (checked by the views with ``role_in`` before calling): the branch's staff and the group's leads
manage the group (members, requests, decisions, tasks, documents, meetings); a member organisation writes its
own pledges; merges are the staff's; closing is the leads' and the staff's, reopening the staff's. The
functions below check the rest (a merged or closed group is read-only, an owner must belong to the group, an
offer must be the pledging organisation's...). Editing and deleting what a group holds (meetings, tasks,
decisions, documents) is in terreau.alliances.group_edits.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils.translation import gettext as _

from terreau.alliances.group_models import (
    GroupDecision,
    GroupDocument,
    GroupKeyIssue,
    GroupMeeting,
    GroupMember,
    GroupPledge,
    GroupTask,
    JoinRequest,
    WorkingGroup,
)
from terreau.alliances.models import KeyIssue
from terreau.core import states
from terreau.core.access import actor_for, editable
from terreau.core.dates import is_plausible, out_of_window_message
from terreau.core.uploads import check_document
from terreau.directory.models import Direction, Membership, Organisation
from terreau.notifications.services import notify

STAFF, LEAD, MEMBER = "staff", "lead", "member"


def _user(by: Any) -> Any:
    return by if getattr(by, "is_authenticated", False) else None


def role_in(user: Any, group: WorkingGroup) -> str | None:
    """ "staff" (the branch's staff), "lead" (a member of a lead organisation), "member" or None."""
    if editable(user, WorkingGroup.objects.filter(pk=group.pk), action="manage").exists():
        return STAFF
    orgs = actor_for(user).org_ids
    if not orgs:
        return None
    roles = set(group.members.filter(organisation_id__in=orgs).values_list("role", flat=True))
    if GroupMember.Role.LEAD in roles:
        return LEAD
    return MEMBER if roles else None


def may_manage(user: Any, group: WorkingGroup) -> bool:
    return role_in(user, group) in (STAFF, LEAD)


def my_organisations(user: Any, group: WorkingGroup) -> QuerySet[Organisation]:
    """The user's organisations that are members of the group (they write pledges for them)."""
    return Organisation.objects.filter(
        pk__in=actor_for(user).org_ids, group_memberships__group=group
    ).order_by("name")


def _active(group: WorkingGroup) -> None:
    if group.state == WorkingGroup.State.MERGED:
        raise ValidationError(
            _("Ce groupe a été fusionné dans « %(result)s » : il ne peut plus être modifié.")
            % {"result": group.final()}
        )
    if group.state == WorkingGroup.State.CLOSED:
        raise ValidationError(_("Ce groupe est clos : il ne peut plus être modifié."))


def _text(value: Any, *, message: str, max_length: int) -> str:
    text = (value or "").strip()
    if not text:
        raise ValidationError(message)
    if len(text) > max_length:
        raise ValidationError(_("Texte trop long : %(max)s caractères au maximum.") % {"max": max_length})
    return text


def _day(value: Any, *, message: str, required: bool = True) -> date | None:
    """A date a person gave: required unless told, and within terreau.core.dates' plausible window."""
    if value is None:
        if required:
            raise ValidationError(message)
        return None
    if not isinstance(value, date) or not is_plausible(value):
        raise ValidationError(out_of_window_message())
    return value


def _check_organisation(group: WorkingGroup, organisation: Organisation) -> None:
    if organisation.branch_id != group.branch_id and organisation.visibility != "public":
        raise ValidationError(_("Cette structure n'est pas accessible pour ce groupe."))


def _check_key_issues(branch_id: int, key_issues: Iterable[KeyIssue]) -> list[KeyIssue]:
    issues = list(key_issues)
    if any(issue.diagnosis.branch_id != branch_id for issue in issues):
        raise ValidationError(_("Choisissez des enjeux clés des diagnostics de l'antenne du groupe."))
    return issues


# --- the group ---------------------------------------------------------------------------------------------


@transaction.atomic
def group_create(
    *,
    branch: Any,
    name: str,
    by: Any,
    purpose: str = "",
    diagnosis: Any = None,
    key_issues: Iterable[KeyIssue] = (),
    lead: Organisation | None = None,
    is_open: bool = False,
    is_demo: bool = False,
) -> WorkingGroup:
    """A working group around key issues, with its first lead organisation when given."""
    name = _text(name, message=_("Donnez un nom au groupe."), max_length=200)
    if diagnosis is not None and diagnosis.branch_id != branch.pk:
        raise ValidationError(_("Ce diagnostic appartient à une autre antenne."))
    issues = _check_key_issues(branch.pk, key_issues)
    if diagnosis is None and issues:
        diagnosis = issues[0].diagnosis
    group = WorkingGroup.objects.create(
        branch=branch,
        name=name,
        purpose=(purpose or "").strip()[:4000],
        diagnosis=diagnosis,
        is_open=is_open,
        is_demo=is_demo,
    )
    states.begin(group, by=_user(by))
    GroupKeyIssue.objects.bulk_create([GroupKeyIssue(group=group, key_issue=i) for i in issues])
    if lead is not None:
        member_add(group=group, organisation=lead, role=GroupMember.Role.LEAD, by=by)
    return group


@transaction.atomic
def group_update(
    *, group: WorkingGroup, name: str, purpose: str, is_open: bool, key_issues: Iterable[KeyIssue], by: Any
) -> WorkingGroup:
    _active(group)
    group.name = _text(name, message=_("Donnez un nom au groupe."), max_length=200)
    group.purpose = (purpose or "").strip()[:4000]
    group.is_open = bool(is_open)
    group.save(update_fields=["name", "purpose", "is_open", "updated_at"])
    wanted = {i.pk: i for i in _check_key_issues(group.branch_id, key_issues)}
    group.issue_links.exclude(key_issue_id__in=wanted).delete()
    have = set(group.issue_links.values_list("key_issue_id", flat=True))
    GroupKeyIssue.objects.bulk_create(
        [GroupKeyIssue(group=group, key_issue=i) for pk, i in wanted.items() if pk not in have]
    )
    return group


@transaction.atomic
def group_close(*, group: WorkingGroup, reason: str, by: Any) -> WorkingGroup:
    """Close the group (its leads or the branch's staff): nothing in it may change until it is reopened."""
    group = WorkingGroup.objects.select_for_update(of=("self",)).get(pk=group.pk)
    if group.state == WorkingGroup.State.CLOSED:
        raise ValidationError(_("Ce groupe est déjà clos."))
    _active(group)
    reason = _text(reason, message=_("Indiquez la raison de la clôture."), max_length=500)
    states.move(group, WorkingGroup.State.CLOSED, by=_user(by), note=reason)
    return group


@transaction.atomic
def group_reopen(*, group: WorkingGroup, by: Any, note: str = "") -> WorkingGroup:
    """Reopen a closed group (the branch's staff only: checked by the view)."""
    group = WorkingGroup.objects.select_for_update(of=("self",)).get(pk=group.pk)
    if group.state != WorkingGroup.State.CLOSED:
        raise ValidationError(_("Seul un groupe clos peut être rouvert."))
    if len(note or "") > 500:
        raise ValidationError(_("Texte trop long : %(max)s caractères au maximum.") % {"max": 500})
    states.move(group, WorkingGroup.State.ACTIVE, by=_user(by), note=(note or "").strip())
    return group


# --- members and requests ----------------------------------------------------------------------------------


@transaction.atomic
def member_add(
    *, group: WorkingGroup, organisation: Organisation, by: Any, role: str = "member", person: Any = None
) -> GroupMember:
    _active(group)
    _check_organisation(group, organisation)
    if role not in GroupMember.Role.values:
        raise ValidationError(_("Choisissez le rôle « pilote » ou « membre »."))
    if person is not None and not Membership.objects.filter(organisation=organisation, user=person).exists():
        raise ValidationError(_("La personne référente doit être membre de la structure."))
    if group.members.filter(organisation=organisation).exists():
        raise ValidationError(_("« %(org)s » est déjà membre du groupe.") % {"org": organisation})
    return GroupMember.objects.create(group=group, organisation=organisation, role=role, person=person)


def _keep_a_lead(member: GroupMember) -> None:
    others = member.group.members.exclude(pk=member.pk).filter(role=GroupMember.Role.LEAD)
    if member.role == GroupMember.Role.LEAD and not others.exists():
        raise ValidationError(_("Le groupe doit garder au moins une structure pilote."))


@transaction.atomic
def member_set_role(*, member: GroupMember, role: str, by: Any) -> GroupMember:
    _active(member.group)
    if role not in GroupMember.Role.values:
        raise ValidationError(_("Choisissez le rôle « pilote » ou « membre »."))
    if role != GroupMember.Role.LEAD:
        _keep_a_lead(member)
    member.role = role
    member.save(update_fields=["role", "updated_at"])
    return member


@transaction.atomic
def member_remove(*, member: GroupMember, by: Any) -> None:
    _active(member.group)
    _keep_a_lead(member)
    member.delete()


def _lead_emails(group: WorkingGroup) -> list[Any]:
    leads = group.members.filter(role=GroupMember.Role.LEAD).values("organisation")
    return list(
        Membership.objects.filter(organisation__in=leads, user__is_active=True).select_related("user")
    )


@transaction.atomic
def join_request(
    *, group: WorkingGroup, organisation: Organisation, by: Any, message: str = ""
) -> JoinRequest:
    """An organisation asks to join the group; the group's leads are told."""
    _active(group)
    _check_organisation(group, organisation)
    if group.members.filter(organisation=organisation).exists():
        raise ValidationError(_("« %(org)s » est déjà membre du groupe.") % {"org": organisation})
    if group.join_requests.filter(organisation=organisation, state=JoinRequest.State.PENDING).exists():
        raise ValidationError(
            _("Une demande de « %(org)s » attend déjà une réponse.") % {"org": organisation}
        )
    if len(message or "") > 2000:
        raise ValidationError(_("Message trop long : %(max)s caractères au maximum.") % {"max": 2000})
    request = JoinRequest.objects.create(
        group=group, organisation=organisation, asked_by=_user(by), message=(message or "").strip()
    )
    states.begin(request, by=_user(by))
    link = reverse("alliances:group", kwargs={"pk": group.pk})
    notify(
        kind="alliances.group",
        recipients=[m.user for m in _lead_emails(group)],
        template="alliances/emails/group_join_request",
        context={"group": group, "request": request},
        link=link,
    )
    return request


@transaction.atomic
def join_answer(*, request: JoinRequest, accept: bool, by: Any, note: str = "") -> JoinRequest:
    """A lead (or the branch's staff) accepts or declines; an accepted organisation becomes a member."""
    request = (
        JoinRequest.objects.select_for_update(of=("self",))
        .select_related("group", "organisation")
        .get(pk=request.pk)
    )
    _active(request.group)
    to = JoinRequest.State.ACCEPTED if accept else JoinRequest.State.DECLINED
    states.move(request, to, by=_user(by), note=note)
    if accept and not request.group.members.filter(organisation=request.organisation).exists():
        member_add(group=request.group, organisation=request.organisation, person=request.asked_by, by=by)
    recipients = [request.asked_by] if request.asked_by else []
    notify(
        kind="alliances.group",
        recipients=recipients,
        template="alliances/emails/group_join_answer",
        context={"group": request.group, "request": request, "accepted": accept, "note": note},
        link=reverse("alliances:group", kwargs={"pk": request.group_id}),
    )
    return request


# --- the group's work --------------------------------------------------------------------------------------


@transaction.atomic
def decision_add(*, group: WorkingGroup, text: str, decided_on: date, by: Any) -> GroupDecision:
    _active(group)
    text = _text(text, message=_("Écrivez la décision."), max_length=2000)
    decided_on = _day(decided_on, message=_("Indiquez la date de la décision."))
    return GroupDecision.objects.create(group=group, text=text, decided_on=decided_on, recorded_by=_user(by))


def members_people(group: WorkingGroup) -> QuerySet:
    """Accounts of the member organisations' people: who may own a task."""
    from django.contrib.auth import get_user_model

    orgs = group.members.values("organisation")
    return (
        get_user_model()
        .objects.filter(is_active=True, memberships__organisation__in=orgs)
        .distinct()
        .order_by("last_name", "first_name", "pk")
    )


@transaction.atomic
def task_add(
    *, group: WorkingGroup, title: str, by: Any, owner: Any = None, due_on: date | None = None
) -> GroupTask:
    _active(group)
    title = _text(title, message=_("Indiquez la tâche."), max_length=200)
    if owner is not None and not members_people(group).filter(pk=owner.pk).exists():
        raise ValidationError(_("Le responsable doit appartenir à l'une des structures du groupe."))
    due_on = _day(due_on, message="", required=False)
    task = GroupTask.objects.create(group=group, title=title, owner=owner, due_on=due_on)
    states.begin(task, by=_user(by))
    return task


@transaction.atomic
def task_move(*, task: GroupTask, to: str, by: Any, note: str = "") -> GroupTask:
    task = GroupTask.objects.select_for_update(of=("self",)).select_related("group").get(pk=task.pk)
    _active(task.group)
    if to not in GroupTask.State.values:
        raise ValidationError(_("État de tâche inconnu."))
    states.move(task, to, by=_user(by), note=note)
    return task


@transaction.atomic
def meeting_add(
    *, group: WorkingGroup, title: str, held_on: date, by: Any, event: Any = None, notes: str = ""
) -> GroupMeeting:
    _active(group)
    title = _text(title, message=_("Indiquez l'objet de la réunion."), max_length=200)
    held_on = _day(held_on, message=_("Indiquez la date de la réunion."))
    if event is not None and event.branch_id != group.branch_id:
        raise ValidationError(_("Choisissez une rencontre ou un atelier de l'antenne du groupe."))
    return GroupMeeting.objects.create(
        group=group, title=title, held_on=held_on, event=event, notes=(notes or "").strip()[:5000]
    )


def document_add(*, group: WorkingGroup, title: str, upload: Any, by: Any) -> GroupDocument:
    """Store a private document of the group after checking its type, size and first bytes."""
    _active(group)
    content_type = check_document(upload)
    name = getattr(upload, "name", "") or ""
    return GroupDocument.objects.create(
        group=group,
        title=((title or "").strip() or name)[:200],
        file=upload,
        content_type=content_type,
        size=upload.size,
        uploaded_by=_user(by),
    )


@transaction.atomic
def pledge_save(
    *,
    group: WorkingGroup,
    organisation: Organisation,
    kind: str,
    description: str,
    by: Any,
    offer: Any = None,
    pledge: GroupPledge | None = None,
) -> GroupPledge:
    """What a member organisation offers to bring (a new pledge, or one of its own changed)."""
    _active(group)
    if not group.members.filter(organisation=organisation).exists():
        raise ValidationError(_("Seules les structures membres du groupe indiquent leurs apports."))
    if pledge is not None and (pledge.group_id != group.pk or pledge.organisation_id != organisation.pk):
        raise ValidationError(_("Une structure ne modifie que ses propres apports."))
    if kind not in GroupPledge.Kind.values:
        raise ValidationError(_("Choisissez la nature de l'apport parmi celles proposées."))
    description = _text(description, message=_("Décrivez ce que vous apportez."), max_length=2000)
    if offer is not None and (offer.organisation_id != organisation.pk or offer.direction != Direction.OFFER):
        raise ValidationError(_("Choisissez une ressource publiée par votre structure dans l'annuaire."))
    if pledge is None:
        pledge = GroupPledge(group=group, organisation=organisation)
    pledge.kind, pledge.description, pledge.offer, pledge.written_by = kind, description, offer, _user(by)
    pledge.save()
    return pledge


@transaction.atomic
def pledge_remove(*, pledge: GroupPledge, by: Any) -> None:
    _active(pledge.group)
    pledge.delete()
