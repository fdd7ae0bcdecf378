from django.http import HttpRequest, HttpResponse, JsonResponse


def map_page(request: HttpRequest) -> HttpResponse:  # replaced by the map work
    return HttpResponse("Carte")


def map_data(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"markers": []})
