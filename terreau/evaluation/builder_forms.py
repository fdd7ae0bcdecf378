"""The questionnaire builder's forms: a new questionnaire, its title, a question (fields by kind), questions
from the library, a skip condition. They check the shape of the input; the rules live in
terreau.evaluation.instruments."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from terreau.evaluation import library
from terreau.evaluation.instrument_models import Item
from terreau.evaluation.models import Audience

Kind = Item.Kind

# The fields shown for each kind (the others are ignored by the service).
KIND_FIELDS = {
    "likert": ("scale_min", "scale_max", "scale_min_label", "scale_max_label"),
    "choices": ("choices",),
    "number": ("number_min", "number_max"),
}
GROUP_OF_KIND = {
    Kind.LIKERT: "likert",
    Kind.SINGLE: "choices",
    Kind.MULTIPLE: "choices",
    Kind.NUMBER: "number",
}
GROUP_LEGENDS = {
    "likert": _("Échelle"),
    "choices": _("Réponses possibles"),
    "number": _("Nombre attendu"),
}


class InstrumentCreateForm(forms.Form):
    audience = forms.ChoiceField(label=_("Public interrogé"), choices=())
    title = forms.CharField(label=_("Titre du questionnaire"), max_length=200)
    intro = forms.CharField(
        label=_("Texte d'accueil"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Lu avant la première question : but, durée, confidentialité."),
    )

    def __init__(self, *args: Any, audiences: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        labels = dict(Audience.choices)
        self.fields["audience"].choices = [(a, labels[a]) for a in audiences if a in labels]


class InstrumentEditForm(forms.Form):
    title = forms.CharField(label=_("Titre du questionnaire"), max_length=200)
    intro = forms.CharField(
        label=_("Texte d'accueil"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Lu avant la première question : but, durée, confidentialité."),
    )


class ItemForm(forms.Form):
    kind = forms.ChoiceField(label=_("Type de réponse"), choices=Kind.choices, initial=Kind.LIKERT)
    text = forms.CharField(label=_("Question"), max_length=400, widget=forms.Textarea(attrs={"rows": 2}))
    help_text = forms.CharField(
        label=_("Aide (facultative)"),
        max_length=300,
        required=False,
        help_text=_("Une précision lue sous la question."),
    )
    required = forms.BooleanField(label=_("Réponse obligatoire"), required=False)
    code = forms.CharField(
        label=_("Code de la question (facultatif)"),
        max_length=60,
        required=False,
        help_text=_(
            "Reste le même d'une version et d'une vague à l'autre pour comparer les réponses ; "
            "fait à partir de la question si vous le laissez vide."
        ),
    )
    scale_min = forms.IntegerField(
        label=_("Premier point de l'échelle"), initial=1, min_value=-10, max_value=10, required=False
    )
    scale_max = forms.IntegerField(
        label=_("Dernier point de l'échelle"), initial=5, min_value=-10, max_value=10, required=False
    )
    scale_min_label = forms.CharField(
        label=_("Libellé du premier point"), max_length=80, required=False, initial=_("Pas du tout d'accord")
    )
    scale_max_label = forms.CharField(
        label=_("Libellé du dernier point"), max_length=80, required=False, initial=_("Tout à fait d'accord")
    )
    choices = forms.CharField(
        label=_("Réponses possibles, une par ligne"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("De 2 à 20 réponses."),
    )
    number_min = forms.DecimalField(
        label=_("Minimum (facultatif)"), required=False, max_digits=10, decimal_places=2
    )
    number_max = forms.DecimalField(
        label=_("Maximum (facultatif)"), required=False, max_digits=10, decimal_places=2
    )

    COMMON = ("kind", "text", "help_text", "required", "code")

    @classmethod
    def initial_of(cls, item: Item) -> dict[str, Any]:
        data = {name: getattr(item, name) for name in cls.base_fields if name != "choices"}
        data["choices"] = "\n".join(c["label"] for c in item.choices)
        return data

    def common_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.COMMON]

    def kind_groups(self, only: str | None = None) -> list[tuple[str, str, list[forms.BoundField]]]:
        """The fieldsets of kind-dependent fields: (group, legend, fields); only the chosen kind's when
        ``only`` names a kind (a yes/no or free-text question has none)."""
        groups = KIND_FIELDS if only is None else {g: KIND_FIELDS[g] for g in [GROUP_OF_KIND.get(only)] if g}
        return [(g, str(GROUP_LEGENDS[g]), [self[n] for n in names]) for g, names in groups.items()]

    def service_fields(self) -> dict[str, Any]:
        """The cleaned data as the keyword arguments of instruments.item_add / item_update."""
        data = self.cleaned_data
        kind = data["kind"]
        fields = {name: data[name] for name in self.COMMON}
        for name in KIND_FIELDS.get(GROUP_OF_KIND.get(kind, ""), ()):
            if data[name] is not None or name.startswith("number_"):
                fields[name] = data[name]
        return fields


class LibraryForm(forms.Form):
    keys = forms.MultipleChoiceField(
        label=_("Questions de la bibliothèque"), choices=(), widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args: Any, audience: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["keys"].choices = [(t["key"], t["text"]) for t in library.templates(audience)]
        self.fields["keys"].error_messages["required"] = _("Cochez au moins une question.")


class ConditionForm(forms.Form):
    source = forms.ChoiceField(label=_("Poser cette question seulement selon la réponse à"), required=False)
    values = forms.MultipleChoiceField(
        label=_("Réponses qui font poser la question"), required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args: Any, sources: list[Item], values: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["source"].choices = [("", _("Toujours posée (pas de condition)"))] + [
            (i.code, i.text) for i in sources
        ]
        self.fields["values"].choices = values
