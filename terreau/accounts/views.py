from django.apps import apps
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse_lazy
from django.utils.translation import gettext as _

from terreau.accounts import throttling
from terreau.accounts.forms import PasswordResetForm
from terreau.core.access import actor_for, branches_managed, visible

# How many requests of each kind "Mon espace" lists before linking to the inbox.
PROFILE_REQUESTS = 5


def _contact_requests(actor) -> dict:
    """The contact requests of the actor's organisations: those awaiting their answer, and the latest ones
    received and sent (the inbox shows them all). The model is looked up by name: the partnerships app
    builds on accounts, never the reverse (terreau/core/access.py scopes the query)."""
    if not actor.org_ids:
        return {"pending": [], "received": [], "sent": [], "partnerships": 0}
    ContactRequest = apps.get_model("partnerships", "ContactRequest")
    Partnership = apps.get_model("partnerships", "Partnership")
    requests = visible(actor, ContactRequest.objects.involving(actor.org_ids)).select_related(
        "sender", "recipient", "partnership"
    )
    received = requests.filter(recipient_id__in=actor.org_ids).order_by("-created_at")
    return {
        "pending": list(received.pending()[:PROFILE_REQUESTS]),
        "pending_count": received.pending().count(),
        "received": list(received.exclude(status=ContactRequest.Status.PENDING)[:PROFILE_REQUESTS]),
        "sent": list(requests.filter(sender_id__in=actor.org_ids).order_by("-created_at")[:PROFILE_REQUESTS]),
        "partnerships": visible(actor, Partnership.objects.of_organisations(actor.org_ids)).count(),
    }


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    """Mon espace: my organisations, my contact requests and partnerships, the branches I run, my programs, and
    my API access, each under its own heading."""
    actor = actor_for(request.user)
    memberships = request.user.memberships.select_related("organisation").order_by("organisation__name")
    programs = visible(actor, request.user.program_roles.select_related("program", "site")).order_by(
        "program__name", "role"
    )
    return render(
        request,
        "accounts/profile.html",
        {
            "memberships": memberships,
            "branches": branches_managed(actor),
            "staff": actor.is_staff_anywhere,
            "programs": programs,
            "contacts": _contact_requests(actor),
            "nav": "profile",
        },
    )


class PasswordResetView(auth_views.PasswordResetView):
    """Django's password reset, limited like the login (terreau.accounts.throttling): too many requests from one
    address are refused with a French message; beyond the per-person limit the usual confirmation page is shown
    but no e-mail is sent, so the page never tells whether an address has an account."""

    template_name = "accounts/password_reset.html"
    form_class = PasswordResetForm  # its e-mail is accounts/emails/password_reset, through terreau.core.mail
    success_url = reverse_lazy("accounts:password_reset_done")

    def form_valid(self, form):
        if not throttling.password_reset_allowed(self.request):
            form.add_error(
                "email",
                _(
                    "Trop de demandes de réinitialisation depuis votre connexion. "
                    "Réessayez dans un quart d'heure."
                ),
            )
            return self.render_to_response(self.get_context_data(form=form), status=429)
        if not throttling.password_reset_allowed(self.request, email=form.cleaned_data["email"]):
            return HttpResponseRedirect(self.get_success_url())
        return super().form_valid(form)
