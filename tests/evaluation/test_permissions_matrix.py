"""The evaluation's permission matrix: who reaches what, on the pages, the API and the admin.

World: branch 1 (network 1) runs program P1 with site S1 and evaluation E1 (two waves, a questionnaire,
respondents with answers, a share link); branch 2 (network 2) runs program P2 with its own evaluation E2.
Actors: anonymous, P1's coordinator, evaluator and partner viewer, a volunteer and a staff member of S1,
the facilitators of branches 1 and 2, network 1's administrator, a superuser.

Expected: raw answers (answers spreadsheet, API answers, admin rows of respondents and answers) to the
coordinator, the evaluator and the superuser only (the admin is for staff: there only the superuser); the
framework and the aggregated report also to the partner viewer and to branch 1's staff; nothing of E1 to
branch 2 nor to the site's team; anonymous people are sent to the login page (401 on the API). Collection:
links (their tokens let anybody answer) and paper entry to the coordinator, the evaluator and the superuser
only; assisted entry also to the site's team (their site's respondents only); the printable questionnaire to
whoever sees the framework and to the site's team.

Pages written by other parts of the evaluation are listed in PAGES: a page whose route does not exist makes
``test_every_evaluation_page_is_in_the_matrix`` fail (never skipped silently).
"""

from __future__ import annotations

import datetime
import io
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.db import transaction
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from terreau.accounts.models import BranchRole, NetworkRole
from terreau.core.access import visible
from terreau.evaluation.models import (
    Answer,
    CollectionLink,
    Evaluation,
    EvaluationQuestion,
    Indicator,
    Instrument,
    Item,
    Respondent,
    Response,
    ShareLink,
    Wave,
)
from terreau.programs.models import ProgramRole
from tests.factories import BranchFactory, NetworkFactory, UserFactory
from tests.programs.test_programs_support import make_program

ACTORS = [
    "anonymous",
    "coordinator",
    "evaluator",
    "partner_viewer",
    "volunteer",
    "site_staff",
    "facilitator_1",
    "facilitator_2",
    "network_admin",
    "superuser",
]
ANSWERS = {"coordinator", "evaluator", "superuser"}
FRAMEWORK = ANSWERS | {"partner_viewer", "facilitator_1", "network_admin"}
ADMIN_STAFF = {"facilitator_1", "facilitator_2", "network_admin", "superuser"}
KNOWN_CODE = "P1-AB12"
OTHER_CODE = "P2-ZZ99"


