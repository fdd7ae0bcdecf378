"""Collection pages: by link without an account, one question per screen, assisted and paper entry."""

from __future__ import annotations

import html

import pytest
from django.urls import reverse
from django.utils import timezone

from terreau.evaluation import collect
from terreau.evaluation.models import Answer, Respondent, Response, Wave
from terreau.programs.models import ProgramRole
from tests.evaluation.factories import CollectionLinkFactory, HostSiteFactory, RespondentFactory
from tests.evaluation.test_collect import make_world
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def txt(page) -> str:
    return html.unescape(page.content.decode())


@pytest.fixture
def world():
    return make_world()


def answer_url(response, **query):
    url = reverse("evaluation:answer", kwargs={"token": response.token})
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def test_link_start_consent_required_then_redirects_to_first_question(client, world):
    link = CollectionLinkFactory(wave=world.wave)
    url = reverse("evaluation:link", kwargs={"token": link.token})
    page = client.get(url)
    assert page.status_code == 200
    assert "Vos réponses restent anonymes" in txt(page)  # the questionnaire's intro
    assert "Si l'équipe vous a remis un code personnel" in txt(page)
    assert "Votre lieu" in txt(page)  # two sites, none on the link
    refused = client.post(url, {"code": ""})
    assert refused.status_code == 200 and "Cochez la case" in txt(refused)
    assert not Response.objects.exists()
    started = client.post(url, {"consent": "on", "code": "", "site": world.site_a.pk})
    response = Response.objects.get()
    assert started.url == answer_url(response)
    assert response.respondent.consent_on is not None and response.respondent.site == world.site_a
    first = client.get(started.url)
    assert "Question 1 sur 5" in txt(first) and "Je me sens moins seul" in txt(first)


def test_link_unknown_code_is_refused_in_french(client, world):
    link = CollectionLinkFactory(wave=world.wave)
    page = client.post(
        reverse("evaluation:link", kwargs={"token": link.token}), {"consent": "on", "code": "NOPE"}
    )
    assert "Ce code n'est pas connu" in txt(page)


def test_revoked_or_tampered_tokens_are_404(client, world):
    link = CollectionLinkFactory(wave=world.wave, revoked=True)
    assert client.get(reverse("evaluation:link", kwargs={"token": link.token})).status_code == 404
    # Not tokens of ours (too long, a NUL byte that PostgreSQL would refuse): no route, 404.
    for path in ("/evaluation/q/" + "x" * 60 + "/", "/evaluation/q/%00/", "/evaluation/repondre/a%00b/"):
        assert client.get(path).status_code == 404
    assert client.get("/evaluation/partage/%00/").status_code == 404
    assert client.get(reverse("evaluation:answer", kwargs={"token": "pas-un-jeton"})).status_code == 404
    response = collect.response_start(wave=world.wave, audience="participants", mode="link")
    assert client.get(answer_url(response, q="code-inconnu")).status_code == 404
    assert client.post(answer_url(response), {"item": "code-inconnu", "value": "3"}).status_code == 404


def test_closed_wave_shows_a_french_page(client, world):
    link = CollectionLinkFactory(wave=world.wave)
    response = collect.response_start(wave=world.wave, audience="participants", mode="link")
    Wave.objects.filter(pk=world.wave.pk).update(state=Wave.State.CLOSED)
    for url in (reverse("evaluation:link", kwargs={"token": link.token}), answer_url(response)):
        page = client.get(url)
        assert page.status_code == 200 and "Ce questionnaire est fermé" in txt(page)
    posted = client.post(answer_url(response), {"item": "isolement", "value": "3", "action": "next"})
    assert posted.status_code == 200 and "plus acceptées" in txt(posted)
    assert not Answer.objects.exists()


def test_answering_one_question_per_screen_with_skip_logic_and_submit(client, world):
    response = collect.response_start(wave=world.wave, audience="participants", mode="link")
    url = answer_url(response)
    moved = client.post(url, {"item": "isolement", "value": "4", "action": "next"})
    assert moved.url == answer_url(response, q="connu")
    moved = client.post(url, {"item": "connu", "value": "famille", "action": "next"})
    assert moved.url == answer_url(response, q="famille-detail")
    page = client.get(url)  # reloading resumes at the first unanswered shown question
    assert "Question 3 sur 6" in txt(page) and "Qui dans votre famille" in txt(page)
    back = client.post(url, {"item": "famille-detail", "action": "previous"})
    assert back.url == answer_url(response, q="connu")
    moved = client.post(url, {"item": "connu", "value": "club", "action": "next"})
    assert moved.url == answer_url(response, q="ateliers")
    bad = client.post(url, {"item": "ateliers", "value": "1000", "action": "next"})
    assert bad.status_code == 400 and "entre 0 et 100" in txt(bad) and 'value="1000"' in txt(bad)
    json = client.post(
        url, {"item": "ateliers", "value": "abc", "action": "next"}, headers={"Accept": "application/json"}
    )
    assert json.status_code == 400 and "en chiffres" in json.json()["error"]
    client.post(url, {"item": "ateliers", "action": "decline"})
    client.post(url, {"item": "usage", "value": ["appel", "photos"], "action": "next"})
    ok = client.post(url, {"item": "seul", "value": "yes"}, headers={"Accept": "application/json"})
    assert ok.json() == {"next": answer_url(response, fin=1)}
    summary = client.get(url)
    assert "Vous avez répondu à 4 questions sur 5" in txt(summary)
    assert "Envoyer mes réponses" in txt(summary)
    thanks = client.post(url, {"action": "submit"})
    assert thanks.url == url
    page = client.get(url)
    assert "Merci pour vos réponses" in txt(page) and "Je me sens" not in txt(page)
    again = client.get(answer_url(response, q="isolement"))
    assert "Merci pour vos réponses" in txt(again) and "checked" not in txt(again)
    late = client.post(url, {"item": "isolement", "value": "1", "action": "next"})
    assert late.status_code == 200 and "Merci pour vos réponses" in txt(late)
    assert Answer.objects.get(item=world.items.likert).number == 4
    assert Answer.objects.filter(response=response).count() == 5


