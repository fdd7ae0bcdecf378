"""The directory search page: full page, or only its results for htmx requests."""

from __future__ import annotations

from django.core.paginator import Page, Paginator
from django.db.models import Count, QuerySet, Window
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import push_url

from terreau.directory.queries import DirectoryParams, directory_queryset, filter_choices

PAGE_SIZE = 20


class DirectoryPaginator(Paginator):
    """Django's Paginator, reading the total from the page's own rows for text searches.

    A text search ranks every match anyway, so ``COUNT(*) OVER ()`` on the page query costs little and
    saves a second scan of the matches; the separate COUNT only runs for a page out of range. Without a
    text query, the first page comes from the (name, id) index and the COUNT from an index-only scan,
    so the plain Paginator is kept.
    """

    def __init__(self, object_list: QuerySet, per_page: int) -> None:
        self.one_query = "rank" in object_list.query.annotations
        if self.one_query:
            object_list = object_list.annotate(_total=Window(Count("pk")))
        super().__init__(object_list, per_page)

    def get_page(self, number) -> Page:
        if not self.one_query:
            return super().get_page(number)
        try:
            number = max(1, int(number))
        except (TypeError, ValueError):
            number = 1
        bottom = (number - 1) * self.per_page
        rows = list(self.object_list[bottom : bottom + self.per_page])
        if rows or number == 1:
            self.__dict__["count"] = rows[0]._total if rows else 0  # fills the cached_property
            return self._get_page(rows, number, self)
        return super().get_page(number)  # out of range: count, then the last page


@require_GET
@vary_on_headers("HX-Request")
def search(request: HttpRequest) -> HttpResponse:
    params = DirectoryParams.from_query(request.GET)
    paginator = DirectoryPaginator(directory_queryset(user=request.user, params=params), PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
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
