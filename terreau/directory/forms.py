"""Forms of the directory: organisation profile, needs and offers, members.

Forms validate and clean input (French messages); they never decide who may see or change what
(terreau.core.access does) and never write (terreau.directory.services does).
"""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from terreau.core.dates import BoundedDatesMixin
from terreau.core.models import Branch
from terreau.directory import validators
from terreau.directory.models import (
    Direction,
    Membership,
    NeedOffer,
    NeedOfferStatus,
    Organisation,
    OrganisationKind,
    Theme,
)
from terreau.territories.forms import CommuneField

LOGO_MAX_BYTES = 2 * 1024 * 1024
LOGO_FORMATS = {"PNG", "JPEG", "GIF", "WEBP"}


class AccessibleFormMixin:
    """Points inputs in error at their message (aria-describedby), so screen readers read it."""

    def full_clean(self) -> None:
        super().full_clean()  # type: ignore[misc]
        for name in self.errors:  # type: ignore[attr-defined]
            field = self.fields.get(name)  # type: ignore[attr-defined]
            if field is None:
                continue
            ids = [f"id_{name}_error"]
            if field.help_text:
                ids.append(f"id_{name}_helptext")
            field.widget.attrs["aria-describedby"] = " ".join(ids)


class IdentifierField(forms.CharField):
    """An identifier typed with spaces, dots or dashes; cleaned to upper-case characters only."""

    def __init__(self, *, validator, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("max_length", 30)
        super().__init__(**kwargs)
        self._validator = validator

    def clean(self, value: Any) -> str:
        cleaned = validators.clean_identifier(super().clean(value))
        self._validator(cleaned)
        return cleaned


class LogoField(forms.ImageField):
    """An image of at most LOGO_MAX_BYTES; the size is checked before the image is decoded."""

    def to_python(self, data: Any) -> Any:
        size = getattr(data, "size", None)
        if size is not None and size > LOGO_MAX_BYTES:
            raise ValidationError(
                _("Le logo ne doit pas dépasser 2 Mo (fichier envoyé : %(size)s Mo).")
                % {"size": f"{size / 1024 / 1024:.1f}".replace(".", ",")},
                code="file_too_big",
            )
        return super().to_python(data)


class OrganisationForm(AccessibleFormMixin, forms.ModelForm):
    """Profile of an organisation, as its members edit it; branch staff also get the staff fields."""

    STAFF_FIELDS = ("visibility", "branch", "private_notes")

    siren = IdentifierField(label=gettext_lazy("SIREN"), validator=validators.validate_siren)
    siret = IdentifierField(label=gettext_lazy("SIRET"), validator=validators.validate_siret)
    rna = IdentifierField(label=gettext_lazy("Numéro RNA"), validator=validators.validate_rna)
    commune = CommuneField(label=gettext_lazy("Commune"), required=False)
    website = forms.URLField(
        label=gettext_lazy("Site web"),
        required=False,
        max_length=200,
        assume_scheme="https",
        widget=forms.URLInput(attrs={"placeholder": "https://"}),
    )
    themes = forms.ModelMultipleChoiceField(
        label=gettext_lazy("Thèmes"),
        queryset=Theme.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    logo = LogoField(
        label=gettext_lazy("Logo"),
        required=False,
        help_text=gettext_lazy("Image PNG, JPEG, GIF ou WebP de 2 Mo au plus."),
        widget=forms.ClearableFileInput(attrs={"accept": "image/png,image/jpeg,image/gif,image/webp"}),
        error_messages={
            "invalid_image": gettext_lazy(
                "Le fichier envoyé n'est pas une image valide (formats acceptés : PNG, JPEG, GIF, WebP)."
            )
        },
    )

    class Meta:
        model = Organisation
        fields = [
            "name",
            "acronym",
            "kind",
            "host_type",
            "description",
            "themes",
            "logo",
            "commune",
            "address",
            "postal_code",
            "website",
            "email",
            "phone",
            "siren",
            "siret",
            "rna",
            "legal_category",
            "workforce_band",
            "visibility",
            "branch",
            "private_notes",
        ]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 6}),
            "private_notes": forms.Textarea(attrs={"rows": 4}),
            "postal_code": forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "postal-code"}),
        }
        help_texts = {
            "legal_category": gettext_lazy(
                "Code à 4 chiffres de la nomenclature INSEE (ex. 9220 : association déclarée)."
            ),
            "host_type": gettext_lazy(
                "Uniquement pour une structure d'accueil (EHPAD, centre socioculturel…)."
            ),
            "private_notes": gettext_lazy("Visibles seulement par l'équipe de l'antenne."),
        }

    def __init__(self, *args: Any, staff: bool = False, branches=None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.staff = staff
        if not staff:
            for name in self.STAFF_FIELDS:
                del self.fields[name]
        else:
            self.fields["branch"].queryset = branches if branches is not None else Branch.objects.none()
            self.fields["branch"].required = bool(self.instance.branch_id)
            self.fields["branch"].empty_label = None if self.instance.branch_id else "—"
        blank_labels = {
            "kind": _("Choisissez un type de structure"),
            "host_type": _("Non renseigné"),
            "workforce_band": _("Non renseigné"),
        }
        for name, blank in blank_labels.items():
            self.fields[name].choices = [("", blank)] + [c for c in self.fields[name].choices if c[0]]

    def clean_legal_category(self) -> str:
        value = (self.cleaned_data.get("legal_category") or "").strip()
        if value and not re.fullmatch(r"\d{4}", value):
            raise ValidationError(_("La catégorie juridique est un code de 4 chiffres (ex. 9220)."))
        return value

    def clean_postal_code(self) -> str:
        value = re.sub(r"\s", "", self.cleaned_data.get("postal_code") or "")
        if value and not re.fullmatch(r"\d{5}", value):
            raise ValidationError(_("Le code postal compte 5 chiffres (ex. 86000)."))
        return value

    def clean_logo(self):
        logo = self.cleaned_data.get("logo")
        # Only a new upload carries `image` (set by ImageField); the current file and False (clear) pass.
        image = getattr(logo, "image", None)
        if image is not None and (image.format or "").upper() not in LOGO_FORMATS:
            raise ValidationError(
                _("Format d'image non accepté : envoyez un fichier PNG, JPEG, GIF ou WebP.")
            )
        return logo

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        siren, siret = data.get("siren"), data.get("siret")
        if siren and siret and not siret.startswith(siren):
            self.add_error(
                "siret",
                _("Le SIRET doit commencer par le SIREN de la structure (%(siren)s).") % {"siren": siren},
            )
        if data.get("kind") != OrganisationKind.HOST_STRUCTURE:
            data["host_type"] = ""
        return data


class NeedOfferForm(BoundedDatesMixin, AccessibleFormMixin, forms.ModelForm):
    """A need or an offer; the direction is chosen only at creation."""

    class Meta:
        model = NeedOffer
        fields = [
            "direction",
            "title",
            "type",
            "theme",
            "description",
            "quantity",
            "estimated_value",
            "scope",
            "starts_on",
            "ends_on",
            "visibility",
        ]
        widgets = {
            "direction": forms.RadioSelect,
            "description": forms.Textarea(attrs={"rows": 5}),
            "starts_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "ends_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        }
        help_texts = {
            "quantity": gettext_lazy("Facultatif : nombre d'objets, d'heures, de personnes…"),
            "estimated_value": gettext_lazy("Facultatif, en euros."),
            "visibility": gettext_lazy(
                "« Réservé à l'antenne » : visible seulement par votre structure et l'antenne."
            ),
        }
        error_messages = {
            "estimated_value": {"min_value": gettext_lazy("La valeur estimée ne peut pas être négative.")},
            "quantity": {"min_value": gettext_lazy("La quantité ne peut pas être négative.")},
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            del self.fields["direction"]
        else:
            self.fields["direction"].choices = Direction.choices
            self.fields["direction"].label = _("Besoin ou ressource ?")
        self.fields["type"].choices = [("", _("Choisissez un type d'aide"))] + [
            c for c in self.fields["type"].choices if c[0]
        ]
        self.fields["theme"].empty_label = _("Aucun thème en particulier")
        self.fields["quantity"].widget.attrs["min"] = 0
        self.fields["estimated_value"].widget.attrs["min"] = 0

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        starts_on, ends_on = data.get("starts_on"), data.get("ends_on")
        if starts_on and ends_on and ends_on < starts_on:
            self.add_error("ends_on", _("La date de fin doit être postérieure ou égale à la date de début."))
        return data


class StatusForm(forms.Form):
    """A status change posted from the edit page; the allowed transitions are checked by the service."""

    to = forms.ChoiceField(label=gettext_lazy("Nouveau statut"))
    note = forms.CharField(label=gettext_lazy("Commentaire"), max_length=500, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["to"].choices = NeedOfferStatus.choices


class MemberAddForm(AccessibleFormMixin, forms.Form):
    email = forms.EmailField(
        label=gettext_lazy("Adresse e-mail"),
        max_length=254,
        help_text=gettext_lazy(
            "Si la personne n'a pas encore de compte, elle reçoit un lien pour choisir son mot de passe."
        ),
    )
    first_name = forms.CharField(label=gettext_lazy("Prénom"), max_length=150, required=False)
    last_name = forms.CharField(label=gettext_lazy("Nom"), max_length=150, required=False)
    role = forms.ChoiceField(
        label=gettext_lazy("Rôle"), choices=Membership.Role.choices, initial=Membership.Role.MEMBER
    )
    job_title = forms.CharField(label=gettext_lazy("Fonction"), max_length=120, required=False)

    def clean_email(self) -> str:
        return self.cleaned_data["email"].strip().lower()
