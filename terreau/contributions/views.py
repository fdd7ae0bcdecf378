"""The ledger's pages: the list (filtered, paginated), recording and changing a contribution, its page (parties,
target, value and basis, instalments, documents, counterparts, receipts, history) and its cancellation.

Every contribution is fetched through terreau.core.access (the branch's staff see all of their branch, the
members of the donor and of the recipient what they are party to); writes go through
terreau.contributions.services, which decides who may do what and refuses bad input in French.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any, TypeVar

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import DecimalField, QuerySet, Sum, Value
from django.db.models.functions import Coalesce
from django.forms import BaseForm
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from terreau.contributions import forms, services
from terreau.contributions.models import Contribution, ContributionDocument, Counterpart
from terreau.core import states
from terreau.core.access import actor_for, get_for, visible
from terreau.core.forms_flow import submit
from terreau.directory.models import OrganisationKind

T = TypeVar("T")
PAGE_SIZE = 50
ZERO = Value(Decimal("0.00"), output_field=DecimalField(max_digits=12, decimal_places=2))


def _ledger(user: Any) -> QuerySet[Contribution]:
    return visible(
        user,
        Contribution.objects.select_related(
            "branch", "donor", "recipient", "program", "working_group", "partnership"
        ),
    )


def _contribution(request: HttpRequest, pk: int) -> Contribution:
    return get_for(request.user, _ledger(request.user), pk=pk)


def _back(contribution: Contribution, anchor: str = "") -> HttpResponse:
    url = reverse("contributions:contribution", kwargs={"pk": contribution.pk})
    return redirect(url + (f"#{anchor}" if anchor else ""))


def _add_errors(form: BaseForm, exc: ValidationError) -> None:
    """A service's refusal shown on the form: next to the field it names, at the top otherwise."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


def _run(request: HttpRequest, form: BaseForm, run: Callable[[], T]) -> T | None:
    if request.method != "POST" or not form.is_valid():
        return None
    try:
        return run()
    except ValidationError as exc:
        _add_errors(form, exc)
        return None


def _may_record_somewhere(user: Any) -> bool:
    actor = actor_for(user)
    return actor.is_staff_anywhere or bool(actor.org_ids)


# --- the ledger ---------------------------------------------------------------------------------------------


@login_required
@require_safe
def ledger(request: HttpRequest) -> HttpResponse:
    filters = forms.LedgerFilter(request.GET)
    chosen = filters.values()
    rows = _ledger(request.user)
    if "year" in chosen:
        rows = rows.of_year(chosen["year"])
    for name in ("kind", "state"):
        if name in chosen:
            rows = rows.filter(**{name: chosen[name]})
    for name in ("program", "donor", "recipient"):
        if name in chosen:
            rows = rows.filter(**{f"{name}_id": chosen[name]})
    totals = rows.exclude(state=Contribution.State.CANCELLED).aggregate(value=Coalesce(Sum("value"), ZERO))
    rows = rows.annotate(received=Coalesce(Sum("instalments__amount"), ZERO)).order_by("-pledged_on", "-pk")
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    query = urlencode(chosen)
    return render(
        request,
        "contributions/ledger.html",
        {
            "page": page,
            "filters": filters,
            "chosen": chosen,
            "query": query,
            "total_value": totals["value"],
            "may_record": _may_record_somewhere(request.user),
            "nav": "contributions",
        },
    )


@login_required
def contribution_create(request: HttpRequest) -> HttpResponse:
    if not _may_record_somewhere(request.user):
        raise PermissionDenied
    form = forms.ContributionForm(request.POST or None, user=request.user, initial=_prefill(request))

    def run() -> Contribution:
        data = form.service_kwargs()
        branch = form.cleaned_data.get("branch") or data["recipient"].branch
        return services.contribution_record(by=request.user, branch=branch, **data)

    contribution = _run(request, form, run)
    if contribution is not None:
        messages.success(
            request, _("Contribution enregistrée : %(value)s €.") % {"value": contribution.value}
        )
        return _back(contribution)
    return render(request, "contributions/contribution_form.html", {"form": form, "nav": "contributions"})


def _prefill(request: HttpRequest) -> dict[str, Any]:
    """Links from an organisation's or a program's page prefill the donor, the recipient or the program."""
    initial: dict[str, Any] = {}
    for name in ("donor", "recipient", "program", "kind"):
        value = request.GET.get(name, "")
        if value and (name == "kind" or value.isdigit()):
            initial[name] = value
    return initial


@login_required
def contribution_edit(request: HttpRequest, pk: int) -> HttpResponse:
    contribution = _contribution(request, pk)
    if not services.may_change(request.user, contribution):
        raise PermissionDenied
    initial = {name: getattr(contribution, name) for name in services.EDITABLE_FIELDS}
    for name in services.VALUATION_FIELDS:
        value = initial[name]
        initial[name] = "" if value is None else str(value).replace(".", ",")
    initial["equipment_items"] = list(contribution.equipment_items.all())
    form = forms.ContributionForm(
        request.POST or None, user=request.user, contribution=contribution, initial=initial
    )
    done = _run(
        request,
        form,
        lambda: services.contribution_update(
            by=request.user, contribution=contribution, **form.service_kwargs()
        ),
    )
    if done is not None:
        return _back(done)
    return render(
        request,
        "contributions/contribution_form.html",
        {"form": form, "contribution": contribution, "nav": "contributions"},
    )