def _evaluation(program, *, title, codes, site=None):
    evaluation = Evaluation.objects.create(
        program=program,
        title=title,
        purpose="Mesurer l'effet des ateliers sur l'isolement.",
        period_start=datetime.date(2026, 1, 1),
        period_end=datetime.date(2026, 12, 31),
        audiences=["participants"],
        state=Evaluation.State.COLLECTING,
    )
    question = EvaluationQuestion.objects.create(
        evaluation=evaluation, order=1, text="Les participants se sentent-ils moins isolés ?"
    )
    Indicator.objects.create(
        evaluation=evaluation,
        question=question,
        label="Part des participants moins isolés",
        kind=Indicator.Kind.OUTCOME,
        audience="participants",
        item_code="isolement",
        measure=Indicator.Measure.SHARE_AGREE,
        target=Decimal("60"),
    )
    Indicator.objects.create(
        evaluation=evaluation,
        label="Séances tenues",
        kind=Indicator.Kind.OUTPUT,
        output_metric=Indicator.Metric.SESSIONS_HELD,
    )
    before = Wave.objects.create(
        evaluation=evaluation,
        kind=Wave.Kind.BEFORE,
        opens_on=datetime.date(2026, 1, 5),
        closes_on=datetime.date(2026, 2, 5),
        state=Wave.State.CLOSED,
    )
    after = Wave.objects.create(
        evaluation=evaluation,
        kind=Wave.Kind.AFTER,
        opens_on=datetime.date(2026, 6, 1),
        closes_on=datetime.date(2026, 7, 1),
        state=Wave.State.OPEN,
    )
    instrument = Instrument.objects.create(
        evaluation=evaluation,
        audience="participants",
        title="Questionnaire des participants",
        frozen_at=datetime.datetime(2026, 1, 5, 9, tzinfo=datetime.UTC),
    )
    likert = Item.objects.create(
        instrument=instrument,
        order=1,
        code="isolement",
        text="Je me sens moins seul·e depuis les ateliers.",
        kind=Item.Kind.LIKERT,
        scale_min_label="Pas du tout d'accord",
        scale_max_label="Tout à fait d'accord",
    )
    several = Item.objects.create(
        instrument=instrument,
        order=2,
        code="usages",
        text="Qu'avez-vous fait avec la tablette ?",
        kind=Item.Kind.MULTIPLE,
        choices=[{"value": "appel", "label": "Appel vidéo"}, {"value": "photos", "label": "Photos"}],
    )
    for n, code in enumerate(codes):
        respondent = Respondent.objects.create(
            evaluation=evaluation,
            code=code,
            audience="participants",
            site=site,
            age_band=Respondent.AgeBand.B70,
        )
        for wave, value in ((before, 2 + n % 2), (after, 4)):
            response = Response.objects.create(
                respondent=respondent,
                wave=wave,
                instrument=instrument,
                mode=Response.Mode.PAPER,
                submitted_at=datetime.datetime(2026, wave.opens_on.month, 10, tzinfo=datetime.UTC),
            )
            Answer.objects.create(response=response, item=likert, number=Decimal(value))
            Answer.objects.create(response=response, item=several, choices=["appel"])
    return evaluation


def build_world() -> dict:
    """Two branches, one evaluation each, and every actor of the matrix (see the module's docstring)."""
    network_1, network_2 = NetworkFactory(), NetworkFactory()
    branch_1, branch_2 = BranchFactory(network=network_1), BranchFactory(network=network_2)
    p1, s1, _s1b, _kit = make_program(branch=branch_1, slug="programme-eval-1")
    p2, s2, _s2b, _kit2 = make_program(branch=branch_2, slug="programme-eval-2")
    codes_1 = [KNOWN_CODE, *(f"P1-{n:04d}" for n in range(1, 6))]
    e1 = _evaluation(p1, title="Évaluation des ateliers 2026", codes=codes_1, site=s1)
    e2 = _evaluation(p2, title="Évaluation de l'autre antenne", codes=[OTHER_CODE], site=s2)
    share = ShareLink.objects.create(evaluation=e1, label="Fondation X")
    open_wave = Wave.objects.get(evaluation=e1, state=Wave.State.OPEN)
    link = CollectionLink.objects.create(wave=open_wave, audience="participants")

    users: dict = {"anonymous": None}
    for name, role, site in (
        ("coordinator", ProgramRole.Role.COORDINATOR, None),
        ("evaluator", ProgramRole.Role.EVALUATOR, None),
        ("partner_viewer", ProgramRole.Role.PARTNER_VIEWER, None),
        ("volunteer", ProgramRole.Role.VOLUNTEER, s1),
        ("site_staff", ProgramRole.Role.SITE_STAFF, s1),
    ):
        users[name] = UserFactory(email=f"{name}.eval@example.org")
        ProgramRole.objects.create(program=p1, user=users[name], role=role, site=site)
    for name, branch in (("facilitator_1", branch_1), ("facilitator_2", branch_2)):
        users[name] = UserFactory(email=f"{name}.eval@example.org", is_staff=True)
        BranchRole.objects.create(user=users[name], branch=branch)
    users["network_admin"] = UserFactory(email="siege.eval@example.org", is_staff=True)
    NetworkRole.objects.create(user=users["network_admin"], network=network_1)
    users["superuser"] = get_user_model().objects.create_superuser(
        email="racine.eval@example.org", password="x-T-2026-eval"
    )
    return {
        "users": users,
        "e1": e1,
        "e2": e2,
        "p1": p1,
        "s1": s1,
        "share": share,
        "link": link,
        "open_wave": open_wave,
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


def _login(client, world, actor):
    client.logout()
    user = world["users"][actor]
    if user is not None:
        client.force_login(user)


# --- pages ------------------------------------------------------------------------------------------------

# Route names tried for each page, in the ``evaluation`` namespace (the first that exists is used).
PAGES = {
    "evaluation page": ["evaluation:detail"],
    "report page": ["evaluation:report"],
    "report PDF": ["evaluation:report_pdf"],
    "answers spreadsheet": ["evaluation:answers_xlsx"],
    "respondents": ["evaluation:respondents"],
}
PAGE_AUDIENCE = {
    "evaluation page": FRAMEWORK,
    "report page": FRAMEWORK,
    "report PDF": FRAMEWORK,
    "answers spreadsheet": ANSWERS,
    "respondents": ANSWERS,
}


def _page_url(page: str, evaluation) -> str | None:
    for name in PAGES[page]:
        try:
            return reverse(name, args=[evaluation.pk])
        except NoReverseMatch:
            continue
    return None


def _body(response) -> bytes:
    if response.streaming:
        return b"".join(response.streaming_content)
    return response.content


def _xlsx_text(body: bytes) -> str:
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(body), read_only=True)
    return " ".join(str(cell) for sheet in book for row in sheet.iter_rows(values_only=True) for cell in row)


