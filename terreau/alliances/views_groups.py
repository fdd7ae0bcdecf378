"""Working groups' pages: the list, a group's page (public summary for an open group, everything for its
members and the branch's staff), its forms, and the merge form (branch staff).

Every address of a merged group leads to the group it was merged into, with a notice. Changes go through
terreau.alliances.groups; who may act is checked here with groups.role_in.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from terreau.alliances import group_edits, groups, merge
from terreau.alliances import group_forms as forms
from terreau.alliances.group_models import (
    GroupDocument,
    GroupMember,
    GroupPledge,
    GroupTask,
    JoinRequest,
    WorkingGroup,
)
from terreau.alliances.models import KeyIssue
from terreau.core.access import actor_for, branches_managed, get_for, visible
from terreau.core.forms_flow import submit
from terreau.directory.models import Organisation


def _group(request: HttpRequest, pk: int) -> WorkingGroup:
    return get_for(
        request.user, WorkingGroup.objects.select_related("branch", "diagnosis", "merged_into"), pk=pk
    )


def group_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Fetch the group the user may see (404 otherwise) as ``group``; a merged group's address leads to the
    group it ended in (the same page for a GET, its main page for a post) with a French notice."""

    @wraps(view)
    def wrapper(request: HttpRequest, pk: int, **kwargs: Any) -> HttpResponse:
        group = _group(request, pk)
        if group.state == WorkingGroup.State.MERGED:
            result = group.final()
            messages.info(
                request,
                _("Le groupe « %(group)s » a été fusionné dans « %(result)s » : voici ce groupe.")
                % {"group": group, "result": result},
            )
            if request.method == "GET" and request.resolver_match is not None:
                return redirect(reverse(request.resolver_match.view_name, kwargs={**kwargs, "pk": result.pk}))
            return redirect("alliances:group", pk=result.pk)
        return view(request, group, **kwargs)

    return wrapper


def _managed(request: HttpRequest, group: WorkingGroup) -> None:
    if not groups.may_manage(request.user, group):
        raise PermissionDenied


def _back(group: WorkingGroup, anchor: str = "") -> HttpResponse:
    return redirect(reverse("alliances:group", kwargs={"pk": group.pk}) + (f"#{anchor}" if anchor else ""))


@login_required
@require_safe
def group_list(request: HttpRequest) -> HttpResponse:
    mine = visible(request.user, WorkingGroup.objects.select_related("branch", "merged_into"))
    return render(
        request,
        "alliances/groups_list.html",
        {
            "groups": mine.exclude(state=WorkingGroup.State.MERGED),
            "merged": mine.filter(state=WorkingGroup.State.MERGED),
            "staff": branches_managed(request.user).exists(),
            "nav": "alliances",
        },
    )


@login_required
def group_create(request: HttpRequest) -> HttpResponse:
    if not branches_managed(request.user).exists():
        raise PermissionDenied
    form = forms.GroupCreateForm(request.POST or None, user=request.user)
    done = submit(
        request,
        form,
        run=lambda: groups.group_create(
            branch=form.cleaned_data["branch"],
            name=form.cleaned_data["name"],
            purpose=form.cleaned_data["purpose"],
            key_issues=form.cleaned_data["key_issues"],
            lead=form.cleaned_data["lead"],
            is_open=form.cleaned_data["is_open"],
            by=request.user,
        ),
        success=_("Groupe de travail créé."),
        then=lambda group: _back(group),
    )
    return done or render(request, "alliances/groups_form.html", {"form": form, "nav": "alliances"})


@login_required
@group_page
def group_edit(request: HttpRequest, group: WorkingGroup) -> HttpResponse:
    _managed(request, group)
    initial = {
        "name": group.name,
        "purpose": group.purpose,
        "is_open": group.is_open,
        "key_issues": list(group.key_issues.all()),
    }
    form = forms.GroupForm(
        request.POST or None, initial=initial, user=request.user, branch_ids=[group.branch_id], group=group
    )
    done = submit(
        request,
        form,
        run=lambda: groups.group_update(group=group, by=request.user, **form.cleaned_data),
        success=_("Groupe enregistré."),
        then=lambda group: _back(group),
    )
    return done or render(
        request, "alliances/groups_form.html", {"form": form, "group": group, "nav": "alliances"}
    )


