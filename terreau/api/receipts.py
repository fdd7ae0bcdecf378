"""REST API for tax receipts: read only (an issued receipt never changes), with their PDF, through
terreau.core.access: the issuing organisation and the donor see their receipts, the branch's staff those of
their branch, nobody else."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, renderers, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request

from terreau.api.views import AccessLookupMixin
from terreau.contributions.receipt_models import Receipt
from terreau.contributions.receipt_pdf import receipt_pdf
from terreau.core.access import visible


class ReceiptSerializer(serializers.ModelSerializer):
    issuer = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    donor = serializers.SlugRelatedField(slug_field="slug", read_only=True, allow_null=True)
    contributions = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    replaces = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)
    issuer_snapshot = serializers.JSONField(read_only=True, help_text="Le bénéficiaire tel qu'à l'émission.")
    donor_snapshot = serializers.JSONField(read_only=True, help_text="Le donateur tel qu'à l'émission.")

    class Meta:
        model = Receipt
        fields = [
            "id",
            "number",
            "year",
            "sequence",
            "form",
            "nature",
            "issuer",
            "donor",
            "contributions",
            "period_start",
            "period_end",
            "amount",
            "amount_in_words",
            "in_kind_description",
            "payment_method",
            "issuer_snapshot",
            "donor_snapshot",
            "issued_at",
            "state",
            "cancelled_at",
            "cancel_reason",
            "replaces",
            "is_demo",
        ]
        read_only_fields = fields


class PdfRenderer(renderers.BaseRenderer):
    media_type = "application/pdf"
    format = "pdf"
    charset = None
    render_style = "binary"

    def render(self, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None) -> Any:
        # Only errors reach a renderer (the PDF is answered as it is): they stay JSON.
        if isinstance(data, bytes):
            return data
        return renderers.JSONRenderer().render(data)


@extend_schema_view(
    list=extend_schema(
        summary="Reçus fiscaux visibles (émis par votre structure, reçus pour ses dons, de votre antenne)",
        tags=["reçus fiscaux"],
    ),
    retrieve=extend_schema(summary="Un reçu fiscal (404 s'il n'est pas visible)", tags=["reçus fiscaux"]),
    pdf=extend_schema(
        summary="Le reçu fiscal en PDF (Cerfa 16216 ou 11580 ; « ANNULÉ » s'il a été annulé)",
        tags=["reçus fiscaux"],
        responses={(200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY, description="Le PDF.")},
    ),
)
class ReceiptViewSet(
    AccessLookupMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    model = Receipt
    serializer_class = ReceiptSerializer
    queryset = Receipt.objects.none()  # schema introspection only
    http_method_names = ["get", "head", "options"]

    def base_queryset(self) -> QuerySet[Receipt]:
        return Receipt.objects.select_related("issuer", "donor", "replaces", "issued_by").prefetch_related(
            "contributions"
        )

    def get_queryset(self) -> QuerySet[Receipt]:
        if getattr(self, "swagger_fake_view", False):
            return Receipt.objects.none()
        return visible(self.request.user, self.base_queryset()).order_by("-issued_at", "pk")

    @action(
        detail=True, methods=["get"], url_path="pdf", renderer_classes=[renderers.JSONRenderer, PdfRenderer]
    )
    def pdf(self, request: Request, pk: str | None = None, **kwargs: Any) -> HttpResponse:
        receipt = self.get_object()
        response = HttpResponse(receipt_pdf(receipt), content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="recu-{receipt.number}.pdf"'
        return response
