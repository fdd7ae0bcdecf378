"""REST API views. Every object comes through terreau.core.access: lists through visible() (or the
directory query, which starts from it), single objects through get_for() with the action the HTTP method
implies (unknown or invisible -> 404, visible but not allowed -> 403)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, viewsets
from rest_framework.pagination import PageNumberPagination
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.throttling import AnonRateThrottle, UserRateThrottle

from terreau import vocabulary
from terreau.api import services
from terreau.api.filters import CommuneFilter, DepartmentFilter, NeedOfferFilter
from terreau.api.parsers import LimitedJSONParser
from terreau.api.permissions import ACTION_FOR_METHOD, ReadOrSignedIn
from terreau.api.serializers import (
    CommuneSerializer,
    DepartmentSerializer,
    NeedOfferSerializer,
    OrganisationSerializer,
    RegionSerializer,
)
from terreau.core.access import get_for, visible
from terreau.directory import services as directory_services
from terreau.directory.models import (
    Direction,
    NeedOffer,
    NeedOfferStatusChange,
    Organisation,
    OrganisationKind,
)
from terreau.directory.queries import DirectoryParams, directory_queryset
from terreau.territories.models import Commune, Department, Region


class ApiPagination(PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 200


class ApiViewMixin:
    # Settings shared by every API view. (No docstrings on API views: they would end up in the
    # French OpenAPI document; summaries are given with extend_schema.)

    pagination_class = ApiPagination
    permission_classes = [ReadOrSignedIn]
    parser_classes = [LimitedJSONParser, FormParser, MultiPartParser]
    throttle_classes = [AnonRateThrottle, UserRateThrottle]


class AccessLookupMixin(ApiViewMixin):
    # Single objects through terreau.core.access.get_for(), with the action the HTTP method implies.

    model: type

    def base_queryset(self) -> QuerySet:
        """Unscoped queryset with the joins the serializer needs (scoping happens in get_for/visible)."""
        return self.model.objects.all()

    def get_object(self) -> Any:
        lookup_url_kwarg = self.lookup_url_kwarg or self.lookup_field
        action = ACTION_FOR_METHOD.get(self.request.method, "change")
        return get_for(
            self.request.user,
            self.base_queryset(),
            action=action,
            **{self.lookup_field: self.kwargs[lookup_url_kwarg]},
        )


# --- organisations -----------------------------------------------------------------------------------

ORGANISATION_PARAMETERS = [
    OpenApiParameter("q", str, description="Recherche plein texte (nom, présentation, besoins, ressources)."),
    OpenApiParameter(
        "kind",
        str,
        many=True,
        enum=[k for k, _label in OrganisationKind.choices],
        description="Type de structure.",
    ),
    OpenApiParameter("theme", str, many=True, description="Code de thème (ex. bien-vieillir)."),
    OpenApiParameter(
        "type", str, many=True, enum=list(vocabulary.TYPES), description="Type de besoin ou de ressource."
    ),
    OpenApiParameter(
        "direction",
        str,
        enum=[d for d, _label in Direction.choices],
        description="Avec les filtres type et theme : chercher parmi les besoins (need) ou les ressources (offer).",
    ),
    OpenApiParameter("department", str, many=True, description="Code INSEE du département (ex. 86, 2A)."),
    OpenApiParameter("branch", str, many=True, description="Identifiant (slug) de l'antenne."),
]


@extend_schema_view(
    list=extend_schema(
        summary="Organisations visibles",
        description="Les mêmes filtres que la page de recherche ; les valeurs inconnues sont ignorées.",
        parameters=ORGANISATION_PARAMETERS,
    ),
    retrieve=extend_schema(summary="Une organisation (404 si elle n'existe pas ou n'est pas visible)"),
    create=extend_schema(summary="Créer une organisation (équipe de l'antenne indiquée)"),
    update=extend_schema(summary="Modifier une organisation (ses membres, l'équipe de son antenne)"),
    partial_update=extend_schema(summary="Modifier en partie une organisation"),
    destroy=extend_schema(summary="Supprimer une organisation (équipe de son antenne)"),
)
class OrganisationViewSet(AccessLookupMixin, viewsets.ModelViewSet):
    model = Organisation
    serializer_class = OrganisationSerializer
    queryset = Organisation.objects.none()  # schema introspection only; see get_queryset
    lookup_field = "slug"
    lookup_value_regex = r"[-a-zA-Z0-9_]+"
    filter_backends: list = []  # filtering is directory_queryset's job

    def base_queryset(self) -> QuerySet[Organisation]:
        return Organisation.objects.select_related("commune", "branch").prefetch_related("themes")

    def get_queryset(self) -> QuerySet[Organisation]:
        if getattr(self, "swagger_fake_view", False):
            return Organisation.objects.none()
        params = DirectoryParams.from_query(self.request.query_params)
        qs = directory_queryset(user=self.request.user, params=params)
        return qs.select_related("commune", "branch").prefetch_related("themes")

    def perform_create(self, serializer: OrganisationSerializer) -> None:
        serializer.instance = services.organisation_create(
            data=serializer.validated_data, by=self.request.user
        )

    def perform_update(self, serializer: OrganisationSerializer) -> None:
        serializer.instance = directory_services.organisation_update(
            organisation=serializer.instance, data=serializer.validated_data, by=self.request.user
        )

    def perform_destroy(self, instance: Organisation) -> None:
        services.organisation_delete(organisation=instance, by=self.request.user)


# --- needs and offers --------------------------------------------------------------------------------


class NeedOfferViewSet(
    AccessLookupMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    model = NeedOffer
    serializer_class = NeedOfferSerializer
    filterset_class = NeedOfferFilter
    queryset = NeedOffer.objects.none()  # schema introspection only
    direction: str = ""

    def base_queryset(self) -> QuerySet[NeedOffer]:
        history = visible(self.request.user, NeedOfferStatusChange.objects.all()).order_by("at", "pk")
        return (
            NeedOffer.objects.filter(direction=self.direction)
            .select_related("organisation", "theme")
            .prefetch_related(Prefetch("history", queryset=history, to_attr="visible_history"))
        )

    def get_queryset(self) -> QuerySet[NeedOffer]:
        if getattr(self, "swagger_fake_view", False):
            return NeedOffer.objects.none()
        return visible(self.request.user, self.base_queryset()).order_by("-updated_at", "pk")

    def perform_create(self, serializer: NeedOfferSerializer) -> None:
        data = dict(serializer.validated_data)
        organisation = data.pop("organisation")
        data.pop("status_note", None)
        need_offer = directory_services.need_offer_create(
            organisation=organisation, data={**data, "direction": self.direction}, by=self.request.user
        )
        serializer.instance = self.base_queryset().get(pk=need_offer.pk)

    def perform_update(self, serializer: NeedOfferSerializer) -> None:
        data = dict(serializer.validated_data)
        data.pop("organisation", None)
        status = data.pop("status", None)
        note = data.pop("status_note", "")
        need_offer = services.need_offer_save(
            need_offer=serializer.instance, data=data, by=self.request.user, status=status, note=note
        )
        serializer.instance = self.base_queryset().get(pk=need_offer.pk)


_NEED_OFFER_DOCS = {
    "list": "{plural} visibles (filtres : organisation, type, theme, status, scope, department, branch, q)",
    "retrieve": "{singular} (404 si inexistant ou non visible), avec l'historique des statuts",
    "create": "Créer {article} {lower} pour une organisation que l'on peut modifier (sinon 403 ou 404)",
    "update": "Modifier {article} {lower} ; un changement de statut suit les transitions autorisées",
    "partial_update": "Modifier en partie {article} {lower}",
}


def _need_offer_schema(singular: str, plural: str, article: str) -> Any:
    words = {"singular": singular, "plural": plural, "article": article, "lower": singular.lower()}
    return extend_schema_view(
        **{
            action: extend_schema(summary=text.format(**words), tags=[plural.lower()])
            for action, text in _NEED_OFFER_DOCS.items()
        }
    )


@_need_offer_schema("Besoin", "Besoins", "un")
class NeedViewSet(NeedOfferViewSet):
    direction = Direction.NEED


@_need_offer_schema("Ressource", "Ressources", "une")
class OfferViewSet(NeedOfferViewSet):
    direction = Direction.OFFER


# --- territories (public reference data, no access rule) ---------------------------------------------

_CODE_PARAMETER = OpenApiParameter("code", OpenApiTypes.STR, OpenApiParameter.PATH, description="Code INSEE.")


@extend_schema_view(
    list=extend_schema(summary="Régions"),
    retrieve=extend_schema(summary="Une région par code INSEE", parameters=[_CODE_PARAMETER]),
)
class RegionViewSet(ApiViewMixin, viewsets.ReadOnlyModelViewSet):
    queryset = Region.objects.all()
    serializer_class = RegionSerializer
    lookup_field = "code"
    lookup_value_regex = r"[0-9]{2,3}"


@extend_schema_view(
    list=extend_schema(summary="Départements (filtre : region)"),
    retrieve=extend_schema(
        summary="Un département par code INSEE (ex. 86, 2A, 974)", parameters=[_CODE_PARAMETER]
    ),
)
class DepartmentViewSet(ApiViewMixin, viewsets.ReadOnlyModelViewSet):
    queryset = Department.objects.all()
    serializer_class = DepartmentSerializer
    filterset_class = DepartmentFilter
    lookup_field = "code"
    lookup_value_regex = r"[0-9][0-9AB][0-9]?"


@extend_schema_view(
    list=extend_schema(summary="Communes (filtres : q par nom, code postal ou code INSEE ; department)"),
    retrieve=extend_schema(summary="Une commune par code INSEE (ex. 86194)", parameters=[_CODE_PARAMETER]),
)
class CommuneViewSet(ApiViewMixin, viewsets.ReadOnlyModelViewSet):
    queryset = Commune.objects.select_related("department").prefetch_related("postal_codes")
    serializer_class = CommuneSerializer
    filterset_class = CommuneFilter
    lookup_field = "code"
    lookup_value_regex = r"[0-9][0-9AB][0-9]{3}"


# --- token page (HTML) -------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def token_page(request: HttpRequest) -> HttpResponse:
    """See, create, regenerate or revoke one's API token. The key is shown in full once, when created."""
    new_key = None
    if request.method == "POST":
        action = request.POST.get("action")
        if action in {"create", "regenerate"}:
            token, _created = services.token_issue(user=request.user, regenerate=action == "regenerate")
            new_key = token.key
        elif action == "revoke":
            if services.token_revoke(user=request.user):
                messages.success(
                    request, _("Votre jeton d'API est révoqué : il ne permet plus d'accéder à l'API.")
                )
            return redirect("api-token")
        else:
            messages.error(request, _("Action inconnue."))
            return redirect("api-token")
    token = services.token_for(user=request.user)
    return render(request, "api/token.html", {"token": token, "new_key": new_key, "nav": "profile"})