def test_every_evaluation_page_is_in_the_matrix(world):
    missing = [page for page in PAGES if _page_url(page, world["e1"]) is None]
    assert not missing, f"pages without a route (tried {PAGES}): {missing}"


@pytest.mark.django_db
@pytest.mark.parametrize("page", list(PAGES))
@pytest.mark.parametrize("actor", ACTORS)
def test_pages(client, world, actor, page):
    url = _page_url(page, world["e1"])
    if url is None:
        pytest.fail(f"{page}: no route among {PAGES[page]}")
    _login(client, world, actor)
    response = client.get(url)
    where = f"{page}, {actor}: {response.status_code}"
    if actor == "anonymous":
        assert response.status_code == 302 and "connexion" in response["Location"], where
        return
    if actor in PAGE_AUDIENCE[page]:
        assert response.status_code == 200, where
        body = _body(response)
        if page == "answers spreadsheet":
            assert "spreadsheetml" in response["Content-Type"]
            text = _xlsx_text(body)
            assert KNOWN_CODE in text and OTHER_CODE not in text, where
        elif page == "respondents":
            assert KNOWN_CODE.encode() in body and OTHER_CODE.encode() not in body, where
        else:
            # The framework and the report never name a respondent.
            assert KNOWN_CODE.encode() not in body, where
    elif actor in FRAMEWORK:
        # Sees the evaluation, not its raw answers.
        assert response.status_code == 403, where
    else:
        assert response.status_code == 404, where
    # Branch 2's evaluation: its own facilitator sees what branch 1's sees of E1; nobody of branch 1 sees it.
    if actor != "superuser":
        other = client.get(_page_url(page, world["e2"]))
        expected = 404
        if actor == "facilitator_2":
            expected = 200 if PAGE_AUDIENCE[page] is FRAMEWORK else 403
        assert other.status_code == expected, f"{page} of branch 2, {actor}: {other.status_code}"


@pytest.mark.django_db
@pytest.mark.parametrize("actor", ACTORS)
def test_share_link_shows_the_report_to_anybody_until_revoked(client, world, actor):
    share = world["share"]
    _login(client, world, actor)
    url = reverse("evaluation:shared_report", args=[share.token])
    response = client.get(url)
    assert response.status_code == 200, actor
    assert KNOWN_CODE.encode() not in response.content
    assert client.get(reverse("evaluation:shared_report", args=["jeton-inconnu"])).status_code == 404
    ShareLink.objects.filter(pk=share.pk).update(revoked_at=timezone.now())
    try:
        assert client.get(url).status_code == 404
    finally:
        ShareLink.objects.filter(pk=share.pk).update(revoked_at=None)


