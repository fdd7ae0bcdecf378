"""Site closures and volunteer absences (pages)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from terreau.activities.views.common import ctx, get_program


@login_required
def closures(request: HttpRequest, slug: str) -> HttpResponse:
    program = get_program(request, slug)
    return render(request, "activities/closures.html", ctx(request, program))
