"""Diagnosis pages for branch staff (list, form, the tabs of a diagnosis, lifecycle, invitations, key issues,
choice) and the published diagnosis (public page and PDF). Thin: objects through terreau.core.access, changes
through terreau.alliances.services and .consultation."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from terreau.alliances import consultation, diagnosis_queries, services
from terreau.alliances.diagnosis_forms import ChooseForm, DiagnosisForm, InviteForm, KeyIssueForm, MoveForm
from terreau.alliances.models import ConsultationAnswer, Diagnosis, Indicator, KeyIssue
from terreau.core import states
from terreau.core.access import accounts_for, actor_for, branches_managed, editable, get_for, visible
from terreau.core.forms_flow import show_error, submit
from terreau.core.links import absolute_url
from terreau.core.models import Branch
from terreau.directory.models import Organisation

TABS = [
    ("territory", _("Territoire et équipe")),
    ("consultation", _("Consultation")),
    ("indicators", _("Indicateurs")),
    ("knowledge", _("Ce que Terreau sait")),
    ("key_issues", _("Enjeux")),
    ("publication", _("Publication")),
]


def managed(request: HttpRequest, pk: int) -> Diagnosis:
    """The diagnosis the user runs (its branch's staff): 404 when invisible, 403 when only published."""
    return get_for(request.user, Diagnosis.objects.select_related("branch"), action="manage", pk=pk)


@login_required
def diagnosis_list(request: HttpRequest) -> HttpResponse:
    actor = actor_for(request.user)
    if not actor.is_staff_anywhere:
        raise PermissionDenied
    diagnoses = editable(actor, Diagnosis.objects.select_related("branch"), action="manage")
    return render(
        request,
        "alliances/diagnosis_list.html",
        {"diagnoses": diagnoses.order_by("-period_end", "title"), "nav": "diagnoses"},
    )


def _form(request: HttpRequest, instance: Diagnosis | None) -> DiagnosisForm:
    form = DiagnosisForm(request.POST or None, instance=instance)
    branch_ids = list(branches_managed(request.user).values_list("pk", flat=True))
    form.fields["branch"].queryset = Branch.objects.filter(pk__in=branch_ids)
    form.fields["branch"].label = _("Antenne")
    if instance is None and len(branch_ids) == 1:
        form.fields["branch"].initial = branch_ids[0]
    team = accounts_for(request.user).filter(branch_roles__branch__in=branch_ids)
    if instance is not None:
        form.fields["branch"].disabled = True
        team = team | instance.team.all()
    form.fields["team"].queryset = team.distinct()
    return form


def _save(request: HttpRequest, form: DiagnosisForm) -> Diagnosis:
    epcis, communes = services.territory_from_codes(
        epcis=form.cleaned_data["epci_codes"], communes=form.cleaned_data["commune_codes"]
    )
    diagnosis = form.save(commit=False)
    return services.diagnosis_save(
        diagnosis=diagnosis,
        by=request.user,
        departments=form.cleaned_data["departments"],
        epcis=epcis,
        communes=communes,
        team=form.cleaned_data["team"],
    )


@login_required
def diagnosis_create(request: HttpRequest) -> HttpResponse:
    if not branches_managed(request.user).exists():
        raise PermissionDenied
    form = _form(request, None)
    done = submit(
        request,
        form,
        run=lambda: _save(request, form),
        success=_("Diagnostic créé."),
        then=lambda d: redirect("alliances:diagnosis", pk=d.pk),
    )
    return done or render(
        request, "alliances/diagnosis_form.html", {"form": form, "diagnosis": None, "nav": "diagnoses"}
    )


@login_required
def diagnosis_edit(request: HttpRequest, pk: int) -> HttpResponse:
    diagnosis = managed(request, pk)
    form = _form(request, diagnosis)
    done = submit(
        request,
        form,
        run=lambda: _save(request, form),
        success=_("Diagnostic enregistré."),
        then=lambda d: redirect("alliances:diagnosis", pk=d.pk),
    )
    return done or render(
        request, "alliances/diagnosis_form.html", {"form": form, "diagnosis": diagnosis, "nav": "diagnoses"}
    )


def _tab_context(request: HttpRequest, diagnosis: Diagnosis, tab: str) -> dict:
    if tab == "territory":
        return {
            "departments": diagnosis.departments.all(),
            "epcis": diagnosis.epcis.all(),
            "communes": diagnosis.communes.all(),
            "team": diagnosis.team.all(),
            "history": [
                (change, states.label(diagnosis, change.to_state))
                for change in diagnosis.history.select_related("by").order_by("-at", "-pk")
            ],
        }
    if tab == "consultation":
        answered = set(diagnosis.answers.exclude(organisation=None).values_list("organisation_id", flat=True))
        invitations = list(
            diagnosis.invitations.select_related("organisation").order_by("organisation__name")
        )
        for invitation in invitations:
            invitation.answered = invitation.organisation_id in answered
        invited = {i.organisation_id for i in invitations}
        candidates = editable(
            request.user, Organisation.objects.filter(branch=diagnosis.branch), action="manage"
        )
        return {
            "invitations": invitations,
            "answers": diagnosis.answers.select_related("organisation"),
            "rates": consultation.rates(diagnosis),
            "invite_form": InviteForm(organisations=candidates.exclude(pk__in=invited).order_by("name")),
            "public_link": absolute_url(
                reverse("alliances:consultation_public", kwargs={"token": diagnosis.public_token})
            ),
        }
    if tab == "indicators":
        indicators = Indicator.objects.filter(
            values__in=diagnosis_queries.territory_values(diagnosis).filter(level="department")
        ).distinct()
        chosen = indicators.filter(code=request.GET.get("indicateur", "")).first() or indicators.first()
        return {
            "tables": diagnosis_queries.indicator_tables(diagnosis),
            "map_indicators": indicators,
            "map": diagnosis_queries.choropleth(diagnosis, chosen),
        }
    if tab == "knowledge":
        return {"knowledge": diagnosis_queries.knowledge(diagnosis, request.user)}
    if tab == "key_issues":
        return {
            "key_issues": diagnosis.key_issues.prefetch_related(
                "answers", "indicator_values__indicator", "needs__organisation"
            ),
            "table": services.count(diagnosis),
            "rates": consultation.rates(diagnosis),
            "choose_form": ChooseForm(
                key_issues=diagnosis.key_issues.all(),
                initial={"chosen": diagnosis.key_issues.filter(state=KeyIssue.State.CHOSEN)},
            ),
        }
    return {"chosen": diagnosis.key_issues.filter(state=KeyIssue.State.CHOSEN)}


@login_required
def diagnosis_detail(request: HttpRequest, pk: int, tab: str = "territory") -> HttpResponse:
    diagnosis = managed(request, pk)
    context = {
        "diagnosis": diagnosis,
        "tab": tab,
        "tabs": TABS,
        "moves": [(state, states.label(diagnosis, state)) for state in states.allowed(diagnosis)],
        "nav": "diagnoses",
        **_tab_context(request, diagnosis, tab),
    }
    return render(request, f"alliances/diagnosis_tab_{tab}.html", context)


@login_required
@require_POST
def diagnosis_move(request: HttpRequest, pk: int) -> HttpResponse:
    diagnosis = managed(request, pk)
    form = MoveForm(request.POST)
    submit(
        request,
        form,
        run=lambda: services.diagnosis_move(
            diagnosis=diagnosis, to=form.cleaned_data["to"], by=request.user, note=form.cleaned_data["note"]
        ),
        success=lambda d: _("Le diagnostic est désormais « %(state)s ».") % {"state": d.get_state_display()},
        invalid=_("Changement d'état inconnu."),
    )
    return redirect("alliances:diagnosis", pk=pk)


@login_required
@require_POST
def invite(request: HttpRequest, pk: int) -> HttpResponse:
    diagnosis = managed(request, pk)
    organisations = editable(
        request.user, Organisation.objects.filter(branch=diagnosis.branch), action="manage"
    )
    form = InviteForm(request.POST, organisations=organisations)
    result = submit(
        request,
        form,
        run=lambda: consultation.invite(
            diagnosis=diagnosis, organisations=form.cleaned_data["organisations"], by=request.user
        ),
        success=None,
        invalid=_("Choisissez au moins une structure de l'annuaire."),
        then=lambda r: r,
    )
    if isinstance(result, tuple):
        invited, missing = result
        messages.success(
            request,
            ngettext("%(n)s structure invitée.", "%(n)s structures invitées.", len(invited))
            % {"n": len(invited)},
        )
        if missing:
            messages.warning(
                request,
                _("Sans adresse électronique, pas d'invitation pour : %(names)s.")
                % {"names": ", ".join(o.name for o in missing)},
            )
    return redirect("alliances:diagnosis_consultation", pk=pk)


def _key_issue_form(request: HttpRequest, diagnosis: Diagnosis, instance: KeyIssue) -> KeyIssueForm:
    return KeyIssueForm(
        request.POST or None,
        instance=instance,
        answers=diagnosis.answers.all(),
        indicator_values=diagnosis_queries.territory_values(diagnosis).order_by(
            "indicator__label", "level", "code"
        ),
        needs=visible(request.user, diagnosis_queries.territory_needs(diagnosis))
        .select_related("organisation")
        .order_by("title"),
    )


def _key_issue_page(request: HttpRequest, diagnosis: Diagnosis, instance: KeyIssue) -> HttpResponse:
    form = _key_issue_form(request, diagnosis, instance)

    def run() -> KeyIssue:
        issue = form.save(commit=False)
        issue.diagnosis = diagnosis
        return services.key_issue_save(
            key_issue=issue,
            by=request.user,
            answers=form.cleaned_data["answers"],
            indicator_values=form.cleaned_data["indicator_values"],
            needs=form.cleaned_data["needs"],
        )

    done = submit(
        request,
        form,
        run=run,
        success=_("Enjeu enregistré."),
        then=lambda _k: redirect("alliances:diagnosis_key_issues", pk=diagnosis.pk),
    )
    return done or render(
        request,
        "alliances/key_issue_form.html",
        {"form": form, "diagnosis": diagnosis, "key_issue": instance, "nav": "diagnoses"},
    )


@login_required
def key_issue_create(request: HttpRequest, pk: int) -> HttpResponse:
    diagnosis = managed(request, pk)
    return _key_issue_page(request, diagnosis, KeyIssue(diagnosis=diagnosis))


@login_required
def key_issue_edit(request: HttpRequest, pk: int, item: int) -> HttpResponse:
    diagnosis = managed(request, pk)
    issue = get_for(request.user, KeyIssue.objects.filter(diagnosis=diagnosis), action="manage", pk=item)
    return _key_issue_page(request, diagnosis, issue)


@login_required
@require_POST
def key_issue_delete(request: HttpRequest, pk: int, item: int) -> HttpResponse:
    diagnosis = managed(request, pk)
    issue = get_for(request.user, KeyIssue.objects.filter(diagnosis=diagnosis), action="manage", pk=item)
    try:
        services.key_issue_delete(key_issue=issue, by=request.user)
    except ValidationError as exc:
        show_error(request, exc)
    else:
        messages.success(request, _("Enjeu supprimé."))
    return redirect("alliances:diagnosis_key_issues", pk=pk)


@login_required
@require_POST
def key_issues_choose(request: HttpRequest, pk: int) -> HttpResponse:
    diagnosis = managed(request, pk)
    form = ChooseForm(request.POST, key_issues=diagnosis.key_issues.all())
    submit(
        request,
        form,
        run=lambda: services.key_issues_choose(
            diagnosis=diagnosis, by=request.user, chosen=form.cleaned_data["chosen"]
        ),
        success=lambda n: ngettext("%(n)s enjeu clé retenu.", "%(n)s enjeux clés retenus.", n) % {"n": n},
        invalid=_("Choisissez au moins un enjeu clé."),
    )
    return redirect("alliances:diagnosis_key_issues", pk=pk)


# --- the published diagnosis ------------------------------------------------------------------------------


def _published(request: HttpRequest, pk: int) -> Diagnosis:
    """Published: anyone; not yet: its branch's staff only (a preview)."""
    diagnosis = get_for(request.user, Diagnosis.objects.select_related("branch"), pk=pk)
    if diagnosis.state != Diagnosis.State.PUBLISHED:
        get_for(request.user, Diagnosis.objects.all(), action="manage", pk=pk)
    return diagnosis


def published_context(diagnosis: Diagnosis) -> dict:
    rows = services.count(diagnosis)
    chosen = [
        k
        for k in diagnosis.key_issues.prefetch_related(
            "answers", "indicator_values__indicator", "needs__organisation"
        )
        if k.state == KeyIssue.State.CHOSEN
    ]
    return {
        "diagnosis": diagnosis,
        "chosen": chosen,
        "table": rows,
        "rates": consultation.rates(diagnosis),
        "tables": diagnosis_queries.indicator_tables(diagnosis),
        "departments": diagnosis.departments.all(),
        "epcis": diagnosis.epcis.all(),
        "communes": diagnosis.communes.all(),
        "answers": ConsultationAnswer.objects.filter(diagnosis=diagnosis).order_by("organisation_name"),
    }


def diagnosis_public(request: HttpRequest, pk: int) -> HttpResponse:
    diagnosis = _published(request, pk)
    return render(request, "alliances/diagnosis_public.html", published_context(diagnosis))


def diagnosis_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    from terreau.alliances.diagnosis_pdf import diagnosis_document

    diagnosis = _published(request, pk)
    response = HttpResponse(diagnosis_document(diagnosis), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="diagnostic-{diagnosis.pk}.pdf"'
    return response
