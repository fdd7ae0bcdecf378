"""The one place where Terreau decides who may see and change what (deny by default).

Every model that holds branch-scoped data declares an ``ACCESS = AccessRule(...)`` class attribute
saying how it reaches its Branch (and its Organisation, when members of that organisation may act on it)
and which rows are public. Views, the API, exports and the admin fetch objects only through
``visible()``, ``editable()`` and ``get_for()``: tenancy is enforced by one queryset filter built from the
user's roles, computed once per request (no query per row).

Roles:
- network administrator (head office): everything in the branches of their network;
- branch facilitator (animateur): everything in their branch;
- organisation member: their organisation and what hangs from it;
- anyone, signed in or not: public rows only.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, Literal, TypeVar

from django.core.exceptions import PermissionDenied
from django.db.models import Model, Q, QuerySet
from django.http import Http404

M = TypeVar("M", bound=Model)
Action = Literal["view", "change", "manage"]


@dataclass(frozen=True)
class AccessRule:
    """How rows of a model reach their branch and organisation, and which of them are public.

    branch: lookup path(s) from the model to core.Branch ("branch", "organisation__branch"...); a row shared
        by two organisations (a contact request) names both paths and is seen by the staff of either branch.
    organisation: lookup path(s) to directory.Organisation whose members may change the row ("" for the
        organisation itself, None when organisation members have no rights on it).
    public: the rows anybody may see; None means nothing is public.
    many: a path crosses a many-valued relation (a partnership's partners, an event's organisers): rows are
        then filtered through a sub-query so that they are not repeated.
    program: lookup path to programs.Program: its coordinators may see and change the row, its partner
        viewers may see it.
    site: lookup path to programs.HostSite: the site's staff and the volunteers assigned to it may see the
        row; its staff may change it, and so may its volunteers where ``volunteers_change`` is set (the
        session reports they write).
    owner: lookup path to the user(s) the row belongs to (their own registration, the events they organise,
        with ``many`` when the path is many-valued): they may see and change it ("view" and "change", never
        "manage", which stays with branch staff).
    evaluation: lookup path to programs.Program whose coordinators and evaluators may see and change the row
        (an evaluation's framework and its answers); partner viewers are given nothing through this path.
    branch_staff: False for beneficiaries' personal data, which only the people who run their sessions see
        (not the branch's facilitators nor the network's head office).
    """

    branch: str | tuple[str, ...]
    organisation: str | tuple[str, ...] | None = None
    public: Q | None = None
    many: bool = False
    program: str | None = None
    site: str | None = None
    owner: str | None = None
    evaluation: str | None = None
    branch_staff: bool = True
    volunteers_change: bool = False

    def apply(self, qs: QuerySet[M], q: Q) -> QuerySet[M]:
        if self.many:
            return qs.filter(pk__in=qs.model._base_manager.filter(q).values("pk"))
        return qs.filter(q)

    @staticmethod
    def _paths(paths: str | tuple[str, ...]) -> tuple[str, ...]:
        return (paths,) if isinstance(paths, str) else paths

    @staticmethod
    def _path(path: str, field: str) -> str:
        return f"{path}__{field}" if path else field

    def staff_q(self, actor: Actor) -> Q:
        q = Q(pk__in=[])
        if not self.branch_staff:
            return q
        for path in self._paths(self.branch):
            q |= Q(**{f"{self._path(path, 'id')}__in": actor.branch_ids})
            if actor.network_ids:
                q |= Q(**{f"{self._path(path, 'network_id')}__in": actor.network_ids})
        return q

    def member_q(self, org_ids: frozenset[int]) -> Q:
        q = Q(pk__in=[])
        if self.organisation is None or not org_ids:
            return q
        for path in self._paths(self.organisation):
            q |= Q(**{f"{self._path(path, 'pk')}__in": org_ids})
        return q

    def team_q(self, actor: Actor, *, change: bool) -> Q:
        """Program teams (coordinators, site staff, volunteers, partner viewers) and the row's owner."""
        q = Q(pk__in=[])
        if self.program is not None:
            programs = actor.program_ids if change else actor.program_ids | actor.program_viewer_ids
            if programs:
                q |= Q(**{f"{self._path(self.program, 'pk')}__in": programs})
        sites = actor.site_staff_ids if change and not self.volunteers_change else actor.site_ids
        if self.site is not None and sites:
            q |= Q(**{f"{self._path(self.site, 'pk')}__in": sites})
        evaluating = actor.program_ids | actor.program_evaluator_ids
        if self.evaluation is not None and evaluating:
            q |= Q(**{f"{self._path(self.evaluation, 'pk')}__in": evaluating})
        return q | self.owner_q(actor)

    def sees_beyond_public(self, actor: Actor) -> bool:
        """Whether ``visible()`` may give this actor rows that are not public, decided from the actor's id
        sets alone (no query): lets a caller keep the public-only path, unchanged, for everybody else (the
        directory search of private needs and offers)."""
        if actor.is_superuser:
            return True
        if not actor.is_authenticated:
            return False
        return bool(
            (self.branch_staff and (actor.branch_ids or actor.network_ids))
            or (self.organisation is not None and actor.org_ids)
            or (self.program is not None and (actor.program_ids or actor.program_viewer_ids))
            or (self.site is not None and actor.site_ids)
            or (self.evaluation is not None and (actor.program_ids or actor.program_evaluator_ids))
            or self.owner is not None
        )

    def owner_q(self, actor: Actor) -> Q:
        if self.owner is None or actor.user_id is None:
            return Q(pk__in=[])
        return Q(**{self._path(self.owner, "pk"): actor.user_id})

    def parent(self, path: str) -> AccessRule:
        """This rule re-rooted on the parent row reached by ``path``: applied to the parent's rows, it selects
        those under which the user may see or change a row of this model (the host sites where they may
        register a participant). Paths that do not go through ``path`` are dropped, and so is ``public``."""

        def strip(p: str | None) -> str | None:
            if p is None or not path:
                return p
            if p == path:
                return ""
            return p[len(path) + 2 :] if p.startswith(f"{path}__") else None

        def strip_all(paths: str | tuple[str, ...]) -> tuple[str, ...]:
            return tuple(s for s in map(strip, self._paths(paths)) if s is not None)

        return replace(
            self,
            branch=strip_all(self.branch),
            organisation=None if self.organisation is None else strip_all(self.organisation),
            public=None,
            program=strip(self.program),
            site=strip(self.site),
            owner=strip(self.owner),
            evaluation=strip(self.evaluation),
        )


@dataclass(frozen=True)
class Actor:
    """What a user is allowed to act on, computed once per request."""

    user_id: int | None = None
    is_superuser: bool = False
    network_ids: frozenset[int] = frozenset()
    branch_ids: frozenset[int] = frozenset()
    org_ids: frozenset[int] = frozenset()
    org_admin_ids: frozenset[int] = frozenset()
    program_ids: frozenset[int] = frozenset()  # coordinator of
    program_viewer_ids: frozenset[int] = frozenset()  # partner viewer of
    program_evaluator_ids: frozenset[int] = frozenset()  # evaluator of
    site_ids: frozenset[int] = frozenset()  # site staff or volunteer at
    site_staff_ids: frozenset[int] = frozenset()  # site staff at

    @property
    def is_authenticated(self) -> bool:
        return self.user_id is not None

    @property
    def is_staff_anywhere(self) -> bool:
        return self.is_superuser or bool(self.network_ids or self.branch_ids)

    def manages_branch(self, branch: Any) -> bool:
        if branch is None:
            return self.is_superuser
        return self.is_superuser or branch.pk in self.branch_ids or branch.network_id in self.network_ids


ANONYMOUS = Actor()


RoleProvider = Callable[[Any], dict[str, Any]]
_ROLE_PROVIDERS: list[RoleProvider] = []


def register_roles(provider: RoleProvider) -> RoleProvider:
    """Lets a domain app contribute the roles it holds to every user's Actor (core knows no domain app).

    ``provider(user)`` returns some of the Actor's id-set fields (``{"org_ids": ...}``); sets given by several
    providers for the same field are merged. Apps register in their AppConfig.ready(); usable as a decorator.
    """
    if provider not in _ROLE_PROVIDERS:
        _ROLE_PROVIDERS.append(provider)
    return provider


def actor_for(user: Any) -> Actor:
    """The user's roles as sets of ids, cached on the user object for the rest of the request."""
    if user is None or not user.is_authenticated or not user.is_active:
        return ANONYMOUS
    cached = getattr(user, "_terreau_actor", None)
    if cached is not None:
        return cached
    roles: dict[str, frozenset[int]] = {}
    for provider in _ROLE_PROVIDERS:
        for field, ids in provider(user).items():
            roles[field] = roles.get(field, frozenset()) | frozenset(ids)
    if roles.get("network_ids"):
        # A network administrator acts on every branch of the network.
        from terreau.core.models import Branch

        in_networks = Branch.objects.filter(network_id__in=roles["network_ids"]).values_list("id", flat=True)
        roles["branch_ids"] = roles.get("branch_ids", frozenset()) | frozenset(in_networks)
    actor = Actor(user_id=user.pk, is_superuser=user.is_superuser, **roles)
    user._terreau_actor = actor
    return actor


def _rule(qs: QuerySet) -> AccessRule:
    rule = getattr(qs.model, "ACCESS", None)
    if not isinstance(rule, AccessRule):
        raise TypeError(f"{qs.model.__name__} declares no ACCESS rule: it cannot be fetched for users.")
    return rule


def visible(user: Any, qs: QuerySet[M]) -> QuerySet[M]:
    """Rows of ``qs`` the user may see."""
    actor = user if isinstance(user, Actor) else actor_for(user)
    rule = _rule(qs)
    if actor.is_superuser:
        return qs
    q = rule.public if rule.public is not None else Q(pk__in=[])
    if actor.is_authenticated:
        q |= rule.staff_q(actor) | rule.member_q(actor.org_ids) | rule.team_q(actor, change=False)
    return rule.apply(qs, q)


def editable(
    user: Any, qs: QuerySet[M], *, action: Action = "change", rule: AccessRule | None = None
) -> QuerySet[M]:
    """Rows of ``qs`` the user may change ("change") or administer as branch staff ("manage").

    ``rule``: another model's rule re-rooted on ``qs``'s model (``Child.ACCESS.parent("site")``) to ask under
    which of these rows the user may change that model's rows; ``qs``'s own rule by default.
    """
    actor = user if isinstance(user, Actor) else actor_for(user)
    rule = _rule(qs) if rule is None else rule
    if actor.is_superuser:
        return qs
    if not actor.is_authenticated:
        return qs.none()
    q = rule.staff_q(actor)
    if action == "change":
        q |= rule.member_q(actor.org_ids) | rule.team_q(actor, change=True)
    return rule.apply(qs, q)


def get_for(user: Any, qs: QuerySet[M], *, action: Action = "view", **lookup: Any) -> M:
    """The one access-checking path to fetch an object for a user.

    Not visible: 404 (its existence is not revealed). Visible but not allowed for ``action``: 403.
    """
    try:
        obj = visible(user, qs).get(**lookup)
    except (qs.model.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    if action != "view" and not editable(user, qs.filter(pk=obj.pk), action=action).exists():
        raise PermissionDenied
    return obj


def owned(user: Any, qs: QuerySet[M]) -> QuerySet[M]:
    """Rows of ``qs`` that are the user's own through the rule's ``owner`` path (their registration to an
    event): who they are in the row, not what they may see of others' rows (not even as superuser)."""
    actor = user if isinstance(user, Actor) else actor_for(user)
    rule = _rule(qs)
    if rule.owner is None or not actor.is_authenticated:
        return qs.none()
    return rule.apply(qs, rule.owner_q(actor))


def accounts_for(user: Any) -> QuerySet:
    """Accounts a user may pick in a form (the admin's and the pages': a mission's volunteer...).

    An account is personal data: besides superusers (every account), an actor picks only the people of the
    branches they manage (facilitators of those branches, administrators of their networks, members of the
    branches' organisations, teams of the branches' programs), the teams of the programs they coordinate, and
    themselves. Anybody else is added from the pages by e-mail address (the program team, an organisation's
    members).
    """
    from django.contrib.auth import get_user_model

    model = get_user_model()
    actor = user if isinstance(user, Actor) else actor_for(user)
    users = model._default_manager.all()
    if actor.is_superuser:
        return users
    if not actor.is_authenticated:
        return users.none()
    relations = {f.name for f in model._meta.get_fields()}
    branches = list(actor.branch_ids)
    q = Q(pk=actor.user_id)
    paths = {
        "branch_roles": "branch_roles__branch_id__in",
        "memberships": "memberships__organisation__branch_id__in",
        "program_roles": "program_roles__program__branch_id__in",
    }
    for relation, lookup in paths.items():
        if relation in relations and branches:
            q |= Q(**{lookup: branches})
    if "program_roles" in relations and actor.program_ids:
        q |= Q(program_roles__program_id__in=actor.program_ids)
    if "network_roles" in relations and actor.network_ids:
        q |= Q(network_roles__network_id__in=actor.network_ids)
    return users.filter(pk__in=users.filter(q).values("pk"))


def branches_managed(user: Any) -> QuerySet:
    """Branches where the user is staff (facilitator or network administrator)."""
    from terreau.core.models import Branch

    actor = user if isinstance(user, Actor) else actor_for(user)
    if actor.is_superuser:
        return Branch.objects.all()
    return Branch.objects.filter(id__in=actor.branch_ids)
