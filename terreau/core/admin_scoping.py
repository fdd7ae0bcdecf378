"""Django admin for facilitators and network administrators, scoped by the access layer.

Facilitators are not superusers: they see and change in the admin only the rows of their branches, through
the same rules as the pages (terreau.core.access.editable(..., action="manage")). Superusers see everything.

Everything an admin form offers goes through the same rules (``choices_for``):
- every ForeignKey, OneToOne and ManyToMany field, in the model's form and in its inlines, lists only the rows
  the actor may manage (a model with an ``ACCESS`` rule), the actor's branches and networks, or the accounts
  of the actor's branches (``terreau.core.access.accounts_for``, the rule the pages use too); reference data
  without an ``ACCESS`` rule (geography, themes) stays fully listed;
- the changelist's relation filters list only those rows too; autocomplete and raw-id look-ups go through
  the related model's own (scoped) admin; actions receive the changelist's (scoped) queryset;
- on save, the object must end up where the actor may manage it: checked on the form (a French error) and
  again in the database before the admin's transaction commits.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.admin.utils import get_fields_from_path
from django.contrib.auth import get_user_model
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.db.models import Model, QuerySet
from django.utils.translation import gettext as _

from terreau.core.access import AccessRule, Actor, accounts_for, actor_for, branches_managed, editable

# Framework tables (groups, permissions, content types, sessions): never offered to non-superusers.
_FRAMEWORK_APPS = frozenset({"auth", "admin", "contenttypes", "sessions"})


def out_of_scope_message() -> str:
    return _(
        "Vous ne pouvez enregistrer cet élément que dans une antenne que vous animez : "
        "choisissez des éléments de vos antennes."
    )


def choices_for(user: Any, model: type[Model], queryset: QuerySet | None = None) -> QuerySet:
    """Rows of ``model`` (within ``queryset``) that ``user`` may choose in an admin form or filter."""
    from terreau.core.models import Branch, Network

    qs = model._default_manager.all() if queryset is None else queryset
    actor = user if isinstance(user, Actor) else actor_for(user)
    if actor.is_superuser:
        return qs
    if model is Branch:
        return qs.filter(pk__in=branches_managed(actor).values("pk"))
    if model is Network:
        return qs.filter(pk__in=actor.network_ids)
    if model is get_user_model():
        return qs.filter(pk__in=accounts_for(actor).values("pk"))
    if isinstance(getattr(model, "ACCESS", None), AccessRule):
        return editable(actor, qs, action="manage")
    if model._meta.app_label in _FRAMEWORK_APPS:
        return qs.none()
    return qs  # reference data (geography, themes)


def _follow(obj: Any, path: str) -> list[Any]:
    """The rows reached from ``obj`` along a lookup path (several across a many-valued relation)."""
    rows = [obj]
    for part in path.split("__") if path else []:
        reached = []
        for row in rows:
            try:
                value = getattr(row, part)
            except (ObjectDoesNotExist, ValueError):
                continue
            if hasattr(value, "all"):  # a related manager; an unsaved row has none yet
                if getattr(row, "pk", None) is not None:
                    reached.extend(value.all())
            elif value is not None:
                reached.append(value)
        rows = reached
    return rows


def may_manage_instance(user: Any, obj: Model) -> bool:
    """Whether ``obj``, saved or not, sits in a branch the user manages (the in-memory twin of
    ``editable(user, ..., action="manage")``, to refuse a form before anything is written)."""
    actor = user if isinstance(user, Actor) else actor_for(user)
    if actor.is_superuser:
        return True
    rule = getattr(type(obj), "ACCESS", None)
    if not isinstance(rule, AccessRule) or not rule.branch_staff:
        return False
    return any(
        actor.manages_branch(branch)
        for path in AccessRule._paths(rule.branch)
        for branch in _follow(obj, path)
    )


def _scope_formfield(formfield: Any, db_field: Any, request: Any) -> Any:
    if formfield is not None and hasattr(formfield, "queryset"):
        formfield.queryset = choices_for(request.user, db_field.related_model, formfield.queryset)
    return formfield


class ScopedRelatedFieldListFilter(admin.RelatedFieldListFilter):
    """A relation filter listing only the related rows the actor may choose."""

    def field_choices(self, field, request, model_admin):
        ordering = self.field_admin_ordering(field, request, model_admin)
        allowed = choices_for(request.user, field.related_model).values("pk")
        return field.get_choices(include_blank=False, ordering=ordering, limit_choices_to={"pk__in": allowed})


class ScopedFormfieldsMixin:
    """Every relation field of the form lists only the rows ``choices_for`` allows."""

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        return _scope_formfield(
            super().formfield_for_foreignkey(db_field, request, **kwargs), db_field, request
        )

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        return _scope_formfield(
            super().formfield_for_manytomany(db_field, request, **kwargs), db_field, request
        )


def _is_staff(request) -> bool:
    actor = actor_for(request.user)
    return request.user.is_active and request.user.is_staff and actor.is_staff_anywhere


class BranchScopedAdmin(ScopedFormfieldsMixin, admin.ModelAdmin):
    """A ModelAdmin whose rows, choices and rights come from terreau.core.access."""

    def _is_staff(self, request) -> bool:
        return _is_staff(request)

    def get_queryset(self, request):
        return editable(request.user, super().get_queryset(request), action="manage")

    def has_module_permission(self, request) -> bool:
        return self._is_staff(request)

    def has_view_permission(self, request, obj=None) -> bool:
        if not self._is_staff(request):
            return False
        return obj is None or self.get_queryset(request).filter(pk=obj.pk).exists()

    def has_change_permission(self, request, obj=None) -> bool:
        return self.has_view_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return self.has_change_permission(request, obj)

    def has_add_permission(self, request) -> bool:
        return self._is_staff(request)

    def get_list_filter(self, request):
        scoped = []
        for spec in super().get_list_filter(request):
            if isinstance(spec, str):
                field = get_fields_from_path(self.model, spec)[-1]
                if field.is_relation and not field.auto_created:
                    spec = (spec, ScopedRelatedFieldListFilter)
            scoped.append(spec)
        return scoped

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        if request.user.is_superuser:
            return form
        actor = actor_for(request.user)

        def _post_clean(self) -> None:
            form._post_clean(self)
            if not self.errors and not may_manage_instance(actor, self.instance):
                self.add_error(None, out_of_scope_message())

        return type(form.__name__, (form,), {"_post_clean": _post_clean})

    def save_related(self, request, form, formsets, change) -> None:
        super().save_related(request, form, formsets, change)
        # The admin saves inside one transaction: refusing here writes nothing (backstop of the form check,
        # for paths the in-memory check cannot follow).
        if not self.get_queryset(request).filter(pk=form.instance.pk).exists():
            raise PermissionDenied(out_of_scope_message())


class _ScopedInlineMixin(ScopedFormfieldsMixin):
    """Inlines of a scoped admin: their rows, choices and rights follow the same rules as their parent."""

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        if request.user.is_superuser:
            return qs
        if not isinstance(getattr(self.model, "ACCESS", None), AccessRule):
            return qs.none()
        return editable(request.user, qs, action="manage")

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        if request.user.is_superuser:
            return formset
        scoped = self.get_queryset(request).values("pk")

        def add_fields(self, form, index) -> None:
            formset.add_fields(self, form, index)
            # The hidden row id of an inline form is chosen among the rows the actor may manage too.
            field = form.fields.get(self._pk_field.name)
            if field is not None and hasattr(field, "queryset"):
                field.queryset = field.queryset.filter(pk__in=scoped)

        return type(formset.__name__, (formset,), {"add_fields": add_fields})

    def _parent_allows(self, request, obj) -> bool:
        if request.user.is_superuser:
            return True
        parent = self.admin_site._registry.get(self.parent_model)
        return parent is not None and parent.has_change_permission(request, obj)

    def has_view_permission(self, request, obj=None) -> bool:
        return self._parent_allows(request, obj)

    def has_change_permission(self, request, obj=None) -> bool:
        return self._parent_allows(request, obj)

    def has_add_permission(self, request, obj=None) -> bool:
        return self._parent_allows(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return self._parent_allows(request, obj)


class ScopedTabularInline(_ScopedInlineMixin, admin.TabularInline):
    pass


class ScopedStackedInline(_ScopedInlineMixin, admin.StackedInline):
    pass


class HistoryInline(ScopedTabularInline):
    """A lifecycle's history under its object: written by the services (terreau.core.states), only read here."""

    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class ReadOnlyScopedAdmin(BranchScopedAdmin):
    """A record written by the services (a history, the audit log): listed and read within the actor's
    branches, never added, changed or deleted here."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class SuperuserOnlyAdmin(admin.ModelAdmin):
    """Accounts, networks and branches: changed by superusers only, whatever Django permissions say."""

    def has_module_permission(self, request) -> bool:
        return request.user.is_active and request.user.is_superuser

    def has_view_permission(self, request, obj=None) -> bool:
        return request.user.is_active and request.user.is_superuser

    has_change_permission = has_delete_permission = has_view_permission

    def has_add_permission(self, request) -> bool:
        return request.user.is_active and request.user.is_superuser


class ReadOnlyForFacilitatorsAdmin(admin.ModelAdmin):
    """Reference data (geography): readable by branch staff, writable by superusers only."""

    def has_module_permission(self, request) -> bool:
        return request.user.is_active and request.user.is_staff

    def has_view_permission(self, request, obj=None) -> bool:
        return request.user.is_active and request.user.is_staff

    def has_change_permission(self, request, obj=None) -> bool:
        return request.user.is_superuser

    has_add_permission = has_delete_permission = lambda self, request, obj=None: request.user.is_superuser  # noqa: E731
