"""Pages of tax receipts: the issuer's list (by year), issue from a received gift or for a period, cancel with a
reason, reissue, the year-end batch, the yearly summary and its export, the eligibility statement; the donor's
list and the PDF. Objects come through terreau.core.access; changes through terreau.contributions.receipts.
No page changes an issued receipt: only cancel and reissue, which keep it."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from terreau.contributions import receipt_batch, receipt_forms, receipts
from terreau.contributions.models import Contribution
from terreau.contributions.receipt_models import Receipt, ReceiptEligibility
from terreau.contributions.receipt_pdf import receipt_pdf as render_pdf
from terreau.core import tabular
from terreau.core.access import actor_for, get_for, visible
from terreau.core.audit import audit_export
from terreau.core.forms_flow import show_error
from terreau.directory.models import Organisation


def _issuer(request: HttpRequest, slug: str, *, manage: bool = False) -> Organisation:
    """The issuing organisation: its members read its receipts; its administrators and branch staff act."""
    org = get_for(request.user, Organisation.objects.select_related("branch"), slug=slug)
    allowed = receipts.may_manage(request.user, org)
    if not manage:
        allowed = allowed or org.pk in actor_for(request.user).org_ids
    if not allowed:
        raise PermissionDenied
    return org


def _receipt(request: HttpRequest, pk: int) -> Receipt:
    return get_for(
        request.user, Receipt.objects.select_related("issuer__branch", "replaces", "issued_by"), pk=pk
    )


def _year(request: HttpRequest) -> int:
    raw = request.GET.get("annee", "")
    year = int(raw) if raw.isascii() and raw.isdigit() and len(raw) == 4 else 0
    return year if 2000 <= year <= 2100 else date.today().year


@login_required
@require_safe
def receipt_list(request: HttpRequest, slug: str) -> HttpResponse:
    org = _issuer(request, slug)
    year = _year(request)
    rows = visible(request.user, Receipt.objects.filter(issuer=org, year=year)).select_related("replaces")
    years = sorted(
        set(Receipt.objects.filter(issuer=org).values_list("year", flat=True)) | {date.today().year}
    )
    pending = receipt_batch.pending_gifts(org, year) if receipts.may_manage(request.user, org) else []
    context: dict[str, Any] = {
        "org": org,
        "year": year,
        "years": sorted(years, reverse=True),
        "receipts": rows,
        "pending": pending,
        "manage": receipts.may_manage(request.user, org),
        "eligibility": receipts.eligibility_of(org),
        "summary": receipts.yearly_summary(issuer=org, year=year),
        "batch_form": receipt_forms.YearForm(initial={"year": year}),
        "nav": "contributions",
    }
    return render(request, "contributions/receipt_list.html", context)


@login_required
def eligibility_edit(request: HttpRequest, slug: str) -> HttpResponse:
    org = _issuer(request, slug, manage=True)
    current = receipts.eligibility_of(org) or ReceiptEligibility(organisation=org)
    form = receipt_forms.EligibilityForm(request.POST or None, instance=current)
    if request.method == "POST" and form.is_valid():
        try:
            receipts.eligibility_confirm(by=request.user, organisation=org, **form.cleaned_data)
        except ValidationError as exc:
            show_error(request, exc)
        else:
            messages.success(request, _("Habilitation enregistrée."))
            return redirect("contributions:receipts", slug=org.slug)
    context = {"org": org, "form": form, "eligibility": current, "nav": "contributions"}
    return render(request, "contributions/receipt_eligibility.html", context)


@login_required
def receipt_issue_one(request: HttpRequest, slug: str, contribution: int) -> HttpResponse:
    org = _issuer(request, slug, manage=True)
    gift = get_for(request.user, Contribution.objects.filter(recipient=org), pk=contribution)
    initial = {"form": Receipt.Form.COMPANY if gift.donor_id else Receipt.Form.INDIVIDUAL}
    form = receipt_forms.IssueForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            receipt = receipts.receipt_issue(
                by=request.user,
                issuer=org,
                contributions=[gift],
                form=form.cleaned_data["form"],
                payment_method=form.cleaned_data["payment_method"],
            )
            receipt_batch.receipt_send(receipt=receipt)
        except ValidationError as exc:
            show_error(request, exc)
        else:
            messages.success(request, _("Reçu n° %(n)s émis et envoyé au donateur.") % {"n": receipt.number})
            return redirect("contributions:receipt", pk=receipt.pk)
    context = {"org": org, "gift": gift, "form": form, "nav": "contributions"}
    return render(request, "contributions/receipt_issue.html", context)


@login_required
def receipt_issue_period(request: HttpRequest, slug: str) -> HttpResponse:
    org = _issuer(request, slug, manage=True)
    year = _year(request)
    pending = [c.pk for c in receipt_batch.pending_gifts(org, year)]
    gifts = Contribution.objects.filter(pk__in=pending).select_related("donor")
    initial = {"start": date(year, 1, 1), "end": min(date(year, 12, 31), date.today()), "form": "company"}
    form = receipt_forms.PeriodForm(request.POST or None, gifts=gifts, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            receipt = receipts.receipt_issue(
                by=request.user,
                issuer=org,
                contributions=list(data["gifts"]),
                form=data["form"],
                period=(data["start"], data["end"]),
                payment_method=data["payment_method"],
            )
            receipt_batch.receipt_send(receipt=receipt)
        except ValidationError as exc:
            show_error(request, exc)
        else:
            messages.success(request, _("Reçu n° %(n)s émis et envoyé au donateur.") % {"n": receipt.number})
            return redirect("contributions:receipt", pk=receipt.pk)
    context = {"org": org, "form": form, "year": year, "nav": "contributions"}
    return render(request, "contributions/receipt_period.html", context)


@login_required
@require_safe
def receipt_detail(request: HttpRequest, pk: int) -> HttpResponse:
    receipt = _receipt(request, pk)
    context = {
        "receipt": receipt,
        "manage": receipts.may_manage(request.user, receipt.issuer),
        "gifts": receipt.contributions.all(),
        "reason_form": receipt_forms.ReasonForm(),
        "replaced_by": Receipt.objects.filter(replaces=receipt).first(),
        "nav": "contributions",
    }
    return render(request, "contributions/receipt_detail.html", context)


def _change(request: HttpRequest, pk: int, *, reissue: bool) -> HttpResponse:
    receipt = _receipt(request, pk)
    if not receipts.may_manage(request.user, receipt.issuer):
        raise PermissionDenied
    form = receipt_forms.ReasonForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Indiquez le motif de l'annulation."))
        return redirect("contributions:receipt", pk=receipt.pk)
    try:
        if reissue:
            new = receipts.receipt_reissue(
                by=request.user, receipt=receipt, reason=form.cleaned_data["reason"]
            )
            receipt_batch.receipt_send(receipt=new)
        else:
            receipts.receipt_cancel(by=request.user, receipt=receipt, reason=form.cleaned_data["reason"])
    except ValidationError as exc:
        show_error(request, exc)
        return redirect("contributions:receipt", pk=receipt.pk)
    if reissue:
        messages.success(request, _("Reçu annulé et remplacé par le n° %(n)s.") % {"n": new.number})
        return redirect("contributions:receipt", pk=new.pk)
    messages.success(request, _("Reçu n° %(n)s annulé.") % {"n": receipt.number})
    return redirect("contributions:receipt", pk=receipt.pk)


@login_required
@require_POST
def receipt_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    return _change(request, pk, reissue=False)


@login_required
@require_POST
def receipt_reissue(request: HttpRequest, pk: int) -> HttpResponse:
    return _change(request, pk, reissue=True)


@login_required
@require_safe
def receipt_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    receipt = _receipt(request, pk)
    response = HttpResponse(render_pdf(receipt), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="recu-{receipt.number}.pdf"'
    return response


@login_required
@require_POST
def receipt_batch_start(request: HttpRequest, slug: str) -> HttpResponse:
    org = _issuer(request, slug, manage=True)
    form = receipt_forms.YearForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(e for errs in form.errors.values() for e in errs))
        return redirect("contributions:receipts", slug=org.slug)
    try:
        tracked = receipt_batch.receipts_batch_year_end(
            by=request.user, issuer=org, year=form.cleaned_data["year"]
        )
    except ValidationError as exc:
        show_error(request, exc)
        return redirect("contributions:receipts", slug=org.slug)
    return redirect("core:tracked_job", pk=tracked.pk)


@login_required
@require_safe
def receipt_summary(request: HttpRequest, slug: str) -> HttpResponse:
    org = _issuer(request, slug)
    year = _year(request)
    summary = receipts.yearly_summary(issuer=org, year=year)
    rows = visible(request.user, Receipt.objects.filter(issuer=org, year=year)).order_by("sequence")
    fmt = request.GET.get("format", "")
    if fmt in ("csv", "xlsx"):
        header, lines = receipts.summary_rows(summary, rows)
        audit_export(request, target=_("Bilan des reçus %(y)s — %(o)s") % {"y": year, "o": org}, obj=org)
        filename = f"recus-{org.slug[:40]}-{year}.{fmt}"
        if fmt == "csv":
            return tabular.csv_response([header, *lines], filename=filename)
        sheet = tabular.Sheet(title=_("Reçus %(y)s") % {"y": year}, header=header, rows=lines)
        return tabular.xlsx_response([sheet], filename=filename, title=str(org))
    context = {"org": org, "year": year, "summary": summary, "receipts": rows, "nav": "contributions"}
    return render(request, "contributions/receipt_summary.html", context)


@login_required
@require_safe
def my_receipts(request: HttpRequest) -> HttpResponse:
    """The donor's side: receipts for the organisations the person belongs to, or made out to them."""
    actor = actor_for(request.user)
    mine = Q(donor_id__in=actor.org_ids) | Q(contributions__donor_person=request.user)
    rows = (
        visible(request.user, Receipt.objects.filter(mine))
        .distinct()
        .select_related("issuer")
        .order_by("-issued_at")
    )
    return render(request, "contributions/receipt_mine.html", {"receipts": rows, "nav": "contributions"})


def receipts_url(org: Organisation, year: int | None = None) -> str:
    url = reverse("contributions:receipts", args=[org.slug])
    return f"{url}?annee={year}" if year else url
