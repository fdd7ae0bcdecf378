from django import forms
from django.utils.translation import gettext_lazy as _

from terreau.partnerships.models import Partnership


class ProposeForm(forms.Form):
    sender = forms.IntegerField(widget=forms.HiddenInput)
    recipient = forms.IntegerField(widget=forms.HiddenInput)
    need = forms.IntegerField(required=False, widget=forms.HiddenInput)
    offer = forms.IntegerField(required=False, widget=forms.HiddenInput)
    # The suggestion's reasons (one per line), shown to the recipient with the request.
    reasons = forms.CharField(required=False, max_length=2000, widget=forms.HiddenInput)
    message = forms.CharField(
        label=_("Votre message"), max_length=2000, required=False, widget=forms.Textarea
    )


class AnswerForm(forms.Form):
    decision = forms.ChoiceField(
        choices=[("accept", _("Accepter")), ("decline", _("Décliner")), ("withdraw", _("Retirer"))]
    )
    answer = forms.CharField(
        label=_("Réponse (facultatif)"), max_length=2000, required=False, widget=forms.Textarea
    )


class StageForm(forms.Form):
    stage = forms.ChoiceField(choices=Partnership.Stage.choices)
    note = forms.CharField(label=_("Commentaire"), max_length=500, required=False)


class PartnershipEditForm(forms.ModelForm):
    class Meta:
        model = Partnership
        fields = ["title", "kind", "notes"]
