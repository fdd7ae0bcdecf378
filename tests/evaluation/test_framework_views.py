"""The evaluation framework's pages (issue 15): who reaches what (coordinator, evaluator, partner viewer, a site's
volunteer, the branch's facilitator, another branch's facilitator, anonymous), the program page's panel, the
team page granting the "Évaluation" role, and bad input (absurd dates, tampered ids, hostile numbers) answered
with a French message or a 404, never a 500."""

from __future__ import annotations

import re

import pytest
from django.db import transaction
from django.urls import reverse

from terreau.accounts.models import BranchRole
from terreau.evaluation.models import Evaluation, Indicator, Respondent, ShareLink, Wave
from terreau.evaluation.response_models import CollectionLink
from terreau.programs import team
from terreau.programs.models import ProgramRole
from tests.evaluation.factories import (
    AnswerFactory,
    EvaluationFactory,
    EvaluationQuestionFactory,
    HostSiteFactory,
    IndicatorFactory,
    InstrumentFactory,
    ItemFactory,
    ParticipantFactory,
    ProgramFactory,
    RespondentFactory,
    ShareLinkFactory,
    WaveFactory,
)
from tests.factories import BranchFactory, UserFactory

ROLES = [
    "coordinator",
    "evaluator",
    "partner_viewer",
    "volunteer",
    "facilitator_1",
    "facilitator_2",
    "anonymous",
]
CHANGERS = {"coordinator", "evaluator", "facilitator_1"}
SEERS = CHANGERS | {"partner_viewer"}
ANSWERS = {"coordinator", "evaluator"}


def build_world() -> dict:
    branch_1, branch_2 = BranchFactory(), BranchFactory()
    program = ProgramFactory(branch=branch_1, is_public=True)
    site = HostSiteFactory(program=program, name="Résidence des Tilleuls")
    other_program = ProgramFactory(branch=branch_2)
    evaluation = EvaluationFactory(
        program=program, audiences=["participants", "volunteers"], title="Évaluation P1"
    )
    other = EvaluationFactory(program=other_program, title="Évaluation P2")
    question = EvaluationQuestionFactory(evaluation=evaluation, text="Les aînés sont-ils moins isolés ?")
    IndicatorFactory(evaluation=evaluation, question=question, outcome=True)
    wave = WaveFactory(evaluation=evaluation)
    other_wave = WaveFactory(evaluation=other)
    item = ItemFactory(
        instrument=InstrumentFactory(evaluation=evaluation, audience="participants"), code="isolement"
    )
    respondent = RespondentFactory(evaluation=evaluation, code="ABCD-EFGH", site=site)
    other_respondent = RespondentFactory(evaluation=other, code="ZZZZ-ZZZZ")
    AnswerFactory(
        response__respondent=respondent, response__wave=wave, response__instrument=item.instrument, item=item
    )
    ParticipantFactory(site=site, first_name="Odette")
    share = ShareLinkFactory(evaluation=evaluation, label="Fondation Lumière")
    link = CollectionLink.objects.create(wave=wave, audience="participants")
    users: dict = {"anonymous": None}
    for name, role, role_site in (
        ("coordinator", ProgramRole.Role.COORDINATOR, None),
        ("evaluator", ProgramRole.Role.EVALUATOR, None),
        ("partner_viewer", ProgramRole.Role.PARTNER_VIEWER, None),
        ("volunteer", ProgramRole.Role.VOLUNTEER, site),
    ):
        users[name] = UserFactory(email=f"{name}.cadre@example.org")
        ProgramRole.objects.create(program=program, user=users[name], role=role, site=role_site)
    for name, branch in (("facilitator_1", branch_1), ("facilitator_2", branch_2)):
        users[name] = UserFactory(email=f"{name}.cadre@example.org")
        BranchRole.objects.create(user=users[name], branch=branch)
    return {
        "users": users,
        "program": program,
        "site": site,
        "evaluation": evaluation,
        "other": other,
        "question": question,
        "wave": wave,
        "other_wave": other_wave,
        "respondent": respondent,
        "other_respondent": other_respondent,
        "share": share,
        "link": link,
    }


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


def login(client, world, actor):
    client.logout()
    if world["users"][actor] is not None:
        client.force_login(world["users"][actor])


def page(response) -> str:
    return response.content.decode()


