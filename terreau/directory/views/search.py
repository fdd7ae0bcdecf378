from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def search(request: HttpRequest) -> HttpResponse:  # replaced by the search work
    return render(request, "directory/search.html", {"nav": "directory"})
