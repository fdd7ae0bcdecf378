"""The evaluations' REST API: the framework, the questionnaires, the aggregated results and the raw answers
(pseudonymous, to the program's coordinators and evaluators only). Who reaches what for every role is in
test_permissions_matrix; here, what the answers hold."""

from __future__ import annotations

import pytest
from django.db import transaction

from terreau.evaluation.models import Answer, Instrument, Item, Respondent, Response
from tests.evaluation.test_permissions_matrix import KNOWN_CODE, OTHER_CODE, build_world


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            yield build_world()
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


def _get(client, world, actor, url, **params):
    client.force_login(world["users"][actor])
    return client.get(url, params)


@pytest.mark.django_db
def test_evaluation_carries_its_framework(client, world):
    e1 = world["e1"]
    data = _get(client, world, "partner_viewer", f"/api/evaluations/{e1.pk}/").json()
    assert data["program"] == world["p1"].slug
    assert data["audiences"] == ["participants"]
    assert data["min_count"] == e1.min_count
    assert data["state"] == "collecting"
    assert [q["text"] for q in data["questions"]] == ["Les participants se sentent-ils moins isolés ?"]
    outcome = next(i for i in data["indicators"] if i["kind"] == "outcome")
    assert outcome["item_code"] == "isolement" and outcome["measure"] == "share_agree"
    assert outcome["question"] == data["questions"][0]["id"]
    assert {(w["kind"], w["state"]) for w in data["waves"]} == {("before", "closed"), ("after", "open")}


@pytest.mark.django_db
def test_list_shows_only_what_one_sees(client, world, django_assert_max_num_queries):
    client.force_login(world["users"]["facilitator_1"])
    with django_assert_max_num_queries(12):
        rows = client.get("/api/evaluations/").json()["results"]
    assert [row["id"] for row in rows] == [world["e1"].pk]
    rows = _get(client, world, "superuser", "/api/evaluations/").json()["results"]
    assert {row["id"] for row in rows} == {world["e1"].pk, world["e2"].pk}


@pytest.mark.django_db
def test_questionnaires_with_their_items_and_versions(client, world):
    e1 = world["e1"]
    data = _get(client, world, "partner_viewer", f"/api/evaluations/{e1.pk}/questionnaires/").json()
    assert len(data) == 1
    instrument = data[0]
    assert instrument["audience"] == "participants" and instrument["version"] == 1
    assert instrument["is_current"] is True and instrument["frozen_at"] is not None
    assert [item["code"] for item in instrument["items"]] == ["isolement", "usages"]
    assert instrument["items"][1]["choices"][0] == {"value": "appel", "label": "Appel vidéo"}


@pytest.mark.django_db
def test_answers_are_pseudonymous_and_typed(client, world, django_assert_max_num_queries):
    e1 = world["e1"]
    client.force_login(world["users"]["evaluator"])
    with django_assert_max_num_queries(16):  # the same for 24 answers as for 1 (and one audit record)
        data = client.get(f"/api/evaluations/{e1.pk}/answers/", {"page_size": 200}).json()
    # Six respondents, two waves, two questions.
    assert data["count"] == 24
    row = next(r for r in data["results"] if r["respondent"] == KNOWN_CODE and r["item"] == "isolement")
    assert set(row) == {"respondent", "audience", "site", "age_band", "wave", "item", "value", "declined"}
    assert row["audience"] == "participants" and row["site"] == world["s1"].pk
    assert row["age_band"] == "70_79" and row["wave"] == "before"
    assert row["value"] == 2
    several = next(r for r in data["results"] if r["item"] == "usages")
    assert several["value"] == ["appel"]
    assert OTHER_CODE not in str(data)


@pytest.mark.django_db
def test_declined_answer_has_no_value(client, world):
    answer = Answer.objects.filter(response__respondent__code=KNOWN_CODE, item__code="isolement").first()
    Answer.objects.filter(pk=answer.pk).update(declined=True, number=None)
    try:
        rows = _get(
            client, world, "coordinator", f"/api/evaluations/{world['e1'].pk}/answers/", wave="before"
        ).json()["results"]
        row = next(r for r in rows if r["respondent"] == KNOWN_CODE and r["item"] == "isolement")
        assert row["value"] is None and row["declined"] is True
    finally:
        Answer.objects.filter(pk=answer.pk).update(declined=False, number=answer.number)