# --- who reaches what ---------------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("actor", ROLES)
def test_evaluation_page_per_role(client, world, actor):
    login(client, world, actor)
    response = client.get(reverse("evaluation:detail", args=[world["evaluation"].pk]))
    if actor == "anonymous":
        assert response.status_code == 302 and "connexion" in response["Location"]
        return
    if actor not in SEERS:
        assert response.status_code == 404
        return
    assert response.status_code == 200
    html = page(response)
    assert "Les aînés sont-ils moins isolés ?" in html and "Vagues de collecte" in html
    assert ("ABCD-EFGH" in html) is False  # codes are on their own page, never on the framework page
    assert ('id="repondants"' in html) == (actor in ANSWERS)
    # Collection links (whoever holds one answers) are for those who run the collection, as respondents are; the
    # branch's facilitator shares the report but never sees a link's token.
    assert ('id="liens"' in html) == (actor in ANSWERS)
    assert ("Fondation Lumière" in html) == (actor in CHANGERS)
    assert (world["link"].token in html) == (actor in ANSWERS)
    assert ("Modifier la description" in html) == (actor in CHANGERS)
    ids = re.findall(r'\sid="([^"]+)"', html)
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)
    # Another branch's evaluation stays out of reach.
    assert client.get(reverse("evaluation:detail", args=[world["other"].pk])).status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize("actor", ROLES)
def test_program_list_and_new_evaluation_per_role(client, world, actor):
    login(client, world, actor)
    slug = world["program"].slug
    listing = client.get(reverse("evaluation:program_evaluations", args=[slug]))
    create = client.get(reverse("evaluation:create", args=[slug]))
    if actor == "anonymous":
        assert listing.status_code == create.status_code == 302
        return
    if actor in ("volunteer", "facilitator_2"):
        assert listing.status_code == 404 and create.status_code in (403, 404)
        return
    assert listing.status_code == 200 and "Évaluation P1" in page(listing)
    assert ("Nouvelle évaluation" in page(listing)) == (actor in CHANGERS)
    assert create.status_code == (200 if actor in CHANGERS else 403)


@pytest.mark.django_db
@pytest.mark.parametrize("actor", ROLES)
def test_respondent_pages_per_role(client, world, actor):
    login(client, world, actor)
    evaluation = world["evaluation"]
    codes = client.get(reverse("evaluation:respondents", args=[evaluation.pk]) + "?imprimer=1")
    erase = client.get(reverse("evaluation:respondent_erase", args=[world["respondent"].pk]))
    enrol = client.post(reverse("evaluation:respondents_enrol", args=[evaluation.pk]))
    if actor == "anonymous":
        assert codes.status_code == erase.status_code == enrol.status_code == 302
    elif actor in ANSWERS:
        assert codes.status_code == 200 and erase.status_code == 200 and enrol.status_code == 302
        assert "ABCD-EFGH" in page(codes) and "Odette" not in page(codes)
    elif actor in SEERS:  # partner viewer, the branch's facilitator: they see the evaluation, not its people
        assert codes.status_code == enrol.status_code == 403 and erase.status_code == 404
    else:
        assert codes.status_code == erase.status_code == enrol.status_code == 404
    assert not Respondent.objects.filter(participant__first_name="Odette").exists() or actor in ANSWERS


@pytest.mark.django_db
@pytest.mark.parametrize("actor", ROLES)
def test_changes_per_role(client, world, actor):
    login(client, world, actor)
    evaluation = world["evaluation"]
    response = client.post(
        reverse("evaluation:question_add", args=[evaluation.pk]), {"text": "Plus autonomes ?"}
    )
    revoke = client.post(reverse("evaluation:share_revoke", args=[world["share"].pk]))
    if actor == "anonymous":
        assert response.status_code == revoke.status_code == 302
        assert "connexion" in response["Location"]
    elif actor in CHANGERS:
        assert response.status_code == revoke.status_code == 302
        assert evaluation.questions.filter(text="Plus autonomes ?").exists()
        assert not ShareLink.objects.get(pk=world["share"].pk).is_active
    elif actor == "partner_viewer":
        assert response.status_code == 403 and revoke.status_code == 404
    else:
        assert response.status_code == revoke.status_code == 404
    if actor not in CHANGERS:
        assert not evaluation.questions.filter(text="Plus autonomes ?").exists()


