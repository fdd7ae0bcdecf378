"""The report's pages: the report (page and PDF) for whoever sees the evaluation, the anonymised answers as a
spreadsheet for its coordinators and evaluators only, and the read-only share link for a funder without an
account.

Everyone who sees the evaluation (coordinators, evaluators, the branch's staff, partner viewers) reads the same
suppressed aggregates (terreau.evaluation.report). Raw answers follow Answer's own rule
(terreau.core.access): 403 for whoever sees the evaluation but not its answers, 404 for whoever does not see
the evaluation. A share link's token opens the report and its PDF, nothing else: no link into the app, no
indexing; an unknown or revoked token is a 404. Each visit through it is counted (one UPDATE).
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import F
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from terreau.core.access import editable, get_for
from terreau.core.audit import audit_export
from terreau.core.tabular import xlsx_response
from terreau.evaluation import charts
from terreau.evaluation.exports import answers_sheet
from terreau.evaluation.models import Evaluation, ShareLink
from terreau.evaluation.report import Report, build_report
from terreau.evaluation.report_pdf import report_pdf as render_pdf
from terreau.evaluation.response_models import Answer

NAV = "programs"
ANSWERS_REACH = Answer.ACCESS.parent("response__respondent__evaluation")


def _evaluation(request: HttpRequest, pk: int) -> Evaluation:
    return get_for(request.user, Evaluation.objects.select_related("program__branch"), pk=pk)


def may_read_answers(user, evaluation: Evaluation) -> bool:
    """Whether ``user`` may read this evaluation's raw answers (Answer's rule, re-rooted on the evaluation)."""
    return editable(user, Evaluation.objects.filter(pk=evaluation.pk), rule=ANSWERS_REACH).exists()


def _filename(report: Report, ext: str) -> str:
    return f"rapport-{slugify(report.title)[:60] or report.evaluation_id}.{ext}"


def _with_charts(report: Report) -> dict:
    """The page's context: the report, and an SVG chart next to each figure that has one."""
    return {
        "report": report,
        "distributions": [
            {"d": d, "svg": charts.distribution_svg(d) if not d["suppressed"] and d["options"] else None}
            for d in report.distributions
        ],
        "paired": [{"p": p, "svg": None if p["suppressed"] else charts.paired_svg(p)} for p in report.paired],
    }


def _pdf_response(report: Report) -> HttpResponse:
    response = HttpResponse(render_pdf(report=report), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{_filename(report, "pdf")}"'
    return response


@login_required
@require_safe
def report(request: HttpRequest, pk: int) -> HttpResponse:
    evaluation = _evaluation(request, pk)
    context = _with_charts(build_report(evaluation=evaluation))
    context.update(
        evaluation=evaluation,
        nav=NAV,
        may_read_answers=may_read_answers(request.user, evaluation),
        evaluation_url=_evaluation_url(evaluation),
    )
    return render(request, "evaluation/report.html", context)


@login_required
@require_safe
def report_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    return _pdf_response(build_report(evaluation=_evaluation(request, pk)))


@login_required
@require_safe
def answers_xlsx(request: HttpRequest, pk: int) -> HttpResponse:
    evaluation = _evaluation(request, pk)
    if not may_read_answers(request.user, evaluation):
        raise PermissionDenied(
            _(
                "Les réponses individuelles sont réservées à la coordination du programme et aux personnes "
                "chargées de l'évaluation."
            )
        )
    audit_export(
        request,
        target=_("Réponses pseudonymisées de l'évaluation « %(title)s »") % {"title": evaluation.title},
        obj=evaluation,
        branch_id=evaluation.program.branch_id,
    )
    return xlsx_response(
        [answers_sheet(evaluation=evaluation, user=request.user)],
        filename=f"reponses-{slugify(evaluation.title)[:60] or evaluation.pk}.xlsx",
        title=evaluation.title,
        streaming=True,
    )


def _evaluation_url(evaluation: Evaluation) -> str:
    from terreau.evaluation.views_builder import evaluation_url

    return evaluation_url(evaluation)


# --- Share link (no account) -------------------------------------------------------------------------------


def _shared(token: str) -> ShareLink:
    link = (
        ShareLink.objects.select_related("evaluation__program")
        .filter(token=token[:40], revoked_at__isnull=True)
        .first()
    )
    if link is None:
        raise Http404
    ShareLink.objects.filter(pk=link.pk).update(views=F("views") + 1, last_viewed_at=timezone.now())
    return link


def _private(response: HttpResponse) -> HttpResponse:
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Referrer-Policy"] = "no-referrer"
    response["Cache-Control"] = "private, no-store"
    return response


@require_safe
def shared_report(request: HttpRequest, token: str) -> HttpResponse:
    link = _shared(token)
    context = _with_charts(build_report(evaluation=link.evaluation))
    context.update(link=link, token=link.token)
    return _private(render(request, "evaluation/report_shared.html", context))


@require_safe
def shared_report_pdf(request: HttpRequest, token: str) -> HttpResponse:
    link = _shared(token)
    return _private(_pdf_response(build_report(evaluation=link.evaluation)))
