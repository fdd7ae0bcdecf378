"""Forms of the events section: validation and French messages only (no access filtering here)."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from terreau.core.dates import BoundedDatesMixin
from terreau.core.french import sort_key
from terreau.events.models import Event, Registration, WorkshopItem
from terreau.territories.forms import CommuneField


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


class EventForm(BoundedDatesMixin, forms.ModelForm):
    """Branch choices and commune/theme/organiser/partnership querysets are given by the view."""

    online_url = forms.URLField(
        label=_("Lien de la session en ligne"),
        required=False,
        assume_scheme="https",
        error_messages={"invalid": _("Adresse web invalide.")},
    )
    commune = CommuneField(label=_("Commune"), required=False)

    class Meta:
        model = Event
        fields = [
            "branch",
            "kind",
            "title",
            "description",
            "starts_at",
            "ends_at",
            "venue",
            "address",
            "commune",
            "online_url",
            "capacity",
            "registration_deadline",
            "audience",
            "themes",
            "organisers",
            "partnerships",
            "is_published",
        ]
        widgets = {
            "starts_at": DateTimeInput(),
            "ends_at": DateTimeInput(),
            "registration_deadline": DateTimeInput(),
            "description": forms.Textarea(attrs={"rows": 5}),
        }
        error_messages = {
            "title": {"required": _("Indiquez un titre.")},
            "starts_at": {
                "required": _("Indiquez la date et l'heure de début."),
                "invalid": _("Date invalide."),
            },
            "ends_at": {"required": _("Indiquez la date et l'heure de fin."), "invalid": _("Date invalide.")},
            "capacity": {"required": _("Indiquez le nombre de places.")},
        }

    def clean(self):
        data = super().clean()
        start, end, deadline = data.get("starts_at"), data.get("ends_at"), data.get("registration_deadline")
        if start and end and end <= start:
            self.add_error("ends_at", _("La fin doit être postérieure au début."))
        if start and deadline and deadline > start:
            self.add_error("registration_deadline", _("La date limite d'inscription doit précéder le début."))
        kind = data.get("kind")
        if kind == Event.Kind.ONLINE and not data.get("online_url"):
            self.add_error("online_url", _("Une session en ligne a besoin d'un lien."))
        if kind and kind != Event.Kind.ONLINE and not (data.get("address") or data.get("commune")):
            self.add_error("address", _("Indiquez l'adresse ou la commune du lieu."))
        return data


class RegistrationForm(forms.Form):
    name = forms.CharField(
        label=_("Nom et prénom"), max_length=150, error_messages={"required": _("Indiquez votre nom.")}
    )
    email = forms.EmailField(
        label=_("Adresse e-mail"),
        error_messages={
            "required": _("Indiquez votre adresse e-mail."),
            "invalid": _("Adresse e-mail invalide."),
        },
    )
    organisation = forms.ModelChoiceField(
        label=_("Au titre de ma structure"),
        queryset=None,
        required=False,
        empty_label=_("— à titre personnel ou autre structure —"),
    )
    side = forms.ChoiceField(
        label=_("Je représente"),
        choices=Registration.Side.choices,
        widget=forms.RadioSelect,
        help_text=_(
            "Chaque rendez-vous réunit une association et une entreprise : choisissez « Autre » si vous "
            "venez à un autre titre."
        ),
        error_messages={
            "required": _("Indiquez si vous représentez une association, une entreprise ou autre."),
            "invalid_choice": _(
                "Choix invalide : indiquez si vous représentez une association, une entreprise ou autre."
            ),
        },
    )
    organisation_name = forms.CharField(
        label=_("Structure (si elle n'est pas dans la liste)"), max_length=200, required=False
    )

    def __init__(self, *args, organisations=None, asks_side: bool = False, **kwargs):
        """`asks_side`: the event is a bipartite speed-meeting, so a registrant without a directory
        organisation says which side they come for (a member choosing one of their organisations does not)."""
        super().__init__(*args, **kwargs)
        if organisations is None:
            del self.fields["organisation"]
            self.fields["organisation_name"].label = _("Structure (facultatif)")
        else:
            self.fields["organisation"].queryset = organisations
        if not asks_side:
            del self.fields["side"]
        elif organisations is not None:
            self.fields["side"].required = False
            self.fields["side"].label = _("Je représente (si je ne viens pas au titre de ma structure)")
        if asks_side and organisations is None:
            self.fields["organisation_name"].label = _("Nom de ma structure")
            self.fields["organisation_name"].help_text = _(
                "Obligatoire si vous représentez une association ou une entreprise."
            )

    def clean(self):
        data = super().clean()
        if "side" not in self.fields or "side" in self.errors:
            return data
        if data.get("organisation"):
            data["side"] = ""  # the organisation's kind decides its side
        elif not data.get("side"):
            self.add_error("side", self.fields["side"].error_messages["required"])
        elif data["side"] != Registration.Side.OTHER and not data.get("organisation_name", "").strip():
            self.add_error(
                "organisation_name",
                _("Indiquez le nom de l'association ou de l'entreprise que vous représentez."),
            )
        return data


class CheckInSearchForm(forms.Form):
    q = forms.CharField(label=_("Rechercher un nom"), required=False, max_length=100)


class EventFilterForm(forms.Form):
    branch = forms.ChoiceField(label=_("Antenne"), required=False)
    # A select of names; any code stays accepted (a link to a department without events lists none).
    department = forms.CharField(label=_("Département"), required=False, max_length=3, widget=forms.Select)
    kind = forms.ChoiceField(
        label=_("Type"), required=False, choices=[("", _("Tous les types")), *Event.Kind.choices]
    )

    def __init__(self, *args, branches=(), departments=(), **kwargs):
        """`departments`: those of the events listed, offered by name ("Vienne (86)") in French order."""
        super().__init__(*args, **kwargs)
        self.fields["branch"].choices = [("", _("Toutes les antennes"))] + [
            (b.slug, b.name) for b in branches
        ]
        self.fields["department"].widget.choices = [("", _("Tous les départements"))] + [
            (d.code, f"{d.name} ({d.code})") for d in sorted(departments, key=lambda d: sort_key(d.name))
        ]

    def clean_department(self) -> str:
        return (self.cleaned_data.get("department") or "").strip().upper()


class WorkshopItemForm(forms.Form):
    kind = forms.ChoiceField(label=_("Type"), choices=WorkshopItem.Kind.choices)
    text = forms.CharField(label=_("Texte"), max_length=5000, widget=forms.Textarea(attrs={"rows": 3}))


class DocumentForm(forms.Form):
    title = forms.CharField(label=_("Titre du document"), max_length=200, required=False)
    file = forms.FileField(label=_("Fichier"), error_messages={"required": _("Choisissez un fichier.")})

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size == 0:
            raise ValidationError(_("Le fichier est vide."))
        return upload
