"""The consultation's pages for the territory's actors, without an account: the public form, the invited
organisation's form, the answer's edit link, and the ranking of the candidate key issues (through the
invitation or edit link, or signed in as a member of a consulted organisation). An unknown link or a closed
consultation shows a French page and saves nothing."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from terreau.alliances import consultation, services
from terreau.alliances.consultation import BadLink
from terreau.alliances.diagnosis_forms import AnswerForm, PublicAnswerForm, RankingForm
from terreau.alliances.models import Ballot, ConsultationAnswer, ConsultationInvitation, Diagnosis
from terreau.core.access import ANONYMOUS, actor_for, get_for, visible
from terreau.directory.models import Organisation


def _posted(request: HttpRequest):
    """The posted data, even empty (an empty post is a form sent blank: its errors are shown)."""
    return request.POST if request.method == "POST" else None


def bad_link(request: HttpRequest, exc: BadLink) -> HttpResponse:
    return render(
        request,
        "alliances/consultation_bad_link.html",
        {"reason": exc.reason, "diagnosis": exc.diagnosis},
        status=410 if exc.reason == "closed" else 400,
    )


def _initial(answer: ConsultationAnswer) -> dict:
    return {name: getattr(answer, name) for name in consultation.ANSWER_FIELDS}


def _thanks(request: HttpRequest, answer: ConsultationAnswer) -> HttpResponse:
    messages.success(request, _("Merci, votre réponse est enregistrée."))
    return redirect("alliances:consultation_edit", token=answer.edit_token)


def _answer_page(request, *, diagnosis, form, organisation=None, answer=None, ranking_url="") -> HttpResponse:
    return render(
        request,
        "alliances/consultation_form.html",
        {
            "diagnosis": diagnosis,
            "form": form,
            "organisation": organisation,
            "answer": answer,
            "ranking_url": ranking_url,
        },
    )


def consultation_public(request: HttpRequest, token: str) -> HttpResponse:
    try:
        diagnosis = consultation.diagnosis_from_public_token(token)
    except BadLink as exc:
        return bad_link(request, exc)
    organisations = visible(ANONYMOUS, Organisation.objects.filter(branch=diagnosis.branch)).order_by("name")
    form = PublicAnswerForm(_posted(request), organisations=organisations)
    if request.method == "POST" and form.is_valid():
        try:
            answer = consultation.answer_submit(
                diagnosis=diagnosis,
                data=form.cleaned_data,
                organisation=form.cleaned_data["organisation"],
                organisation_name=form.cleaned_data["organisation_name"],
            )
        except ValidationError as exc:
            form.add_error(None, " ".join(exc.messages))
        else:
            return _thanks(request, answer)
    return _answer_page(request, diagnosis=diagnosis, form=form)


def _ranking_link(diagnosis: Diagnosis, token) -> str:
    if diagnosis.state in services.BALLOT_STATES and diagnosis.key_issues.exists():
        return reverse("alliances:ranking_link", kwargs={"token": token})
    return ""


def consultation_invited(request: HttpRequest, token: str) -> HttpResponse:
    """The invited organisation answers once; afterwards the same link edits its answer."""
    try:
        invitation = consultation.invitation_from_token(token)
    except BadLink as exc:
        return bad_link(request, exc)
    diagnosis, organisation = invitation.diagnosis, invitation.organisation
    existing = consultation.answer_of(invitation)
    form = AnswerForm(_posted(request), initial=_initial(existing) if existing else None)
    if request.method == "POST" and form.is_valid():
        try:
            if existing is None:
                answer = consultation.answer_submit(
                    diagnosis=diagnosis, data=form.cleaned_data, organisation=organisation
                )
            else:
                answer = consultation.answer_update(answer=existing, data=form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, " ".join(exc.messages))
        else:
            return _thanks(request, answer)
    return _answer_page(
        request,
        diagnosis=diagnosis,
        form=form,
        organisation=organisation,
        answer=existing,
        ranking_url=_ranking_link(diagnosis, invitation.token),
    )


def _edit(request: HttpRequest, answer: ConsultationAnswer, *, token) -> HttpResponse:
    form = AnswerForm(_posted(request), initial=_initial(answer))
    if request.method == "POST" and form.is_valid():
        try:
            consultation.answer_update(answer=answer, data=form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, " ".join(exc.messages))
        else:
            messages.success(request, _("Votre réponse est modifiée."))
            return redirect(request.path)
    return _answer_page(
        request,
        diagnosis=answer.diagnosis,
        form=form,
        organisation=answer.organisation,
        answer=answer,
        ranking_url=_ranking_link(answer.diagnosis, token) if answer.organisation_id else "",
    )


def consultation_edit(request: HttpRequest, token: str) -> HttpResponse:
    """The answer's own edit link (sent to the respondent): works until the consultation closes."""
    try:
        answer = consultation.answer_from_token(token)
    except BadLink as exc:
        return bad_link(request, exc)
    return _edit(request, answer, token=answer.edit_token)


