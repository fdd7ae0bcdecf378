"""API representations. Field-level access rules (private notes) are decided from the request's Actor."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.validators import RegexValidator
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from terreau import vocabulary
from terreau.api.fields import (
    DESCRIPTION_MAX_LENGTH,
    NOTES_MAX_LENGTH,
    AmountField,
    DocumentedPattern,
    IdentifierField,
    PlainTextField,
    PlainTextModelSerializer,
    PlausibleDateField,
    code_field,
    request_actor,
)
from terreau.api.filters import MAX_PK
from terreau.api.permissions import can_read_private_notes
from terreau.core import states
from terreau.core.access import get_for
from terreau.core.models import Branch
from terreau.directory.models import (
    NeedOffer,
    NeedOfferStatus,
    NeedOfferStatusChange,
    Organisation,
    Theme,
)
from terreau.directory.services import STAFF_FIELDS
from terreau.directory.validators import validate_rna, validate_siren, validate_siret
from terreau.territories.models import Commune, Department, Region


class RegionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Region
        fields = ["code", "name"]


class DepartmentSerializer(serializers.ModelSerializer):
    region = serializers.CharField(
        source="region_id", read_only=True, help_text=_lazy("Code INSEE de la région.")
    )

    class Meta:
        model = Department
        fields = ["code", "name", "region"]


class CommuneSerializer(serializers.ModelSerializer):
    department = serializers.CharField(
        source="department_id", read_only=True, help_text=_lazy("Code du département.")
    )
    region = serializers.CharField(
        source="department.region_id", read_only=True, help_text=_lazy("Code de la région.")
    )
    postal_codes = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)

    class Meta:
        model = Commune
        fields = [
            "code",
            "name",
            "department",
            "region",
            "postal_codes",
            "population",
            "latitude",
            "longitude",
        ]


# --- organisations -----------------------------------------------------------------------------------


class OrganisationSerializer(PlainTextModelSerializer):
    """An organisation. ``private_notes`` is present only for the staff of the organisation's branch."""

    api_url = serializers.HyperlinkedIdentityField(view_name="api-organisation-detail", lookup_field="slug")
    page_url = serializers.SerializerMethodField(help_text=_lazy("Adresse de la fiche publique."))
    siren = IdentifierField(
        max_length=9,
        required=False,
        allow_blank=True,
        validators=[DocumentedPattern(r"^[0-9]{9}$", validate_siren)],
        help_text=_lazy("SIREN : 9 chiffres dont une clé de contrôle."),
    )
    siret = IdentifierField(
        max_length=14,
        required=False,
        allow_blank=True,
        validators=[DocumentedPattern(r"^[0-9]{14}$", validate_siret)],
        help_text=_lazy("SIRET : 14 chiffres dont une clé de contrôle."),
    )
    rna = IdentifierField(
        max_length=10,
        required=False,
        allow_blank=True,
        validators=[DocumentedPattern(r"^W[0-9][0-9A-Z][0-9]{7}$", validate_rna)],
    )
    commune = code_field(Commune, allow_null=True, help_text=_lazy("Code INSEE de la commune."))
    department = serializers.CharField(
        source="department_code", read_only=True, allow_null=True, help_text=_lazy("Code du département.")
    )
    themes = code_field(Theme, many=True, help_text=_lazy("Codes des thèmes."))
    branch = serializers.SlugRelatedField(
        slug_field="slug",
        queryset=Branch.objects.all(),
        required=False,
        allow_null=True,
        help_text=_lazy("Identifiant de l'antenne."),
        error_messages={
            "does_not_exist": _lazy("Antenne inconnue : « {value} »."),
            "invalid": _lazy("Antenne invalide."),
        },
    )
    description = PlainTextField(required=False, allow_blank=True, max_length=DESCRIPTION_MAX_LENGTH)
    private_notes = PlainTextField(
        required=False,
        allow_blank=True,
        max_length=NOTES_MAX_LENGTH,
        help_text=_lazy("Notes internes : présentes et modifiables seulement pour l'équipe de l'antenne."),
    )

    class Meta:
        model = Organisation
        fields = [
            "slug",
            "api_url",
            "page_url",
            "kind",
            "host_type",
            "name",
            "acronym",
            "siren",
            "siret",
            "rna",
            "legal_category",
            "workforce_band",
            "naf_code",
            "commune",
            "department",
            "address",
            "postal_code",
            "latitude",
            "longitude",
            "website",
            "email",
            "phone",
            "description",
            "themes",
            "logo",
            "branch",
            "visibility",
            "private_notes",
            "is_demo",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["latitude", "longitude", "logo", "is_demo", "created_at", "updated_at"]
        extra_kwargs = {
            "slug": {"required": False},
            "legal_category": {
                "validators": [
                    RegexValidator(
                        r"^[0-9]{4}$", _lazy("Catégorie juridique invalide : 4 chiffres (ex. 9220).")
                    )
                ]
            },
            "postal_code": {
                "validators": [RegexValidator(r"^[0-9]{5}$", _lazy("Code postal invalide : 5 chiffres."))]
            },
        }

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        if isinstance(self.instance, Organisation):
            # The address of an existing organisation does not change through the API.
            fields["slug"].read_only = True
        return fields

    @extend_schema_field(OpenApiTypes.URI)
    def get_page_url(self, obj: Organisation) -> str:
        request = self.context.get("request")
        url = obj.get_absolute_url()
        return request.build_absolute_uri(url) if request is not None else url

    def to_representation(self, instance: Organisation) -> dict[str, Any]:
        data = super().to_representation(instance)
        if not can_read_private_notes(request_actor(self.context), instance):
            data.pop("private_notes", None)
        return data

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        actor = request_actor(self.context)
        instance: Organisation | None = self.instance
        if instance is None:
            branch = attrs.get("branch")
            if branch is None and not actor.is_superuser:
                raise serializers.ValidationError({"branch": _("Indiquez l'antenne de l'organisation.")})
            if not actor.manages_branch(branch):
                raise PermissionDenied(_("Seule l'équipe de cette antenne peut y créer une organisation."))
        else:
            is_staff = can_read_private_notes(actor, instance)
            for name in sorted(STAFF_FIELDS):
                # Only branch staff change these; members may send them back unchanged (GET then PUT).
                if name not in attrs:
                    continue
                if attrs[name] == getattr(instance, name):
                    del attrs[name]
                elif not is_staff:
                    raise PermissionDenied(
                        _("Seule l'équipe de l'antenne peut modifier ce champ : %(field)s.")
                        % {"field": Organisation._meta.get_field(name).verbose_name}
                    )
            if "branch" in attrs and not actor.manages_branch(attrs["branch"]):
                raise PermissionDenied(
                    _(
                        "Vous ne pouvez rattacher l'organisation qu'à une antenne dont vous faites partie de l'équipe."
                    )
                )
        if attrs.get("host_type") and attrs.get("kind", getattr(instance, "kind", None)) != "host_structure":
            raise serializers.ValidationError(
                {"host_type": _("Le type de structure d'accueil ne s'applique qu'aux structures d'accueil.")}
            )
        return attrs


# --- needs and offers --------------------------------------------------------------------------------


@extend_schema_field(
    {
        "oneOf": [{"type": "integer"}, {"type": "string"}],
        "description": "Identifiant numérique ou slug de l'organisation (à la création seulement).",
    }
)
class OrganisationRefField(serializers.Field):
    """The organisation of a new need or offer, by id or slug, fetched through the access layer: invisible
    -> 404, visible but not editable by the user -> 403. On an existing row it cannot change."""

    default_error_messages = {
        "invalid": _lazy("Indiquez l'organisation par son identifiant numérique ou son slug."),
        "immutable": _lazy("Un besoin ou une ressource ne change pas d'organisation."),
    }

    def to_internal_value(self, data: Any) -> Organisation:
        if isinstance(data, bool) or not isinstance(data, int | str) or not str(data).strip():
            self.fail("invalid")
        ref = str(data).strip()
        if len(ref) > 255 or "\x00" in ref:
            self.fail("invalid")
        if ref.isdigit() and int(ref) > MAX_PK:
            raise Http404
        lookup = {"pk": int(ref)} if ref.isdigit() else {"slug": ref}
        instance = getattr(self.parent, "instance", None)
        if instance is not None:
            current = instance.organisation
            if lookup.get("pk", current.pk) != current.pk or lookup.get("slug", current.slug) != current.slug:
                self.fail("immutable")
            return current
        request = self.context["request"]
        return get_for(request.user, Organisation.objects.all(), action="change", **lookup)

    def to_representation(self, value: Organisation) -> str:
        return value.slug


class StatusChangeSerializer(serializers.ModelSerializer):
    class Meta:
        model = NeedOfferStatusChange
        fields = ["from_state", "to_state", "at", "note"]
        read_only_fields = fields


class NeedOfferSerializer(PlainTextModelSerializer):
    """A need (/api/needs/) or an offer (/api/offers/); the direction comes from the endpoint."""

    organisation = OrganisationRefField(required=False)
    organisation_name = serializers.CharField(source="organisation.name", read_only=True)
    type = serializers.ChoiceField(choices=list(vocabulary.TYPES.items()))
    theme = code_field(Theme, allow_null=True, help_text=_lazy("Code du thème."))
    description = PlainTextField(required=False, allow_blank=True, max_length=DESCRIPTION_MAX_LENGTH)
    starts_on = PlausibleDateField(required=False, allow_null=True)
    ends_on = PlausibleDateField(required=False, allow_null=True)
    estimated_value = AmountField(
        max_digits=12,
        decimal_places=2,
        min_value=0,
        required=False,
        allow_null=True,
        error_messages={"min_value": _lazy("La valeur estimée ne peut pas être négative.")},
    )
    status = serializers.ChoiceField(
        choices=NeedOfferStatus.choices,
        required=False,
        help_text=_lazy(
            "Statut. À la création : « open » seulement. Ensuite, un changement passe par les transitions "
            "autorisées (voir allowed_statuses) et s'inscrit dans l'historique."
        ),
    )
    status_note = PlainTextField(
        write_only=True,
        required=False,
        allow_blank=True,
        max_length=500,
        help_text=_lazy("Commentaire enregistré avec le changement de statut."),
    )
    allowed_statuses = serializers.ListField(
        child=serializers.CharField(),
        read_only=True,
        help_text=_lazy("Statuts vers lesquels il peut passer."),
    )
    history = serializers.SerializerMethodField()

    class Meta:
        model = NeedOffer
        fields = [
            "id",
            "direction",
            "organisation",
            "organisation_name",
            "type",
            "theme",
            "title",
            "description",
            "quantity",
            "estimated_value",
            "scope",
            "starts_on",
            "ends_on",
            "status",
            "status_note",
            "allowed_statuses",
            "history",
            "visibility",
            "is_demo",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["direction", "is_demo", "created_at", "updated_at"]
        extra_kwargs = {
            "quantity": {"min_value": 0, "max_value": 1_000_000_000},
        }

    @extend_schema_field(StatusChangeSerializer(many=True))
    def get_history(self, obj: NeedOffer) -> list[dict[str, Any]]:
        # Prefetched by the view through the access layer (visible_history); empty when not allowed.
        rows = getattr(obj, "visible_history", None)
        if rows is None:
            return []
        return StatusChangeSerializer(rows, many=True).data

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        instance: NeedOffer | None = self.instance
        starts_on = attrs.get("starts_on", getattr(instance, "starts_on", None))
        ends_on = attrs.get("ends_on", getattr(instance, "ends_on", None))
        if starts_on and ends_on and ends_on < starts_on:
            raise serializers.ValidationError({"ends_on": _("La date de fin précède la date de début.")})
        status = attrs.get("status")
        if instance is None:
            if "organisation" not in attrs:
                raise serializers.ValidationError({"organisation": _("Ce champ est obligatoire.")})
            if status not in (None, NeedOfferStatus.OPEN):
                raise serializers.ValidationError(
                    {"status": _("Un besoin ou une ressource est créé avec le statut « Ouvert ».")}
                )
        elif status is not None and status != instance.status:
            allowed = states.allowed(instance)
            if status not in allowed:
                labels = ", ".join(f"« {NeedOfferStatus(s).label} »" for s in sorted(allowed))
                raise serializers.ValidationError(
                    {
                        "status": _(
                            "Passage de « %(from)s » à « %(to)s » impossible. Statuts possibles : %(allowed)s."
                        )
                        % {
                            "from": NeedOfferStatus(instance.status).label,
                            "to": NeedOfferStatus(status).label,
                            "allowed": labels,
                        }
                    }
                )
        return attrs


class NeedOfferCreateSerializer(NeedOfferSerializer):
    """Creation: the organisation is required (it never changes afterwards)."""

    organisation = OrganisationRefField(required=True)
    status = serializers.ChoiceField(
        choices=[(NeedOfferStatus.OPEN, NeedOfferStatus.OPEN.label)],
        required=False,
        help_text=_lazy("Statut : un besoin ou une ressource est créé « open » (ouvert)."),
        error_messages={
            "invalid_choice": _lazy("Un besoin ou une ressource est créé avec le statut « Ouvert ».")
        },
    )


class OrganisationCreateSerializer(OrganisationSerializer):
    """Creation: the branch is required (only the staff of that branch may create there)."""

    branch = serializers.SlugRelatedField(
        slug_field="slug",
        queryset=Branch.objects.all(),
        help_text=_lazy("Identifiant de l'antenne."),
        error_messages={
            "required": _lazy("Indiquez l'antenne de l'organisation."),
            "null": _lazy("Indiquez l'antenne de l'organisation."),
            "does_not_exist": _lazy("Antenne inconnue : « {value} »."),
            "invalid": _lazy("Antenne invalide."),
        },
    )
