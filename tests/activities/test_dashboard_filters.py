"""The dashboard's department filter names departments as people know them, in French order."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.activities.test_activities_support import program_with_sites, team

pytestmark = pytest.mark.django_db


def test_department_filter_shows_names_not_bare_codes(client):
    program, site_a, site_b = program_with_sites()
    users = team(program, site_a, site_b)
    department = site_a.commune.department
    client.force_login(users["coordinator"])
    response = client.get(reverse("activities:dashboard", args=[program.slug]))
    assert response.status_code == 200
    options = response.context["departments"]
    assert options == [(department.code, f"{department.name} ({department.code})")]
    assert f">{department.name} ({department.code})</option>" in response.content.decode()
