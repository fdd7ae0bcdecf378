"""The sign-in with a second factor and the pages where a person enables and manages it
(terreau.accounts.two_factor holds the rules; terreau.accounts.two_factor_middleware holds sessions back)."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST
from django_otp import login as otp_login

from terreau.accounts import two_factor

# The backup codes just generated, kept in the session until the person says they saved them.
SESSION_CODES = "terreau_backup_codes"


class CodeForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("Code de vérification"),
        max_length=32,
        strip=True,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "autocapitalize": "none"}),
    )


def _next(request: HttpRequest) -> str:
    """The page asked for before signing in, if it is on this site; else the usual landing page."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return resolve_url(settings.LOGIN_REDIRECT_URL)


def _with_next(name: str, target: str) -> str:
    return f"{reverse(name)}?{urlencode({'next': target})}"


class LoginView(auth_views.LoginView):
    """Django's login (limited by django-axes, terreau.accounts.throttling), then the second factor: a person
    with an authenticator app goes to the code page, staff without one to the enrolment page, keeping ``next``."""

    template_name = "accounts/login.html"

    def form_valid(self, form):
        response = super().form_valid(form)
        user = form.get_user()
        if two_factor.has_two_factor(user):
            return HttpResponseRedirect(_with_next("accounts:two_factor_verify", self.get_success_url()))
        if two_factor.requires_two_factor(user):
            return HttpResponseRedirect(_with_next("accounts:two_factor_setup", self.get_success_url()))
        return response


@never_cache
def verify(request: HttpRequest) -> HttpResponse:
    """The code page: a code from the app or a backup code verifies the session (django_otp.login)."""
    if not request.user.is_authenticated:
        return redirect(f"{resolve_url(settings.LOGIN_URL)}?{urlencode({'next': _next(request)})}")
    if two_factor.is_verified(request):
        return HttpResponseRedirect(_next(request))
    if not two_factor.has_two_factor(request.user):
        return HttpResponseRedirect(_with_next("accounts:two_factor_setup", _next(request)))
    form = CodeForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        result = two_factor.code_check(user=request.user, token=form.cleaned_data["code"])
        if result.device is not None:
            request.session.cycle_key()
            otp_login(request, result.device)
            return HttpResponseRedirect(_next(request))
        form.add_error("code", result.error)
        status = 429 if result.throttled else 200
    context = {"form": form, "next": _next(request)}
    return render(request, "accounts/two_factor/verify.html", context, status=status)


@never_cache
@login_required
def setup(request: HttpRequest) -> HttpResponse:
    """Enrolment: scan the QR code (or type the secret), confirm with a first code, then the backup codes."""
    if two_factor.has_two_factor(request.user):
        if not two_factor.is_verified(request):  # a second app is never added without the first one's code
            return HttpResponseRedirect(_with_next("accounts:two_factor_verify", _next(request)))
        return redirect("accounts:two_factor")
    device = two_factor.totp_start(user=request.user)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            codes = two_factor.totp_confirm(
                user=request.user, device=device, token=form.cleaned_data["code"], request=request
            )
        except ValidationError as exc:
            form.add_error("code", exc)
        else:
            request.session.cycle_key()
            otp_login(request, device)
            request.session[SESSION_CODES] = codes
            messages.success(request, _("La double authentification est activée."))
            return HttpResponseRedirect(_with_next("accounts:two_factor_codes", _next(request)))
    context = {
        "form": form,
        "qr_svg": two_factor.qr_svg(device),
        "secret": two_factor.secret_text(device),
        "required": two_factor.requires_two_factor(request.user),
        "next": _next(request),
        "nav": "profile",
    }
    return render(request, "accounts/two_factor/setup.html", context)


@never_cache
@login_required
def codes(request: HttpRequest) -> HttpResponse:
    """The backup codes just generated, shown until the person says they saved them (then never again)."""
    if request.method == "POST":
        request.session.pop(SESSION_CODES, None)
        return HttpResponseRedirect(
            _next(request) if request.POST.get("next") else reverse("accounts:two_factor")
        )
    fresh = request.session.get(SESSION_CODES)
    if not fresh:
        return redirect("accounts:two_factor")
    context = {"codes": fresh, "next": request.GET.get("next", ""), "nav": "profile"}
    return render(request, "accounts/two_factor/codes.html", context)


@never_cache
@login_required
def codes_download(request: HttpRequest) -> HttpResponse:
    """The same backup codes as a text file."""
    fresh = request.session.get(SESSION_CODES)
    if not fresh:
        return redirect("accounts:two_factor")
    lines = [
        _("Terreau : codes de secours de %(email)s") % {"email": request.user.email},
        _("Chaque code ne sert qu'une fois, à la place du code de votre application."),
        "",
        *fresh,
        "",
    ]
    response = HttpResponse("\n".join(lines), content_type="text/plain; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="terreau-codes-de-secours.txt"'
    return response


@never_cache
@login_required
def manage(request: HttpRequest) -> HttpResponse:
    """Mon espace › Double authentification: status, new backup codes, remove or replace the app (each asks a
    current code, from the app or a backup code)."""
    enabled = two_factor.has_two_factor(request.user)
    context = {
        "enabled": enabled,
        "required": two_factor.requires_two_factor(request.user),
        "codes_left": two_factor.backup_codes_left(request.user) if enabled else 0,
        "form": CodeForm(),
        "nav": "profile",
    }
    return render(request, "accounts/two_factor/manage.html", context)


@login_required
@require_POST
def change(request: HttpRequest) -> HttpResponse:
    """One of the manage page's acts, after a current code: "codes", "replace" or "remove"."""
    act = request.POST.get("act")
    if act not in ("codes", "replace", "remove") or not two_factor.has_two_factor(request.user):
        return redirect("accounts:two_factor")
    if act == "remove" and two_factor.requires_two_factor(request.user):
        messages.error(request, _("Votre rôle impose la double authentification : remplacez l'appareil."))
        return redirect("accounts:two_factor")
    form = CodeForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Saisissez un code pour confirmer."))
        return redirect("accounts:two_factor")
    result = two_factor.code_check(user=request.user, token=form.cleaned_data["code"])
    if result.device is None:
        messages.error(request, result.error)
        return redirect("accounts:two_factor")
    if act == "codes":
        request.session[SESSION_CODES] = two_factor.backup_codes_regenerate(
            user=request.user, request=request
        )
        messages.success(request, _("Nouveaux codes de secours : les anciens ne fonctionnent plus."))
        return redirect("accounts:two_factor_codes")
    two_factor.two_factor_remove(user=request.user, request=request)
    request.session.pop(SESSION_CODES, None)
    if act == "replace":
        messages.info(request, _("Ancien appareil retiré : enregistrez le nouveau."))
        return redirect("accounts:two_factor_setup")
    messages.success(request, _("La double authentification est désactivée."))
    return redirect("accounts:two_factor")
