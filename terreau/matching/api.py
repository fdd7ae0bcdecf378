"""REST API for complementarities (suggestions of an organisation) and partnerships.

Suggestions: members and branch staff of the organisation only (404 for anybody else, its existence is
not revealed). Partnerships: listed and read through terreau.core.access.visible(); branch staff move
their stage through terreau.partnerships.services.partnership_set_stage."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import generics, mixins, serializers, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from terreau.api.views import AccessLookupMixin, ApiViewMixin
from terreau.core.access import editable, visible
from terreau.directory.models import Organisation
from terreau.matching import services
from terreau.partnerships import services as partnership_services
from terreau.partnerships.models import Partnership

# --- serializers -------------------------------------------------------------------------------------


class SuggestedPairSerializer(serializers.Serializer):
    need = serializers.IntegerField(source="need.pk", help_text="Identifiant du besoin.")
    need_title = serializers.CharField(source="need.title")
    offer = serializers.IntegerField(source="offer.pk", help_text="Identifiant de la ressource.")
    offer_title = serializers.CharField(source="offer.title")
    direction = serializers.ChoiceField(
        choices=["receives", "gives"],
        help_text="receives : notre besoin, leur ressource ; gives : notre ressource, leur besoin.",
    )
    score = serializers.FloatField()
    already_proposed = serializers.BooleanField(help_text="Une mise en relation est déjà en cours.")


class SuggestionSerializer(serializers.Serializer):
    partner = serializers.CharField(source="partner.slug", help_text="Identifiant (slug) du partenaire.")
    partner_name = serializers.CharField(source="partner.name")
    score = serializers.FloatField(help_text="Entre 0 et 1.")
    why = serializers.ListField(child=serializers.CharField(), help_text="Raisons, en français.")
    distance_km = serializers.IntegerField(allow_null=True)
    pairs = SuggestedPairSerializer(many=True)


class PartnershipSerializer(serializers.ModelSerializer):
    branch = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    partners = serializers.SlugRelatedField(slug_field="slug", many=True, read_only=True)

    class Meta:
        model = Partnership
        fields = ["id", "title", "kind", "stage", "origin", "branch", "partners", "created_at", "updated_at"]
        read_only_fields = fields


class PartnershipStageSerializer(serializers.Serializer):
    stage = serializers.ChoiceField(choices=Partnership.Stage.choices)
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


# --- views -------------------------------------------------------------------------------------------


@extend_schema(
    summary="Partenaires suggérés d'une organisation (ses membres et l'équipe de son antenne ; 404 sinon)",
    parameters=[
        OpenApiParameter(
            "slug", OpenApiTypes.STR, OpenApiParameter.PATH, description="Slug de l'organisation."
        )
    ],
    responses=SuggestionSerializer(many=True),
    tags=["complémentarités"],
)
class SuggestionListView(ApiViewMixin, generics.GenericAPIView):
    serializer_class = SuggestionSerializer
    pagination_class = None
    queryset = Organisation.objects.none()  # schema introspection only

    def get(self, request: Request, slug: str) -> Response:
        organisation = editable(request.user, Organisation.objects.filter(slug=slug)).first()
        if organisation is None:
            raise Http404
        found = services.suggestions_for(organisation=organisation, user=request.user)
        return Response(self.get_serializer(found, many=True).data)


@extend_schema_view(
    list=extend_schema(summary="Partenariats visibles", tags=["partenariats"]),
    retrieve=extend_schema(summary="Un partenariat (404 s'il n'est pas visible)", tags=["partenariats"]),
    partial_update=extend_schema(
        summary="Changer l'étape d'un partenariat (équipe de son antenne)",
        request=PartnershipStageSerializer,
        responses=PartnershipSerializer,
        tags=["partenariats"],
    ),
)
class PartnershipViewSet(
    AccessLookupMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    model = Partnership
    serializer_class = PartnershipSerializer
    queryset = Partnership.objects.none()  # schema introspection only
    http_method_names = ["get", "patch", "head", "options"]

    def base_queryset(self) -> QuerySet[Partnership]:
        return Partnership.objects.select_related("branch").prefetch_related("partners")

    def get_queryset(self) -> QuerySet[Partnership]:
        if getattr(self, "swagger_fake_view", False):
            return Partnership.objects.none()
        return visible(self.request.user, self.base_queryset()).order_by("-updated_at", "pk")

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        self.kwargs = kwargs
        partnership = self._managed()
        data = PartnershipStageSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        partnership_services.partnership_set_stage(
            partnership=partnership,
            to=data.validated_data["stage"],
            by=request.user,
            note=data.validated_data["note"],
        )
        return Response(PartnershipSerializer(self.base_queryset().get(pk=partnership.pk)).data)

    def _managed(self) -> Partnership:
        from terreau.core.access import get_for

        return get_for(self.request.user, self.base_queryset(), action="manage", pk=self.kwargs["pk"])
