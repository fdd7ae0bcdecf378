"""REST API for the contributions ledger: read what one may see (terreau.core.access: the branch's staff their
branch's contributions, the donor's and the recipient's members those they are party to) and record a new
contribution through terreau.contributions.services (the same rules and French messages as the pages; its
value is computed by terreau.contributions.valuation, never sent)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from terreau.alliances.group_models import WorkingGroup
from terreau.api.views import AccessLookupMixin
from terreau.contributions import services
from terreau.contributions.forms import LedgerFilter
from terreau.contributions.models import Contribution, Counterpart, Instalment, Kind
from terreau.core.access import visible
from terreau.directory.models import Organisation
from terreau.partnerships.models import Partnership
from terreau.programs.models import Program

MONEY = {"max_digits": 12, "decimal_places": 2, "required": False, "allow_null": True}


class InstalmentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Instalment
        fields = ["received_on", "amount", "note"]
        read_only_fields = fields


class CounterpartSerializer(serializers.ModelSerializer):
    class Meta:
        model = Counterpart
        fields = ["kind", "description", "value"]
        read_only_fields = fields


class ContributionSerializer(serializers.ModelSerializer):
    branch = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    donor = serializers.SlugRelatedField(slug_field="slug", read_only=True, allow_null=True)
    recipient = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    program = serializers.SlugRelatedField(slug_field="slug", read_only=True, allow_null=True)
    instalments = InstalmentSerializer(many=True, read_only=True)
    counterparts = CounterpartSerializer(many=True, read_only=True)

    class Meta:
        model = Contribution
        fields = [
            "id",
            "branch",
            "donor",
            "individual_name",
            "recipient",
            "program",
            "working_group",
            "partnership",
            "kind",
            "description",
            "pledged_on",
            "amount",
            "quantity",
            "unit_cost",
            "hours",
            "monthly_gross_salary",
            "employer_charges_rate",
            "hourly_rate",
            "value",
            "value_basis",
            "state",
            "instalments",
            "counterparts",
            "is_demo",
        ]
        read_only_fields = fields


class ContributionCreateSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=Kind.choices, help_text="Nature de la contribution.")
    donor = serializers.SlugRelatedField(
        slug_field="slug",
        queryset=Organisation.objects.none(),
        required=False,
        allow_null=True,
        help_text="Organisation donatrice (vide pour un particulier : indiquez individual_name).",
    )
    individual_name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    individual_address = serializers.CharField(max_length=500, required=False, allow_blank=True)
    recipient = serializers.SlugRelatedField(slug_field="slug", queryset=Organisation.objects.none())
    description = serializers.CharField(max_length=4000)
    pledged_on = serializers.DateField(help_text="Date de la promesse (jamais dans le futur).")
    program = serializers.SlugRelatedField(
        slug_field="slug", queryset=Program.objects.none(), required=False, allow_null=True
    )
    working_group = serializers.PrimaryKeyRelatedField(
        queryset=WorkingGroup.objects.none(), required=False, allow_null=True
    )
    partnership = serializers.PrimaryKeyRelatedField(
        queryset=Partnership.objects.none(), required=False, allow_null=True
    )
    amount = serializers.DecimalField(**MONEY, help_text="Montant en euros (dons, mécénat, subvention).")
    quantity = serializers.DecimalField(max_digits=10, decimal_places=2, required=False, allow_null=True)
    unit_cost = serializers.DecimalField(**MONEY, help_text="Coût de revient unitaire (dons en nature).")
    hours = serializers.DecimalField(max_digits=8, decimal_places=2, required=False, allow_null=True)
    monthly_gross_salary = serializers.DecimalField(
        max_digits=10, decimal_places=2, required=False, allow_null=True
    )
    employer_charges_rate = serializers.DecimalField(
        max_digits=5, decimal_places=2, required=False, allow_null=True
    )
    hourly_rate = serializers.DecimalField(max_digits=8, decimal_places=2, required=False, allow_null=True)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        user = getattr(request, "user", None)
        if user is None:
            return
        organisations = visible(user, Organisation.objects.select_related("branch"))
        self.fields["donor"].queryset = organisations
        self.fields["recipient"].queryset = organisations
        self.fields["program"].queryset = visible(user, Program.objects.all())
        self.fields["working_group"].queryset = visible(user, WorkingGroup.objects.all())
        self.fields["partnership"].queryset = visible(user, Partnership.objects.all())


_ID = {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}
_FILTERS = [
    OpenApiParameter(
        "year", {"type": "integer", "minimum": 1900, "maximum": 2999}, description="Année de la promesse."
    ),
    OpenApiParameter("kind", str, enum=Kind.values, description="Nature."),
    OpenApiParameter("state", str, enum=Contribution.State.values, description="État."),
    OpenApiParameter("program", _ID, description="Identifiant du programme."),
    OpenApiParameter("donor", _ID, description="Identifiant de l'organisation donatrice."),
    OpenApiParameter("recipient", _ID, description="Identifiant de l'organisation bénéficiaire."),
]


@extend_schema_view(
    list=extend_schema(
        summary="Contributions visibles (celles de votre antenne, celles que votre organisation donne ou reçoit)",
        parameters=_FILTERS,
        tags=["contributions"],
    ),
    retrieve=extend_schema(
        summary="Une contribution (404 si elle n'est pas visible)", tags=["contributions"]
    ),
    create=extend_schema(
        summary="Enregistrer une contribution promise (sa valeur est calculée par Terreau)",
        request=ContributionCreateSerializer,
        responses={201: ContributionSerializer},
        tags=["contributions"],
    ),
)
class ContributionViewSet(
    AccessLookupMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    model = Contribution
    lookup_field = "pk"
    queryset = Contribution.objects.none()  # schema introspection only
    http_method_names = ["get", "post", "head", "options"]

    def get_serializer_class(self) -> type:
        return ContributionCreateSerializer if self.action == "create" else ContributionSerializer

    def base_queryset(self) -> QuerySet[Contribution]:
        return Contribution.objects.select_related(
            "branch", "donor", "recipient", "program"
        ).prefetch_related("instalments", "counterparts")

    def get_queryset(self) -> QuerySet[Contribution]:
        if getattr(self, "swagger_fake_view", False):
            return Contribution.objects.none()
        rows = visible(self.request.user, self.base_queryset())
        if self.action == "list":
            filters = LedgerFilter(self.request.query_params)
            if not filters.is_valid():
                raise serializers.ValidationError(filters.errors)
            chosen = filters.values()
            if "year" in chosen:
                rows = rows.of_year(chosen["year"])
            for name in ("kind", "state"):
                if name in chosen:
                    rows = rows.filter(**{name: chosen[name]})
            for name in ("program", "donor", "recipient"):
                if name in chosen:
                    rows = rows.filter(**{f"{name}_id": chosen[name]})
        return rows.order_by("-pledged_on", "-pk")

    def perform_create(self, serializer: ContributionCreateSerializer) -> None:
        data = dict(serializer.validated_data)
        recipient = data["recipient"]
        serializer.instance = services.contribution_record(
            by=self.request.user, branch=recipient.branch, **data
        )

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        self.perform_create(serializer)
        created = self.base_queryset().get(pk=serializer.instance.pk)
        data = ContributionSerializer(created, context=self.get_serializer_context()).data
        return Response(data, status=status.HTTP_201_CREATED)
