"""Working groups' pages: who sees what, the merged group's addresses leading to the result, the merge form,
join requests and pledges through the pages, and bad input answered in French without a 500."""

from __future__ import annotations

import pytest
from django.urls import reverse

from terreau.alliances import groups
from terreau.alliances.group_models import GroupPledge, JoinRequest, WorkingGroup
from tests.alliances.groups_world import GroupWorld, build_world


@pytest.fixture
def gw(db) -> GroupWorld:
    return build_world()


def page(client, user, url, **post):
    if user is not None:
        client.force_login(user)
    return client.post(url, post, follow=True) if post else client.get(url, follow=True)


def test_who_sees_a_group(client, gw):
    url = reverse("alliances:group", args=[gw.g1.pk])
    for user, status in (
        (gw.facilitator, 200),
        (gw.member_a, 200),
        (gw.member_b, 200),
        (gw.member_c, 404),
        (gw.other_facilitator, 404),
        (None, 404),
    ):
        client.logout()
        if user is not None:
            client.force_login(user)
        assert client.get(url).status_code == status, user
    client.force_login(gw.member_b)
    body = client.get(url).content.decode()
    assert "Bureau Beta" in body and "Recenser" not in body
    assert reverse("alliances:member_add", args=[gw.g1.pk]) not in body  # a member does not manage


def test_an_open_group_shows_a_public_summary_and_takes_join_requests(client, gw):
    gw.g1.is_open = True
    gw.g1.save()
    url = reverse("alliances:group", args=[gw.g1.pk])
    body = client.get(url).content.decode()
    assert "Bien vieillir" in body and "Bureau Beta" not in body  # members are not listed publicly
    client.force_login(gw.member_c)
    body = client.get(url).content.decode()
    assert "Demander à rejoindre" in body
    response = page(
        client,
        None,
        reverse("alliances:join_request", args=[gw.g1.pk]),
        organisation=gw.c.pk,
        message="Bonjour",
    )
    assert "transmise aux pilotes" in response.content.decode()
    request = JoinRequest.objects.get(group=gw.g1, organisation=gw.c)
    # Not a lead: C's member cannot answer (403); the lead can.
    assert (
        client.post(
            reverse("alliances:join_answer", args=[gw.g1.pk, request.pk]), {"accept": "1"}
        ).status_code
        == 403
    )
    client.force_login(gw.member_a)
    page(client, None, reverse("alliances:join_answer", args=[gw.g1.pk, request.pk]), accept="1")
    assert gw.g1.members.filter(organisation=gw.c).exists()


def test_a_closed_group_takes_no_join_request(client, gw):
    client.force_login(gw.member_c)
    response = client.post(reverse("alliances:join_request", args=[gw.g1.pk]), {"organisation": gw.c.pk})
    assert response.status_code == 404  # not open: C does not even see it
    assert not JoinRequest.objects.exists()


def test_merge_form_and_the_merged_groups_addresses(client, gw):
    client.force_login(gw.facilitator)
    bad = page(
        client,
        None,
        reverse("alliances:group_merge"),
        sources=[gw.g1.pk, gw.g2.pk],
        into=gw.g1.pk,
        reason="r",
    )
    assert bad.status_code == 200 and "lui-même" in bad.content.decode()
    assert not WorkingGroup.objects.filter(state="merged").exists()
    response = page(
        client,
        None,
        reverse("alliances:group_merge"),
        sources=[gw.g1.pk, gw.g2.pk],
        name="Silver Geek",
        reason="Mêmes publics",
    )
    result = WorkingGroup.objects.get(name="Silver Geek")
    assert response.redirect_chain[-1][0] == reverse("alliances:group", args=[result.pk])
    body = response.content.decode()
    assert "Fusion de « Bien vieillir », « Inclusion numérique » dans ce groupe" in body
    assert "venu de « Bien vieillir »" in body
    # Every address of a merged group leads to the result, with a notice, for its former members too.
    client.force_login(gw.member_a)
    for name in ("alliances:group", "alliances:group_edit"):
        response = client.get(reverse(name, args=[gw.g1.pk]), follow=True)
        assert response.redirect_chain[0][0] == reverse(name, args=[result.pk])
        assert "a été fusionné dans « Silver Geek »" in response.content.decode()
    response = client.post(
        reverse("alliances:decision_add", args=[gw.g1.pk]), {"text": "x", "decided_on": "2026-07-01"}
    )
    assert response.status_code == 302 and response["Location"] == reverse(
        "alliances:group", args=[result.pk]
    )
    assert not result.decisions.exists()
    # Merging a merged group again: refused in French.
    client.force_login(gw.facilitator)
    again = page(
        client, None, reverse("alliances:group_merge"), sources=[gw.g1.pk], into=result.pk, reason="r"
    )
    assert "a déjà été fusionné" in again.content.decode()