@require_safe
@group_page
def group_detail(request: HttpRequest, group: WorkingGroup) -> HttpResponse:
    user = request.user
    role = groups.role_in(user, group)
    manage = role in (groups.STAFF, groups.LEAD)
    insider = role is not None or user.is_superuser
    context: dict[str, Any] = {
        "group": group,
        "role": role,
        "manage": manage or user.is_superuser,
        "insider": insider,
        "staff": role == groups.STAFF or user.is_superuser,
        # Insiders see the group's key issues through the group; others those of published diagnoses.
        "key_issues": (
            KeyIssue.objects.filter(working_groups=group)
            if insider
            else visible(user, KeyIssue.objects.filter(working_groups=group))
        ).select_related("diagnosis"),
        "issue_links": {
            link.key_issue_id: link.came_from for link in group.issue_links.select_related("came_from")
        },
        "member_count": group.members.count(),
        "nav": "alliances",
    }
    outside = Organisation.objects.filter(pk__in=actor_for(user).org_ids).exclude(
        group_memberships__group=group
    )
    if group.is_open and outside.exists() and group.state == WorkingGroup.State.ACTIVE:
        context["join_form"] = forms.JoinForm(organisations=outside.order_by("name"), auto_id="join-%s")
        context["my_requests"] = JoinRequest.objects.filter(group=group, organisation__in=outside)
    if insider:
        mine = groups.my_organisations(user, group)
        context.update(
            members=group.members.select_related("organisation", "person", "came_from"),
            requests=group.join_requests.filter(state=JoinRequest.State.PENDING).select_related(
                "organisation", "asked_by"
            ),
            meetings=group.meetings.select_related("event", "came_from"),
            decisions=group.decisions.select_related("recorded_by", "came_from"),
            tasks=group.tasks.select_related("owner", "came_from"),
            documents=group.documents.select_related("uploaded_by", "came_from"),
            pledges=group.pledges.select_related("organisation", "offer", "came_from"),
            my_org_ids=set(mine.values_list("pk", flat=True)),
            history=group_edits.history(group),
            merged_from=group.merged_from.all(),
            charter=getattr(group, "charter", None),
            task_states=GroupTask.State.choices,
        )
        if group.state == WorkingGroup.State.ACTIVE:
            if manage or user.is_superuser:
                context.update(
                    member_form=forms.MemberForm(user=user, group=group, auto_id="member-%s"),
                    answer_form=forms.AnswerForm(),
                    decision_form=forms.DecisionForm(auto_id="decision-%s"),
                    task_form=forms.TaskForm(people=groups.members_people(group), auto_id="task-%s"),
                    meeting_form=forms.MeetingForm(user=user, group=group, auto_id="meeting-%s"),
                    document_form=forms.DocumentForm(auto_id="document-%s"),
                    member_change_form=forms.MemberChangeForm(),
                    close_form=forms.CloseForm(),
                )
            if mine.exists():
                context["pledge_form"] = forms.PledgeForm(organisations=mine, auto_id="pledge-%s")
        elif group.state == WorkingGroup.State.CLOSED and (role == groups.STAFF or user.is_superuser):
            context["reopen_form"] = forms.ReopenForm()
    return render(request, "alliances/groups_detail.html", context)


def _post(
    request: HttpRequest, group: WorkingGroup, form: Any, run: Callable[[], Any], success: str, anchor: str
) -> HttpResponse:
    submit(request, form, run=run, success=success)
    return _back(group, anchor)


