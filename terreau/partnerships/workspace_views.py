"""The partnership's workspace page and its forms: contacts, thread, stage, next steps, documents.

Members of either partner and the branch's staff see and write in it; anybody else gets a 404 (through
terreau.core.access). Every change goes through terreau.partnerships.services and .workspace.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from terreau.core import states
from terreau.core.access import actor_for, get_for
from terreau.core.forms_flow import submit
from terreau.partnerships import services, workspace
from terreau.partnerships.forms import DocumentForm, MessageForm, StageForm, StepDoneForm, StepForm
from terreau.partnerships.models import Partnership, PartnershipDocument, PartnershipStep, next_stage


def _partnership(request: HttpRequest, pk: int) -> Partnership:
    """The partnership if the user is a member of one of its partners or staff of its branch (404 else)."""
    return get_for(
        actor_for(request.user), Partnership.objects.select_related("branch"), action="change", pk=pk
    )


@login_required
@require_safe
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    partnership = _partnership(request, pk)
    actor = actor_for(request.user)
    partners = list(partnership.partners.select_related("commune").order_by("name"))
    return render(
        request,
        "partnerships/detail.html",
        {
            "partnership": partnership,
            "partners": partners,
            "my_side": [o for o in partners if o.pk in actor.org_ids],
            "thread": partnership.messages.select_related("author", "organisation"),
            "steps": partnership.steps.select_related("owner"),
            "documents": partnership.documents.select_related("uploaded_by"),
            "history": partnership.history.select_related("by"),
            "stages": [(s, states.label(partnership, s)) for s in states.allowed(partnership)],
            "stage_next": next_stage(partnership.stage),
            "staff": actor.is_staff_anywhere,
            "message_form": MessageForm(),
            "step_form": StepForm(members=workspace.partners_members(partnership)),
            "document_form": DocumentForm(),
            "nav": "partnerships",
        },
    )


@login_required
@require_POST
def stage(request: HttpRequest, pk: int) -> HttpResponse:
    partnership = _partnership(request, pk)
    form = StageForm(request.POST)
    submit(
        request,
        form,
        run=lambda: services.partnership_set_stage(
            partnership=partnership,
            to=form.cleaned_data["stage"],
            by=request.user,
            note=form.cleaned_data["note"],
        ),
        success=lambda _result: (
            _("Étape mise à jour : %(stage)s.")
            % {"stage": Partnership.Stage(form.cleaned_data["stage"]).label}
        ),
        invalid=_("Choisissez une étape de la liste."),
    )
    return redirect("partnerships:detail", pk=pk)


@login_required
@require_POST
def message(request: HttpRequest, pk: int) -> HttpResponse:
    partnership = _partnership(request, pk)
    form = MessageForm(request.POST)
    submit(
        request,
        form,
        run=lambda: workspace.message_post(
            partnership=partnership, body=form.cleaned_data["body"], by=request.user
        ),
        success=_("Message envoyé."),
    )
    return redirect("partnerships:detail", pk=pk)


@login_required
@require_POST
def step_add(request: HttpRequest, pk: int) -> HttpResponse:
    partnership = _partnership(request, pk)
    form = StepForm(request.POST, members=workspace.partners_members(partnership))
    submit(
        request,
        form,
        run=lambda: workspace.step_add(
            partnership=partnership,
            title=form.cleaned_data["title"],
            owner=form.cleaned_data["owner"],
            due_date=form.cleaned_data["due_date"],
            by=request.user,
        ),
        success=_("Prochaine étape ajoutée."),
    )
    return redirect("partnerships:detail", pk=pk)


@login_required
@require_POST
def step_done(request: HttpRequest, pk: int, step: int) -> HttpResponse:
    partnership = _partnership(request, pk)
    item = get_for(request.user, PartnershipStep.objects.filter(partnership=partnership), pk=step)
    form = StepDoneForm(request.POST)
    submit(
        request,
        form,
        run=lambda: workspace.step_set_done(step=item, done=form.cleaned_data["done"]),
        success=lambda saved: _("Prochaine étape faite.") if saved.done else _("Prochaine étape rouverte."),
    )
    return redirect("partnerships:detail", pk=pk)


@login_required
@require_POST
def document_upload(request: HttpRequest, pk: int) -> HttpResponse:
    partnership = _partnership(request, pk)
    form = DocumentForm(request.POST, request.FILES)
    submit(
        request,
        form,
        run=lambda: workspace.document_add(
            partnership=partnership,
            title=form.cleaned_data["title"],
            upload=form.cleaned_data["file"],
            by=request.user,
        ),
        success=_("Document ajouté."),
    )
    return redirect("partnerships:detail", pk=pk)


@login_required
@require_safe
def document_download(request: HttpRequest, pk: int, document: int) -> FileResponse:
    partnership = _partnership(request, pk)
    item = get_for(request.user, PartnershipDocument.objects.filter(partnership=partnership), pk=document)
    try:
        handle = item.file.open("rb")
    except (FileNotFoundError, ValueError):
        raise Http404 from None
    name = item.file.name.rsplit("/", 1)[-1]
    return FileResponse(handle, as_attachment=True, filename=name, content_type=item.content_type or None)
