"""Collection pages for the program's team: assisted entry on a tablet (a volunteer or the site's staff reads each
question to a senior), the printable paper questionnaire, and typing in a paper questionnaire.

Who may do what: assisted entry is open to the volunteers and staff of the program's sites (for their own sites
only), to its coordinators and evaluators (every site); paper entry to coordinators and evaluators only. Nobody
here lists or reads answers back: an assisted entry ends on the thanks page like any other.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from terreau.core.access import AccessRule, editable, get_for, visible
from terreau.evaluation import collect
from terreau.evaluation.collect_forms import AssistStartForm, PaperEntryForm
from terreau.evaluation.instrument_models import Instrument
from terreau.evaluation.models import Audience, Evaluation
from terreau.evaluation.paper_pdf import paper_pdf as build_paper_pdf
from terreau.evaluation.response_models import Respondent, Response
from terreau.evaluation.views_collect_public import _form_errors
from terreau.programs.models import HostSite

# Who reaches what here, through terreau.core.access (``editable`` with these rules; "change", since they write).
# Assisted entry: the program's coordinators and evaluators (every site), the staff and volunteers of its sites
# (their own sites, their own sites' respondents); never the branch's staff nor partner viewers. Paper entry: the
# coordinators and evaluators, as for respondents (Respondent's rule re-rooted on the evaluation).
_TEAM = {"branch_staff": False, "volunteers_change": True}
ASSIST_EVALUATION = AccessRule(
    branch="program__branch", evaluation="program", site="program__sites", many=True, **_TEAM
)
ASSIST_INSTRUMENT = AccessRule(
    branch="evaluation__program__branch",
    evaluation="evaluation__program",
    site="evaluation__program__sites",
    many=True,
    **_TEAM,
)
ASSIST_SITE = AccessRule(branch="program__branch", evaluation="program", site="", **_TEAM)
ASSIST_RESPONDENT = AccessRule(
    branch="evaluation__program__branch", evaluation="evaluation__program", site="site", **_TEAM
)
LEADS = Respondent.ACCESS.parent("evaluation")


def _evaluation(user: Any, pk: int, *, rule: AccessRule) -> Evaluation:
    """The evaluation where ``rule`` lets the user act; 403 for someone who only sees it (a partner viewer, the
    branch's staff), 404 for anybody else."""
    evaluations = Evaluation.objects.select_related("program")
    evaluation = editable(user, evaluations.filter(pk=pk), rule=rule).first()
    if evaluation is None:
        get_for(user, evaluations, pk=pk)  # 404 when not seen at all
        raise PermissionDenied
    return evaluation


def _leads(user: Any, evaluation: Evaluation) -> bool:
    """Coordinators and evaluators of the program (and superusers)."""
    return editable(user, Evaluation.objects.filter(pk=evaluation.pk), rule=LEADS).exists()


def assist_sites(user: Any, evaluation: Evaluation) -> QuerySet[HostSite]:
    """The program's sites where the user may enter answers with a senior (none: not allowed)."""
    sites = HostSite.objects.filter(program=evaluation.program_id)
    return editable(user, sites, rule=ASSIST_SITE).order_by("name")


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def assist_start(request: HttpRequest, pk: int) -> HttpResponse:
    evaluation = _evaluation(request.user, pk, rule=ASSIST_EVALUATION)
    sites = assist_sites(request.user, evaluation)
    leads = _leads(request.user, evaluation)
    # A site's team helps the people it serves (seniors, their families); its own members and the partners answer
    # by link, so that nobody enters a colleague's questionnaire.
    audiences = None if leads else {Audience.PARTICIPANTS, Audience.FAMILIES}
    respondents = editable(
        request.user, Respondent.objects.filter(evaluation=evaluation), rule=ASSIST_RESPONDENT
    )
    if audiences is not None:
        respondents = respondents.filter(audience__in=audiences)
    respondents = list(respondents.order_by("code"))
    form = AssistStartForm(
        request.POST or None, evaluation=evaluation, sites=sites, respondents=respondents, audiences=audiences
    )
    collecting = evaluation.state == Evaluation.State.COLLECTING and form.fields["wave"].queryset.exists()
    if request.method == "POST" and collecting and form.is_valid():
        data = form.cleaned_data
        try:
            response = collect.response_start(
                wave=data["wave"],
                audience=data["audience"],
                mode=Response.Mode.ASSISTED,
                respondent=data["respondent_obj"],
                site=data["site"],
                by=request.user,
                consent_on=timezone.localdate(),
                consent_by=str(request.user),
                age_band=data["age_band"] if data["respondent_obj"] is None else "",
            )
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                exc = ValidationError(
                    {("respondent" if k == "code" else k): v for k, v in exc.error_dict.items()}
                )
            _form_errors(form, exc)
        else:
            return redirect("evaluation:answer", token=response.token)
    return render(
        request,
        "evaluation/collect_assist_start.html",
        {"evaluation": evaluation, "form": form, "collecting": collecting},
    )


@login_required
@require_safe
def paper_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    # Whoever sees the questionnaire, and the sites' teams who enter answers with it.
    instruments = Instrument.objects.select_related("evaluation__program").filter(pk=pk)
    instrument = visible(request.user, instruments).first()
    if instrument is None:
        instrument = editable(request.user, instruments, rule=ASSIST_INSTRUMENT).first()
    if instrument is None:
        raise Http404
    data = build_paper_pdf(instrument=instrument)
    response = HttpResponse(data, content_type="application/pdf")
    name = slugify(instrument.title)[:60] or "questionnaire"
    response["Content-Disposition"] = f'inline; filename="{name}-v{instrument.version}.pdf"'
    return response


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def paper_entry(request: HttpRequest, pk: int) -> HttpResponse:
    evaluation = _evaluation(request.user, pk, rule=LEADS)
    labels = dict(Audience.choices)
    audiences = [(a, labels[a]) for a in evaluation.audiences if a in labels]
    wanted = request.GET.get("public", "")
    audience = wanted if wanted in dict(audiences) else (audiences[0][0] if audiences else "")
    if Audience.PARTICIPANTS in dict(audiences) and wanted not in dict(audiences):
        audience = Audience.PARTICIPANTS
    instrument = (
        collect.current_instrument_for(evaluation=evaluation, audience=audience) if audience else None
    )
    sites = assist_sites(request.user, evaluation)  # every site of the program, for the coordinators
    form = PaperEntryForm(request.POST or None, evaluation=evaluation, instrument=instrument, sites=sites)
    collecting = evaluation.state == Evaluation.State.COLLECTING and form.fields["wave"].queryset.exists()
    if request.method == "POST" and instrument is not None and collecting and form.is_valid():
        data = form.cleaned_data
        try:
            response = collect.paper_record(
                wave=data["wave"],
                audience=audience,
                code=data["code"],
                site=data["site"],
                by=request.user,
                answers=data["answers"],
            )
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            messages.success(
                request,
                _("Questionnaire papier enregistré, code personnel %(code)s : vous pouvez saisir le suivant.")
                % {"code": response.respondent.code},
            )
            return redirect(f"{request.path}?public={audience}")
    return render(
        request,
        "evaluation/collect_paper_entry.html",
        {
            "evaluation": evaluation,
            "form": form,
            "instrument": instrument,
            "audiences": audiences,
            "audience": audience,
            "collecting": collecting,
        },
    )
