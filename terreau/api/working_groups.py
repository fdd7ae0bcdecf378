"""REST API for working groups and the collectives' charters (read only), through terreau.core.access: a group
is seen by its branch's staff and its member organisations (an open group by anybody, as a summary without its
members); a charter by the branch's staff, the group's members and the partners named in its versions."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import mixins, serializers, viewsets

from terreau.alliances.charter_models import Charter, CharterPartner, CharterVersion
from terreau.alliances.group_models import GroupMember, WorkingGroup
from terreau.api.views import AccessLookupMixin
from terreau.core.access import actor_for, visible


class GroupMemberSerializer(serializers.ModelSerializer):
    organisation = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    came_from = serializers.PrimaryKeyRelatedField(
        read_only=True, help_text="Groupe d'origine après une fusion."
    )

    class Meta:
        model = GroupMember
        fields = ["organisation", "role", "joined_at", "came_from"]
        read_only_fields = fields


class WorkingGroupSerializer(serializers.ModelSerializer):
    branch = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    key_issues = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    members = serializers.SerializerMethodField(
        help_text="Structures membres (vide pour qui ne voit que la présentation publique du groupe)."
    )

    class Meta:
        model = WorkingGroup
        fields = [
            "id",
            "name",
            "purpose",
            "branch",
            "diagnosis",
            "key_issues",
            "state",
            "merged_into",
            "is_open",
            "members",
            "is_demo",
        ]
        read_only_fields = fields

    @extend_schema_field(GroupMemberSerializer(many=True))
    def get_members(self, obj: WorkingGroup) -> list[dict[str, Any]]:
        actor = actor_for(self.context["request"].user)
        members = list(obj.members.all())
        insider = (
            actor.is_superuser
            or obj.branch_id in actor.branch_ids
            or any(m.organisation_id in actor.org_ids for m in members)
        )
        return GroupMemberSerializer(members, many=True).data if insider else []


class CharterPartnerSerializer(serializers.ModelSerializer):
    organisation = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    approved_at = serializers.SerializerMethodField(help_text="Date de son approbation, vide en attente.")

    class Meta:
        model = CharterPartner
        fields = ["organisation", "roles", "note", "approved_at"]
        read_only_fields = fields

    @extend_schema_field(serializers.DateTimeField(allow_null=True))
    def get_approved_at(self, obj: CharterPartner) -> Any:
        for approval in obj.version.approvals.all():
            if approval.organisation_id == obj.organisation_id:
                return serializers.DateTimeField().to_representation(approval.at)
        return None


class CharterVersionSerializer(serializers.ModelSerializer):
    partners = CharterPartnerSerializer(many=True, read_only=True)
    departments = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)
    key_issues = serializers.PrimaryKeyRelatedField(many=True, read_only=True)

    class Meta:
        model = CharterVersion
        fields = [
            "number",
            "state",
            "purpose",
            "publics",
            "departments",
            "key_issues",
            "budget_lines",
            "governance",
            "starts_on",
            "submitted_at",
            "partners",
        ]
        read_only_fields = fields


class CharterSerializer(serializers.ModelSerializer):
    program = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    versions = CharterVersionSerializer(many=True, read_only=True)

    class Meta:
        model = Charter
        fields = ["id", "title", "group", "program", "launched_at", "versions", "is_demo"]
        read_only_fields = fields


@extend_schema_view(
    list=extend_schema(
        summary="Groupes de travail visibles (les vôtres, ceux de votre antenne, les groupes ouverts)",
        tags=["groupes de travail"],
    ),
    retrieve=extend_schema(
        summary="Un groupe de travail (404 s'il n'est pas visible)", tags=["groupes de travail"]
    ),
)
class WorkingGroupViewSet(
    AccessLookupMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    model = WorkingGroup
    serializer_class = WorkingGroupSerializer
    queryset = WorkingGroup.objects.none()  # schema introspection only
    http_method_names = ["get", "head", "options"]

    def base_queryset(self) -> QuerySet[WorkingGroup]:
        return WorkingGroup.objects.select_related("branch").prefetch_related(
            "key_issues", "members__organisation"
        )

    def get_queryset(self) -> QuerySet[WorkingGroup]:
        if getattr(self, "swagger_fake_view", False):
            return WorkingGroup.objects.none()
        return visible(self.request.user, self.base_queryset()).order_by("name", "pk")


@extend_schema_view(
    list=extend_schema(
        summary="Chartes des collectifs visibles (de vos groupes, de vos partenariats, de votre antenne)",
        tags=["groupes de travail"],
    ),
    retrieve=extend_schema(summary="Une charte (404 si elle n'est pas visible)", tags=["groupes de travail"]),
)
class CharterViewSet(
    AccessLookupMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    model = Charter
    serializer_class = CharterSerializer
    queryset = Charter.objects.none()  # schema introspection only
    http_method_names = ["get", "head", "options"]

    def base_queryset(self) -> QuerySet[Charter]:
        return Charter.objects.select_related("program").prefetch_related(
            "versions__partners__organisation",
            "versions__partners__version__approvals",
            "versions__departments",
            "versions__key_issues",
        )

    def get_queryset(self) -> QuerySet[Charter]:
        if getattr(self, "swagger_fake_view", False):
            return Charter.objects.none()
        return visible(self.request.user, self.base_queryset()).order_by("title", "pk")
