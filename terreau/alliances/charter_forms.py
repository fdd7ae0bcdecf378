"""The charter editor's forms: the version's content, its partners (a formset) and its budget lines."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from terreau.alliances.charter_models import CharterVersion
from terreau.alliances.group_models import WorkingGroup
from terreau.alliances.models import PUBLICS, KeyIssue
from terreau.core.access import visible
from terreau.directory.models import Organisation
from terreau.programs.models import ProgramPartner
from terreau.territories.models import Commune, Department, Epci

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
MAX_CODES = 500


def _codes(raw: str, model: Any, *, label: str) -> list[Any]:
    """Official codes typed one after the other (spaces, commas or semicolons between them)."""
    codes = list(dict.fromkeys(c for c in re.split(r"[\s,;]+", raw or "") if c))
    if len(codes) > MAX_CODES:
        raise ValidationError(_("%(max)s codes au plus.") % {"max": MAX_CODES})
    found = {obj.code: obj for obj in model.objects.filter(code__in=codes)}
    unknown = [c for c in codes if c not in found]
    if unknown:
        raise ValidationError(
            _("Codes %(kind)s inconnus : %(codes)s.") % {"kind": label, "codes": ", ".join(unknown[:10])}
        )
    return [found[c] for c in codes]


class VersionForm(forms.Form):
    purpose = forms.CharField(
        label=gettext_lazy("Objet du projet collectif"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    publics = forms.MultipleChoiceField(
        label=gettext_lazy("Publics"),
        choices=list(PUBLICS.items()),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    publics_details = forms.CharField(
        label=gettext_lazy("Précisions sur les publics"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    departments = forms.ModelMultipleChoiceField(
        label=gettext_lazy("Départements"), queryset=Department.objects.order_by("code"), required=False
    )
    epcis = forms.CharField(
        label=gettext_lazy("Intercommunalités (numéros SIREN)"),
        required=False,
        max_length=6000,
        help_text=gettext_lazy("Séparés par des espaces ou des virgules."),
    )
    communes = forms.CharField(
        label=gettext_lazy("Communes (codes INSEE)"),
        required=False,
        max_length=4000,
        help_text=gettext_lazy("Séparés par des espaces ou des virgules, par exemple 86194 79191."),
    )
    key_issues = forms.ModelMultipleChoiceField(
        label=gettext_lazy("Enjeux clés traités"),
        queryset=KeyIssue.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    resources = forms.CharField(
        label=gettext_lazy("Moyens"),
        max_length=4000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    governance = forms.CharField(
        label=gettext_lazy("Gouvernance"),
        max_length=4000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    starts_on = forms.DateField(label=gettext_lazy("Démarrage prévu"), required=False, widget=DATE)

    def __init__(self, *args: Any, user: Any, group: WorkingGroup, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The group's own key issues (its members see them through the group).
        self.fields["key_issues"].queryset = KeyIssue.objects.filter(working_groups=group)

    def clean_epcis(self) -> list[Any]:
        return _codes(self.cleaned_data["epcis"], Epci, label=_("d'intercommunalité"))

    def clean_communes(self) -> list[Any]:
        return _codes(self.cleaned_data["communes"], Commune, label=_("de commune"))


class PartnerForm(forms.Form):
    organisation = forms.ModelChoiceField(
        label=gettext_lazy("Partenaire"), queryset=Organisation.objects.none(), required=False
    )
    roles = forms.MultipleChoiceField(
        label=gettext_lazy("Rôles"),
        choices=ProgramPartner.Role.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    note = forms.CharField(label=gettext_lazy("Précisions"), max_length=300, required=False)

    def __init__(self, *args: Any, organisations: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if organisations is not None:
            self.fields["organisation"].queryset = organisations


class BudgetLineForm(forms.Form):
    label = forms.CharField(label=gettext_lazy("Poste"), max_length=200, required=False)
    amount = forms.CharField(label=gettext_lazy("Montant (€)"), max_length=30, required=False)
    source = forms.CharField(label=gettext_lazy("Financé par"), max_length=200, required=False)


PartnerFormSet = forms.formset_factory(PartnerForm, extra=2, max_num=40, validate_max=True)
BudgetFormSet = forms.formset_factory(BudgetLineForm, extra=2, max_num=40, validate_max=True)


def partner_organisations(user: Any, group: WorkingGroup) -> Any:
    """Who may be named a partner: the organisations the user sees in the group's branch, and its members."""
    return visible(user, Organisation.objects.all()).filter(
        branch=group.branch
    ) | Organisation.objects.filter(group_memberships__group=group)


def editor(request: Any, group: WorkingGroup, version: CharterVersion | None) -> tuple[Any, Any, Any]:
    """The three bound (on POST) or initial forms of the editor, from ``version`` when given."""
    data = request.POST if request.method == "POST" else None
    initial: dict[str, Any] = {}
    partners: list[dict[str, Any]] = []
    budget: list[dict[str, Any]] = []
    if version is not None:
        initial = {
            "purpose": version.purpose,
            "publics": version.publics,
            "publics_details": version.publics_details,
            "departments": list(version.departments.all()),
            "epcis": " ".join(version.epcis.values_list("code", flat=True)),
            "communes": " ".join(version.communes.values_list("code", flat=True)),
            "key_issues": list(version.key_issues.all()),
            "resources": version.resources,
            "governance": version.governance,
            "starts_on": version.starts_on,
        }
        partners = [
            {"organisation": p.organisation, "roles": p.roles, "note": p.note}
            for p in version.partners.select_related("organisation")
        ]
        budget = list(version.budget_lines)
    orgs = partner_organisations(request.user, group).distinct().order_by("name")
    return (
        VersionForm(data, initial=initial, user=request.user, group=group),
        PartnerFormSet(data, initial=partners, prefix="partenaires", form_kwargs={"organisations": orgs}),
        BudgetFormSet(data, initial=budget, prefix="budget"),
    )


def cleaned(form: Any, partners: Any, budget: Any) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    data = dict(form.cleaned_data)
    data["budget_lines"] = [f.cleaned_data for f in budget.forms if f.cleaned_data]
    rows = [f.cleaned_data for f in partners.forms if f.cleaned_data.get("organisation")]
    return data, rows
