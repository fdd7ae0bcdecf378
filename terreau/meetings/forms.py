"""Forms of the speed-meeting pages (input only; choices come from the views, rules from the services)."""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from terreau.core.dates import BoundedDatesMixin
from terreau.events.forms import DateTimeInput
from terreau.meetings.models import Feedback, SpeedMeeting, Wish


class SetupForm(BoundedDatesMixin, forms.ModelForm):
    table_limits_text = forms.CharField(
        label=gettext_lazy("Tables par tour (facultatif)"),
        required=False,
        help_text=gettext_lazy("Une limite par tour, séparées par des virgules, par exemple : 10, 10, 8."),
    )

    class Meta:
        model = SpeedMeeting
        fields = [
            "rounds",
            "round_minutes",
            "break_minutes",
            "first_round_at",
            "tables",
            "wishes_deadline",
            "bipartite",
            "max_meetings",
        ]
        widgets = {"first_round_at": DateTimeInput(), "wishes_deadline": DateTimeInput()}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance and self.instance.table_limits:
            self.fields["table_limits_text"].initial = ", ".join(str(x) for x in self.instance.table_limits)

    def clean_table_limits_text(self) -> list[int]:
        text = self.cleaned_data["table_limits_text"].replace(";", ",")
        parts = [p.strip() for p in text.split(",") if p.strip()]
        try:
            values = [int(p) for p in parts]
        except ValueError:
            raise forms.ValidationError(_("Indiquez des nombres entiers séparés par des virgules.")) from None
        if any(v < 1 for v in values):
            raise forms.ValidationError(_("Chaque tour compte au moins une table."))
        return values

    def setup_data(self) -> dict:
        data = {f: self.cleaned_data[f] for f in self.Meta.fields}
        data["table_limits"] = self.cleaned_data["table_limits_text"]
        return data


def _round_label(sm: SpeedMeeting, r: int) -> str:
    start = timezone.localtime(sm.round_starts_at(r)).strftime("%H:%M")
    end = timezone.localtime(sm.round_ends_at(r)).strftime("%H:%M")
    return _("Tour %(n)s (%(start)s–%(end)s)") % {"n": r + 1, "start": start, "end": end}


class AvailabilityForm(forms.Form):
    unavailable = forms.MultipleChoiceField(
        label=gettext_lazy("Tours où je ne suis pas disponible"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, sm: SpeedMeeting, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unavailable"].choices = [(str(r), _round_label(sm, r)) for r in range(sm.rounds)]

    def rounds(self) -> list[int]:
        return [int(r) for r in self.cleaned_data["unavailable"]]


LEVEL_CHOICES = [("", gettext_lazy("Sans avis")), *Wish.Level.choices]


class WishesForm(forms.Form):
    """One radio group per other participant: must meet / would like / no thanks / no opinion."""

    def __init__(self, *args, candidates, current: dict[int, str], disabled: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.candidates = list(candidates)
        for r in self.candidates:
            label = r.name + (f" — {r.organisation_label}" if r.organisation_label else "")
            self.fields[f"w{r.pk}"] = forms.ChoiceField(
                label=label,
                choices=LEVEL_CHOICES,
                required=False,
                initial=current.get(r.pk, ""),
                widget=forms.RadioSelect,
                disabled=disabled,
            )

    def levels(self) -> dict[int, str]:
        return {r.pk: self.cleaned_data.get(f"w{r.pk}") or "" for r in self.candidates}


class AbsenceForm(forms.Form):
    registration = forms.ModelChoiceField(
        label=gettext_lazy("Participant absent"), queryset=None, empty_label=gettext_lazy("Choisir…")
    )
    current_round = forms.IntegerField(
        label=gettext_lazy("Re-planifier à partir du tour (facultatif)"),
        required=False,
        min_value=1,
        help_text=gettext_lazy("Par défaut : le premier tour qui n'a pas commencé."),
    )

    def __init__(self, *args, participants, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["registration"].queryset = participants
        self.fields["registration"].label_from_instance = lambda r: (
            f"{r.name} — {r.organisation_label}" if r.organisation_label else r.name
        )


class FeedbackForm(forms.Form):
    rating = forms.TypedChoiceField(
        label=gettext_lazy("Note"),
        choices=[(str(i), str(i)) for i in range(1, 6)],
        coerce=int,
        widget=forms.RadioSelect,
    )
    follow_up = forms.ChoiceField(
        label=gettext_lazy("Et maintenant ?"), choices=Feedback.FollowUp.choices, widget=forms.RadioSelect
    )
    comment = forms.CharField(
        label=gettext_lazy("Commentaire (facultatif)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
