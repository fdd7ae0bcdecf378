"""The REST API of diagnoses and key issues: published ones public, the others for their branch's staff; in
the OpenAPI document with its error responses."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from terreau.alliances import services
from terreau.alliances.models import Diagnosis, KeyIssue
from tests.factories import BranchRoleFactory

pytestmark = pytest.mark.django_db


def _client(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def test_unpublished_for_branch_staff_published_for_everyone(dw):
    issue = services.key_issue_save(
        key_issue=KeyIssue(diagnosis=dw.diagnosis, title="Bien vieillir"), by=dw.facilitator
    )
    anonymous, staff, other = _client(), _client(dw.facilitator), _client(BranchRoleFactory().user)
    assert anonymous.get("/api/diagnoses/").json()["count"] == 0
    assert other.get(f"/api/diagnoses/{dw.diagnosis.pk}/").status_code == 404
    assert other.get(f"/api/key-issues/{issue.pk}/").status_code == 404
    body = staff.get(f"/api/diagnoses/{dw.diagnosis.pk}/").json()
    assert body["state"] == "draft" and body["departments"] == ["86"] and body["key_issues"] == [issue.pk]
    assert staff.get("/api/key-issues/", {"diagnosis": dw.diagnosis.pk}).json()["count"] == 1
    assert staff.get("/api/key-issues/", {"diagnosis": "abc"}).status_code == 400
    assert staff.post("/api/diagnoses/", {"title": "x"}).status_code in (403, 405)
    Diagnosis.objects.filter(pk=dw.diagnosis.pk).update(state="published")
    assert anonymous.get(f"/api/diagnoses/{dw.diagnosis.pk}/").status_code == 200
    item = anonymous.get(f"/api/key-issues/{issue.pk}/").json()
    assert item["title"] == "Bien vieillir" and item["answers"] == 0


def test_in_the_openapi_document(client):
    document = client.get("/api/schema/", {"format": "json"}).json()
    for path in ("/api/diagnoses/", "/api/diagnoses/{id}/", "/api/key-issues/", "/api/key-issues/{id}/"):
        assert path in document["paths"], path
        assert {"400", "401", "404"} <= set(document["paths"][path]["get"]["responses"])
    assert "KeyIssue" in document["components"]["schemas"]