@login_required
@require_POST
@group_page
def member_add(request: HttpRequest, group: WorkingGroup) -> HttpResponse:
    _managed(request, group)
    form = forms.MemberForm(request.POST, user=request.user, group=group)
    return _post(
        request,
        group,
        form,
        lambda: groups.member_add(group=group, by=request.user, **form.cleaned_data),
        _("Membre ajouté."),
        "membres",
    )


@login_required
@require_POST
@group_page
def member_change(request: HttpRequest, group: WorkingGroup, item: int) -> HttpResponse:
    _managed(request, group)
    member = get_for(request.user, GroupMember.objects.filter(group=group).select_related("group"), pk=item)
    form = forms.MemberChangeForm(request.POST)

    def run() -> Any:
        role = form.cleaned_data["role"]
        if role == "remove":
            return groups.member_remove(member=member, by=request.user)
        return groups.member_set_role(member=member, role=role, by=request.user)

    return _post(request, group, form, run, _("Membres mis à jour."), "membres")


@login_required
@require_POST
@group_page
def join_request(request: HttpRequest, group: WorkingGroup) -> HttpResponse:
    outside = Organisation.objects.filter(pk__in=actor_for(request.user).org_ids).exclude(
        group_memberships__group=group
    )
    if not group.is_open or not outside.exists():
        raise PermissionDenied
    form = forms.JoinForm(request.POST, organisations=outside)
    return _post(
        request,
        group,
        form,
        lambda: groups.join_request(group=group, by=request.user, **form.cleaned_data),
        _("Votre demande a été transmise aux pilotes du groupe."),
        "",
    )


@login_required
@require_POST
@group_page
def join_answer(request: HttpRequest, group: WorkingGroup, item: int) -> HttpResponse:
    _managed(request, group)
    join = get_for(request.user, JoinRequest.objects.filter(group=group), pk=item)
    form = forms.AnswerForm(request.POST)
    return _post(
        request,
        group,
        form,
        lambda: groups.join_answer(request=join, by=request.user, **form.cleaned_data),
        _("Réponse enregistrée."),
        "membres",
    )


@login_required
@require_POST
@group_page
def decision_add(request: HttpRequest, group: WorkingGroup) -> HttpResponse:
    _managed(request, group)
    form = forms.DecisionForm(request.POST)
    return _post(
        request,
        group,
        form,
        lambda: groups.decision_add(group=group, by=request.user, **form.cleaned_data),
        _("Décision enregistrée."),
        "decisions",
    )


@login_required
@require_POST
@group_page
def task_add(request: HttpRequest, group: WorkingGroup) -> HttpResponse:
    _managed(request, group)
    form = forms.TaskForm(request.POST, people=groups.members_people(group))
    return _post(
        request,
        group,
        form,
        lambda: groups.task_add(group=group, by=request.user, **form.cleaned_data),
        _("Tâche ajoutée."),
        "taches",
    )


@login_required
@require_POST
@group_page
def task_move(request: HttpRequest, group: WorkingGroup, item: int) -> HttpResponse:
    task = get_for(request.user, GroupTask.objects.filter(group=group), pk=item)
    if not (groups.may_manage(request.user, group) or (task.owner_id and task.owner_id == request.user.pk)):
        raise PermissionDenied
    form = forms.TaskMoveForm(request.POST)
    return _post(
        request,
        group,
        form,
        lambda: groups.task_move(task=task, by=request.user, **form.cleaned_data),
        _("Tâche mise à jour."),
        "taches",
    )


@login_required
@require_POST
@group_page
def meeting_add(request: HttpRequest, group: WorkingGroup) -> HttpResponse:
    _managed(request, group)
    form = forms.MeetingForm(request.POST, user=request.user, group=group)
    return _post(
        request,
        group,
        form,
        lambda: groups.meeting_add(group=group, by=request.user, **form.cleaned_data),
        _("Réunion enregistrée."),
        "reunions",
    )


