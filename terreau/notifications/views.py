"""The notifications page, marking notifications read, the preferences page and the unsubscribe page."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from terreau.core.access import get_for
from terreau.notifications import services
from terreau.notifications.forms import PreferencesForm
from terreau.notifications.kinds import get_kind
from terreau.notifications.models import Notification

PER_PAGE = 30


@login_required
def notification_list(request: HttpRequest) -> HttpResponse:
    mine = Notification.objects.for_user(request.user).only("pk", "title", "link", "read_at", "created_at")
    page = Paginator(mine, PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "notifications/list.html", {"page": page, "nav": "notifications"})


def _safe(request: HttpRequest, link: str) -> str | None:
    if link and url_has_allowed_host_and_scheme(
        link, allowed_hosts={request.get_host()}, require_https=False
    ):
        return link
    if link.startswith("/") and not link.startswith("//"):
        return link
    return None


@login_required
@require_POST
def notification_open(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark one notification read, then follow its link (or come back to the list)."""
    notification = get_for(request.user, Notification.objects.for_user(request.user), pk=pk)
    if notification.read_at is None:
        Notification.objects.filter(pk=notification.pk).update(read_at=timezone.now())
    if request.POST.get("follow") and (target := _safe(request, notification.link)):
        return redirect(target)
    return redirect("notifications:list")


@login_required
@require_POST
def notification_read_all(request: HttpRequest) -> HttpResponse:
    count = Notification.objects.for_user(request.user).unread().update(read_at=timezone.now())
    if count:
        messages.success(request, _("Toutes vos notifications sont marquées comme lues."))
    return redirect("notifications:list")


@login_required
def preferences(request: HttpRequest) -> HttpResponse:
    stored = services.preferences_of(request.user)
    form = PreferencesForm(request.POST or None, stored=stored)
    if request.method == "POST" and form.is_valid():
        for code, choice in form.cleaned_data.items():
            if choice and choice != stored.get(code):
                services.set_preference(kind=code, choice=choice, user=request.user)
        messages.success(request, _("Vos préférences de notification sont enregistrées."))
        return redirect("notifications:preferences")
    return render(request, "notifications/preferences.html", {"form": form, "nav": "notifications"})


@csrf_exempt  # the signed token is the credential; mail clients' one-click unsubscribe posts without a form
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """Unsubscribe from one kind without signing in. GET shows what the link does; only POST changes it."""
    try:
        payload = services.read_unsubscribe_token(token)
        kind = get_kind(payload["k"])
    except signing.SignatureExpired:
        return render(request, "notifications/unsubscribe_invalid.html", {"expired": True}, status=400)
    except (signing.BadSignature, LookupError):
        return render(request, "notifications/unsubscribe_invalid.html", {"expired": False}, status=400)
    user = None
    email = payload.get("e", "")
    if "u" in payload:
        user = get_user_model().objects.filter(pk=payload["u"]).first()
        if user is None:
            return render(request, "notifications/unsubscribe_invalid.html", {"expired": False}, status=400)
    if not kind.optional:
        return render(request, "notifications/unsubscribe_invalid.html", {"mandatory": True}, status=400)
    done = False
    if request.method == "POST":
        services.set_preference(kind=kind.code, choice="off", user=user, email=email)
        done = True
    return render(request, "notifications/unsubscribe.html", {"kind": kind, "done": done, "signed_in": user})
