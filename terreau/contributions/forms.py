"""Forms of the ledger's pages; every choice is limited to what the user may see (terreau.core.access).

Amounts are typed as French text ("1 234,50") and read by terreau.contributions.services.parse_decimal: the
forms only check that they are numbers; the services decide what each kind needs and refuse the rest.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from terreau.alliances.group_models import WorkingGroup
from terreau.contributions.models import Contribution, ContributionDocument, Counterpart, Kind
from terreau.contributions.services import parse_decimal
from terreau.core.access import actor_for, branches_managed, visible
from terreau.directory.models import Organisation
from terreau.partnerships.models import Partnership
from terreau.programs.equipment import EquipmentItem
from terreau.programs.models import Program

MAX_ID = 2**31 - 1
DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")

MONEY = ("gift", "sponsorship", "grant")
IN_KIND = ("equipment", "goods", "services")
# Which valuation inputs each kind shows (the page hides the others once a kind is chosen; without script
# every field shows with its help text).
FIELDS_BY_KIND = {
    "amount": (*MONEY, "premises"),
    "quantity": IN_KIND,
    "unit_cost": IN_KIND,
    "hours": ("premises", "skills_sponsorship", "skills_volunteering", "volunteering"),
    "monthly_gross_salary": ("skills_sponsorship",),
    "employer_charges_rate": ("skills_sponsorship",),
    "hourly_rate": ("premises", "skills_volunteering", "volunteering"),
    "equipment_items": ("equipment",),
}


class DecimalText(forms.CharField):
    """A number typed the French way (comma decimals, spaces between thousands); cleaned to a Decimal."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("max_length", 20)
        super().__init__(**kwargs)
        self.widget.attrs.update({"inputmode": "decimal", "autocomplete": "off"})

    def clean(self, value: Any) -> Any:
        value = super().clean(value)
        try:
            return parse_decimal(value)
        except ValidationError as exc:
            raise ValidationError(_("Saisissez un nombre, par exemple 1 234,50.")) from exc


class ItemChoice(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: EquipmentItem) -> str:
        return f"{obj.get_type_display()} {obj.make} {obj.model_name} — {obj.serial_number} ({obj.program})"


