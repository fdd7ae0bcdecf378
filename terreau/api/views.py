"""REST API views. Every object comes through terreau.core.access: lists through visible() (or the
directory query, which starts from it), single objects through get_for() with the action the HTTP method
implies (unknown or invisible -> 404, visible but not allowed -> 403)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator as DjangoPaginator
from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, viewsets
from rest_framework.pagination import PageNumberPagination
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.throttling import AnonRateThrottle, UserRateThrottle

from terreau import vocabulary
from terreau.api import services
from terreau.api.filters import (
    DEPARTMENT_CODE,
    REGION_CODE,
    SLUG,
    CommuneFilter,
    DepartmentFilter,
    NeedOfferFilter,
    OrganisationQueryForm,
)
from terreau.api.parsers import LimitedJSONParser
from terreau.api.permissions import ACTION_FOR_METHOD, ReadOrSignedIn
from terreau.api.schema import TerreauAutoSchema
from terreau.api.serializers import (
    CommuneSerializer,
    DepartmentSerializer,
    NeedOfferCreateSerializer,
    NeedOfferSerializer,
    OrganisationCreateSerializer,
    OrganisationSerializer,
    RegionSerializer,
)
from terreau.core.access import get_for, visible
from terreau.core.public_totals import public_total
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


class _SharedCountPaginator(DjangoPaginator):
    """Anonymous requests: the list's total is shared a short while (terreau.core.public_totals)."""

    @cached_property
    def count(self) -> int:
        return public_total(
            namespace="api-count",
            queryset=self.object_list,
            compute=lambda: DjangoPaginator.count.func(self),
            anonymous=True,
        )

    def page(self, number: Any) -> Any:
        # Django cuts the last page at the total: a shared total a little behind would hide the newest rows'
        # neighbours. The page is the slice itself (DRF uses no orphans).
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        return self._get_page(self.object_list[bottom : bottom + self.per_page], number, self)


class ApiPagination(PageNumberPagination):
    """Pages of 50 rows by default; ``page`` and ``page_size`` are checked (400 with a French message
    when malformed or out of range), a page past the last one answers 404."""

    page_size_query_param = "page_size"
    max_page_size = 200

    def _number(self, request: Any, name: str, high: int | None) -> int | None:
        raw = request.query_params.get(name)
        if raw is None:
            return None
        value = int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 18 else 0
        if value < 1 or (high is not None and value > high):
            message = (
                _("Indiquez un numéro de page (entier à partir de 1).")
                if high is None
                else _("Indiquez un nombre de résultats par page entre 1 et %(max)s.") % {"max": high}
            )
            raise serializers.ValidationError({name: [message]})
        return value

    def get_page_size(self, request: Any) -> int:
        return self._number(request, self.page_size_query_param, self.max_page_size) or self.page_size

    def paginate_queryset(self, queryset: Any, request: Any, view: Any = None) -> Any:
        self._number(request, self.page_query_param, None)
        anonymous = getattr(request.user, "is_authenticated", True) is False
        self.django_paginator_class = _SharedCountPaginator if anonymous else DjangoPaginator
        return super().paginate_queryset(queryset, request, view)

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            parameter["schema"]["minimum"] = 1
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"]["maximum"] = self.max_page_size
            elif parameter["name"] == self.page_query_param:
                # _number reads at most 18 digits: a longer page number is refused (400), so say so.
                parameter["schema"]["maximum"] = 10**18 - 1
        return parameters


class SignedInRateThrottle(UserRateThrottle):
    # The per-account limit ("user" rate). An anonymous request is limited by AnonRateThrottle alone: DRF's
    # UserRateThrottle would count the same address a second time, at a higher rate, in another cache entry
    # (two more reads and writes of the database cache on every anonymous API request).

    def get_cache_key(self, request, view):
        if not (request.user and request.user.is_authenticated):
            return None
        return super().get_cache_key(request, view)


class ApiViewMixin:
    # Settings shared by every API view. (No docstrings on API views: they would end up in the
    # French OpenAPI document; summaries are given with extend_schema.)

    pagination_class = ApiPagination
    schema = TerreauAutoSchema()  # documents the JSON errors too (400, 401, 403, 404, 413, 429)
    permission_classes = [ReadOrSignedIn]
    parser_classes = [LimitedJSONParser, FormParser, MultiPartParser]
    throttle_classes = [AnonRateThrottle, SignedInRateThrottle]


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


