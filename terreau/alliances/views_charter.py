"""The collective's charter: its page (versions, approvals, lineage), the editor, submission, approval by each
partner, the PDF and the launch of the program.

The charter is seen by the branch's staff, the group's members and the partners named in its versions; the
group's leads and the branch's staff write and submit; a partner's members approve in its name; the branch's
staff launch the program. Changes go through terreau.alliances.charter.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from terreau.alliances import charter as services
from terreau.alliances import charter_forms, groups
from terreau.alliances.charter_models import Charter, CharterVersion
from terreau.alliances.charter_pdf import charter_pdf
from terreau.alliances.group_models import WorkingGroup
from terreau.alliances.lineage import lineage_of_charter
from terreau.alliances.models import PUBLICS
from terreau.alliances.views_groups import group_page
from terreau.core import states
from terreau.core.access import actor_for, editable, get_for
from terreau.core.forms_flow import show_error
from terreau.directory.models import Organisation
from terreau.programs.models import ProgramPartner


def p_labels(roles: list[str]) -> list[str]:
    labels = dict(ProgramPartner.Role.choices)
    return [str(labels.get(code, code)) for code in roles]


def _charter(request: HttpRequest, pk: int) -> Charter:
    return get_for(request.user, Charter.objects.select_related("group__branch", "program"), pk=pk)


def _version(request: HttpRequest, charter: Charter, number: int) -> CharterVersion:
    return get_for(request.user, CharterVersion.objects.filter(charter=charter), number=number)


def _may_write(request: HttpRequest, charter: Charter) -> bool:
    return groups.may_manage(request.user, charter.group) or request.user.is_superuser


def _staff(request: HttpRequest, charter: Charter) -> bool:
    return editable(request.user, Charter.objects.filter(pk=charter.pk), action="manage").exists()


@login_required
@require_POST
@group_page
def charter_create(request: HttpRequest, group: WorkingGroup) -> HttpResponse:
    if not groups.may_manage(request.user, group):
        raise PermissionDenied
    try:
        charter = services.charter_create(group=group, title=request.POST.get("title", ""), by=request.user)
    except ValidationError as exc:
        show_error(request, exc)
        return redirect("alliances:group", pk=group.pk)
    messages.success(request, _("Charte créée : rédigez sa première version."))
    return redirect("alliances:charter_version_create", pk=charter.pk)


@login_required
@require_safe
def charter_detail(request: HttpRequest, pk: int) -> HttpResponse:
    charter = _charter(request, pk)
    versions = list(charter.versions.all())
    current = versions[0] if versions else None
    my_orgs = actor_for(request.user).org_ids
    context: dict[str, Any] = {
        "charter": charter,
        "versions": versions,
        "current": current,
        "may_write": _may_write(request, charter),
        "staff": _staff(request, charter),
        "lineage": lineage_of_charter(request.user, charter),
        "nav": "alliances",
    }
    if current is not None:
        approvals = {a.organisation_id: a for a in current.approvals.select_related("approved_by")}
        partners = list(current.partners.select_related("organisation"))
        context.update(
            partners=[(p, approvals.get(p.organisation_id), p_labels(p.roles)) for p in partners],
            publics=[str(PUBLICS.get(code, code)) for code in current.publics],
            to_approve=[
                p.organisation
                for p in partners
                if p.organisation_id in my_orgs and p.organisation_id not in approvals
            ]
            if current.state == CharterVersion.State.SUBMITTED
            else [],
            # A member of the group whose organisation is not named: told why there is nothing to approve.
            not_partner=current.state == CharterVersion.State.SUBMITTED
            and bool(my_orgs)
            and not any(p.organisation_id in my_orgs for p in partners),
            has_draft=any(v.state == CharterVersion.State.DRAFT for v in versions),
            history=[(h, states.label(current, h.to_state)) for h in current.history.select_related("by")],
        )
    return render(request, "alliances/charter_detail.html", context)


def _editor(
    request: HttpRequest, charter: Charter, version: CharterVersion | None, *, source: CharterVersion | None
) -> HttpResponse:
    if not _may_write(request, charter):
        raise PermissionDenied
    form, partners, budget = charter_forms.editor(request, charter.group, source)
    if request.method == "POST" and form.is_valid() and partners.is_valid() and budget.is_valid():
        data, rows = charter_forms.cleaned(form, partners, budget)
        try:
            with transaction.atomic():
                if version is None:
                    saved = services.charter_version_create(
                        charter=charter, data=data, partners=rows, by=request.user
                    )
                else:
                    saved = services.charter_version_update(
                        version=version, data=data, partners=rows, by=request.user
                    )
        except ValidationError as exc:
            show_error(request, exc)
        else:
            messages.success(request, _("Version %(n)s enregistrée.") % {"n": saved.number})
            return redirect("alliances:charter", pk=charter.pk)
    context = {
        "charter": charter,
        "version": version,
        "form": form,
        "partners": partners,
        "budget": budget,
        "nav": "alliances",
    }
    return render(request, "alliances/charter_edit.html", context)


@login_required
def version_create(request: HttpRequest, pk: int) -> HttpResponse:
    charter = _charter(request, pk)
    return _editor(request, charter, None, source=charter.current())


@login_required
def version_edit(request: HttpRequest, pk: int, number: int) -> HttpResponse:
    charter = _charter(request, pk)
    version = _version(request, charter, number)
    if version.frozen:
        messages.info(
            request,
            _(
                "Cette version a été soumise à l'approbation : elle ne change plus. Créez une nouvelle version."
            ),
        )
        return redirect("alliances:charter", pk=charter.pk)
    return _editor(request, charter, version, source=version)


def _act(request: HttpRequest, charter: Charter, run: Any, success: str) -> HttpResponse:
    try:
        run()
    except ValidationError as exc:
        show_error(request, exc)
    else:
        messages.success(request, success)
    return redirect("alliances:charter", pk=charter.pk)


@login_required
@require_POST
def version_submit(request: HttpRequest, pk: int, number: int) -> HttpResponse:
    charter = _charter(request, pk)
    if not _may_write(request, charter):
        raise PermissionDenied
    version = _version(request, charter, number)
    return _act(
        request,
        charter,
        lambda: services.charter_submit(version=version, by=request.user),
        _("Version soumise à l'approbation des partenaires."),
    )


@login_required
@require_POST
def version_approve(request: HttpRequest, pk: int, number: int) -> HttpResponse:
    charter = _charter(request, pk)
    version = _version(request, charter, number)
    raw = request.POST.get("organisation", "")
    org_id = int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 12 else None
    if org_id not in actor_for(request.user).org_ids:
        raise PermissionDenied
    organisation = Organisation.objects.get(pk=org_id)
    return _act(
        request,
        charter,
        lambda: services.charter_approve(version=version, organisation=organisation, by=request.user),
        _("Approbation enregistrée au nom de « %(org)s ».") % {"org": organisation},
    )


@login_required
@require_safe
def version_pdf(request: HttpRequest, pk: int, number: int) -> HttpResponse:
    charter = _charter(request, pk)
    version = _version(request, charter, number)
    response = HttpResponse(charter_pdf(version), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="charte-v{version.number}.pdf"'
    return response


@login_required
@require_POST
def launch(request: HttpRequest, pk: int) -> HttpResponse:
    charter = _charter(request, pk)
    if not _staff(request, charter):
        raise PermissionDenied
    try:
        program = services.launch_program(charter=charter, by=request.user)
    except ValidationError as exc:
        show_error(request, exc)
        return redirect("alliances:charter", pk=charter.pk)
    messages.success(
        request, _("Programme « %(program)s » lancé avec ses partenaires.") % {"program": program}
    )
    return redirect(program)
