"""REST API for partnerships: listed and read through terreau.core.access.visible(); branch staff move their
stage through terreau.partnerships.services.partnership_set_stage."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from terreau.api.views import AccessLookupMixin
from terreau.core.access import get_for, visible
from terreau.partnerships import services as partnership_services
from terreau.partnerships.models import Partnership

# --- serializers -------------------------------------------------------------------------------------


class PartnershipSerializer(serializers.ModelSerializer):
    branch = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    partners = serializers.SlugRelatedField(slug_field="slug", many=True, read_only=True)
    # Blank until the partnership's kind is known: the document says so.
    kind = serializers.ChoiceField(choices=Partnership.Kind.choices, allow_blank=True, read_only=True)

    class Meta:
        model = Partnership
        fields = ["id", "title", "kind", "stage", "origin", "branch", "partners", "created_at", "updated_at"]
        read_only_fields = fields


class PartnershipStageSerializer(serializers.Serializer):
    stage = serializers.ChoiceField(choices=Partnership.Stage.choices)
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


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
        return get_for(self.request.user, self.base_queryset(), action="manage", pk=self.kwargs["pk"])