def test_merge_form_is_for_staff_only(client, gw):
    client.force_login(gw.member_a)
    assert client.get(reverse("alliances:group_merge")).status_code == 403
    assert (
        client.post(
            reverse("alliances:group_merge"), {"sources": [gw.g1.pk, gw.g2.pk], "name": "N", "reason": "r"}
        ).status_code
        == 403
    )
    client.force_login(gw.other_facilitator)
    response = client.post(
        reverse("alliances:group_merge"), {"sources": [gw.g1.pk, gw.g2.pk], "name": "N", "reason": "r"}
    )
    assert response.status_code == 200  # another branch's groups are not even offered
    assert not WorkingGroup.objects.filter(state="merged").exists()


def test_members_edit_only_their_own_pledges(client, gw):
    mine = groups.pledge_save(
        group=gw.g1, organisation=gw.b, kind="premises", description="Une salle", by=gw.member_b
    )
    theirs = groups.pledge_save(
        group=gw.g1, organisation=gw.a, kind="money", description="500 €", by=gw.member_a
    )
    client.force_login(gw.member_b)
    edit = reverse("alliances:pledge_edit", args=[gw.g1.pk, mine.pk])
    assert client.get(edit).status_code == 200
    page(client, None, edit, organisation=gw.b.pk, kind="premises", description="Deux salles")
    mine.refresh_from_db()
    assert mine.description == "Deux salles"
    assert (
        client.post(
            reverse("alliances:pledge_edit", args=[gw.g1.pk, theirs.pk]),
            {"organisation": gw.b.pk, "kind": "money", "description": "0"},
        ).status_code
        == 403
    )
    assert client.post(reverse("alliances:pledge_remove", args=[gw.g1.pk, theirs.pk])).status_code == 403
    assert GroupPledge.objects.get(pk=theirs.pk).description == "500 €"
    # A pledge in the name of an organisation the user is not a member of: refused by the form.
    page(
        client,
        None,
        reverse("alliances:pledge_add", args=[gw.g1.pk]),
        organisation=gw.a.pk,
        kind="money",
        description="forgé",
    )
    assert not GroupPledge.objects.filter(description="forgé").exists()


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("decision_add", {"text": "", "decided_on": "pas une date"}),
        ("task_add", {"title": "x" * 300, "due_on": "2026-13-45", "owner": "abc"}),
        ("meeting_add", {"title": "Réunion", "held_on": "2026-07-01", "event": "999999"}),
        ("document_add", {"title": "x"}),
        ("member_add", {"organisation": "999999", "role": "king"}),
        ("pledge_add", {"organisation": "x", "kind": "gold"}),
    ],
)
def test_bad_input_is_answered_in_french_without_a_500(client, gw, name, data):
    client.force_login(gw.member_a)
    response = client.post(reverse(f"alliances:{name}", args=[gw.g1.pk]), data, follow=True)
    assert response.status_code == 200
    assert 'class="error' in response.content.decode() or "messages" in response.content.decode()


def test_group_pages_render_for_the_lead_with_every_form(client, gw):
    groups.task_add(group=gw.g1, title="Recenser les EHPAD", by=gw.member_a)
    client.force_login(gw.member_a)
    body = client.get(reverse("alliances:group", args=[gw.g1.pk])).content.decode()
    for text in (
        "Ajouter une structure",
        "Enregistrer une décision",
        "Ajouter une tâche",
        "Recenser les EHPAD",
        "Écrire la charte du collectif",
    ):
        assert text in body
    assert client.get(reverse("alliances:groups")).status_code == 200
    assert client.get(reverse("alliances:group_edit", args=[gw.g1.pk])).status_code == 200
    client.force_login(gw.member_b)
    assert client.get(reverse("alliances:group_edit", args=[gw.g1.pk])).status_code == 403
