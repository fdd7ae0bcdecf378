"""The directory search page: full page, or only its results for htmx requests."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import push_url

from terreau.directory.match_reasons import explain
from terreau.directory.queries import DirectoryParams, directory_page, filter_choices

PAGE_SIZE = 20


@require_GET
@vary_on_headers("HX-Request")
def search(request: HttpRequest) -> HttpResponse:
    params = DirectoryParams.from_query(request.GET)
    page = directory_page(
        user=request.user, params=params, number=request.GET.get("page"), per_page=PAGE_SIZE
    )
    if params.q:
        explain(page.object_list, q=params.q, actor=request.user)
    filter_query = params.to_query()
    context = {
        "nav": "directory",
        "params": params,
        "page": page,
        "filter_query": filter_query,
    }
    htmx = getattr(request, "htmx", None)
    if htmx and not htmx.boosted and not htmx.history_restore_request:
        response = render(request, "directory/search.html#results", context)
        # A clean, shareable address (only the filters in use) rather than every empty field of the form.
        url = reverse("directory:search")
        page_suffix = f"page={page.number}" if page.number > 1 else ""
        query = "&".join(part for part in (filter_query, page_suffix) if part)
        return push_url(response, f"{url}?{query}" if query else url)
    context["choices"] = filter_choices()
    return render(request, "directory/search.html", context)
