from django.http import Http404, HttpRequest, HttpResponse


def export(request: HttpRequest, fmt: str) -> HttpResponse:  # replaced by the export work
    raise Http404