@login_required
@require_POST
@group_page
def document_add(request: HttpRequest, group: WorkingGroup) -> HttpResponse:
    _managed(request, group)
    form = forms.DocumentForm(request.POST, request.FILES)
    return _post(
        request,
        group,
        form,
        lambda: groups.document_add(
            group=group, title=form.cleaned_data["title"], upload=form.cleaned_data["file"], by=request.user
        ),
        _("Document ajouté."),
        "documents",
    )


@login_required
@require_safe
@group_page
def document_download(request: HttpRequest, group: WorkingGroup, item: int) -> FileResponse:
    if groups.role_in(request.user, group) is None and not request.user.is_superuser:
        raise Http404
    document = get_for(request.user, GroupDocument.objects.filter(group=group), pk=item)
    try:
        handle = document.file.open("rb")
    except (FileNotFoundError, ValueError):
        raise Http404 from None
    name = document.file.name.rsplit("/", 1)[-1]
    return FileResponse(handle, as_attachment=True, filename=name, content_type=document.content_type or None)


def _my_orgs(request: HttpRequest, group: WorkingGroup) -> Any:
    mine = groups.my_organisations(request.user, group)
    if not mine.exists():
        raise PermissionDenied
    return mine


@login_required
@require_POST
@group_page
def pledge_add(request: HttpRequest, group: WorkingGroup) -> HttpResponse:
    form = forms.PledgeForm(request.POST, organisations=_my_orgs(request, group))
    return _post(
        request,
        group,
        form,
        lambda: groups.pledge_save(group=group, by=request.user, **form.cleaned_data),
        _("Apport enregistré."),
        "apports",
    )


def _own_pledge(request: HttpRequest, group: WorkingGroup, item: int) -> tuple[GroupPledge, Any]:
    mine = groups.my_organisations(request.user, group)
    pledge = get_for(request.user, GroupPledge.objects.filter(group=group).select_related("group"), pk=item)
    if pledge.organisation_id not in set(mine.values_list("pk", flat=True)):
        raise PermissionDenied
    return pledge, mine


@login_required
@group_page
def pledge_edit(request: HttpRequest, group: WorkingGroup, item: int) -> HttpResponse:
    pledge, mine = _own_pledge(request, group, item)
    initial = {
        "organisation": pledge.organisation,
        "kind": pledge.kind,
        "description": pledge.description,
        "offer": pledge.offer,
    }
    form = forms.PledgeForm(
        request.POST or None, initial=initial, organisations=mine.filter(pk=pledge.organisation_id)
    )
    done = submit(
        request,
        form,
        run=lambda: groups.pledge_save(group=group, pledge=pledge, by=request.user, **form.cleaned_data),
        success=_("Apport enregistré."),
        then=lambda _p: _back(group, "apports"),
    )
    return done or render(
        request,
        "alliances/groups_pledge.html",
        {"group": group, "pledge": pledge, "form": form, "nav": "alliances"},
    )


@login_required
@require_POST
@group_page
def pledge_remove(request: HttpRequest, group: WorkingGroup, item: int) -> HttpResponse:
    pledge, _mine = _own_pledge(request, group, item)
    groups.pledge_remove(pledge=pledge, by=request.user)
    messages.success(request, _("Apport retiré."))
    return _back(group, "apports")


@login_required
def group_merge(request: HttpRequest) -> HttpResponse:
    if not branches_managed(request.user).exists():
        raise PermissionDenied
    form = forms.MergeForm(request.POST or None, user=request.user)
    done = submit(
        request,
        form,
        run=lambda: merge.merge_or_refuse(
            sources=list(form.cleaned_data["sources"]),
            into=form.cleaned_data["into"],
            name=form.cleaned_data["name"],
            reason=form.cleaned_data["reason"],
            by=request.user,
        ),
        success=lambda result: _("Groupes fusionnés dans « %(group)s ».") % {"group": result},
        then=lambda result: _back(result),
    )
    return done or render(request, "alliances/groups_merge.html", {"form": form, "nav": "alliances"})
