"""Report pages and their XLSX exports (terreau.core.tabular: formulas neutralised): per program, per partner,
per year; and the panel on the program's page (registered in ContributionsConfig.ready()).

Each report sums only the contributions the user may see (terreau.core.access.visible), through the pure
queries of terreau.contributions.reports.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_safe

from terreau.contributions import reports
from terreau.contributions.agreement_models import Agreement
from terreau.contributions.models import Contribution
from terreau.contributions.report_pdf import program_report_pdf
from terreau.core.access import get_for, visible
from terreau.core.tabular import Sheet, xlsx_response
from terreau.directory.models import Organisation
from terreau.programs.models import Program

AMOUNTS = [
    gettext_lazy("Nombre"),
    gettext_lazy("Valeur promise (€)"),
    gettext_lazy("Valeur reçue (€)"),
    gettext_lazy("Reste à recevoir (€)"),
]


def _seen(request: HttpRequest):
    return visible(request.user, Contribution.objects.all())


def _amounts(item: Any) -> list[Any]:
    return [item.count, item.pledged, item.received, item.outstanding]


def _total_sheet(title: str, first: str, totals: list[reports.Total]) -> Sheet:
    return Sheet(title=title, header=[first, *AMOUNTS], rows=[[t.label, *_amounts(t)] for t in totals])


def _accounts_sheet(summary: reports.Summary) -> Sheet:
    rows = [[t.code, t.label, *_amounts(t)] for t in summary.accounts]
    if summary.money is not None:
        rows.append(["", summary.money.label, *_amounts(summary.money)])
    return Sheet(title=_("Contributions en nature"), header=[_("Compte"), _("Intitulé"), *AMOUNTS], rows=rows)


def _detail_sheet(contributions) -> Sheet:
    header = [
        _("Promise le"),
        _("Donateur"),
        _("Bénéficiaire"),
        _("Programme"),
        _("Nature"),
        _("Description"),
        _("État"),
        _("Valeur (€)"),
        _("Reçu (€)"),
        _("Mode de valorisation"),
    ]
    rows = (
        [
            c.pledged_on,
            c.donor.name if c.donor_id else _("Particulier"),
            c.recipient.name,
            c.program.name if c.program_id else "",
            c.get_kind_display(),
            c.description,
            c.get_state_display(),
            c.value,
            c.received,
            c.value_basis,
        ]
        for c in reports.detail(contributions)
    )
    return Sheet(title=_("Détail"), header=header, rows=rows)


# --- per program ------------------------------------------------------------------------------------------


def _program(request: HttpRequest, slug: str) -> Program:
    return get_for(request.user, Program.objects.select_related("branch"), slug=slug)


@login_required
@require_safe
def program_report(request: HttpRequest, slug: str) -> HttpResponse:
    program = _program(request, slug)
    summary = reports.program_report(_seen(request), program)
    context = {"program": program, "summary": summary, "nav": "contributions"}
    return render(request, "contributions/report_program.html", context)


@login_required
@require_safe
def program_report_xlsx(request: HttpRequest, slug: str) -> HttpResponse:
    program = _program(request, slug)
    seen = _seen(request)
    summary = reports.program_report(seen, program)
    rows = [[r.donor, r.kind_label, *_amounts(r)] for r in summary.rows]
    rows.append([_("Total"), "", *_amounts(summary.total)])
    sheets = [
        Sheet(title=_("Partenaires et natures"), header=[_("Partenaire"), _("Nature"), *AMOUNTS], rows=rows),
        _total_sheet(_("Par nature"), _("Nature"), summary.by_kind),
        _total_sheet(_("Par partenaire"), _("Partenaire"), summary.by_donor),
        _accounts_sheet(summary),
        _detail_sheet(seen.filter(program=program)),
    ]
    return xlsx_response(sheets, filename=f"contributions-{program.slug}.xlsx", title=program.name)


@login_required
@require_safe
def program_report_download(request: HttpRequest, slug: str) -> HttpResponse:
    program = _program(request, slug)
    summary = reports.program_report(_seen(request), program)
    response = HttpResponse(program_report_pdf(program, summary), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="contributions-{program.slug}.pdf"'
    return response


def program_panel(request: HttpRequest, program: Program) -> str:
    """The program's contributions on its page, for the people who may see some of them."""
    if not getattr(request.user, "is_authenticated", False):
        return ""
    summary = reports.program_report(_seen(request), program)
    if not summary.rows:
        return ""
    return render_to_string(
        "contributions/_program_panel.html", {"program": program, "summary": summary}, request=request
    )


