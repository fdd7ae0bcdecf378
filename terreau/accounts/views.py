from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from terreau.core.access import actor_for, branches_managed
from terreau.directory.models import Membership


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    actor = actor_for(request.user)
    memberships = Membership.objects.filter(user=request.user).select_related("organisation")
    return render(
        request,
        "accounts/profile.html",
        {"memberships": memberships, "branches": branches_managed(actor), "nav": "profile"},
    )
