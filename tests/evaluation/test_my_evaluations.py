"""The "Évaluations" section of Mon espace: each person reaches the evaluations by their role in the program."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.evaluation.factories import (
    EvaluationFactory,
    HostSiteFactory,
    ProgramRoleFactory,
    WaveFactory,
)
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    evaluation = EvaluationFactory(collecting=True, title="Évaluation de l'année")
    WaveFactory(evaluation=evaluation, open=True)
    site = HostSiteFactory(program=evaluation.program)
    people = {}
    for role, at in [
        ("coordinator", None),
        ("evaluator", None),
        ("partner_viewer", None),
        ("volunteer", site),
    ]:
        people[role] = ProgramRoleFactory(program=evaluation.program, role=role, site=at).user
    people["stranger"] = UserFactory()
    return evaluation, people


def _section(client, user) -> str:
    client.force_login(user)
    html = client.get(reverse("accounts:profile")).content.decode()
    start = html.find('id="profile-evaluations"')
    return html[start : html.find("</section>", start)] if start >= 0 else ""


@pytest.mark.parametrize("role", ["coordinator", "evaluator"])
def test_the_team_reaches_the_evaluation_and_its_report(client, world, role):
    evaluation, people = world
    section = _section(client, people[role])
    assert reverse("evaluation:detail", args=[evaluation.pk]) in section
    assert reverse("evaluation:report", args=[evaluation.pk]) in section
    assert reverse("evaluation:assist_start", args=[evaluation.pk]) not in section


def test_a_partner_viewer_reaches_the_report_only(client, world):
    evaluation, people = world
    section = _section(client, people["partner_viewer"])
    assert reverse("evaluation:report", args=[evaluation.pk]) in section
    assert f'href="{reverse("evaluation:detail", args=[evaluation.pk])}"' not in section


def test_a_volunteer_reaches_the_assisted_entry_while_a_wave_is_open(client, world):
    evaluation, people = world
    section = _section(client, people["volunteer"])
    assert reverse("evaluation:assist_start", args=[evaluation.pk]) in section
    assert reverse("evaluation:report", args=[evaluation.pk]) not in section
    evaluation.waves.update(state="closed")
    assert _section(client, people["volunteer"]) == ""


def test_nobody_else_sees_the_section(client, world):
    _evaluation, people = world
    assert _section(client, people["stranger"]) == ""
