from django.http import Http404, HttpRequest, HttpResponse


def detail(request: HttpRequest, slug: str) -> HttpResponse:  # replaced by the profile work
    raise Http404


def edit(request: HttpRequest, slug: str) -> HttpResponse:
    raise Http404


def need_offer_create(request: HttpRequest, slug: str) -> HttpResponse:
    raise Http404


def need_offer_edit(request: HttpRequest, pk: int) -> HttpResponse:
    raise Http404


def need_offer_status(request: HttpRequest, pk: int) -> HttpResponse:
    raise Http404
