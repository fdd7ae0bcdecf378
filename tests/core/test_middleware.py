"""Query strings holding NUL characters (refused by PostgreSQL in any text parameter) reach no view."""

import pytest
from django.http import HttpResponse
from django.test import RequestFactory

from terreau.core.middleware import DropNulFromQueryMiddleware
from tests.factories import BranchRoleFactory


def test_nul_characters_are_dropped_from_keys_and_values():
    seen = {}

    def view(request):
        seen.update({k: request.GET.getlist(k) for k in request.GET})
        return HttpResponse()

    request = RequestFactory().get("/annuaire/?q=ta%00blettes&q=x&de%00pt=86")
    DropNulFromQueryMiddleware(view)(request)
    assert seen == {"q": ["tablettes", "x"], "dept": ["86"]}


def test_a_clean_query_string_is_left_alone():
    request = RequestFactory().get("/annuaire/?q=caf%C3%A9")
    original = request.GET
    DropNulFromQueryMiddleware(lambda r: HttpResponse())(request)
    assert request.GET is original


@pytest.mark.django_db
def test_team_page_and_api_lists_answer_a_nul_in_the_query(client):
    """The no-500 crawl found /comptes/equipe/?q=%00... and /api/communes/ answering 500 on PostgreSQL."""
    role = BranchRoleFactory()
    client.force_login(role.user)
    assert client.get("/comptes/equipe/?q=%00%27%22%3C").status_code == 200
    assert client.get("/api/communes/?q=%00").status_code in (200, 400)