def test_required_question_left_empty_says_so(client, world):
    response = collect.response_start(wave=world.wave, audience="participants", mode="link")
    page = client.post(answer_url(response), {"item": "isolement", "action": "next"})
    assert page.status_code == 400 and "Je préfère ne pas répondre" in txt(page)
    summary = client.post(answer_url(response), {"action": "submit"})
    assert summary.status_code == 400 and "Il manque une réponse" in txt(summary)


def _team(world, role, site=None):
    user = UserFactory()
    ProgramRole.objects.create(program=world.program, user=user, role=role, site=site)
    return user


def test_assisted_entry_by_a_volunteer_of_the_site(client, world):
    volunteer = _team(world, "volunteer", world.site_a)
    RespondentFactory(evaluation=world.evaluation, code="MINE-0001", site=world.site_a)
    RespondentFactory(evaluation=world.evaluation, code="THEIRS-0002", site=world.site_b)
    client.force_login(volunteer)
    url = reverse("evaluation:assist_start", kwargs={"pk": world.evaluation.pk})
    page = client.get(url)
    assert page.status_code == 200
    assert "MINE-0001" in txt(page) and "THEIRS-0002" not in txt(page)
    assert world.site_b.name not in txt(page)
    tampered = client.post(
        url, {"wave": world.wave.pk, "audience": "participants", "site": world.site_b.pk, "consent": "on"}
    )
    assert tampered.status_code == 200 and not Response.objects.exists()
    started = client.post(
        url,
        {
            "wave": world.wave.pk,
            "audience": "participants",
            "site": world.site_a.pk,
            "respondent": "",
            "age_band": "80_89",
            "consent": "on",
        },
    )
    response = Response.objects.get()
    assert started.url == answer_url(response)
    assert response.mode == Response.Mode.ASSISTED and response.entered_by == volunteer
    assert response.respondent.age_band == "80_89" and response.respondent.site == world.site_a
    question = client.get(started.url)
    assert "Saisie accompagnée par" in txt(question) and "lisez chaque question" in txt(question)


def test_assisted_entry_refused_to_others(client, world):
    url = reverse("evaluation:assist_start", kwargs={"pk": world.evaluation.pk})
    assert client.get(url).status_code == 302  # sign in first
    elsewhere = HostSiteFactory()  # a site of another program
    stranger = UserFactory()
    ProgramRole.objects.create(program=elsewhere.program, user=stranger, role="volunteer", site=elsewhere)
    client.force_login(stranger)
    assert client.get(url).status_code == 404
    client.force_login(_team(world, "partner_viewer"))
    assert client.get(url).status_code in (403, 404)
    assert client.get(reverse("evaluation:paper_entry", kwargs={"pk": world.evaluation.pk})).status_code in (
        403,
        404,
    )
    client.force_login(_team(world, "volunteer", world.site_a))
    assert (
        client.get(reverse("evaluation:paper_entry", kwargs={"pk": world.evaluation.pk})).status_code == 404
    )


def test_paper_entry_keeps_what_was_typed_on_errors(client, world):
    client.force_login(_team(world, "evaluator"))
    url = reverse("evaluation:paper_entry", kwargs={"pk": world.evaluation.pk})
    page = client.get(url)
    assert page.status_code == 200 and "Qui dans votre famille" in txt(page)
    data = {
        "wave": world.wave.pk,
        "code": "",
        "consent": "on",
        "q_isolement": "4",
        "q_connu": "club",
        "q_ateliers": "250",
        "q_famille-detail": "<b>&</para>",
    }
    refused = client.post(url, data)
    assert refused.status_code == 200
    assert "entre 0 et 100" in txt(refused) and 'value="250"' in txt(refused)
    assert not Respondent.objects.exists() and not Answer.objects.exists()
    data["q_ateliers"] = "12"
    saved = client.post(url, data)
    assert saved.status_code == 302
    response = Response.objects.get()
    assert response.mode == Response.Mode.PAPER and response.submitted_at is not None
    assert Answer.objects.get(response=response, item=world.items.number).number == 12
    assert not Answer.objects.filter(item=world.items.hidden).exists()  # hidden by "club"
    known = RespondentFactory(evaluation=world.evaluation, code="PAPI-0001")
    data["code"] = "papi 0001"
    client.post(url, data)
    assert Response.objects.get(respondent=known).submitted_at is not None
    again = client.post(url, data)
    assert "déjà été envoyé avec ce code" in txt(again)


def test_control_characters_never_reach_the_database(client, world):
    """A NUL byte in a posted question code or answer: PostgreSQL refuses it, so it is dropped first."""
    response = collect.response_start(wave=world.wave, audience="participants", mode="link")
    assert client.post(answer_url(response), {"item": "\x00", "value": "3"}).status_code == 404
    text_item = world.items.hidden
    collect.answer_save(response=response, item=text_item, raw={"value": "bien\x00 merci"})
    assert response.answers.get(item=text_item).text == "bien merci"


def test_a_self_registered_respondent_is_given_their_code_to_answer_the_next_wave(client, world):
    response = collect.response_start(wave=world.wave, audience="participants", mode="link")
    Response.objects.filter(pk=response.pk).update(submitted_at=timezone.now())
    page = client.get(answer_url(response))
    assert response.respondent.code in txt(page)