# --- flows --------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_coordinator_creates_and_runs_an_evaluation(client, world):
    login(client, world, "coordinator")
    slug = world["program"].slug
    response = client.post(
        reverse("evaluation:create", args=[slug]),
        {
            "title": "Évaluation 2027",
            "period_start": "2027-01-01",
            "period_end": "2027-12-31",
            "audiences": ["participants"],
            "min_count": "5",
        },
    )
    evaluation = Evaluation.objects.get(title="Évaluation 2027")
    assert response.status_code == 302 and response["Location"] == reverse(
        "evaluation:detail", args=[evaluation.pk]
    )
    client.post(
        reverse("evaluation:wave_add", args=[evaluation.pk]),
        {"kind": "before", "opens_on": "2027-01-04", "closes_on": "2027-02-01"},
    )
    wave = evaluation.waves.get()
    response = client.post(reverse("evaluation:wave_open", args=[wave.pk]), follow=True)
    assert "n&#x27;a pas encore de questionnaire" in page(
        response
    ) or "n'a pas encore de questionnaire" in page(response)
    ItemFactory(instrument=InstrumentFactory(evaluation=evaluation))
    response = client.post(reverse("evaluation:wave_open", args=[wave.pk]), follow=True)
    assert "est ouverte" in page(response)
    evaluation.refresh_from_db()
    assert evaluation.state == Evaluation.State.COLLECTING
    response = client.post(reverse("evaluation:respondents_enrol", args=[evaluation.pk]), follow=True)
    assert "1 participant ayant donné son accord a reçu un code personnel." in page(response)
    response = client.post(
        reverse("evaluation:respondent_add", args=[evaluation.pk]),
        {
            "repondants-audience": "participants",
            "repondants-site": "",
            "repondants-age_band": "unknown",
            "repondants-count": "3",
        },
        follow=True,
    )
    assert "Codes personnels créés" in page(response)
    assert evaluation.respondents.count() == 4
    client.post(
        reverse("evaluation:link_create", args=[evaluation.pk]),
        {"lien-wave": wave.pk, "lien-audience": "participants"},
    )
    link = CollectionLink.objects.get(wave=wave)
    response = client.get(reverse("evaluation:detail", args=[evaluation.pk]))
    assert link.token in page(response) and 'data-copy="lien-' in page(response)
    client.post(reverse("evaluation:share_create", args=[evaluation.pk]), {"label": "Fondation X"})
    assert evaluation.share_links.get().label == "Fondation X"
    response = client.post(reverse("evaluation:move", args=[evaluation.pk]), {"to": "closed"}, follow=True)
    evaluation.refresh_from_db()
    wave.refresh_from_db()
    assert evaluation.state == Evaluation.State.CLOSED and wave.state == Wave.State.CLOSED


@pytest.mark.django_db
def test_evaluator_erases_a_respondent(client, world):
    login(client, world, "evaluator")
    respondent = world["respondent"]
    response = client.post(reverse("evaluation:respondent_erase", args=[respondent.pk]), follow=True)
    assert response.status_code == 200 and "ont été effacés" in page(response)
    assert not Respondent.objects.filter(pk=respondent.pk).exists()


@pytest.mark.django_db
def test_indicator_and_question_pages(client, world):
    login(client, world, "coordinator")
    evaluation = world["evaluation"]
    question = world["question"]
    assert (
        client.get(reverse("evaluation:indicator_add", args=[evaluation.pk]) + "?question=abc").status_code
        == 200
    )
    response = client.post(
        reverse("evaluation:indicator_add", args=[evaluation.pk]),
        {
            "label": "Part moins isolée",
            "kind": "outcome",
            "question": question.pk,
            "audience": "participants",
            "item_code": "isolement",
            "measure": "share_agree",
            "target": "75",
        },
    )
    assert response.status_code == 302
    indicator = Indicator.objects.get(label="Part moins isolée")
    assert client.get(reverse("evaluation:indicator_edit", args=[indicator.pk])).status_code == 200
    assert client.post(reverse("evaluation:indicator_delete", args=[indicator.pk])).status_code == 302
    assert client.get(reverse("evaluation:question_edit", args=[question.pk])).status_code == 200
    assert (
        client.post(reverse("evaluation:question_move", args=[question.pk]), {"direction": "up"}).status_code
        == 302
    )


# --- bad input ----------------------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        ("0001-01-01", "2026-12-31", "Indiquez une date entre 2000"),
        ("2026-01-01", "9999-12-31", "Indiquez une date entre 2000"),
        ("2026-13-45", "2026-12-31", "Saisissez une date valide"),
        ("2026-12-31", "2026-01-01", "doit suivre son début"),
    ],
)
def test_absurd_evaluation_dates(client, world, start, end, expected):
    login(client, world, "coordinator")
    response = client.post(
        reverse("evaluation:create", args=[world["program"].slug]),
        {
            "title": "Dates",
            "period_start": start,
            "period_end": end,
            "audiences": ["participants"],
            "min_count": "5",
        },
    )
    assert response.status_code == 200
    assert expected in page(response)
    assert not Evaluation.objects.filter(title="Dates").exists()


