"""Working groups' pages, continued: closing and reopening a group, and editing or deleting what it holds
(meetings, tasks, decisions, documents).

Only the group's leads and the branch's staff may (groups.may_manage: 403 for a member, 404 for whoever does
not see the group); reopening is the branch's staff's. The changes go through terreau.alliances.groups and
terreau.alliances.group_edits, which refuse a merged or closed group with a French message.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from terreau.alliances import group_edits, groups
from terreau.alliances import group_forms as forms
from terreau.alliances.group_models import (
    GroupDecision,
    GroupDocument,
    GroupMeeting,
    GroupTask,
    WorkingGroup,
)
from terreau.alliances.views_groups import _back, _managed, group_page
from terreau.core.access import get_for
from terreau.core.forms_flow import show_error, submit


def _item(request: HttpRequest, group: WorkingGroup, model: type, item: int) -> Any:
    """The group's row the user may see (404 otherwise), after checking they manage the group (403)."""
    _managed(request, group)
    return get_for(request.user, model.objects.filter(group=group).select_related("group"), pk=item)


def _closed(request: HttpRequest, group: WorkingGroup) -> HttpResponse | None:
    """A closed group's things are read-only: back to the group with the reason."""
    if group.state == WorkingGroup.State.ACTIVE:
        return None
    messages.error(request, _("Ce groupe est clos : il ne peut plus être modifié."))
    return _back(group)


def _run(request: HttpRequest, group: WorkingGroup, run: Callable[[], Any], success: str, anchor: str):
    try:
        run()
    except ValidationError as exc:
        show_error(request, exc)
    else:
        messages.success(request, success)
    return _back(group, anchor)


def _edit_page(
    request: HttpRequest,
    group: WorkingGroup,
    form: Any,
    *,
    run: Callable[[], Any],
    success: str,
    heading: str,
    anchor: str,
    delete: str,
    item: Any,
) -> HttpResponse:
    done = submit(request, form, run=run, success=success, then=lambda _r: _back(group, anchor))
    return done or render(
        request,
        "alliances/groups_item_edit.html",
        {
            "group": group,
            "form": form,
            "heading": heading,
            "anchor": anchor,
            "delete_url": reverse(delete, kwargs={"pk": group.pk, "item": item.pk}),
            "nav": "alliances",
        },
        status=400 if request.method == "POST" else 200,
    )


# --- the group's lifecycle ---------------------------------------------------------------------------------


@login_required
@require_POST
@group_page
def group_close(request: HttpRequest, group: WorkingGroup) -> HttpResponse:
    _managed(request, group)
    form = forms.CloseForm(request.POST)
    submit(
        request,
        form,
        run=lambda: groups.group_close(group=group, by=request.user, **form.cleaned_data),
        success=_("Groupe clos."),
    )
    return _back(group, "historique")


@login_required
@require_POST
@group_page
def group_reopen(request: HttpRequest, group: WorkingGroup) -> HttpResponse:
    if groups.role_in(request.user, group) != groups.STAFF and not request.user.is_superuser:
        raise PermissionDenied
    form = forms.ReopenForm(request.POST)
    submit(
        request,
        form,
        run=lambda: groups.group_reopen(group=group, by=request.user, **form.cleaned_data),
        success=_("Groupe rouvert."),
    )
    return _back(group, "historique")


# --- meetings ----------------------------------------------------------------------------------------------


@login_required
@group_page
def meeting_edit(request: HttpRequest, group: WorkingGroup, item: int) -> HttpResponse:
    meeting = _item(request, group, GroupMeeting, item)
    if closed := _closed(request, group):
        return closed
    initial = {
        "title": meeting.title,
        "held_on": meeting.held_on,
        "event": meeting.event,
        "notes": meeting.notes,
    }
    form = forms.MeetingForm(request.POST or None, initial=initial, user=request.user, group=group)
    return _edit_page(
        request,
        group,
        form,
        run=lambda: group_edits.meeting_update(meeting=meeting, by=request.user, **form.cleaned_data),
        success=_("Réunion modifiée."),
        heading=_("Modifier la réunion « %(title)s »") % {"title": meeting.title},
        anchor="reunions",
        delete="alliances:meeting_delete",
        item=meeting,
    )


