"""Forms of the receipts' pages: eligibility, issue (one gift, a period), cancel or reissue, year-end batch."""

from __future__ import annotations

from datetime import date

from django import forms
from django.utils.translation import gettext_lazy as _

from terreau.contributions.receipt_models import Receipt, ReceiptEligibility


class EligibilityForm(forms.ModelForm):
    eligible = forms.BooleanField(
        label=_("La structure peut émettre des reçus fiscaux"),
        required=False,
        help_text=_(
            "Organisme d'intérêt général (gestion désintéressée, activité non lucrative, pas au profit d'un "
            "cercle restreint) ou reconnu d'utilité publique. Émettre un reçu à tort est sanctionné "
            "(article 1740 A du CGI)."
        ),
    )

    class Meta:
        model = ReceiptEligibility
        fields = ["eligible", "ground", "ground_details", "rescrit_reference", "purpose"]
        widgets = {
            "ground_details": forms.Textarea(attrs={"rows": 3}),
            "purpose": forms.Textarea(attrs={"rows": 3}),
        }


class IssueForm(forms.Form):
    form = forms.ChoiceField(label=_("Modèle"), choices=Receipt.Form.choices)
    payment_method = forms.CharField(
        label=_("Mode de versement"),
        max_length=100,
        required=False,
        help_text=_("Chèque, virement, espèces… Laissé vide : selon la nature du don."),
    )


class PeriodForm(IssueForm):
    gifts = forms.ModelMultipleChoiceField(
        label=_("Dons reçus d'un même donateur"),
        queryset=None,
        widget=forms.CheckboxSelectMultiple,
    )
    start = forms.DateField(label=_("Début de la période"), widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("Fin de la période"), widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, gifts=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["gifts"].queryset = gifts
        self.fields["gifts"].label_from_instance = lambda c: (
            f"{c.donor_label} — {c.get_kind_display()} — {c.value} € — {c.description[:80]}"
        )
        self.order_fields(["gifts", "start", "end", "form", "payment_method"])

    def clean(self) -> dict:
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end and start > end:
            self.add_error("end", _("La fin de la période ne peut pas précéder son début."))
        elif start and end and start.year != end.year:
            self.add_error(
                "end", _("Un reçu couvre une seule année civile : choisissez une fin de la même année.")
            )
        return data


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Motif"), max_length=1000, widget=forms.Textarea(attrs={"rows": 3}), strip=True
    )


class YearForm(forms.Form):
    year = forms.IntegerField(label=_("Année des dons"), min_value=2000, max_value=2100)

    def clean_year(self) -> int:
        year = self.cleaned_data["year"]
        if year > date.today().year:
            raise forms.ValidationError(_("Choisissez une année passée ou l'année en cours."))
        return year