@login_required
def answer_member_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """A signed-in member edits their own organisation's answer (others' answers: 404)."""
    answer = get_for(
        request.user,
        ConsultationAnswer.objects.select_related("diagnosis", "organisation"),
        action="change",
        pk=pk,
    )
    if not answer.diagnosis.consultation_open:
        return bad_link(request, BadLink("closed", answer.diagnosis))
    return _edit(request, answer, token=answer.edit_token)


# --- ranking ------------------------------------------------------------------------------------------


def _ranking(request: HttpRequest, *, diagnosis: Diagnosis, organisation: Organisation) -> HttpResponse:
    if not services.ballot_open(diagnosis):
        return bad_link(request, BadLink("closed", diagnosis))
    candidates = services.candidates(diagnosis)
    ballot = Ballot.objects.filter(diagnosis=diagnosis, organisation=organisation).first()
    initial = {f"rank_{pk}": i + 1 for i, pk in enumerate(ballot.ranking)} if ballot else {}
    form = RankingForm(_posted(request), candidates=candidates, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.ballot_cast(
                diagnosis=diagnosis,
                organisation=organisation,
                ranking_ids=form.cleaned_data["ranking"],
                by=request.user,
            )
        except ValidationError as exc:
            form.add_error(None, " ".join(exc.messages))
        else:
            messages.success(
                request,
                _("Votre classement est enregistré ; vous pouvez le modifier jusqu'à la fin de l'analyse."),
            )
            return redirect(request.get_full_path())
    return render(
        request,
        "alliances/ranking_form.html",
        {
            "diagnosis": diagnosis,
            "organisation": organisation,
            "form": form,
            "ballot": ballot,
            "candidates": candidates,
        },
    )


def ranking_link(request: HttpRequest, token: str) -> HttpResponse:
    """Ranking through an invitation link or an answer's edit link (the organisation must be in the
    directory: a ballot counts one organisation)."""
    try:
        invitation = consultation.invitation_from_token(token, must_be_open=False)
        diagnosis, organisation = invitation.diagnosis, invitation.organisation
    except BadLink:
        try:
            answer = consultation.answer_from_token(token, must_be_open=False)
        except BadLink as exc:
            return bad_link(request, exc)
        if answer.organisation is None:
            return bad_link(request, BadLink("no_organisation", answer.diagnosis))
        diagnosis, organisation = answer.diagnosis, answer.organisation
    return _ranking(request, diagnosis=diagnosis, organisation=organisation)


@login_required
def ranking_member(request: HttpRequest, pk: int) -> HttpResponse:
    """A signed-in member ranks for their consulted organisation: the diagnosis is reached through their
    own organisation's invitation or answer (a diagnosis not consulting them: 404)."""
    actor = actor_for(request.user)
    diagnosis = Diagnosis.objects.select_related("branch").filter(pk=pk).first()
    if diagnosis is None:
        raise Http404
    invited = visible(
        actor, ConsultationInvitation.objects.filter(diagnosis=diagnosis, organisation_id__in=actor.org_ids)
    )
    answered = visible(
        actor, ConsultationAnswer.objects.filter(diagnosis=diagnosis, organisation_id__in=actor.org_ids)
    )
    org_ids = set(invited.values_list("organisation_id", flat=True)) | set(
        answered.values_list("organisation_id", flat=True)
    )
    if not org_ids:
        get_for(actor, Diagnosis.objects.all(), pk=diagnosis.pk)  # 404 when invisible
        raise PermissionDenied
    organisations = Organisation.objects.filter(pk__in=org_ids).order_by("name")
    chosen = request.GET.get("structure", "")
    valid = chosen.isdigit() and len(chosen) < 12
    organisation = (organisations.filter(pk=int(chosen)).first() if valid else None) or organisations.first()
    return _ranking(request, diagnosis=diagnosis, organisation=organisation)