# --- collection: links, assisted entry, paper entry, the printable questionnaire ---------------------------

COLLECTORS = ANSWERS  # collection links and paper entry
ASSISTANTS = ANSWERS | {"volunteer", "site_staff"}  # assisted entry, for their own site's respondents
COLLECTION_PAGES = {
    # page: (route, the object's id, who gets it); whoever else sees the evaluation gets a 403, anybody else a 404
    "assisted entry": ("evaluation:assist_start", lambda e: e.pk, ASSISTANTS),
    "paper entry": ("evaluation:paper_entry", lambda e: e.pk, COLLECTORS),
    "printable questionnaire": (
        "evaluation:paper_pdf",
        lambda e: e.instruments.get().pk,
        FRAMEWORK | {"volunteer", "site_staff"},
    ),
}


@pytest.mark.django_db
@pytest.mark.parametrize("page", list(COLLECTION_PAGES))
@pytest.mark.parametrize("actor", ACTORS)
def test_collection_pages(client, world, actor, page):
    route, pk, audience = COLLECTION_PAGES[page]
    _login(client, world, actor)
    response = client.get(reverse(route, args=[pk(world["e1"])]))
    where = f"{page}, {actor}: {response.status_code}"
    if actor == "anonymous":
        assert response.status_code == 302 and "connexion" in response["Location"], where
        return
    if actor in audience:
        assert response.status_code == 200, where
        if page == "assisted entry":  # the codes of the people the actor may help, never another branch's
            assert KNOWN_CODE.encode() in response.content and OTHER_CODE.encode() not in response.content
    elif actor in FRAMEWORK and page != "printable questionnaire":
        assert response.status_code == 403, where
    else:
        assert response.status_code == 404, where
    if actor != "superuser":
        other = client.get(reverse(route, args=[pk(world["e2"])]))
        expected = 404
        if actor == "facilitator_2":  # sees branch 2's evaluation, collects nothing there
            expected = 200 if page == "printable questionnaire" else 403
        assert other.status_code == expected, f"{page} of branch 2, {actor}: {other.status_code}"


@pytest.mark.django_db
@pytest.mark.parametrize("actor", ACTORS)
def test_collection_links(client, world, actor):
    """A link's token lets anybody answer in the evaluation's name: only those who run the collection reach
    links, through the access layer as on the pages (never partner viewers nor the branch's staff)."""
    link, e1 = world["link"], world["e1"]
    user = world["users"][actor]
    assert visible(user, CollectionLink.objects.filter(pk=link.pk)).exists() == (actor in COLLECTORS), actor
    _login(client, world, actor)
    detail = client.get(reverse("evaluation:detail", args=[e1.pk]))
    if actor in FRAMEWORK:
        assert (link.token in detail.content.decode()) == (actor in COLLECTORS), actor
    else:
        assert link.token.encode() not in detail.content
    create = client.post(
        reverse("evaluation:link_create", args=[e1.pk]),
        {"lien-wave": world["open_wave"].pk, "lien-audience": "participants", "lien-site": world["s1"].pk},
    )
    revoke = client.post(reverse("evaluation:link_revoke", args=[link.pk]))
    try:
        created = CollectionLink.objects.filter(wave=world["open_wave"], site=world["s1"]).exists()
        revoked = CollectionLink.objects.get(pk=link.pk).revoked_at is not None
        if actor == "anonymous":
            assert create.status_code == revoke.status_code == 302 and "connexion" in create["Location"]
        elif actor in COLLECTORS:
            assert create.status_code == revoke.status_code == 302, actor
        else:
            assert create.status_code == (403 if actor in FRAMEWORK else 404), actor
            assert revoke.status_code == 404, actor  # the link is not even seen
        assert created == revoked == (actor in COLLECTORS), actor
    finally:
        CollectionLink.objects.filter(site=world["s1"]).delete()
        CollectionLink.objects.filter(pk=link.pk).update(revoked_at=None)