def _pattern(name: str, pattern: str, description: str, *, many: bool = False) -> OpenApiParameter:
    """A query parameter whose values must match ``pattern`` (repeated when ``many``)."""
    schema: dict[str, Any] = {"type": "string", "pattern": pattern}
    if many:
        schema = {"type": "array", "items": schema, "maxItems": 20}
    return OpenApiParameter(name, schema, description=description, explode=True if many else None)


THEME_PARAMETER = OpenApiParameter(
    "theme", str, many=True, enum=list(vocabulary.THEMES), description="Code de thème (ex. bien-vieillir)."
)

ORGANISATION_PARAMETERS = [
    OpenApiParameter(
        "q",
        {"type": "string", "maxLength": 200},
        description="Recherche plein texte (nom, présentation, besoins, ressources).",
    ),
    OpenApiParameter(
        "kind",
        str,
        many=True,
        enum=[k for k, _label in OrganisationKind.choices],
        description="Type de structure.",
    ),
    THEME_PARAMETER,
    OpenApiParameter(
        "type", str, many=True, enum=list(vocabulary.TYPES), description="Type de besoin ou de ressource."
    ),
    OpenApiParameter(
        "direction",
        str,
        enum=[d for d, _label in Direction.choices],
        description="Avec les filtres type et theme : chercher parmi les besoins (need) ou les ressources (offer).",
    ),
    _pattern("department", DEPARTMENT_CODE, "Code INSEE du département (ex. 86, 2A).", many=True),
    _pattern("branch", SLUG, "Identifiant (slug) de l'antenne.", many=True),
]


@extend_schema_view(
    list=extend_schema(
        summary="Organisations visibles",
        description=(
            "Les mêmes filtres que la page de recherche. Une valeur mal formée répond 400 ; un code bien "
            "formé qui ne correspond à rien ne renvoie rien."
        ),
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

    def get_serializer_class(self) -> type:
        return OrganisationCreateSerializer if self.action == "create" else OrganisationSerializer

    def get_queryset(self) -> QuerySet[Organisation]:
        if getattr(self, "swagger_fake_view", False):
            return Organisation.objects.none()
        if self.action == "list":
            OrganisationQueryForm.check(self.request.query_params)
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

    def get_serializer_class(self) -> type:
        return NeedOfferCreateSerializer if self.action == "create" else NeedOfferSerializer

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


_NEED_OFFER_PARAMETERS = [
    THEME_PARAMETER,
    _pattern("department", DEPARTMENT_CODE, "Code INSEE du département (ex. 86, 2A)."),
    _pattern("branch", SLUG, "Identifiant (slug) de l'antenne."),
    OpenApiParameter(
        "organisation",
        {"type": "string", "maxLength": 255},
        description="Organisation : identifiant numérique ou slug.",
    ),
    OpenApiParameter("q", {"type": "string", "maxLength": 200}, description="Texte (titre ou description)."),
]


def _need_offer_schema(singular: str, plural: str, article: str) -> Any:
    words = {"singular": singular, "plural": plural, "article": article, "lower": singular.lower()}
    return extend_schema_view(
        **{
            action: extend_schema(
                summary=text.format(**words),
                tags=[plural.lower()],
                parameters=_NEED_OFFER_PARAMETERS if action == "list" else None,
            )
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
    list=extend_schema(
        summary="Départements (filtre : region)",
        parameters=[_pattern("region", REGION_CODE, "Code INSEE de la région (ex. 75).")],
    ),
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
    list=extend_schema(
        summary="Communes (filtres : q par nom, code postal ou code INSEE ; department)",
        parameters=[
            _pattern("department", DEPARTMENT_CODE, "Code INSEE du département (ex. 86, 2A)."),
            OpenApiParameter(
                "q",
                {"type": "string", "maxLength": 100},
                description="Nom, code postal ou code INSEE (accents ignorés).",
            ),
        ],
    ),
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


# --- unknown addresses -------------------------------------------------------------------------------


@csrf_exempt  # it changes nothing: a write to an unknown address gets its 404, not the CSRF page
def not_found(request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
    """Any /api/ address that names no endpoint: a JSON 404 like the API's other errors (never the HTML
    page)."""
    return JsonResponse({"detail": _("Adresse inconnue dans l'API : consultez /api/docs/.")}, status=404)
