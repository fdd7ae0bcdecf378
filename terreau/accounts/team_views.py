"""The team page: the head office and facilitators create branches, invite facilitators, change their roles
and deactivate or reactivate accounts within their scope (terreau.accounts.staff), and see what was done."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db.models import Exists, OuterRef, Prefetch, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_otp.plugins.otp_totp.models import TOTPDevice

from terreau.accounts import forms, staff, two_factor
from terreau.accounts.models import BranchRole, User
from terreau.core import french
from terreau.core.access import branches_managed
from terreau.core.forms_flow import submit
from terreau.core.links import site_root

PEOPLE_SHOWN = 200


def _branches(request: HttpRequest):
    """The branches the user manages; 404 for anybody who manages none and administers no network (the page
    does not exist for them)."""
    branches = branches_managed(request.user).select_related("network").order_by("network__name", "name")
    if not branches.exists() and not staff.networks_administered(request.user).exists():
        raise Http404
    return branches


def _person(request: HttpRequest, pk: int) -> User:
    person = staff.people_in_scope(request.user).filter(pk=pk).first()
    if person is None:
        raise Http404
    return person


@login_required
def team(request: HttpRequest) -> HttpResponse:
    branches = _branches(request)
    query = request.GET.get("q", "").strip()[:100]
    people = staff.people_in_scope(request.user)
    if query:
        people = people.filter(
            Q(email__icontains=query) | Q(first_name__icontains=query) | Q(last_name__icontains=query)
        )
    else:  # by default: the facilitators of these branches and the deactivated accounts
        people = people.filter(Q(branch_roles__branch__in=branches) | Q(is_active=False)).distinct()
    roles = BranchRole.objects.filter(branch__in=branches).select_related("branch")
    people = people.prefetch_related(Prefetch("branch_roles", queryset=roles, to_attr="roles_here"))
    people = people.annotate(
        has_two_factor=Exists(TOTPDevice.objects.filter(user=OuterRef("pk"), confirmed=True))
    )
    networks = staff.networks_administered(request.user)
    context = {
        "branches": branches,
        "networks": networks,
        "people": people.order_by("last_name", "first_name", "email")[:PEOPLE_SHOWN],
        "query": query,
        "branch_form": forms.BranchCreateForm(networks=networks) if networks.exists() else None,
        "invite_form": forms.FacilitatorInviteForm(branches=branches),
        "grant_form": forms.RoleGrantForm(branches=branches),
        "changes": staff.changes_visible(request.user)[:100],
        "nav": "profile",
    }
    return render(request, "accounts/team.html", context)


@login_required
@require_POST
def branch_create(request: HttpRequest) -> HttpResponse:
    _branches(request)
    form = forms.BranchCreateForm(request.POST, networks=staff.networks_administered(request.user))
    submit(
        request,
        form,
        run=lambda: staff.branch_create(
            network=form.cleaned_data["network"],
            name=form.cleaned_data["name"],
            contact_email=form.cleaned_data["contact_email"],
            by=request.user,
        ),
        success=lambda branch: _("Antenne « %(name)s » créée.") % {"name": branch.name},
    )
    return redirect("accounts:team")


@login_required
@require_POST
def invite(request: HttpRequest) -> HttpResponse:
    form = forms.FacilitatorInviteForm(request.POST, branches=_branches(request))
    submit(
        request,
        form,
        run=lambda: staff.facilitator_invite(
            branch=form.cleaned_data["branch"],
            email=form.cleaned_data["email"],
            first_name=form.cleaned_data["first_name"],
            last_name=form.cleaned_data["last_name"],
            by=request.user,
            site_url=site_root(request),
        ),
        success=lambda role: (
            _("%(email)s anime désormais l'antenne « %(branch)s » ; un courriel lui a été envoyé.")
            % {"email": role.user.email, "branch": role.branch.name}
        ),
    )
    return redirect("accounts:team")


@login_required
@require_POST
def role_grant(request: HttpRequest, pk: int) -> HttpResponse:
    form = forms.RoleGrantForm(request.POST, branches=_branches(request))
    person = _person(request, pk)
    submit(
        request,
        form,
        run=lambda: staff.role_grant(branch=form.cleaned_data["branch"], person=person, by=request.user),
        success=lambda role: (
            _("%(person)s anime désormais l'antenne « %(branch)s ».")
            % {"person": person, "branch": role.branch.name}
        ),
    )
    return redirect("accounts:team")


@login_required
@require_POST
def role_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    role = (
        BranchRole.objects.filter(pk=pk, branch__in=_branches(request))
        .select_related("user", "branch")
        .first()
    )
    if role is None or not staff.people_in_scope(request.user).filter(pk=role.user_id).exists():
        raise Http404
    submit(
        request,
        run=lambda: staff.role_revoke(role=role, by=request.user),
        success=_("%(person)s n'anime plus l'antenne « %(branch)s ».")
        % {"person": role.user, "branch": role.branch.name},
    )
    return redirect("accounts:team")


@login_required
@require_POST
def set_active(request: HttpRequest, pk: int, active: bool) -> HttpResponse:
    _branches(request)
    person = _person(request, pk)
    submit(
        request,
        run=lambda: staff.account_set_active(person=person, active=active, by=request.user),
        success=(
            _("Le compte %(of_person)s est réactivé.")
            if active
            else _("Le compte %(of_person)s est désactivé.")
        )
        % {"of_person": french.of(str(person))},
    )
    return redirect("accounts:team")


@login_required
@require_POST
def two_factor_reset(request: HttpRequest, pk: int) -> HttpResponse:
    """A superuser removes someone's second factor (a lost phone); recorded in the audit log."""
    if not request.user.is_superuser:
        raise Http404
    person = _person(request, pk)
    submit(
        request,
        run=lambda: two_factor.two_factor_reset(person=person, by=request.user, request=request),
        success=_(
            "La double authentification %(of_person)s est réinitialisée : un nouvel appareil lui sera "
            "demandé à sa prochaine connexion."
        )
        % {"of_person": french.of(str(person))},
    )
    return redirect("accounts:team")
