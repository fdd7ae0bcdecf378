from django import forms
from django.utils.translation import gettext_lazy as _

from terreau.matching.models import SuggestionFeedback


class DismissForm(forms.Form):
    need = forms.IntegerField(widget=forms.HiddenInput)
    offer = forms.IntegerField(widget=forms.HiddenInput)
    reason = forms.ChoiceField(label=_("Motif"), choices=SuggestionFeedback.Reason.choices)
    note = forms.CharField(label=_("Précision (facultatif)"), max_length=500, required=False)