# --- API ---------------------------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("actor", ACTORS)
def test_api(client, world, actor):
    e1 = world["e1"]
    _login(client, world, actor)
    base = f"/api/evaluations/{e1.pk}/"
    retrieve = client.get(base)
    answers = client.get(f"{base}answers/")
    results = client.get(f"{base}results/")
    questionnaires = client.get(f"{base}questionnaires/")
    listing = client.get("/api/evaluations/")
    if actor == "anonymous":
        for response in (retrieve, answers, results, questionnaires, listing):
            assert response.status_code == 401
        return
    listed = {row["id"] for row in listing.json()["results"]}
    if actor in FRAMEWORK:
        assert retrieve.status_code == 200 and retrieve.json()["title"] == e1.title
        assert results.status_code == 200, f"results, {actor}"
        assert questionnaires.status_code == 200
        assert e1.pk in listed
    else:
        for response in (retrieve, answers, results, questionnaires):
            assert response.status_code == 404, f"{response.request['PATH_INFO']}, {actor}"
        assert e1.pk not in listed
    if actor in ANSWERS:
        assert answers.status_code == 200
        codes = {row["respondent"] for row in answers.json()["results"]}
        assert KNOWN_CODE in codes and OTHER_CODE not in codes
    elif actor in FRAMEWORK:
        assert answers.status_code == 403, f"answers, {actor}"
        assert KNOWN_CODE not in answers.content.decode()
    # Nothing of branch 2's evaluation, except to its own branch and to the superuser.
    other = client.get(f"/api/evaluations/{world['e2'].pk}/answers/")
    if actor == "superuser":
        assert OTHER_CODE in other.content.decode()
    else:
        assert other.status_code in (403, 404) and OTHER_CODE not in other.content.decode()


# --- admin ---------------------------------------------------------------------------------------------------

ADMIN_ROWS = {
    # model: (who sees E1's rows in the admin change list, how a row is recognised)
    Evaluation: (ADMIN_STAFF - {"facilitator_2"}, lambda w: w["e1"].pk),
    Respondent: ({"superuser"}, lambda w: Respondent.objects.get(code=KNOWN_CODE).pk),
    CollectionLink: ({"superuser"}, lambda w: w["link"].pk),
    Answer: (
        {"superuser"},
        lambda w: Answer.objects.filter(response__respondent__code=KNOWN_CODE).values_list("pk", flat=True)[
            0
        ],
    ),
}


@pytest.mark.django_db
@pytest.mark.parametrize("model", list(ADMIN_ROWS), ids=lambda m: m.__name__)
@pytest.mark.parametrize("actor", ACTORS)
def test_admin_changelists(client, world, actor, model):
    who, row = ADMIN_ROWS[model]
    info = (model._meta.app_label, model._meta.model_name)
    _login(client, world, actor)
    response = client.get(reverse("admin:{}_{}_changelist".format(*info)))
    if actor not in ADMIN_STAFF:
        # No staff flag (the program's team, partners, volunteers): the admin sends them to its login page.
        assert response.status_code == 302, f"{model.__name__}, {actor}"
        return
    assert response.status_code == 200, f"{model.__name__}, {actor}"
    shown = set(response.context["cl"].queryset.values_list("pk", flat=True))
    assert (row(world) in shown) == (actor in who), f"{model.__name__} row shown to {actor}: {shown}"
    change = client.get(reverse("admin:{}_{}_change".format(*info), args=[row(world)]))
    if actor in who:
        assert change.status_code == 200
    else:
        assert change.status_code in (302, 403, 404), f"{model.__name__} row opened by {actor}"
