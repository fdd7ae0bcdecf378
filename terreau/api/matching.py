"""REST API for complementarities: the suggested partners of an organisation.

Members and branch staff of the organisation only (404 for anybody else, its existence is not revealed)."""

from __future__ import annotations

from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers
from rest_framework.request import Request
from rest_framework.response import Response

from terreau.api.views import ApiViewMixin
from terreau.core.access import editable
from terreau.directory.models import Organisation
from terreau.matching import services

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
    why = serializers.ListField(
        child=serializers.CharField(),
        help_text="Raisons, en phrases courtes en français (celles que reçoit le partenaire contacté).",
    )
    distance_km = serializers.IntegerField(allow_null=True)
    pairs = SuggestedPairSerializer(many=True)


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