@pytest.mark.django_db
def test_answers_filtered_by_wave_and_paginated(client, world):
    url = f"/api/evaluations/{world['e1'].pk}/answers/"
    after = _get(client, world, "coordinator", url, wave="after").json()
    assert after["count"] == 12 and {r["wave"] for r in after["results"]} == {"after"}
    page = _get(client, world, "coordinator", url, page_size=5, page=2).json()
    assert len(page["results"]) == 5 and page["previous"] and page["next"]
    bad = _get(client, world, "coordinator", url, wave="pendant")
    assert bad.status_code == 400 and "Vague inconnue" in bad.json()["wave"][0]
    for params in ({"page": "0"}, {"page_size": "100000"}, {"page": "x" * 30}):
        assert _get(client, world, "coordinator", url, **params).status_code == 400
    assert _get(client, world, "coordinator", url, page=99).status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize("actor", ["partner_viewer", "facilitator_1", "network_admin"])
def test_answers_refused_with_a_french_message_to_who_sees_only_the_framework(client, world, actor):
    response = _get(client, world, actor, f"/api/evaluations/{world['e1'].pk}/answers/")
    assert response.status_code == 403
    assert "réservées à la coordination" in response.json()["detail"]


@pytest.mark.django_db
def test_unknown_or_malformed_ids_answer_a_json_404(client, world):
    for url in (
        "/api/evaluations/999999999/",
        "/api/evaluations/99999999999999999999999/",
        "/api/evaluations/abc/answers/",
        f"/api/evaluations/{world['e2'].pk}/questionnaires/",
    ):
        response = _get(client, world, "coordinator", url)
        assert response.status_code == 404, url
        assert response["Content-Type"].startswith("application/json")


@pytest.mark.django_db
def test_read_only(client, world):
    client.force_login(world["users"]["superuser"])
    url = f"/api/evaluations/{world['e1'].pk}/"
    for method in (client.post, client.put, client.patch, client.delete):
        assert method(url, {}, content_type="application/json").status_code == 405
    assert client.post("/api/evaluations/", {}, content_type="application/json").status_code == 405


@pytest.mark.django_db
def test_token_authentication_reaches_the_answers(world):
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    token = Token.objects.create(user=world["users"]["evaluator"])
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert api.get(f"/api/evaluations/{world['e1'].pk}/answers/").status_code == 200
    assert APIClient().get("/api/evaluations/").status_code == 401


def test_models_of_the_answers_are_kept_from_branch_staff():
    # The API's refusal relies on these rules: raw answers never open to branch staff nor partner viewers.
    for model in (Respondent, Response, Answer):
        assert model.ACCESS.branch_staff is False and model.ACCESS.program is None
    assert Instrument.ACCESS.program and Item.ACCESS.program  # questionnaires: partners read them


@pytest.mark.django_db
def test_results_are_the_report_with_its_suppression(client, world):
    import json

    from terreau.evaluation.models import Evaluation

    e1 = world["e1"]
    url = f"/api/evaluations/{e1.pk}/results/"
    data = _get(client, world, "partner_viewer", url).json()
    assert data["evaluation_id"] == e1.pk and data["min_count"] == e1.min_count
    assert data["period_start"] == "2026-01-01"
    assert KNOWN_CODE not in json.dumps(data)
    assert any(not p["suppressed"] for p in data["paired"])
    # Above the number of respondents, nothing is computed any more.
    Evaluation.objects.filter(pk=e1.pk).update(min_count=50)
    try:
        hidden = _get(client, world, "partner_viewer", url).json()
        assert hidden["paired"] and all(p["suppressed"] for p in hidden["paired"])
    finally:
        Evaluation.objects.filter(pk=e1.pk).update(min_count=e1.min_count)


@pytest.mark.django_db
def test_reading_raw_answers_is_recorded(client, world):
    from terreau.core.models import AuditEvent

    before = AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT_DOWNLOADED).count()
    _get(client, world, "evaluator", f"/api/evaluations/{world['e1'].pk}/answers/", wave="after")
    event = AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT_DOWNLOADED).order_by("pk").last()
    assert AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT_DOWNLOADED).count() == before + 1
    assert event.actor == world["users"]["evaluator"] and world["e1"].title in event.target
    assert event.branch_id == world["p1"].branch_id
    # Refused: nothing recorded.
    _get(client, world, "partner_viewer", f"/api/evaluations/{world['e1'].pk}/answers/")
    assert AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT_DOWNLOADED).count() == before + 1


@pytest.mark.django_db
@pytest.mark.parametrize("action", ["answers", "questionnaires", "results"])
@pytest.mark.parametrize("pk", ["0", "999999", "99999999999999999999"])
def test_actions_with_a_format_suffix_and_unknown_ids_answer_404_not_500(client, action, pk):
    """The router's ``.json`` suffix reaches each action as a ``format`` keyword (the sweep for 500s found it)."""
    from tests.evaluation.factories import ProgramRoleFactory

    client.raise_request_exception = False
    client.force_login(ProgramRoleFactory().user)
    # An id longer than the route's 12 digits matches no route: Django's slash redirect, then a 404.
    assert client.get(f"/api/evaluations/{pk}/{action}.json", follow=True).status_code == 404
