"""Agreement pages: creation from a partnership or from contributions, the agreement's page, a party's
signature and the PDF.

An agreement is seen by the branch's staff and the members of both parties (terreau.core.access); it is
prepared by the staff or a member of a party who may change the contributions it names; each party signs
through one of its administrators. Changes go through terreau.contributions.agreements.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST, require_safe

from terreau.contributions import agreements as services
from terreau.contributions.agreement_models import Agreement
from terreau.contributions.agreement_pdf import agreement_pdf
from terreau.contributions.models import Contribution
from terreau.core import dates
from terreau.core.access import actor_for, editable, get_for, visible
from terreau.core.forms_flow import show_error
from terreau.directory.models import Organisation
from terreau.partnerships.models import Partnership


class AgreementForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("Type de convention"), choices=Agreement.Kind.choices)
    title = forms.CharField(label=gettext_lazy("Intitulé"), max_length=200, required=False)
    donor = forms.ModelChoiceField(label=gettext_lazy("Donateur"), queryset=Organisation.objects.none())
    recipient = forms.ModelChoiceField(
        label=gettext_lazy("Bénéficiaire"), queryset=Organisation.objects.none()
    )
    purpose = forms.CharField(
        label=gettext_lazy("Objet"), max_length=4000, widget=forms.Textarea(attrs={"rows": 4})
    )
    contributions = forms.ModelMultipleChoiceField(
        label=gettext_lazy("Contributions"),
        queryset=Contribution.objects.none(),
        widget=forms.CheckboxSelectMultiple,
    )
    starts_on = forms.DateField(label=gettext_lazy("Début"), widget=forms.DateInput(attrs={"type": "date"}))
    ends_on = forms.DateField(label=gettext_lazy("Fin"), widget=forms.DateInput(attrs={"type": "date"}))
    schedule = forms.CharField(
        label=gettext_lazy("Calendrier (laissé vide : tiré des dates des contributions)"),
        max_length=4000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args: Any, parties: list[Organisation], candidates, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        ids = [org.pk for org in parties]
        self.fields["donor"].queryset = Organisation.objects.filter(pk__in=ids)
        self.fields["recipient"].queryset = Organisation.objects.filter(pk__in=ids)
        self.fields["contributions"].queryset = candidates
        self.fields["contributions"].label_from_instance = _contribution_label
        dates.bound_date_fields(self)


def _contribution_label(c: Contribution) -> str:
    return f"{c.get_kind_display()} — {c.description[:80]} — {c.donor_label} → {c.recipient} — {c.value} € ({c.pledged_on:%d/%m/%Y})"


def _source(request: HttpRequest) -> tuple[Partnership | None, list[Organisation], list[Contribution]]:
    """Where the agreement comes from: ?partnership=<id> or ?contribution=<id> (repeatable)."""
    data = request.GET
    raw = data.get("partnership", "")
    if raw:
        partnership = get_for(request.user, Partnership.objects.all(), pk=raw)
        parties = services.partnership_parties(partnership)
        chosen = list(
            editable(request.user, Contribution.objects.live().filter(partnership=partnership)).order_by("pk")
        )
        return partnership, parties, chosen
    ids = [v for v in data.getlist("contribution") if v.isascii() and v.isdigit() and len(v) < 12]
    if not ids:
        raise Http404
    chosen = []
    for pk in ids[:50]:
        chosen.append(
            get_for(
                request.user,
                Contribution.objects.select_related("donor", "recipient"),
                action="change",
                pk=pk,
            )
        )
    first = chosen[0]
    if first.donor is None:
        raise Http404
    return first.partnership, [first.donor, first.recipient], chosen


@login_required
def agreement_create(request: HttpRequest) -> HttpResponse:
    partnership, parties, chosen = _source(request)
    actor = actor_for(request.user)
    branch_ok = partnership is not None and actor.manages_branch(partnership.branch)
    if chosen:
        branch_ok = branch_ok or actor.manages_branch(chosen[0].branch)
    if not branch_ok and not actor.org_ids & {org.pk for org in parties}:
        raise PermissionDenied
    party_ids = [org.pk for org in parties]
    candidates = (
        editable(request.user, Contribution.objects.live())
        .filter(donor_id__in=party_ids, recipient_id__in=party_ids)
        .select_related("donor", "recipient")
        .order_by("pledged_on", "pk")
    )
    initial: dict[str, Any] = {"contributions": chosen, "kind": Agreement.Kind.SPONSORSHIP}
    if chosen:
        initial.update(
            donor=chosen[0].donor_id,
            recipient=chosen[0].recipient_id,
            starts_on=min(c.pledged_on for c in chosen),
            purpose=chosen[0].description,
        )
    if partnership is not None:
        initial.update(kind=Agreement.Kind.PARTNERSHIP, title=partnership.title)
    form = AgreementForm(
        request.POST if request.method == "POST" else None,
        initial=initial,
        parties=parties,
        candidates=candidates,
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            agreement = services.agreement_create(
                kind=data["kind"],
                title=data["title"],
                donor=data["donor"],
                recipient=data["recipient"],
                purpose=data["purpose"],
                contributions=data["contributions"],
                starts_on=data["starts_on"],
                ends_on=data["ends_on"],
                schedule=data["schedule"],
                partnership=partnership,
                by=request.user,
            )
        except ValidationError as exc:
            show_error(request, exc)
        else:
            messages.success(request, _("Convention préparée : chaque partie peut maintenant la signer."))
            return redirect("contributions:agreement", pk=agreement.pk)
    context = {"form": form, "partnership": partnership, "parties": parties, "nav": "contributions"}
    return render(request, "contributions/agreement_form.html", context)


def _agreement(request: HttpRequest, pk: int) -> Agreement:
    return get_for(
        request.user,
        Agreement.objects.select_related("branch", "donor__commune", "recipient__commune", "partnership"),
        pk=pk,
    )


@login_required
@require_safe
def agreement_detail(request: HttpRequest, pk: int) -> HttpResponse:
    agreement = _agreement(request, pk)
    contents = services.agreement_contents(agreement)
    signatures = [(org, contents.signatures.get(org.pk)) for org in contents.parties]
    context = {
        "agreement": agreement,
        "contents": contents,
        "signatures": signatures,
        "to_sign": services.organisations_to_sign(request.user, agreement),
        "partnership_visible": agreement.partnership_id
        and visible(request.user, Partnership.objects.filter(pk=agreement.partnership_id)).exists(),
        "nav": "contributions",
    }
    return render(request, "contributions/agreement_detail.html", context)


@login_required
@require_POST
def agreement_sign(request: HttpRequest, pk: int) -> HttpResponse:
    agreement = _agreement(request, pk)
    raw = request.POST.get("organisation", "")
    org_id = int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 12 else None
    if org_id not in agreement.party_ids:
        messages.error(request, _("Choisissez une des parties de la convention."))
        return redirect("contributions:agreement", pk=agreement.pk)
    organisation = agreement.donor if org_id == agreement.donor_id else agreement.recipient
    try:
        services.agreement_sign(
            agreement=agreement,
            organisation=organisation,
            by=request.user,
            signer_name=request.POST.get("signer_name", ""),
            signer_role=request.POST.get("signer_role", ""),
        )
    except ValidationError as exc:
        show_error(request, exc)
    else:
        messages.success(request, _("Signature enregistrée au nom de %(org)s.") % {"org": organisation.name})
    return redirect("contributions:agreement", pk=agreement.pk)


@login_required
@require_safe
def agreement_download(request: HttpRequest, pk: int) -> HttpResponse:
    agreement = _agreement(request, pk)
    response = HttpResponse(agreement_pdf(agreement), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="convention-{agreement.pk}.pdf"'
    return response
