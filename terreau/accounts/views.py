from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse_lazy
from django.utils.translation import gettext as _

from terreau.accounts import throttling
from terreau.accounts.forms import PasswordResetForm
from terreau.core.access import actor_for, branches_managed


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    actor = actor_for(request.user)
    memberships = request.user.memberships.select_related("organisation")
    return render(
        request,
        "accounts/profile.html",
        {"memberships": memberships, "branches": branches_managed(actor), "nav": "profile"},
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
