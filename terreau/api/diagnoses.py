"""REST API for territorial diagnoses and their key issues (read only): listed and read through
terreau.core.access — published diagnoses (and their key issues) are public, the others are seen by their
branch's staff only."""

from __future__ import annotations

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, viewsets
from rest_framework.exceptions import ValidationError

from terreau.alliances.models import Diagnosis, KeyIssue
from terreau.api.views import AccessLookupMixin
from terreau.core.access import visible


class DiagnosisSerializer(serializers.ModelSerializer):
    branch = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    departments = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)
    epcis = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)
    communes = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)
    key_issues = serializers.PrimaryKeyRelatedField(many=True, read_only=True)

    class Meta:
        model = Diagnosis
        fields = [
            "id",
            "title",
            "summary",
            "branch",
            "state",
            "period_start",
            "period_end",
            "consultation_closes_on",
            "published_at",
            "departments",
            "epcis",
            "communes",
            "key_issues",
            "is_demo",
        ]
        read_only_fields = fields


class KeyIssueSerializer(serializers.ModelSerializer):
    themes = serializers.ListField(child=serializers.CharField(), read_only=True)
    answers = serializers.SerializerMethodField(help_text="Nombre de réponses à la consultation citées.")
    indicator_values = serializers.SerializerMethodField(help_text="Nombre de valeurs d'indicateurs citées.")
    needs = serializers.SerializerMethodField(help_text="Nombre de besoins de l'annuaire cités.")

    class Meta:
        model = KeyIssue
        fields = [
            "id",
            "diagnosis",
            "title",
            "description",
            "themes",
            "state",
            "answers",
            "indicator_values",
            "needs",
        ]
        read_only_fields = fields

    def get_answers(self, obj: KeyIssue) -> int:
        return len(obj.answers.all())

    def get_indicator_values(self, obj: KeyIssue) -> int:
        return len(obj.indicator_values.all())

    def get_needs(self, obj: KeyIssue) -> int:
        return len(obj.needs.all())


@extend_schema_view(
    list=extend_schema(
        summary="Diagnostics territoriaux visibles (publiés, ou de votre antenne)", tags=["diagnostics"]
    ),
    retrieve=extend_schema(
        summary="Un diagnostic territorial (404 s'il n'est pas visible)", tags=["diagnostics"]
    ),
)
class DiagnosisViewSet(
    AccessLookupMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    model = Diagnosis
    serializer_class = DiagnosisSerializer
    queryset = Diagnosis.objects.none()  # schema introspection only
    http_method_names = ["get", "head", "options"]

    def base_queryset(self) -> QuerySet[Diagnosis]:
        return Diagnosis.objects.select_related("branch").prefetch_related(
            "departments", "epcis", "communes", "key_issues"
        )

    def get_queryset(self) -> QuerySet[Diagnosis]:
        if getattr(self, "swagger_fake_view", False):
            return Diagnosis.objects.none()
        return visible(self.request.user, self.base_queryset()).order_by("-period_end", "pk")


@extend_schema_view(
    list=extend_schema(
        summary="Enjeux clés visibles (de diagnostics publiés, ou de votre antenne)",
        tags=["diagnostics"],
        parameters=[
            OpenApiParameter(
                "diagnosis",
                # What the view accepts: a positive identifier of at most 12 digits (400 otherwise).
                {"type": "integer", "minimum": 0, "maximum": 999_999_999_999},
                description="Seulement les enjeux de ce diagnostic.",
            )
        ],
    ),
    retrieve=extend_schema(summary="Un enjeu clé (404 s'il n'est pas visible)", tags=["diagnostics"]),
)
class KeyIssueViewSet(
    AccessLookupMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    model = KeyIssue
    serializer_class = KeyIssueSerializer
    queryset = KeyIssue.objects.none()  # schema introspection only
    http_method_names = ["get", "head", "options"]

    def base_queryset(self) -> QuerySet[KeyIssue]:
        return KeyIssue.objects.prefetch_related("answers", "indicator_values", "needs")

    def get_queryset(self) -> QuerySet[KeyIssue]:
        if getattr(self, "swagger_fake_view", False):
            return KeyIssue.objects.none()
        qs = visible(self.request.user, self.base_queryset())
        diagnosis = self.request.query_params.get("diagnosis", "")
        if diagnosis:
            if not diagnosis.isdigit() or len(diagnosis) > 12:
                raise ValidationError({"diagnosis": ["Identifiant de diagnostic invalide."]})
            qs = qs.filter(diagnosis_id=int(diagnosis))
        return qs.order_by("diagnosis_id", "pk")