# --- per partner ------------------------------------------------------------------------------------------


def _organisation(request: HttpRequest, slug: str) -> Organisation:
    return get_for(request.user, Organisation.objects.all(), slug=slug)


@login_required
@require_safe
def partner_report(request: HttpRequest, slug: str) -> HttpResponse:
    organisation = _organisation(request, slug)
    given, received = reports.partner_report(_seen(request), organisation)
    agreements = visible(
        request.user, Agreement.objects.filter(Q(donor=organisation) | Q(recipient=organisation))
    ).select_related("donor", "recipient")
    context = {
        "organisation": organisation,
        "given": given,
        "received": received,
        "agreements": agreements,
        "year": timezone.localdate().year,
        "nav": "contributions",
    }
    return render(request, "contributions/report_partner.html", context)


@login_required
@require_safe
def partner_report_xlsx(request: HttpRequest, slug: str) -> HttpResponse:
    organisation = _organisation(request, slug)
    seen = _seen(request)
    given, received = reports.partner_report(seen, organisation)
    header = [_("Donateur"), _("Bénéficiaire"), _("Programme"), _("Nature"), *AMOUNTS]

    def rows(summary: reports.Summary) -> list[list[Any]]:
        out = [[r.donor, r.recipient, r.program, r.kind_label, *_amounts(r)] for r in summary.rows]
        return [*out, [_("Total"), "", "", "", *_amounts(summary.total)]]

    sheets = [
        Sheet(title=_("Donné"), header=header, rows=rows(given)),
        Sheet(title=_("Reçu"), header=header, rows=rows(received)),
        _detail_sheet(seen.filter(Q(donor=organisation) | Q(recipient=organisation))),
    ]
    return xlsx_response(sheets, filename=f"contributions-{organisation.slug}.xlsx", title=organisation.name)


# --- per year ---------------------------------------------------------------------------------------------


def _year(raw: int) -> int:
    today = timezone.localdate()
    if not 2000 <= raw <= today.year + 1:
        raise Http404
    return raw


@login_required
@require_safe
def year_report(request: HttpRequest, year: int) -> HttpResponse:
    year = _year(year)
    summary = reports.year_report(_seen(request), year)
    context = {
        "year": year,
        "summary": summary,
        "programs": reports.by_program(summary.rows),
        "nav": "contributions",
    }
    return render(request, "contributions/report_year.html", context)


@login_required
@require_safe
def year_report_xlsx(request: HttpRequest, year: int) -> HttpResponse:
    year = _year(year)
    seen = _seen(request)
    summary = reports.year_report(seen, year)
    rows = [[r.program, r.donor, r.kind_label, *_amounts(r)] for r in summary.rows]
    rows.append([_("Total"), "", "", *_amounts(summary.total)])
    sheets = [
        Sheet(title=str(year), header=[_("Programme"), _("Partenaire"), _("Nature"), *AMOUNTS], rows=rows),
        _total_sheet(_("Par programme"), _("Programme"), reports.by_program(summary.rows)),
        _total_sheet(_("Par partenaire"), _("Partenaire"), summary.by_donor),
        _total_sheet(_("Par nature"), _("Nature"), summary.by_kind),
        _accounts_sheet(summary),
        _detail_sheet(seen.of_year(year)),
    ]
    return xlsx_response(sheets, filename=f"contributions-{year}.xlsx", title=str(year))