class ContributionForm(forms.Form):
    branch = forms.ModelChoiceField(label=_("Antenne"), queryset=None, required=False)
    kind = forms.ChoiceField(label=_("Nature de la contribution"), choices=Kind.choices)
    donor = forms.ModelChoiceField(
        label=_("Organisation donatrice"),
        queryset=Organisation.objects.none(),
        required=False,
        help_text=_("Laissez vide pour un don d'un particulier et indiquez son nom ci-dessous."),
    )
    individual_name = forms.CharField(label=_("Nom du particulier donateur"), max_length=200, required=False)
    individual_address = forms.CharField(
        label=_("Adresse du particulier (pour son reçu fiscal)"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    recipient = forms.ModelChoiceField(
        label=_("Organisation bénéficiaire"), queryset=Organisation.objects.none()
    )
    description = forms.CharField(
        label=_("Description"), max_length=4000, widget=forms.Textarea(attrs={"rows": 3})
    )
    pledged_on = forms.DateField(label=_("Date de la promesse"), widget=DATE)
    program = forms.ModelChoiceField(
        label=_("Pour le programme"), queryset=Program.objects.none(), required=False
    )
    working_group = forms.ModelChoiceField(
        label=_("Ou pour le groupe de travail"), queryset=WorkingGroup.objects.none(), required=False
    )
    partnership = forms.ModelChoiceField(
        label=_("Ou pour le partenariat"),
        queryset=Partnership.objects.none(),
        required=False,
        help_text=_("Un seul objet au plus ; aucun : l'organisation bénéficiaire en général."),
    )
    amount = DecimalText(
        label=_("Montant (€)"), help_text=_("Don, mécénat, subvention ou valeur d'une mise à disposition.")
    )
    quantity = DecimalText(label=_("Quantité"), help_text=_("Dons en nature."))
    unit_cost = DecimalText(
        label=_("Coût de revient unitaire (€)"),
        help_text=_("Dons en nature : le coût de revient, jamais le prix de vente."),
    )
    hours = DecimalText(
        label=_("Nombre d'heures"), help_text=_("Mécénat de compétences, bénévolat, mise à disposition.")
    )
    monthly_gross_salary = DecimalText(
        label=_("Salaire brut mensuel (€)"), help_text=_("Mécénat de compétences.")
    )
    employer_charges_rate = DecimalText(
        label=_("Taux de charges patronales (%)"), help_text=_("Mécénat de compétences, par exemple 45.")
    )
    hourly_rate = DecimalText(
        label=_("Taux horaire de valorisation (€)"),
        help_text=_("Bénévolat : laissez vide pour le taux par défaut de l'année."),
    )
    equipment_items = ItemChoice(
        label=_("Matériel du programme concerné"),
        queryset=EquipmentItem.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(
        self, *args: Any, user: Any, contribution: Contribution | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        managed = branches_managed(user)
        # The organisations of the user's branches and their own (not every public organisation of the
        # directory): a bounded list; a contribution being changed keeps its parties offered.
        actor = actor_for(user)
        own = Organisation.objects.filter(pk__in=actor.org_ids).values("branch_id")
        scope = Q(branch__in=managed) | Q(branch__in=own) | Q(pk__in=actor.org_ids)
        if contribution is not None:
            scope |= Q(pk__in=[pk for pk in (contribution.donor_id, contribution.recipient_id) if pk])
        organisations = visible(user, Organisation.objects.filter(scope)).order_by("name")
        self.fields["donor"].queryset = organisations
        self.fields["recipient"].queryset = organisations
        self.fields["program"].queryset = visible(user, Program.objects.all()).order_by("name")
        self.fields["working_group"].queryset = visible(
            user, WorkingGroup.objects.exclude(state=WorkingGroup.State.MERGED)
        ).order_by("name")
        self.fields["partnership"].queryset = visible(user, Partnership.objects.all()).order_by("title")
        self.fields["equipment_items"].queryset = visible(
            user, EquipmentItem.objects.select_related("program")
        ).order_by("program__name", "serial_number")
        if contribution is not None or not managed.exists():
            del self.fields["branch"]  # the recipient's branch
        else:
            self.fields["branch"].queryset = managed
            self.fields["branch"].help_text = _("Par défaut : l'antenne de l'organisation bénéficiaire.")
        if not self.is_bound and contribution is None:
            self.initial.setdefault("pledged_on", timezone.localdate())

    def valuation_fields(self) -> list[tuple[Any, str]]:
        """The valuation inputs with the kinds that use them (the page shows only those of the chosen kind)."""
        return [(self[name], " ".join(kinds)) for name, kinds in FIELDS_BY_KIND.items()]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if "branch" in self.fields and not data.get("branch") and data.get("recipient"):
            data["branch"] = data["recipient"].branch
        return data

    def service_kwargs(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data.pop("branch", None)
        data["equipment_items"] = list(data.get("equipment_items") or [])
        return data


class InstalmentForm(forms.Form):
    amount = DecimalText(label=_("Montant reçu (€)"), required=True)
    received_on = forms.DateField(label=_("Reçu le"), widget=DATE, initial=timezone.localdate)
    note = forms.CharField(label=_("Précisions"), max_length=300, required=False)


class CancelForm(forms.Form):
    reason = forms.CharField(
        label=_("Motif de l'annulation"), max_length=500, widget=forms.Textarea(attrs={"rows": 3})
    )


class DocumentForm(forms.Form):
    kind = forms.ChoiceField(label=_("Type de pièce"), choices=ContributionDocument.Kind.choices)
    title = forms.CharField(label=_("Titre"), max_length=200, required=False)
    upload = forms.FileField(label=_("Fichier"))


class CounterpartForm(forms.Form):
    kind = forms.ChoiceField(label=_("Type de contrepartie"), choices=Counterpart.Kind.choices)
    description = forms.CharField(label=_("Description"), max_length=300)
    value = DecimalText(label=_("Valeur (€)"), required=True, help_text=_("0 si elle n'a pas de valeur."))


class LedgerFilter(forms.Form):
    """The ledger's filters from the query string; a bad value is dropped (never an error page)."""

    year = forms.IntegerField(label=_("Année"), required=False, min_value=1900, max_value=2999)
    kind = forms.ChoiceField(
        label=_("Nature"), choices=[("", _("Toutes"))] + list(Kind.choices), required=False
    )
    state = forms.ChoiceField(
        label=_("État"), choices=[("", _("Tous"))] + list(Contribution.State.choices), required=False
    )
    program = forms.IntegerField(required=False, widget=forms.HiddenInput, min_value=1, max_value=MAX_ID)
    donor = forms.IntegerField(required=False, widget=forms.HiddenInput, min_value=1, max_value=MAX_ID)
    recipient = forms.IntegerField(required=False, widget=forms.HiddenInput, min_value=1, max_value=MAX_ID)

    def values(self) -> dict[str, Any]:
        self.is_valid()
        return {name: value for name, value in self.cleaned_data.items() if value not in (None, "")}
