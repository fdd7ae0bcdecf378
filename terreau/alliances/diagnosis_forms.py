"""Forms of the diagnosis pages: the diagnosis, invitations, the consultation questionnaire, key issues with
their evidence, the ranking and the indicator upload. Querysets are given by the views (through
terreau.core.access); the services check everything again."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from terreau.alliances.models import CONTRIBUTION_KINDS, PUBLICS, Diagnosis, KeyIssue
from terreau.alliances.territory_fields import (
    CommuneListField,
    EpciField,
    EpciListField,
    commune_entry_label,
    epci_label,
)
from terreau.core.dates import BoundedDatesMixin
from terreau.territories.forms import CommuneField
from terreau.vocabulary import THEMES


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class DiagnosisForm(BoundedDatesMixin, forms.ModelForm):
    # The territory beyond departments: lists typed one place a line, or places added one at a time with
    # suggestions as one types (terreau.alliances.territory_fields); both clean to official codes.
    epci_codes = EpciListField(
        label=_("Intercommunalités"),
        help_text=_("Une par ligne : son nom ou son numéro SIREN, par exemple 200069854."),
    )
    epci_add = EpciField(
        label=_("Ajouter une intercommunalité"),
        required=False,
        help_text=_("Tapez le début de son nom ou son numéro SIREN, puis choisissez-la dans la liste."),
    )
    commune_codes = CommuneListField(
        label=_("Communes"),
        help_text=_("Une par ligne : nom, nom (département), code postal ou code INSEE, par exemple 86194."),
    )
    commune_add = CommuneField(
        label=_("Ajouter une commune"),
        required=False,
        help_text=_("Tapez le début de son nom ou son code postal, puis choisissez-la dans la liste."),
    )

    class Meta:
        model = Diagnosis
        fields = [
            "branch",
            "title",
            "summary",
            "period_start",
            "period_end",
            "consultation_closes_on",
            "departments",
            "team",
        ]
        widgets = {
            "period_start": DateInput(),
            "period_end": DateInput(),
            "consultation_closes_on": DateInput(),
            "summary": forms.Textarea(attrs={"rows": 4}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["departments"].required = False
        self.fields["team"].required = False
        if self.instance.pk:
            self.fields["epci_codes"].initial = "\n".join(epci_label(e) for e in self.instance.epcis.all())
            self.fields["commune_codes"].initial = "\n".join(
                commune_entry_label(c) for c in self.instance.communes.all()
            )

    def clean(self):
        data = super().clean()
        # A place added through its own field joins its list (codes separated by spaces).
        for add, codes in (("epci_add", "epci_codes"), ("commune_add", "commune_codes")):
            place = data.get(add)
            if place is not None and codes in data:
                data[codes] = " ".join(dict.fromkeys([*data[codes].split(), place.pk]))
        start, end = data.get("period_start"), data.get("period_end")
        if start and end and end < start:
            self.add_error("period_end", _("La fin de la période précède son début."))
        return data


class InviteForm(forms.Form):
    organisations = forms.ModelMultipleChoiceField(
        label=_("Structures de l'annuaire à inviter"), queryset=None, required=True
    )

    def __init__(self, *args, organisations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisations"].queryset = organisations


class MoveForm(forms.Form):
    to = forms.ChoiceField(choices=Diagnosis.State.choices)
    note = forms.CharField(label=_("Commentaire"), max_length=500, required=False)


class AnswerForm(forms.Form):
    """The questionnaire (the organisation is chosen apart, on the public form only)."""

    respondent_name = forms.CharField(label=_("Votre nom"), max_length=150)
    respondent_email = forms.EmailField(
        label=_("Votre adresse électronique"),
        help_text=_("Nous y envoyons le lien pour modifier votre réponse."),
    )
    themes = forms.MultipleChoiceField(
        label=_("Les enjeux que vous observez sur le territoire"),
        choices=list(THEMES.items()),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    issues = forms.CharField(
        label=_("En quelques mots, les besoins que vous voyez"),
        max_length=4000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    publics = forms.MultipleChoiceField(
        label=_("Les publics concernés"),
        choices=list(PUBLICS.items()),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    can_bring = forms.MultipleChoiceField(
        label=_("Ce que votre structure pourrait apporter"),
        choices=list(CONTRIBUTION_KINDS.items()),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    can_bring_details = forms.CharField(
        label=_("Précisions (facultatif)"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def clean(self):
        data = super().clean()
        if not data.get("issues") and not data.get("themes"):
            raise ValidationError(_("Dites-nous au moins un enjeu que vous voyez sur le territoire."))
        return data


class PublicAnswerForm(AnswerForm):
    organisation = forms.ModelChoiceField(
        label=_("Votre structure, si elle figure dans l'annuaire"),
        queryset=None,
        required=False,
        empty_label=_("— Elle n'y figure pas —"),
    )
    organisation_name = forms.CharField(
        label=_("Sinon, le nom de votre structure"), max_length=200, required=False
    )

    field_order = ["organisation", "organisation_name"]

    def __init__(self, *args, organisations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = organisations

    def clean(self):
        data = super().clean()
        if not data.get("organisation") and not (data.get("organisation_name") or "").strip():
            self.add_error(
                "organisation_name", _("Choisissez votre structure dans l'annuaire ou écrivez son nom.")
            )
        return data


class KeyIssueForm(forms.ModelForm):
    themes = forms.MultipleChoiceField(label=_("Thèmes"), choices=list(THEMES.items()), required=False)

    class Meta:
        model = KeyIssue
        fields = ["title", "description", "themes", "answers", "indicator_values", "needs"]
        widgets = {"description": forms.Textarea(attrs={"rows": 4})}

    def __init__(self, *args, answers, indicator_values, needs, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["answers"].queryset = answers
        self.fields["indicator_values"].queryset = indicator_values
        self.fields["needs"].queryset = needs
        self.fields["indicator_values"].label_from_instance = lambda v: (
            f"{v.indicator.label} · {v.get_level_display()} {v.code} · {v.year} : {v.value.normalize():f}"
        )
        self.fields["needs"].label_from_instance = lambda n: f"{n.title} ({n.organisation.name})"


class ChooseForm(forms.Form):
    chosen = forms.ModelMultipleChoiceField(
        label=_("Enjeux clés retenus"), queryset=None, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, key_issues, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["chosen"].queryset = key_issues


class RankingForm(forms.Form):
    """One rank per candidate (1 = most important); a candidate left without a rank is not ranked."""

    def __init__(self, *args, candidates, **kwargs):
        super().__init__(*args, **kwargs)
        self.candidates = list(candidates)
        n = len(self.candidates)
        choices = [("", _("— Non classé —"))] + [(str(i), str(i)) for i in range(1, n + 1)]
        for issue in self.candidates:
            self.fields[f"rank_{issue.pk}"] = forms.TypedChoiceField(
                label=issue.title,
                help_text=issue.description[:300],
                choices=choices,
                coerce=int,
                required=False,
                empty_value=None,
            )

    def clean(self):
        data = super().clean()
        ranks = {issue.pk: data.get(f"rank_{issue.pk}") for issue in self.candidates}
        given = [r for r in ranks.values() if r is not None]
        if not given:
            raise ValidationError(_("Classez au moins un enjeu."))
        if len(set(given)) != len(given):
            raise ValidationError(_("Deux enjeux ne peuvent pas occuper la même place du classement."))
        data["ranking"] = [pk for pk, r in sorted(ranks.items(), key=lambda kv: kv[1] or 0) if r is not None]
        return data


class IndicatorUploadForm(forms.Form):
    file = forms.FileField(label=_("Fichier CSV d'indicateurs"))
    default_year = forms.IntegerField(
        label=_("Année par défaut"),
        required=False,
        min_value=1950,
        max_value=2100,
        help_text=_("Pour les fichiers sans colonne « année »."),
    )
    default_source = forms.CharField(
        label=_("Source par défaut"),
        required=False,
        max_length=300,
        help_text=_("Pour les fichiers sans colonne « source », par exemple « Insee, RP 2021 »."),
    )
