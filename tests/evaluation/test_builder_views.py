"""The questionnaire builder's pages (issue 15): the coordinator, the evaluator and the branch's staff build;
the partner viewer reads (403 on every change); another branch gets 404; anonymous people go to the login
page; tampered ids, huge numbers and hostile text give a French message, never a 500."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from terreau.evaluation import instruments as svc
from terreau.evaluation.instrument_models import Instrument, Item
from terreau.programs.models import ProgramRole
from tests.evaluation.test_instruments import AGREE, make_evaluation
from tests.factories import BranchFactory, UserFactory
from tests.programs.test_programs_support import make_program, people

pytestmark = pytest.mark.django_db

HOSTILE = "<script>alert(1)</script>=cmd|' /C calc'!A0 \u202e\x00"


@pytest.fixture
def world():
    program, site_a, _site_b, _kit = make_program()
    users = people(program, site_a)
    users["evaluator"] = UserFactory()
    ProgramRole.objects.create(program=program, user=users["evaluator"], role="evaluator")
    evaluation = make_evaluation(program)
    instrument = svc.instrument_create(
        evaluation=evaluation,
        audience="participants",
        title="Questionnaire des participants",
        by=users["coordinator"],
        template_keys=["use_games_outside", "confidence_message"],
    )
    other_program = make_program(branch=BranchFactory(), slug="ailleurs")[0]
    other = svc.instrument_create(
        evaluation=make_evaluation(other_program), audience="participants", title="Ailleurs", by=None
    )
    return {"users": users, "evaluation": evaluation, "instrument": instrument, "other": other}


def url(name, instrument, *args):
    return reverse(f"evaluation:{name}", args=[instrument.pk, *args])


def login(client, world, who):
    client.force_login(world["users"][who])


@pytest.mark.parametrize("who", ["coordinator", "evaluator", "facilitator"])
def test_editors_build_a_questionnaire(client, world, who):
    login(client, world, who)
    instrument = world["instrument"]
    page = client.get(url("instrument", instrument))
    assert page.status_code == 200
    body = page.content.decode()
    assert "Ajouter une question" in body and "Ajouter depuis la bibliothèque" in body
    assert "Aisance avec le numérique" in body  # library grouped by theme, for this audience
    assert "Je sais animer un atelier" not in body  # a volunteers' template
    response = client.post(
        url("item_add", instrument),
        {"kind": "single", "text": "Avec qui parlez-vous ?", "choices": "Famille\nAmis\nVoisins", "code": ""},
    )
    assert response.status_code == 302
    item = instrument.items.get(text="Avec qui parlez-vous ?")
    games = instrument.items.get(code="usage_jeux_hors_ateliers")
    response = client.post(
        url("item_condition", instrument, item.pk), {"source": games.code, "values": ["yes"]}
    )
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.show_if == {"item": games.code, "in": ["yes"]}
    response = client.post(url("library_add", instrument), {"keys": ["lonely_company", "wellbeing_mood"]})
    assert response.status_code == 302
    assert instrument.items.filter(template_key__in=["lonely_company", "wellbeing_mood"]).count() == 2
    response = client.post(url("item_move", instrument, item.pk), {"direction": "up"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and 'id="questions"' in response.content.decode()
    assert [i.code for i in instrument.items.all()][:3] == [
        "usage_jeux_hors_ateliers",
        item.code,
        "confiance_message",
    ]
    preview = client.get(url("instrument_preview", instrument)).content.decode()
    assert "Posée seulement si la réponse à « Vous arrive-t-il de jouer" in preview
    assert "« Oui »" in preview
    response = client.post(url("item_edit", instrument, item.pk), {"kind": "yes_no", "text": "Parlez-vous ?"})
    assert response.status_code == 302
    response = client.post(
        url("instrument_edit", instrument), {"title": "Avant les ateliers", "intro": "Merci."}
    )
    assert response.status_code == 302
    response = client.post(url("item_delete", instrument, item.pk))
    assert response.status_code == 302 and not Item.objects.filter(pk=item.pk).exists()


def test_create_page_offers_the_free_audiences(client, world):
    login(client, world, "coordinator")
    evaluation = world["evaluation"]
    create = reverse("evaluation:instrument_create", args=[evaluation.pk])
    page = client.get(create).content.decode()
    assert 'value="volunteers"' in page and 'value="participants"' not in page
    response = client.post(create, {"audience": "participants", "title": "Bis"})
    assert response.status_code == 400
    response = client.post(create, {"audience": "volunteers", "title": "Volontaires"})
    assert response.status_code == 302
    assert Instrument.objects.filter(evaluation=evaluation, audience="volunteers").exists()
    assert client.get(create).status_code == 200  # every audience served: a plain explanation


def test_partner_viewer_reads_but_changes_nothing(client, world):
    login(client, world, "viewer")
    instrument = world["instrument"]
    item = instrument.items.first()
    page = client.get(url("instrument", instrument))
    assert page.status_code == 200
    body = page.content.decode()
    assert "Ajouter une question" not in body and "Supprimer" not in body
    assert client.get(url("instrument_preview", instrument)).status_code == 200
    posts = [
        (url("item_add", instrument), {"kind": "text", "text": "Q"}),
        (url("library_add", instrument), {"keys": ["lonely_company"]}),
        (url("item_edit", instrument, item.pk), {"kind": "text", "text": "Q"}),
        (url("item_delete", instrument, item.pk), {}),
        (url("item_move", instrument, item.pk), {"direction": "down"}),
        (url("item_condition", instrument, item.pk), {"source": ""}),
        (url("instrument_edit", instrument), {"title": "X"}),
        (url("instrument_new_version", instrument), {}),
        (reverse("evaluation:instrument_create", args=[world["evaluation"].pk]), {"audience": "volunteers"}),
    ]
    for target, data in posts:
        assert client.post(target, data).status_code == 403, target
    assert instrument.items.count() == 2


@pytest.mark.parametrize("who", ["other", "staff_a", "volunteer_a"])
def test_outsiders_get_404(client, world, who):
    login(client, world, who)
    instrument = world["instrument"]
    item = instrument.items.first()
    assert client.get(url("instrument", instrument)).status_code == 404
    assert client.get(url("instrument_preview", instrument)).status_code == 404
    assert client.post(url("item_delete", instrument, item.pk)).status_code == 404
    assert (
        client.get(reverse("evaluation:instrument_create", args=[world["evaluation"].pk])).status_code == 404
    )


def test_anonymous_go_to_login(client, world):
    instrument = world["instrument"]
    for target in (url("instrument", instrument), url("instrument_preview", instrument)):
        response = client.get(target)
        assert response.status_code == 302 and "connexion" in response["Location"]


def test_tampered_ids_and_bad_input(client, world):
    login(client, world, "coordinator")
    instrument, other = world["instrument"], world["other"]
    foreign = svc.item_add(instrument=other, by=None, kind="text", text="Ailleurs")
    # Another questionnaire's question through this questionnaire's address, another branch's questionnaire.
    assert client.post(url("item_delete", instrument, foreign.pk)).status_code == 404
    assert client.get(url("item_edit", instrument, foreign.pk)).status_code == 404
    assert client.get(url("instrument", other)).status_code == 404
    assert client.get("/evaluation/questionnaire/99999999999999999999/").status_code == 404
    item = instrument.items.get(code="confiance_message")
    bad_posts = [
        (
            url("item_add", instrument),
            {"kind": "likert", "text": "Q", "scale_min": "1", "scale_max": "9" * 40},
        ),
        (url("item_add", instrument), {"kind": "number", "text": "Q", "number_min": "1e999999"}),
        (url("item_add", instrument), {"kind": "single", "text": HOSTILE, "choices": HOSTILE}),
        (url("item_add", instrument), {"kind": "rocket", "text": "Q"}),
        (url("item_add", instrument), {"kind": "likert", "text": "Q", "scale_min": "1", "scale_max": "5"}),
        (url("item_edit", instrument, item.pk), {"kind": "text", "text": "Q", "code": HOSTILE}),
        (url("item_condition", instrument, item.pk), {"source": "nope", "values": ["yes"]}),
        (url("item_condition", instrument, item.pk), {"source": "usage_jeux_hors_ateliers", "values": ["x"]}),
    ]
    for target, data in bad_posts:
        response = client.post(target, data)
        assert response.status_code in (302, 400), (target, data, response.status_code)
    assert instrument.items.count() == 2
    for target, data in [
        (url("library_add", instrument), {"keys": ["../../etc", "volunteer_patience"]}),
        (url("item_move", instrument, item.pk), {"direction": "sideways"}),
        (url("instrument_new_version", instrument), {}),
    ]:
        response = client.post(target, data, follow=True)
        assert response.status_code == 200
        assert "message-error" in response.content.decode(), target
    page = client.get(url("item_condition", instrument, item.pk), {"source": HOSTILE})
    assert page.status_code == 200 and "<script>alert" not in page.content.decode()
    fields = client.get(url("item_fields", instrument), {"kind": "single", "choices": HOSTILE})
    assert fields.status_code == 200 and "<script>alert" not in fields.content.decode()


def test_a_frozen_questionnaire_offers_a_new_version(client, world):
    login(client, world, "evaluator")
    instrument = world["instrument"]
    Instrument.objects.filter(pk=instrument.pk).update(frozen_at=timezone.now())
    body = client.get(url("instrument", instrument)).content.decode()
    assert "il est figé" in body and "Nouvelle version" in body and "Ajouter une question" not in body
    item = instrument.items.first()
    response = client.post(url("item_add", instrument), {"kind": "yes_no", "text": "Encore ?"}, follow=True)
    assert "il est figé" in response.content.decode()
    assert client.get(url("item_edit", instrument, item.pk)).status_code == 302
    response = client.post(url("instrument_new_version", instrument))
    new = Instrument.objects.get(previous=instrument)
    assert response.status_code == 302 and str(new.pk) in response["Location"]
    assert sorted(new.items.values_list("code", flat=True)) == sorted(
        instrument.items.values_list("code", flat=True)
    )
    response = client.post(url("item_add", new), {"kind": "likert", "text": "Nouvelle", **AGREE})
    assert response.status_code == 302 and new.items.filter(text="Nouvelle").exists()
