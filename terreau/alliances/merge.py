"""Merging working groups: two or more groups into one, with the reason; what they held moves to the result
with its provenance, the sources become "merged" pointing at it (keyword-only, transactional; a refusal writes
nothing)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from terreau.alliances.group_models import (
    GroupDecision,
    GroupDocument,
    GroupKeyIssue,
    GroupMeeting,
    GroupMember,
    GroupMerge,
    GroupPledge,
    GroupTask,
    JoinRequest,
    WorkingGroup,
)
from terreau.alliances.groups import _text, _user
from terreau.core import states


def _refuse_merge(groups: list[WorkingGroup], into: WorkingGroup | None) -> None:
    for group in groups:
        if group.state == WorkingGroup.State.MERGED:
            raise ValidationError(
                _("« %(group)s » a déjà été fusionné dans « %(result)s ».")
                % {"group": group, "result": group.final()}
            )
        if group.state == WorkingGroup.State.CLOSED:
            raise ValidationError(
                _("« %(group)s » est clos : il ne peut pas être fusionné.") % {"group": group}
            )
    if into is not None and into.state == WorkingGroup.State.MERGED:
        raise ValidationError(
            _("« %(group)s » a déjà été fusionné dans « %(result)s » : choisissez le groupe qui en est issu.")
            % {"group": into, "result": into.final()}
        )
    if into is not None and into.state == WorkingGroup.State.CLOSED:
        raise ValidationError(_("« %(group)s » est clos : choisissez un groupe actif.") % {"group": into})
    everyone = groups + ([into] if into is not None else [])
    if len({g.branch_id for g in everyone}) > 1:
        raise ValidationError(_("Seuls des groupes d'une même antenne peuvent fusionner."))
    with_charter = [g for g in everyone if hasattr(g, "charter")]
    if len(with_charter) > 1:
        raise ValidationError(
            _("Plusieurs de ces groupes ont déjà une charte (%(groups)s) : un seul peut en apporter une.")
            % {"groups": ", ".join(f"« {g} »" for g in with_charter)}
        )


def _move_members(source: WorkingGroup, result: WorkingGroup) -> int:
    moved = 0
    present = {m.organisation_id: m for m in result.members.all()}
    for member in source.members.all():
        kept = present.get(member.organisation_id)
        if kept is not None:  # one row per organisation: a lead in either group stays a lead
            if member.role == GroupMember.Role.LEAD and kept.role != GroupMember.Role.LEAD:
                kept.role = GroupMember.Role.LEAD
                kept.save(update_fields=["role", "updated_at"])
            continue
        copy = GroupMember.objects.create(
            group=result,
            organisation_id=member.organisation_id,
            person_id=member.person_id,
            role=member.role,
            came_from_id=member.came_from_id or source.pk,
        )
        GroupMember.objects.filter(pk=copy.pk).update(joined_at=member.joined_at)
        present[member.organisation_id] = copy
        moved += 1
    return moved


def _move_rows(source: WorkingGroup, result: WorkingGroup) -> dict[str, int]:
    counts = {}
    for name, model in (
        ("tasks", GroupTask),
        ("decisions", GroupDecision),
        ("documents", GroupDocument),
        ("pledges", GroupPledge),
        ("meetings", GroupMeeting),
    ):
        rows = model.objects.filter(group=source)
        rows.filter(came_from__isnull=True).update(came_from=source)
        counts[name] = rows.update(group=result)
    issues = 0
    for link in source.issue_links.all():
        _link, created = GroupKeyIssue.objects.get_or_create(
            group=result,
            key_issue_id=link.key_issue_id,
            defaults={"came_from_id": link.came_from_id or source.pk},
        )
        issues += int(created)
    counts["key_issues"] = issues
    # Pending requests follow to the result, unless the organisation is already in it or asked it too.
    for request in source.join_requests.filter(state=JoinRequest.State.PENDING):
        taken = (
            result.members.filter(organisation_id=request.organisation_id).exists()
            or (
                result.join_requests.filter(
                    organisation_id=request.organisation_id, state=JoinRequest.State.PENDING
                )
            ).exists()
        )
        if taken:
            states.move(request, JoinRequest.State.DECLINED, note=_("Groupe fusionné"))
        else:
            JoinRequest.objects.filter(pk=request.pk).update(group=result)
    return counts


def group_merge(
    *,
    sources: Iterable[WorkingGroup],
    reason: str,
    by: Any,
    into: WorkingGroup | None = None,
    name: str = "",
) -> WorkingGroup:
    """Merge ``sources`` into ``into`` (an existing active group) or into a new group called ``name``.

    Members (one per organisation, each with the group it came from), tasks, decisions, documents, pledges,
    meetings, key issues and pending join requests move to the result with their provenance; the sources
    become "merged", pointing at it; the merge is recorded with its reason. Refused without writing anything:
    a group merged into itself, into a merged group, a merged or closed group, groups of two branches.
    """
    reason = _text(reason, message=_("Indiquez la raison de la fusion."), max_length=2000)
    ids = list(dict.fromkeys(g.pk for g in sources))
    if into is not None and into.pk in ids:
        raise ValidationError(_("Un groupe ne peut pas être fusionné dans lui-même."))
    if len(ids) + (into is not None) < 2:
        raise ValidationError(_("Choisissez au moins deux groupes à fusionner."))
    if into is None:
        name = _text(name, message=_("Donnez un nom au groupe issu de la fusion."), max_length=200)
    with transaction.atomic():
        locked = {
            g.pk: g
            for g in WorkingGroup.objects.select_for_update().filter(
                pk__in=[*ids, *([into.pk] if into else [])]
            )
        }
        groups = [locked[pk] for pk in ids if pk in locked]
        if len(groups) != len(ids):
            raise ValidationError(_("Un des groupes choisis n'existe plus."))
        into = locked.get(into.pk) if into is not None else None
        _refuse_merge(groups, into)
        if into is None:
            diagnoses = {g.diagnosis_id for g in groups}
            result = WorkingGroup.objects.create(
                branch_id=groups[0].branch_id,
                name=name,
                purpose="\n\n".join(g.purpose for g in groups if g.purpose)[:4000],
                diagnosis_id=diagnoses.pop() if len(diagnoses) == 1 else None,
                is_open=any(g.is_open for g in groups),
                is_demo=all(g.is_demo for g in groups),
            )
            states.begin(
                result,
                by=_user(by),
                note=_("Issu de la fusion de %(groups)s") % {"groups": ", ".join(f"« {g} »" for g in groups)},
            )
        else:
            result = into
        moved: dict[str, int] = {"members": 0}
        for source in groups:
            moved["members"] += _move_members(source, result)
            for key, count in _move_rows(source, result).items():
                moved[key] = moved.get(key, 0) + count
            charter = getattr(source, "charter", None)
            if charter is not None:
                charter.group = result
                charter.save(update_fields=["group", "updated_at"])
            states.move(
                source, WorkingGroup.State.MERGED, by=_user(by), note=reason, also={"merged_into": result}
            )
        merge = GroupMerge.objects.create(result=result, reason=reason, by=_user(by), moved=moved)
        merge.sources.set(groups)
    return result


def merge_or_refuse(**kwargs: Any) -> WorkingGroup:
    """group_merge, with a database conflict (a concurrent change) as a French refusal."""
    try:
        return group_merge(**kwargs)
    except IntegrityError:
        raise ValidationError(_("Les groupes ont changé pendant la fusion : recommencez.")) from None
