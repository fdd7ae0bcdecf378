from django.http import Http404, HttpRequest, HttpResponse


def import_page(request: HttpRequest) -> HttpResponse:  # replaced by the import work
    raise Http404


def import_report(request: HttpRequest, pk: int) -> HttpResponse:
    raise Http404
