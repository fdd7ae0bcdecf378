"""Forms of the collection pages: starting by a link, starting an assisted entry, and typing in a paper form
(one field per question, checked by the same rules as the answers given on screen)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from terreau.evaluation.collect import clean_raw
from terreau.evaluation.instrument_models import Item
from terreau.evaluation.models import Audience, Wave
from terreau.evaluation.response_models import Respondent

CODE_HELP = _("Si l'équipe vous a remis un code personnel, saisissez-le. Sinon, laissez ce champ vide.")


class LinkStartForm(forms.Form):
    consent = forms.BooleanField(
        label=_("J'accepte de répondre à ce questionnaire ; mes réponses restent anonymes."),
        error_messages={
            "required": _("Cochez la case pour accepter de répondre, ou fermez simplement la page.")
        },
    )
    code = forms.CharField(
        label=_("Code personnel (facultatif)"), required=False, max_length=30, help_text=CODE_HELP
    )
    site = forms.ModelChoiceField(label=_("Votre lieu (facultatif)"), queryset=None, required=False)

    def __init__(self, *args: Any, sites: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if sites is None:
            del self.fields["site"]
        else:
            self.fields["site"].queryset = sites
            self.fields["site"].empty_label = _("Je préfère ne pas le dire")


def _audience_choices(evaluation: Any) -> list[tuple[str, str]]:
    labels = dict(Audience.choices)
    return [(a, labels[a]) for a in evaluation.audiences if a in labels]


class AssistStartForm(forms.Form):
    wave = forms.ModelChoiceField(label=_("Vague"), queryset=Wave.objects.none(), empty_label=None)
    audience = forms.ChoiceField(label=_("Public"))
    site = forms.ModelChoiceField(label=_("Site"), queryset=None, empty_label=None)
    respondent = forms.ChoiceField(
        label=_("Code de la personne"),
        required=False,
        help_text=_(
            "Le code figure sur le papier remis à la personne ; sinon choisissez « Nouveau répondant »."
        ),
    )
    age_band = forms.ChoiceField(
        label=_("Tranche d'âge (facultatif)"),
        required=False,
        choices=[("", _("Non renseignée"))]
        + [c for c in Respondent.AgeBand.choices if c[0] != Respondent.AgeBand.UNKNOWN],
        help_text=_("Seulement pour un nouveau répondant."),
    )
    consent = forms.BooleanField(
        label=_("La personne accepte de répondre (consentement recueilli oralement)."),
        error_messages={"required": _("Cochez la case une fois que la personne a accepté de répondre.")},
    )

    def __init__(
        self, *args: Any, evaluation: Any, sites: Any, respondents: Any, audiences: Any = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["wave"].queryset = evaluation.waves.filter(state=Wave.State.OPEN)
        self.fields["wave"].label_from_instance = wave_label
        self.fields["audience"].choices = [
            c for c in _audience_choices(evaluation) if audiences is None or c[0] in audiences
        ]
        if Audience.PARTICIPANTS in evaluation.audiences:
            self.fields["audience"].initial = Audience.PARTICIPANTS
        self.fields["site"].queryset = sites
        self.respondents = {str(r.pk): r for r in respondents}
        self.fields["respondent"].choices = [("", _("Nouveau répondant"))] + [
            (str(r.pk), r.code) for r in respondents
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        chosen = self.respondents.get(data.get("respondent") or "")
        data["respondent_obj"] = chosen
        if chosen is not None:
            if data.get("audience") and chosen.audience != data["audience"]:
                self.add_error("respondent", _("Ce code est celui d'une personne d'un autre public."))
            if data.get("site") and chosen.site_id not in (None, data["site"].pk):
                self.add_error("respondent", _("Ce code est celui d'une personne d'un autre site."))
        return data


def wave_label(wave: Wave) -> str:
    return _("Vague « %(kind)s » (jusqu'au %(date)s)") % {
        "kind": wave.get_kind_display(),
        "date": date_format(wave.closes_on, "j F Y"),
    }


def item_field_name(item: Item) -> str:
    return f"q_{item.code}"


def likert_choices(item: Item) -> list[tuple[str, str]]:
    choices = []
    for value in range(item.scale_min, item.scale_max + 1):
        label = str(value)
        if value == item.scale_min and item.scale_min_label:
            label = f"{value} — {item.scale_min_label}"
        elif value == item.scale_max and item.scale_max_label:
            label = f"{value} — {item.scale_max_label}"
        choices.append((str(value), label))
    return choices


def item_field(item: Item) -> forms.Field:
    common = {"label": item.text, "required": False, "help_text": item.help_text}
    if item.kind == Item.Kind.LIKERT:
        return forms.ChoiceField(choices=likert_choices(item), widget=forms.RadioSelect, **common)
    if item.kind == Item.Kind.YES_NO:
        return forms.ChoiceField(
            choices=[("yes", _("Oui")), ("no", _("Non"))], widget=forms.RadioSelect, **common
        )
    options = [(str(c.get("value")), str(c.get("label", c.get("value")))) for c in item.choices or []]
    if item.kind == Item.Kind.SINGLE:
        return forms.ChoiceField(choices=options, widget=forms.RadioSelect, **common)
    if item.kind == Item.Kind.MULTIPLE:
        return forms.MultipleChoiceField(choices=options, widget=forms.CheckboxSelectMultiple, **common)
    if item.kind == Item.Kind.NUMBER:
        return forms.CharField(widget=forms.TextInput(attrs={"inputmode": "decimal"}), **common)
    return forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), strip=True, **common)


class PaperEntryForm(forms.Form):
    """A paper questionnaire typed in: the wave, the person's code (or a new respondent), then every question.
    An empty question is recorded as « pas de réponse sur le papier »."""

    wave = forms.ModelChoiceField(label=_("Vague"), queryset=Wave.objects.none(), empty_label=None)
    code = forms.CharField(
        label=_("Code personnel écrit sur le papier"),
        required=False,
        max_length=30,
        help_text=_("Laissez vide si le papier ne porte pas de code : un nouveau répondant est créé."),
    )
    site = forms.ModelChoiceField(label=_("Site (facultatif)"), queryset=None, required=False)
    consent = forms.BooleanField(
        label=_("La case de consentement est cochée sur le papier."),
        error_messages={
            "required": _("Sans consentement écrit sur le papier, le questionnaire n'est pas saisi.")
        },
    )

    def __init__(self, *args: Any, evaluation: Any, instrument: Any, sites: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["wave"].queryset = evaluation.waves.filter(state=Wave.State.OPEN)
        self.fields["wave"].label_from_instance = wave_label
        self.fields["site"].queryset = sites
        self.items = list(instrument.items.order_by("order", "pk")) if instrument else []
        for item in self.items:
            self.fields[item_field_name(item)] = item_field(item)

    def item_fields(self) -> list[Any]:
        return [self[item_field_name(item)] for item in self.items]

    def head_fields(self) -> list[Any]:
        return [self[name] for name in ("wave", "code", "site", "consent")]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        data["answers"] = {}
        for item in self.items:
            name = item_field_name(item)
            value = data.get(name)
            raw = {"values": value} if isinstance(value, list) else {"value": value or ""}
            try:
                clean_raw(item, raw)
            except ValidationError as exc:
                if exc.code != "empty":
                    self.add_error(name, exc)
                continue
            data["answers"][item.code] = raw
        return data
