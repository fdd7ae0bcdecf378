"""Editing and deleting what a working group holds: its meetings, tasks, decisions and documents.

Keyword-only and transactional, like terreau.alliances.groups (whose checks they share): a merged or closed
group is read-only, dates must be plausible, texts are bounded, a task's owner belongs to the group, a
meeting's event is one of the group's branch. Who may act is checked by the views (the group's leads and the
branch's staff, through groups.may_manage). Every change or deletion leaves a line in the group's log (who,
when, what), shown in the group's history.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import formats
from django.utils.text import Truncator
from django.utils.translation import gettext as _

from terreau.alliances.group_log_models import GroupLogEntry
from terreau.alliances.group_models import (
    GroupDecision,
    GroupDocument,
    GroupMeeting,
    GroupMerge,
    GroupTask,
    WorkingGroup,
)
from terreau.alliances.groups import _active, _day, _text, _user, members_people
from terreau.core import states
from terreau.core.uploads import check_document


def history(group: WorkingGroup) -> list[dict[str, Any]]:
    """The group's state changes, the merges it took part in and its log, oldest first."""
    rows = [
        {
            "at": c.at,
            "by": c.by,
            "text": states.label(group, c.to_state) if c.from_state else _("Création"),
            "note": c.note,
        }
        for c in group.history.select_related("by")
    ]
    for done in GroupMerge.objects.filter(result=group).prefetch_related("sources").select_related("by"):
        names = ", ".join(f"« {s.name} »" for s in done.sources.all())
        rows.append(
            {
                "at": done.at,
                "by": done.by,
                "text": _("Fusion de %(groups)s dans ce groupe") % {"groups": names},
                "note": done.reason,
            }
        )
    rows += [{"at": e.at, "by": e.by, "text": e.text, "note": ""} for e in group.log.select_related("by")]
    return sorted(rows, key=lambda r: r["at"])


def _log(group: WorkingGroup, by: Any, text: str) -> GroupLogEntry:
    return GroupLogEntry.objects.create(group=group, by=_user(by), text=Truncator(text).chars(300))


def _short(text: str) -> str:
    return Truncator(" ".join((text or "").split())).chars(80)


def _day_label(day: date | None) -> str:
    return formats.date_format(day, "j F Y") if day else "—"


def _locked(model: type, item: Any) -> Any:
    """The row again, locked, with its group (checked active): two edits never interleave."""
    row = model.objects.select_for_update(of=("self",)).select_related("group").get(pk=item.pk)
    _active(row.group)
    return row


# --- meetings ----------------------------------------------------------------------------------------------


@transaction.atomic
def meeting_update(
    *, meeting: GroupMeeting, title: str, held_on: date, by: Any, event: Any = None, notes: str = ""
) -> GroupMeeting:
    meeting = _locked(GroupMeeting, meeting)
    meeting.title = _text(title, message=_("Indiquez l'objet de la réunion."), max_length=200)
    meeting.held_on = _day(held_on, message=_("Indiquez la date de la réunion."))
    if event is not None and event.branch_id != meeting.group.branch_id:
        raise ValidationError(_("Choisissez une rencontre ou un atelier de l'antenne du groupe."))
    if len(notes or "") > 5000:
        raise ValidationError(_("Texte trop long : %(max)s caractères au maximum.") % {"max": 5000})
    meeting.event, meeting.notes = event, (notes or "").strip()
    meeting.save()
    _log(meeting.group, by, _("Réunion « %(title)s » modifiée") % {"title": _short(meeting.title)})
    return meeting


@transaction.atomic
def meeting_delete(*, meeting: GroupMeeting, by: Any) -> None:
    meeting = _locked(GroupMeeting, meeting)
    _log(
        meeting.group,
        by,
        _("Réunion « %(title)s » du %(day)s supprimée")
        % {"title": _short(meeting.title), "day": _day_label(meeting.held_on)},
    )
    meeting.delete()


# --- tasks -------------------------------------------------------------------------------------------------


@transaction.atomic
def task_update(
    *, task: GroupTask, title: str, by: Any, owner: Any = None, due_on: date | None = None
) -> GroupTask:
    """Change a task's title, owner and due date (its state moves through groups.task_move)."""
    task = _locked(GroupTask, task)
    task.title = _text(title, message=_("Indiquez la tâche."), max_length=200)
    if owner is not None and not members_people(task.group).filter(pk=owner.pk).exists():
        raise ValidationError(_("Le responsable doit appartenir à l'une des structures du groupe."))
    task.owner, task.due_on = owner, _day(due_on, message="", required=False)
    task.save()
    _log(task.group, by, _("Tâche « %(title)s » modifiée") % {"title": _short(task.title)})
    return task


@transaction.atomic
def task_delete(*, task: GroupTask, by: Any) -> None:
    task = _locked(GroupTask, task)
    _log(task.group, by, _("Tâche « %(title)s » supprimée") % {"title": _short(task.title)})
    task.delete()


# --- decisions ---------------------------------------------------------------------------------------------


@transaction.atomic
def decision_update(*, decision: GroupDecision, text: str, decided_on: date, by: Any) -> GroupDecision:
    decision = _locked(GroupDecision, decision)
    before = _short(decision.text)
    decision.text = _text(text, message=_("Écrivez la décision."), max_length=2000)
    decision.decided_on = _day(decided_on, message=_("Indiquez la date de la décision."))
    decision.save()
    _log(
        decision.group,
        by,
        _("Décision du %(day)s modifiée (avant : « %(before)s »)")
        % {"day": _day_label(decision.decided_on), "before": before},
    )
    return decision


@transaction.atomic
def decision_delete(*, decision: GroupDecision, by: Any) -> None:
    decision = _locked(GroupDecision, decision)
    _log(
        decision.group,
        by,
        _("Décision du %(day)s supprimée : « %(text)s »")
        % {"day": _day_label(decision.decided_on), "text": _short(decision.text)},
    )
    decision.delete()


# --- documents ---------------------------------------------------------------------------------------------


def _remove_file(document: GroupDocument, name: str) -> None:
    """Delete a stored file once the transaction has committed (a rollback keeps it)."""
    storage = document.file.storage

    def remove() -> None:
        if name and storage.exists(name):
            storage.delete(name)

    transaction.on_commit(remove)


@transaction.atomic
def document_update(*, document: GroupDocument, title: str, by: Any, upload: Any = None) -> GroupDocument:
    """Rename a document, and replace its file when ``upload`` is given (checked like a new document)."""
    document = _locked(GroupDocument, document)
    title = (title or "").strip()
    if len(title) > 200:
        raise ValidationError(_("Texte trop long : %(max)s caractères au maximum.") % {"max": 200})
    old_name = ""
    if upload is not None:
        content_type = check_document(upload)
        old_name = document.file.name
        document.file = upload
        document.content_type, document.size = content_type, upload.size
        document.uploaded_by = _user(by)
        title = title or (getattr(upload, "name", "") or "")[:200]
    document.title = title or document.title
    document.save()
    if old_name:
        _remove_file(document, old_name)
        text = _("Document « %(title)s » remplacé par un nouveau fichier")
    else:
        text = _("Document « %(title)s » renommé")
    _log(document.group, by, text % {"title": _short(document.title)})
    return document


@transaction.atomic
def document_delete(*, document: GroupDocument, by: Any) -> None:
    document = _locked(GroupDocument, document)
    _log(document.group, by, _("Document « %(title)s » supprimé") % {"title": _short(document.title)})
    _remove_file(document, document.file.name)
    document.delete()
