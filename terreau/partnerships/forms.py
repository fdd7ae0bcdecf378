from django import forms
from django.utils.translation import gettext_lazy as _

from terreau.core.dates import BoundedDatesMixin
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


class MessageForm(forms.Form):
    body = forms.CharField(
        label=_("Votre message"), max_length=5000, widget=forms.Textarea(attrs={"rows": 4})
    )


class StepForm(BoundedDatesMixin, forms.Form):
    title = forms.CharField(label=_("Action"), max_length=200)
    owner = forms.ModelChoiceField(
        label=_("Responsable"), queryset=None, required=False, empty_label=_("— à désigner —")
    )
    due_date = forms.DateField(
        label=_("Échéance"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )

    def __init__(self, *args, members=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # Only the partners' members may own a step (terreau.partnerships.workspace.partners_members).
        self.fields["owner"].queryset = members
        self.fields["owner"].label_from_instance = lambda user: user.get_full_name() or user.email


class StepDoneForm(forms.Form):
    """Mark a next step done ("1") or open it again ("0")."""

    done = forms.TypedChoiceField(choices=[("1", _("Faite")), ("0", _("À faire"))], coerce=lambda v: v == "1")


class DocumentForm(forms.Form):
    title = forms.CharField(label=_("Titre"), max_length=200, required=False)
    file = forms.FileField(label=_("Fichier"))
