"""Forms of the programs pages: input shapes only (choices come from querysets the views scope)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from terreau.core.dates import BoundedDatesMixin
from terreau.programs.equipment import EquipmentItem, EquipmentType, Incident, Repair
from terreau.programs.models import HostSite, Program, ProgramPartner, ProgramRole
from terreau.programs.sites import SITE_FIELDS

WEEKDAYS = [
    ("", "—"),
    (0, _("Lundi")),
    (1, _("Mardi")),
    (2, _("Mercredi")),
    (3, _("Jeudi")),
    (4, _("Vendredi")),
    (5, _("Samedi")),
    (6, _("Dimanche")),
]


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class ProgramForm(BoundedDatesMixin, forms.ModelForm):
    class Meta:
        model = Program
        fields = ["name", "purpose", "starts_on", "ends_on", "is_public"]
        widgets = {
            "starts_on": DateInput(),
            "ends_on": DateInput(),
            "purpose": forms.Textarea(attrs={"rows": 4}),
        }


class PartnerForm(forms.Form):
    organisation = forms.ModelChoiceField(label=_("Organisation"), queryset=None)
    roles = forms.MultipleChoiceField(
        label=_("Rôles"), choices=ProgramPartner.Role.choices, widget=forms.CheckboxSelectMultiple
    )
    note = forms.CharField(label=_("Précisions"), max_length=300, required=False)

    def __init__(self, *args, organisations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = organisations


class TeamForm(forms.Form):
    email = forms.EmailField(label=_("Adresse e-mail"))
    first_name = forms.CharField(label=_("Prénom"), max_length=150, required=False)
    last_name = forms.CharField(label=_("Nom"), max_length=150, required=False)
    role = forms.ChoiceField(label=_("Rôle"), choices=ProgramRole.Role.choices)
    site = forms.ModelChoiceField(
        label=_("Site (pour l'équipe d'un site et les volontaires)"), queryset=None, required=False
    )

    def __init__(self, *args, sites, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["site"].queryset = sites


class DocumentForm(forms.Form):
    title = forms.CharField(label=_("Titre du document"), max_length=200, required=False)
    file = forms.FileField(label=_("Fichier"), error_messages={"required": _("Choisissez un fichier.")})


class SiteForm(BoundedDatesMixin, forms.ModelForm):
    class Meta:
        model = HostSite
        fields = list(SITE_FIELDS)
        widgets = {"starts_on": DateInput(), "accessibility_notes": forms.Textarea(attrs={"rows": 3})}


class TimeWindowForm(forms.Form):
    weekday = forms.TypedChoiceField(
        label=_("Jour"), choices=WEEKDAYS, coerce=int, empty_value=None, required=False
    )
    start = forms.CharField(label=_("Début"), required=False, widget=forms.TimeInput(attrs={"type": "time"}))
    end = forms.CharField(label=_("Fin"), required=False, widget=forms.TimeInput(attrs={"type": "time"}))


TimeWindowFormSet = forms.formset_factory(TimeWindowForm, extra=2, max_num=21)


class ItemForm(forms.Form):
    type = forms.ChoiceField(label=_("Type"), choices=EquipmentType.choices)
    make = forms.CharField(label=_("Marque"), max_length=80)
    model_name = forms.CharField(label=_("Modèle"), max_length=120, required=False)
    serial_number = forms.CharField(label=_("Numéro de série"), max_length=80)
    origin = forms.ChoiceField(label=_("Origine"), choices=EquipmentItem.Origin.choices)
    given_by = forms.ModelChoiceField(label=_("Donné par"), queryset=None, required=False)
    value = forms.DecimalField(label=_("Valeur (€)"), min_value=0, max_digits=10, decimal_places=2)

    def __init__(self, *args, organisations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["given_by"].queryset = organisations


class AssembleForm(forms.Form):
    kit_model = forms.ModelChoiceField(label=_("Modèle de kit"), queryset=None)
    code = forms.CharField(label=_("Code du kit"), max_length=40)
    items = forms.ModelMultipleChoiceField(
        label=_("Équipements en stock"), queryset=None, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, kit_models, items, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kit_model"].queryset = kit_models
        self.fields["items"].queryset = items


class DeliverForm(BoundedDatesMixin, forms.Form):
    site = forms.ModelChoiceField(label=_("Site d'accueil"), queryset=None)
    delivered_on = forms.DateField(label=_("Date de livraison"), widget=DateInput(), required=False)

    def __init__(self, *args, sites, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["site"].queryset = sites


class SwapForm(forms.Form):
    out_item = forms.ModelChoiceField(label=_("Équipement retiré du kit"), queryset=None, required=False)
    in_item = forms.ModelChoiceField(label=_("Équipement de remplacement (en stock)"), queryset=None)
    note = forms.CharField(label=_("Motif"), max_length=300, required=False)

    def __init__(self, *args, out_items, in_items, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["out_item"].queryset = out_items
        self.fields["in_item"].queryset = in_items


class DismantleForm(forms.Form):
    reason = forms.CharField(
        label=_("Pourquoi démonter ce kit ?"),
        help_text=_("Par exemple : le site quitte le programme, fin du programme."),
        max_length=300,
        error_messages={"required": _("Indiquez pourquoi le kit est démonté.")},
    )


class IncidentForm(forms.Form):
    kind = forms.ChoiceField(label=_("Type d'incident"), choices=Incident.Kind.choices)
    note = forms.CharField(label=_("Que s'est-il passé ?"), max_length=500, required=False)


class RepairSendForm(forms.Form):
    repairer = forms.CharField(label=_("Réparateur"), max_length=200, required=False)
    note = forms.CharField(label=_("Commentaire"), max_length=500, required=False)


class RepairReturnForm(forms.Form):
    outcome = forms.ChoiceField(label=_("Résultat"), choices=Repair.Outcome.choices)
    cost = forms.DecimalField(
        label=_("Coût (€)"), min_value=0, max_digits=10, decimal_places=2, required=False
    )
    note = forms.CharField(label=_("Commentaire"), max_length=500, required=False)


class InventoryForm(forms.Form):
    seen = forms.ModelMultipleChoiceField(
        label=_("Équipements vus sur place"),
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    note = forms.CharField(label=_("Commentaire"), max_length=500, required=False)

    def __init__(self, *args, items, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["seen"].queryset = items
