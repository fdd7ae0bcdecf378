"""Home, health and error pages. Error pages render French text and never a traceback."""

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from terreau.core import health


def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness (terreau/core/health.py): the process answers."""
    return health.liveness()


def readyz(request: HttpRequest) -> JsonResponse:
    """Readiness (terreau/core/health.py): database, migrations, cache and media all usable; else 503."""
    return health.readiness()


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "errors/404.html", status=404)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "errors/403.html", status=403)


def server_error(request: HttpRequest) -> HttpResponse:
    # Rendered without a RequestContext: the failure may come from a context processor or the database.
    from django.template import loader

    return HttpResponse(loader.get_template("errors/500.html").render(), status=500)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "errors/400.html", status=400)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A forged or expired form: explain in plain French, keep nothing."""
    return render(request, "errors/csrf.html", status=403)


def public_logo(request: HttpRequest, path: str) -> HttpResponse:
    """An organisation's logo, public by nature, served even with DEBUG off (the demo runs so; in production
    nginx answers first). The root is the logos folder itself, so "../" can never reach a private document."""
    from pathlib import Path

    from django.conf import settings
    from django.views.static import serve

    return serve(request, path, document_root=Path(settings.MEDIA_ROOT) / "logos")