# --- a contribution's page ---------------------------------------------------------------------------------


def _counterparts_check(contribution: Contribution, counterparts: list[Counterpart]) -> Any:
    if not counterparts or contribution.value <= 0:
        return None
    try:
        from terreau.contributions import tax
    except ImportError:  # pragma: no cover
        return None
    try:
        return tax.counterparts_check(
            gift_value=contribution.value,
            counterparts_value=sum((c.value for c in counterparts), Decimal("0.00")),
            donor_is_company=bool(contribution.donor_id)
            and contribution.donor.kind == OrganisationKind.COMPANY,
        )
    except ValidationError:
        return None


@login_required
@require_safe
def contribution_detail(request: HttpRequest, pk: int) -> HttpResponse:
    contribution = _contribution(request, pk)
    user = request.user
    counterparts = list(contribution.counterparts.all())
    received = services.received_total(contribution)
    open_states = (Contribution.State.PLEDGED, Contribution.State.PARTLY_RECEIVED)
    history = list(contribution.history.select_related("by"))
    for change in history:
        change.to_label = states.label(contribution, change.to_state)
    context = {
        "c": contribution,
        "instalments": list(contribution.instalments.select_related("recorded_by")),
        "documents": list(contribution.documents.all()),
        "counterparts": counterparts,
        "check": _counterparts_check(contribution, counterparts),
        "history": history,
        "receipts": list(visible(user, contribution.receipts.all())),
        "equipment": list(contribution.equipment_items.all()),
        "received": received,
        "remaining": max(contribution.value - received, Decimal("0.00")),
        "may_change": services.may_change(user, contribution),
        "may_edit": contribution.state == Contribution.State.PLEDGED
        and services.may_change(user, contribution),
        "may_receive": contribution.state in open_states and services.may_receive(user, contribution),
        "may_cancel": contribution.state != Contribution.State.CANCELLED
        and services.may_cancel(user, contribution),
        "instalment_form": forms.InstalmentForm(),
        "document_form": forms.DocumentForm(),
        "counterpart_form": forms.CounterpartForm(),
        "nav": "contributions",
    }
    return render(request, "contributions/contribution_detail.html", context)


@login_required
@require_POST
def instalment_add(request: HttpRequest, pk: int) -> HttpResponse:
    contribution = _contribution(request, pk)
    form = forms.InstalmentForm(request.POST)
    submit(
        request,
        form,
        run=lambda: services.instalment_record(
            by=request.user, contribution=contribution, **form.cleaned_data
        ),
        success=_("Versement enregistré."),
        allowed=services.may_receive(request.user, contribution),
    )
    return _back(contribution, "versements")


@login_required
def contribution_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    contribution = _contribution(request, pk)
    if not services.may_cancel(request.user, contribution):
        raise PermissionDenied
    form = forms.CancelForm(request.POST or None)
    done = submit(
        request,
        form,
        run=lambda: services.contribution_cancel(
            by=request.user, contribution=contribution, reason=form.cleaned_data["reason"]
        ),
        success=_("Contribution annulée."),
        then=lambda c: _back(c),
    )
    return done or render(
        request,
        "contributions/contribution_cancel.html",
        {"form": form, "c": contribution, "nav": "contributions"},
    )


@login_required
@require_POST
def document_upload(request: HttpRequest, pk: int) -> HttpResponse:
    contribution = _contribution(request, pk)
    form = forms.DocumentForm(request.POST, request.FILES)
    submit(
        request,
        form,
        run=lambda: services.document_add(
            by=request.user,
            contribution=contribution,
            upload=form.cleaned_data["upload"],
            title=form.cleaned_data["title"],
            kind=form.cleaned_data["kind"],
        ),
        success=_("Pièce ajoutée."),
        allowed=services.may_change(request.user, contribution),
    )
    return _back(contribution, "pieces")


@login_required
@require_safe
def document_download(request: HttpRequest, pk: int, document: int) -> FileResponse:
    item = get_for(request.user, ContributionDocument.objects.filter(contribution_id=pk), pk=document)
    try:
        handle = item.file.open("rb")
    except (FileNotFoundError, ValueError):
        raise Http404 from None
    return FileResponse(handle, as_attachment=True, filename=item.file.name.rsplit("/", 1)[-1])


@login_required
@require_POST
def counterpart_add(request: HttpRequest, pk: int) -> HttpResponse:
    contribution = _contribution(request, pk)
    form = forms.CounterpartForm(request.POST)
    submit(
        request,
        form,
        run=lambda: services.counterpart_add(by=request.user, contribution=contribution, **form.cleaned_data),
        success=_("Contrepartie enregistrée."),
        allowed=services.may_change(request.user, contribution),
    )
    return _back(contribution, "contreparties")


@login_required
@require_POST
def counterpart_remove(request: HttpRequest, pk: int, counterpart: int) -> HttpResponse:
    contribution = _contribution(request, pk)
    item = get_for(request.user, Counterpart.objects.filter(contribution=contribution), pk=counterpart)
    submit(
        request,
        run=lambda: services.counterpart_remove(by=request.user, counterpart=item),
        success=_("Contrepartie retirée."),
        allowed=services.may_change(request.user, contribution),
    )
    return _back(contribution, "contreparties")
