"""Personal codes typed on an answering link: limited tries per link and address, answers that tell a guesser
nothing more than a respondent needs (terreau.evaluation.views_collect_public.link_start)."""

from __future__ import annotations

import html

import pytest
from django.urls import reverse

from terreau.core import throttle
from terreau.core.models import AuditEvent
from terreau.evaluation import collect
from terreau.evaluation.models import Response
from tests.evaluation.factories import CollectionLinkFactory, EvaluationFactory, RespondentFactory
from tests.evaluation.test_collect import make_world

pytestmark = pytest.mark.django_db

UNKNOWN = "Ce code n'est pas connu"
TOO_MANY = "Trop de codes incorrects"


def txt(page) -> str:
    return html.unescape(page.content.decode())


@pytest.fixture
def clock(monkeypatch):
    now = [1_800_000_000.0]
    monkeypatch.setattr(throttle, "_now", lambda: now[0])
    return now


@pytest.fixture
def world(settings, clock):
    settings.TERREAU_EVALUATION_CODE_ATTEMPTS = 3
    world = make_world()
    world.link = CollectionLinkFactory(wave=world.wave)
    world.url = reverse("evaluation:link", kwargs={"token": world.link.token})
    world.known = RespondentFactory(evaluation=world.evaluation, code="BONC-0DE2", site=None)
    return world


def post(client, world, code: str, *, ip: str = "203.0.113.7", url: str | None = None, **extra):
    data = {"consent": "on", "code": code, "site": world.site_a.pk, **extra}
    return client.post(url or world.url, data, REMOTE_ADDR=ip)


def test_after_the_limit_every_code_is_refused_with_a_429_and_nothing_typed_is_lost(client, world):
    for n in range(3):
        refused = post(client, world, f"FAUX-{n:04d}")
        assert refused.status_code == 200 and UNKNOWN in txt(refused)
    blocked = post(
        client, world, "bonc-0de2"
    )  # the right code, once the limit is reached: refused all the same
    page = txt(blocked)
    assert blocked.status_code == 429 and TOO_MANY in page and "réessayez dans 15 minutes" in page
    assert blocked["Retry-After"] == str(15 * 60)
    assert 'value="bonc-0de2"' in page  # the code as typed
    assert 'name="consent"' in page and "checked" in page
    assert f'value="{world.site_a.pk}" selected' in page
    assert not Response.objects.exists()
    # Without a code nothing is guessed: answering stays open.
    started = post(client, world, "")
    assert started.status_code == 302 and Response.objects.count() == 1
    # Another address, or another link, counts on its own.
    assert post(client, world, "bonc-0de2", ip="198.51.100.4").status_code == 302
    other = CollectionLinkFactory(wave=world.wave)
    other_url = reverse("evaluation:link", kwargs={"token": other.token})
    assert post(client, world, "FAUX-9999", url=other_url).status_code == 200


def test_the_try_reaching_the_limit_is_audited_once(client, world):
    for n in range(5):
        post(client, world, f"FAUX-{n:04d}")
    events = AuditEvent.objects.filter(action=AuditEvent.Action.ACCESS_DENIED)
    assert events.count() == 1
    event = events.get()
    assert event.actor is None and event.client_address == "203.0.113.7"
    assert event.branch_id == world.program.branch_id and event.object_id == str(world.link.pk)
    assert event.details == {"reason": "evaluation_code_attempts", "refused": 3, "last": collect.CODE_UNKNOWN}
    assert world.link.token not in str(event.details) and world.link.token not in event.target


def test_the_window_ends(client, world, clock):
    for n in range(3):
        post(client, world, f"FAUX-{n:04d}")
    clock[0] += 10 * 60
    blocked = post(client, world, "BONC-0DE2")
    assert blocked.status_code == 429 and "réessayez dans 5 minutes" in txt(blocked)
    clock[0] += 5 * 60
    assert post(client, world, "BONC-0DE2").status_code == 302


def test_codes_that_open_nothing_get_one_message(client, world):
    """Unknown, of another audience, of another evaluation: the same words, counted alike."""
    RespondentFactory(evaluation=world.evaluation, code="AUTR-E0PU", audience="volunteers")
    RespondentFactory(evaluation=EvaluationFactory(program=world.program), code="AILL-EURS")
    pages = [post(client, world, code) for code in ("INCO-NNU0", "AUTR-E0PU", "AILL-EURS")]
    messages = {
        next(line for line in txt(p).splitlines() if UNKNOWN in line).strip()
        for p in pages
        if p.status_code == 200
    }
    assert len(pages) == 3 and all(p.status_code == 200 for p in pages) and len(messages) == 1
    assert post(client, world, "BONC-0DE2").status_code == 429  # three refused: the limit (3 in these tests)


def test_an_already_sent_code_says_so_and_counts_as_refused(client, world):
    response = collect.response_start(
        wave=world.wave, audience="participants", mode=Response.Mode.LINK, respondent=world.known
    )
    for item in collect.visible_items(response=response):
        collect.answer_save(response=response, item=item, raw={"declined": True})
    collect.response_submit(response=response)
    again = post(client, world, "BONC-0DE2")
    assert again.status_code == 200 and "déjà été envoyé avec ce code" in txt(again)
    post(client, world, "FAUX-0001")
    post(client, world, "FAUX-0002")
    assert post(client, world, "BONC-0DE2").status_code == 429