@login_required
@require_POST
@group_page
def meeting_delete(request: HttpRequest, group: WorkingGroup, item: int) -> HttpResponse:
    meeting = _item(request, group, GroupMeeting, item)
    run = lambda: group_edits.meeting_delete(meeting=meeting, by=request.user)  # noqa: E731
    return _run(request, group, run, _("Réunion supprimée."), "reunions")


# --- tasks -------------------------------------------------------------------------------------------------


@login_required
@group_page
def task_edit(request: HttpRequest, group: WorkingGroup, item: int) -> HttpResponse:
    task = _item(request, group, GroupTask, item)
    if closed := _closed(request, group):
        return closed
    initial = {"title": task.title, "owner": task.owner, "due_on": task.due_on}
    form = forms.TaskForm(request.POST or None, initial=initial, people=groups.members_people(group))
    return _edit_page(
        request,
        group,
        form,
        run=lambda: group_edits.task_update(task=task, by=request.user, **form.cleaned_data),
        success=_("Tâche modifiée."),
        heading=_("Modifier la tâche « %(title)s »") % {"title": task.title},
        anchor="taches",
        delete="alliances:task_delete",
        item=task,
    )


@login_required
@require_POST
@group_page
def task_delete(request: HttpRequest, group: WorkingGroup, item: int) -> HttpResponse:
    task = _item(request, group, GroupTask, item)
    run = lambda: group_edits.task_delete(task=task, by=request.user)  # noqa: E731
    return _run(request, group, run, _("Tâche supprimée."), "taches")


# --- decisions ---------------------------------------------------------------------------------------------


@login_required
@group_page
def decision_edit(request: HttpRequest, group: WorkingGroup, item: int) -> HttpResponse:
    decision = _item(request, group, GroupDecision, item)
    if closed := _closed(request, group):
        return closed
    initial = {"text": decision.text, "decided_on": decision.decided_on}
    form = forms.DecisionForm(request.POST or None, initial=initial)
    return _edit_page(
        request,
        group,
        form,
        run=lambda: group_edits.decision_update(decision=decision, by=request.user, **form.cleaned_data),
        success=_("Décision modifiée."),
        heading=_("Modifier une décision"),
        anchor="decisions",
        delete="alliances:decision_delete",
        item=decision,
    )


@login_required
@require_POST
@group_page
def decision_delete(request: HttpRequest, group: WorkingGroup, item: int) -> HttpResponse:
    decision = _item(request, group, GroupDecision, item)
    run = lambda: group_edits.decision_delete(decision=decision, by=request.user)  # noqa: E731
    return _run(request, group, run, _("Décision supprimée."), "decisions")


# --- documents ---------------------------------------------------------------------------------------------


@login_required
@group_page
def document_edit(request: HttpRequest, group: WorkingGroup, item: int) -> HttpResponse:
    document = _item(request, group, GroupDocument, item)
    if closed := _closed(request, group):
        return closed
    form = forms.DocumentEditForm(
        request.POST or None, request.FILES or None, initial={"title": document.title}
    )
    return _edit_page(
        request,
        group,
        form,
        run=lambda: group_edits.document_update(
            document=document,
            title=form.cleaned_data["title"],
            upload=form.cleaned_data["file"] or None,
            by=request.user,
        ),
        success=_("Document modifié."),
        heading=_("Modifier le document « %(title)s »") % {"title": document.title},
        anchor="documents",
        delete="alliances:document_delete",
        item=document,
    )


@login_required
@require_POST
@group_page
def document_delete(request: HttpRequest, group: WorkingGroup, item: int) -> HttpResponse:
    document = _item(request, group, GroupDocument, item)
    run = lambda: group_edits.document_delete(document=document, by=request.user)  # noqa: E731
    return _run(request, group, run, _("Document supprimé."), "documents")
