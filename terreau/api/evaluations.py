"""REST API for the evaluations of programs (read only), through terreau.core.access.

- ``/api/evaluations/``: the evaluations one may see (the program's team, partner viewers included, and the
  branch's staff) with their framework: evaluative questions, indicators, waves and their states, audiences,
  minimum count published;
- ``…/<id>/questionnaires/``: the questionnaires (every version) with their questions;
- ``…/<id>/results/``: the aggregated results, as the report shows them (terreau.evaluation.report: nothing
  computed on fewer respondents than the evaluation's minimum count);
- ``…/<id>/answers/``: the raw answers, pseudonymous (respondent's code, never a name), for the program's
  coordinators and evaluators only (terreau.core.access: ``branch_staff=False``, no program-viewer path):
  403 for the others who see the evaluation.

Everything needs an account (401 without one): nothing of an evaluation is public.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, QuerySet
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from terreau.api.schema import ErrorSerializer
from terreau.api.views import AccessLookupMixin
from terreau.core.access import editable, visible
from terreau.core.audit import audit_export
from terreau.evaluation.analysis import anonymise
from terreau.evaluation.models import (
    Answer,
    Audience,
    Evaluation,
    EvaluationQuestion,
    Indicator,
    Instrument,
    Item,
    Wave,
)
from terreau.evaluation.report import build_report

AUDIENCES = ", ".join(Audience.values)
# Under which evaluations a user may read the answers (Answer's rule re-rooted on the evaluation).
ANSWERS_REACH = Answer.ACCESS.parent("response__respondent__evaluation")


def _text(help_text: str, **kwargs: Any) -> serializers.CharField:
    """A code read from a choice set, documented in words (one enum per set would collide by field name)."""
    return serializers.CharField(read_only=True, help_text=help_text, **kwargs)


class QuestionSerializer(serializers.ModelSerializer):
    class Meta:
        model = EvaluationQuestion
        fields = ["id", "order", "text"]
        read_only_fields = fields


class IndicatorSerializer(serializers.ModelSerializer):
    kind = _text("Nature : output (données de Terreau) ou outcome (questionnaires).")
    output_metric = _text("Donnée de Terreau d'une réalisation (vide pour un effet).")
    audience = _text(f"Public d'un effet ({AUDIENCES}), vide pour une réalisation.")
    measure = _text("Mesure d'un effet : share_agree, mean_after, mean_change ou share_improved.")

    class Meta:
        model = Indicator
        fields = [
            "id",
            "question",
            "order",
            "label",
            "kind",
            "output_metric",
            "audience",
            "item_code",
            "measure",
            "target",
            "source",
        ]
        read_only_fields = fields


class WaveSerializer(serializers.ModelSerializer):
    kind = _text("Vague : before (avant), after (après) ou follow_up (suivi).")
    state = _text("État : planned (prévue), open (ouverte) ou closed (close).")

    class Meta:
        model = Wave
        fields = ["id", "kind", "opens_on", "closes_on", "state"]
        read_only_fields = fields


class EvaluationSerializer(serializers.ModelSerializer):
    program = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    state = _text("État : draft (en préparation), collecting (collecte en cours) ou closed (terminée).")
    audiences = serializers.ListField(
        child=serializers.CharField(), read_only=True, help_text=f"Publics interrogés ({AUDIENCES})."
    )
    questions = QuestionSerializer(many=True, read_only=True)
    indicators = IndicatorSerializer(many=True, read_only=True)
    waves = WaveSerializer(many=True, read_only=True)

    class Meta:
        model = Evaluation
        fields = [
            "id",
            "program",
            "title",
            "purpose",
            "period_start",
            "period_end",
            "method",
            "limits",
            "min_count",
            "audiences",
            "state",
            "questions",
            "indicators",
            "waves",
            "is_demo",
        ]
        read_only_fields = fields


class ItemSerializer(serializers.ModelSerializer):
    kind = _text("Type de réponse : likert, single, multiple, number, yes_no ou text.")
    choices = serializers.JSONField(read_only=True, help_text="Choix proposés : [{value, label}].")
    show_if = serializers.JSONField(
        read_only=True,
        allow_null=True,
        help_text="Condition d'affichage : {item: code d'une question précédente, in: [valeurs]}, ou null.",
    )

    class Meta:
        model = Item
        fields = [
            "id",
            "order",
            "code",
            "text",
            "help_text",
            "kind",
            "theme",
            "choices",
            "scale_min",
            "scale_max",
            "scale_min_label",
            "scale_max_label",
            "number_min",
            "number_max",
            "required",
            "show_if",
        ]
        read_only_fields = fields


class InstrumentSerializer(serializers.ModelSerializer):
    audience = _text(f"Public ({AUDIENCES}).")
    previous = serializers.PrimaryKeyRelatedField(
        read_only=True, help_text="Version précédente de ce questionnaire (null pour la première)."
    )
    items = ItemSerializer(many=True, read_only=True)

    class Meta:
        model = Instrument
        fields = [
            "id",
            "audience",
            "title",
            "intro",
            "version",
            "previous",
            "is_current",
            "frozen_at",
            "items",
        ]
        read_only_fields = fields


@extend_schema_field(
    {
        "oneOf": [
            {"type": "number"},
            {"type": "string"},
            {"type": "array", "items": {"type": "string"}},
        ],
        "nullable": True,
        "description": (
            "La réponse : un nombre (échelle, nombre ; oui = 1, non = 0), un texte (choix unique, texte "
            "libre), une liste (choix multiple) ; null si la personne n'a pas souhaité répondre."
        ),
    }
)
class AnswerValueField(serializers.Field):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(source="*", read_only=True, **kwargs)

    def to_representation(self, answer: Answer) -> Any:
        if answer.declined:
            return None
        if answer.item.kind == Item.Kind.MULTIPLE:
            return list(answer.choices)
        if answer.number is not None:
            return answer.number
        # Free text as the answers' spreadsheet gives it: contacts, numbers and likely names taken out.
        return anonymise(answer.text) if answer.item.kind == Item.Kind.TEXT else answer.text


class AnswerSerializer(serializers.Serializer):
    respondent = serializers.CharField(
        source="response.respondent.code", read_only=True, help_text="Code personnel (jamais un nom)."
    )
    audience = _text(f"Public ({AUDIENCES}).", source="response.respondent.audience")
    site = serializers.IntegerField(
        source="response.respondent.site_id",
        read_only=True,
        allow_null=True,
        help_text="Identifiant du site d'accueil, s'il est connu.",
    )
    age_band = _text(
        "Tranche d'âge : under_60, 60_69, 70_79, 80_89, 90_plus ou unknown.",
        source="response.respondent.age_band",
    )
    wave = _text("Vague : before, after ou follow_up.", source="response.wave.kind")
    item = serializers.CharField(
        source="item.code", read_only=True, help_text="Code de la question (stable d'une version à l'autre)."
    )
    value = AnswerValueField()
    declined = serializers.BooleanField(read_only=True, help_text="La personne n'a pas souhaité répondre.")


_TAGS = ["évaluations"]
_WAVE = OpenApiParameter(
    "wave", str, enum=Wave.Kind.values, description="Seulement les réponses de cette vague."
)


@extend_schema_view(
    list=extend_schema(
        summary="Évaluations visibles (de vos programmes, de votre antenne), avec leur cadre",
        tags=_TAGS,
    ),
    retrieve=extend_schema(
        summary="Une évaluation et son cadre : questions, indicateurs, vagues (404 si elle n'est pas visible)",
        tags=_TAGS,
    ),
    questionnaires=extend_schema(
        summary="Les questionnaires de l'évaluation (toutes les versions) et leurs questions",
        tags=_TAGS,
        responses=InstrumentSerializer(many=True),
    ),
    answers=extend_schema(
        summary=(
            "Les réponses brutes, pseudonymes (réservées à la coordination du programme et aux personnes "
            "chargées de l'évaluation : 403 pour les autres)"
        ),
        tags=_TAGS,
        parameters=[_WAVE],
        responses={
            200: AnswerSerializer(many=True),
            403: OpenApiResponse(
                ErrorSerializer,
                description="Réponses réservées à la coordination du programme et à l'évaluation.",
            ),
        },
    ),
    results=extend_schema(
        summary=(
            "Les résultats agrégés, comme dans le rapport (aucun chiffre calculé sur moins de répondants que "
            "l'effectif minimal)"
        ),
        tags=_TAGS,
        responses=OpenApiResponse(OpenApiTypes.OBJECT, description="Le rapport, prêt pour JSON."),
    ),
)
class EvaluationViewSet(
    AccessLookupMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    model = Evaluation
    serializer_class = EvaluationSerializer
    queryset = Evaluation.objects.none()  # schema introspection only
    http_method_names = ["get", "head", "options"]
    permission_classes = [IsAuthenticated]
    lookup_value_regex = r"[0-9]{1,12}"

    def base_queryset(self) -> QuerySet[Evaluation]:
        evaluations = Evaluation.objects.select_related("program")
        if self.action in ("list", "retrieve"):  # the framework is shown; the other actions use the row only
            evaluations = evaluations.prefetch_related("questions", "indicators", "waves")
        return evaluations

    def get_queryset(self) -> QuerySet[Evaluation]:
        if getattr(self, "swagger_fake_view", False):
            return Evaluation.objects.none()
        return visible(self.request.user, self.base_queryset()).order_by("-period_start", "pk")

    @action(detail=True, methods=["get"], pagination_class=None)
    def questionnaires(self, request: Request, pk: str | None = None, **kwargs: Any) -> Response:
        evaluation = self.get_object()
        items = Prefetch("items", queryset=Item.objects.order_by("order", "pk"))
        instruments = visible(
            request.user, Instrument.objects.filter(evaluation=evaluation).prefetch_related(items)
        ).order_by("audience", "-version")
        return Response(InstrumentSerializer(instruments, many=True).data)

    @action(detail=True, methods=["get"], pagination_class=None)
    def results(self, request: Request, pk: str | None = None, **kwargs: Any) -> Response:
        evaluation = self.get_object()
        return Response(build_report(evaluation=evaluation).as_dict())

    @action(detail=True, methods=["get"])
    def answers(self, request: Request, pk: str | None = None, **kwargs: Any) -> Response:
        evaluation = self.get_object()
        # Answer's own rule, re-rooted on the evaluation (as for the answers' spreadsheet): its coordinators, its
        # evaluators, superusers; never the branch's staff nor partner viewers, who get a 403.
        if not editable(
            request.user, Evaluation.objects.filter(pk=evaluation.pk), rule=ANSWERS_REACH
        ).exists():
            raise PermissionDenied(
                _(
                    "Les réponses individuelles sont réservées à la coordination du programme et aux "
                    "personnes chargées de l'évaluation."
                )
            )
        rows = visible(
            request.user,
            # Sent questionnaires only, as in the answers' spreadsheet: an unsent one may still change or be dropped.
            Answer.objects.filter(
                response__respondent__evaluation=evaluation, response__submitted_at__isnull=False
            ).select_related("item", "response__wave", "response__respondent"),
        )
        wave = request.query_params.get("wave")
        if wave is not None:
            if wave not in Wave.Kind.values:
                raise serializers.ValidationError(
                    {"wave": [_("Vague inconnue : indiquez before, after ou follow_up.")]}
                )
            rows = rows.filter(response__wave__kind=wave)
        rows = rows.order_by("response__respondent__code", "response__wave__opens_on", "item__order", "pk")
        # Reading raw answers is recorded, page by page, as their spreadsheet's download is.
        audit_export(
            request,
            target=_("Réponses pseudonymisées de l'évaluation « %(title)s » (API)")
            % {"title": evaluation.title},
            obj=evaluation,
            branch_id=evaluation.program.branch_id,
        )
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(AnswerSerializer(page, many=True).data)
