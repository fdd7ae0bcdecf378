"""Forms of the evaluation's framework pages. They check the shape of what is typed; the rules (plausible
periods and waves, audiences in use, targets) are the services' (terreau.evaluation.services)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from terreau.core.dates import BoundedDatesMixin
from terreau.evaluation.models import Audience, Evaluation, Indicator, Wave
from terreau.evaluation.response_models import Respondent


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class EvaluationForm(BoundedDatesMixin, forms.Form):
    title = forms.CharField(label=_("Titre"), max_length=200)
    purpose = forms.CharField(
        label=_("Objet de l'évaluation"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Ce que l'évaluation cherche à savoir, et pour qui."),
    )
    period_start = forms.DateField(label=_("Début de la période évaluée"), widget=DateInput())
    period_end = forms.DateField(label=_("Fin de la période évaluée"), widget=DateInput())
    audiences = forms.MultipleChoiceField(
        label=_("Publics interrogés"),
        choices=Audience.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choisissez au moins un public à interroger.")},
    )
    method = forms.CharField(
        label=_("Méthode"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Affichée dans le rapport."),
    )
    limits = forms.CharField(
        label=_("Limites"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Affichées dans le rapport."),
    )
    min_count = forms.IntegerField(
        label=_("Effectif minimal publié"),
        min_value=3,
        max_value=50,
        initial=Evaluation._meta.get_field("min_count").default,
        help_text=_(
            "Aucun chiffre calculé sur moins de répondants n'est affiché, pour que personne ne soit reconnu."
        ),
    )

    @classmethod
    def initial_for(cls, evaluation: Evaluation) -> dict:
        return {name: getattr(evaluation, name) for name in cls.base_fields}


class QuestionForm(forms.Form):
    text = forms.CharField(
        label=_("Question évaluative"),
        max_length=300,
        help_text=_("Par exemple : les participants se sentent-ils moins isolés ?"),
    )


class IndicatorForm(forms.Form):
    label = forms.CharField(label=_("Indicateur"), max_length=200)
    question = forms.ModelChoiceField(
        label=_("Question évaluative à laquelle il répond"), queryset=None, required=False
    )
    kind = forms.ChoiceField(label=_("Nature"), choices=Indicator.Kind.choices, widget=forms.RadioSelect)
    output_metric = forms.ChoiceField(
        label=_("Donnée de Terreau (pour une réalisation)"),
        choices=[("", "—"), *Indicator.Metric.choices],
        required=False,
    )
    audience = forms.ChoiceField(label=_("Public (pour un effet)"), choices=(), required=False)
    item_code = forms.CharField(
        label=_("Code de la question du questionnaire (pour un effet)"),
        max_length=60,
        required=False,
        help_text=_(
            "Le code affiché à côté de la question dans le questionnaire, par exemple « isolement »."
        ),
    )
    measure = forms.ChoiceField(
        label=_("Mesure (pour un effet)"), choices=[("", "—"), *Indicator.Measure.choices], required=False
    )
    target = forms.CharField(
        label=_("Cible"),
        max_length=20,
        required=False,
        help_text=_("Un pourcentage pour une part de répondants (par exemple 60), sinon un nombre."),
    )
    source = forms.CharField(label=_("Source"), max_length=200, required=False)

    def __init__(self, *args, evaluation: Evaluation, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["question"].queryset = evaluation.questions.all()
        labels = dict(Audience.choices)
        self.fields["audience"].choices = [("", "—")] + [(a, labels[a]) for a in evaluation.audiences]

    @classmethod
    def initial_for(cls, indicator: Indicator) -> dict:
        initial = {name: getattr(indicator, name) for name in cls.base_fields if name != "question"}
        initial["question"] = indicator.question_id
        initial["target"] = "" if indicator.target is None else str(indicator.target.normalize())
        return initial


class WaveForm(BoundedDatesMixin, forms.Form):
    kind = forms.ChoiceField(label=_("Vague"), choices=Wave.Kind.choices)
    opens_on = forms.DateField(label=_("Ouverture prévue"), widget=DateInput())
    closes_on = forms.DateField(label=_("Clôture prévue"), widget=DateInput())

    def __init__(self, *args, editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if editing:
            del self.fields["kind"]


class RespondentForm(forms.Form):
    prefix = "repondants"  # shown on the evaluation page next to LinkForm: distinct field ids

    audience = forms.ChoiceField(label=_("Public"), choices=())
    site = forms.ModelChoiceField(label=_("Site"), queryset=None, required=False)
    age_band = forms.ChoiceField(
        label=_("Tranche d'âge"), choices=Respondent.AgeBand.choices, initial=Respondent.AgeBand.UNKNOWN
    )
    count = forms.IntegerField(
        label=_("Nombre de codes à créer"),
        min_value=1,
        max_value=200,
        initial=1,
        help_text=_("Un code par personne ; 200 au plus à la fois."),
    )

    def __init__(self, *args, evaluation: Evaluation, sites, **kwargs):
        super().__init__(*args, **kwargs)
        labels = dict(Audience.choices)
        self.fields["audience"].choices = [(a, labels[a]) for a in evaluation.audiences]
        self.fields["site"].queryset = sites


class LinkForm(forms.Form):
    prefix = "lien"

    wave = forms.ModelChoiceField(label=_("Vague"), queryset=None)
    audience = forms.ChoiceField(label=_("Public"), choices=())
    site = forms.ModelChoiceField(label=_("Site (facultatif)"), queryset=None, required=False)

    def __init__(self, *args, evaluation: Evaluation, sites, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["wave"].queryset = evaluation.waves.exclude(state=Wave.State.CLOSED)
        self.fields["wave"].label_from_instance = lambda wave: wave.get_kind_display()
        labels = dict(Audience.choices)
        self.fields["audience"].choices = [(a, labels[a]) for a in evaluation.audiences]
        self.fields["site"].queryset = sites


class ShareLinkForm(forms.Form):
    label = forms.CharField(
        label=_("Destinataire"), max_length=150, help_text=_("Par exemple : Fondation X, comité du 12 mars.")
    )