@pytest.mark.django_db
def test_absurd_wave_dates_and_hostile_numbers(client, world):
    login(client, world, "coordinator")
    evaluation = world["evaluation"]
    response = client.post(
        reverse("evaluation:wave_add", args=[evaluation.pk]),
        {"kind": "after", "opens_on": "2036-01-01", "closes_on": "2036-02-01"},
    )
    assert response.status_code == 200 and "proches de la période évaluée" in page(response)
    response = client.post(
        reverse("evaluation:wave_edit", args=[world["wave"].pk]),
        {"opens_on": "2026-03-01", "closes_on": "2026-01-01"},
    )
    assert response.status_code == 200 and "doit suivre son ouverture" in page(response)
    response = client.post(
        reverse("evaluation:indicator_add", args=[evaluation.pk]),
        {"label": "X", "kind": "output", "output_metric": "sessions_held", "target": "9" * 19},
    )
    assert response.status_code == 200 and "hors des limites" in page(response)
    response = client.post(
        reverse("evaluation:respondent_add", args=[evaluation.pk]),
        {
            "repondants-audience": "participants",
            "repondants-age_band": "unknown",
            "repondants-count": "100000",
        },
    )
    assert response.status_code == 200 and evaluation.respondents.count() == 1
    response = client.post(reverse("evaluation:move", args=[evaluation.pk]), {"to": "nowhere"}, follow=True)
    assert "État inconnu" in page(response)
    response = client.post(
        reverse("evaluation:question_move", args=[world["question"].pk]), {"direction": "x"}, follow=True
    )
    assert "Déplacement inconnu" in page(response)


@pytest.mark.django_db
def test_tampered_ids(client, world):
    login(client, world, "coordinator")
    evaluation = world["evaluation"]
    # Another branch's rows: 404.
    assert client.post(reverse("evaluation:wave_open", args=[world["other_wave"].pk])).status_code == 404
    assert (
        client.get(reverse("evaluation:respondent_erase", args=[world["other_respondent"].pk])).status_code
        == 404
    )
    assert client.get(reverse("evaluation:question_edit", args=[999999])).status_code == 404
    assert client.get("/evaluation/999999/").status_code == 404
    # Another evaluation's wave or a foreign site in a form: refused with a message, nothing created.
    response = client.post(
        reverse("evaluation:link_create", args=[evaluation.pk]),
        {"lien-wave": world["other_wave"].pk, "lien-audience": "participants"},
        follow=True,
    )
    assert "Choisissez une vague" in page(response)
    response = client.post(
        reverse("evaluation:respondent_add", args=[evaluation.pk]),
        {
            "repondants-audience": "participants",
            "repondants-site": HostSiteFactory().pk,
            "repondants-age_band": "unknown",
            "repondants-count": "1",
        },
    )
    assert response.status_code == 200 and evaluation.respondents.count() == 1
    response = client.post(
        reverse("evaluation:indicator_add", args=[evaluation.pk]),
        {"label": "X", "kind": "outcome", "audience": "families", "item_code": "x", "measure": "mean_after"},
    )
    assert response.status_code == 200 and not Indicator.objects.filter(label="X").exists()
    assert CollectionLink.objects.filter(wave=world["other_wave"]).count() == 0


# --- program page and team ----------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("actor", ["coordinator", "partner_viewer", "volunteer", "facilitator_1"])
def test_program_panel(client, world, actor):
    login(client, world, actor)
    evaluation = world["evaluation"]
    if actor == "volunteer":
        Wave.objects.filter(pk=world["wave"].pk).update(state=Wave.State.OPEN)
        Evaluation.objects.filter(pk=evaluation.pk).update(state=Evaluation.State.COLLECTING)
    html = page(client.get(world["program"].get_absolute_url()))
    assert 'id="evaluation-programme"' in html
    if actor == "volunteer":
        assert reverse("evaluation:assist_start", args=[evaluation.pk]) in html
        assert f'href="{reverse("evaluation:detail", args=[evaluation.pk])}"' not in html
    else:
        assert reverse("evaluation:detail", args=[evaluation.pk]) in html
        assert ("Nouvelle évaluation" in html) == (actor != "partner_viewer")


@pytest.mark.django_db
def test_team_grants_the_evaluation_role(client, world):
    program = world["program"]
    coordinator = world["users"]["coordinator"]
    role = team.team_add(
        program=program,
        email="evaluatrice@example.org",
        role=ProgramRole.Role.EVALUATOR,
        by=coordinator,
        site_url="https://terreau.example.org",
    )
    assert role.site is None and role.role == "evaluator"
    login(client, world, "coordinator")
    response = client.get(reverse("programs:team", args=[program.slug]))
    assert 'value="evaluator"' in page(response)
    client.force_login(role.user)
    assert client.get(reverse("evaluation:detail", args=[world["evaluation"].pk])).status_code == 200
