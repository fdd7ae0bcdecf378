"""The progress page of a background job, for the person who started it (and their branch's staff)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from terreau.core import access
from terreau.core.models import TrackedJob

# While the job works, the page asks for its progress this often (htmx polling of the partial).
POLL_SECONDS = 2


@login_required
def tracked_job(request: HttpRequest, pk: str) -> HttpResponse:
    tracked = access.get_for(request.user, TrackedJob.objects.all(), pk=pk)
    template = "core/tracked_job.html#progress" if request.htmx else "core/tracked_job.html"
    return render(request, template, {"tracked": tracked, "poll_seconds": POLL_SECONDS})
