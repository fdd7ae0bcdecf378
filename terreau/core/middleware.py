"""Request hygiene shared by every page and the API."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, QueryDict


class DropNulFromQueryMiddleware:
    """Removes NUL characters from query-string keys and values before any view reads them.

    No text a person types contains NUL, and PostgreSQL refuses it in any text parameter (DataError, so a 500
    wherever a query-string value reaches a filter), while SQLite accepts it: dropping it here, once, keeps
    every search, filter and API list working the same on both databases.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if any("\x00" in key or any("\x00" in v for v in values) for key, values in request.GET.lists()):
            cleaned = QueryDict(mutable=True)
            for key, values in request.GET.lists():
                cleaned.setlist(key.replace("\x00", ""), [v.replace("\x00", "") for v in values])
            cleaned._mutable = False
            request.GET = cleaned
        return self.get_response(request)
