"""Closing and reopening a working group, and editing or deleting its meetings, tasks, decisions and
documents: who may (leads and the branch's staff), who may not (members: 403; another branch: 404), bad input
answered in French with nothing written, and every change left in the group's history."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from terreau.alliances import group_edits, groups
from terreau.alliances.group_models import (
    GroupDecision,
    GroupDocument,
    GroupMeeting,
    GroupTask,
    WorkingGroup,
)
from tests.alliances.groups_world import GroupWorld, build_world
from tests.factories import EventFactory

PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def gw(db) -> GroupWorld:
    return build_world()


@pytest.fixture
def things(gw, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    by = gw.facilitator
    meeting = groups.meeting_add(group=gw.g1, title="Lancement", held_on=date(2026, 3, 2), by=by)
    task = groups.task_add(group=gw.g1, title="Recenser les lieux", by=by)
    decision = groups.decision_add(
        group=gw.g1, text="On se voit le mardi", decided_on=date(2026, 3, 2), by=by
    )
    document = groups.document_add(
        group=gw.g1, title="Compte rendu", upload=SimpleUploadedFile("cr.pdf", PDF), by=by
    )
    return {"meeting": meeting, "task": task, "decision": decision, "document": document}


def _messages(response) -> str:
    return " ".join(str(m) for m in response.context["messages"]) if response.context else ""


EDITS = {
    "meeting": ("meeting_edit", "meeting_delete", {"title": "Lancement (déplacé)", "held_on": "2026-03-09"}),
    "task": ("task_edit", "task_delete", {"title": "Recenser les salles", "due_on": "2026-05-01"}),
    "decision": (
        "decision_edit",
        "decision_delete",
        {"text": "On se voit le jeudi", "decided_on": "2026-03-03"},
    ),
    "document": ("document_edit", "document_delete", {"title": "Compte rendu n°1"}),
}
MODELS = {"meeting": GroupMeeting, "task": GroupTask, "decision": GroupDecision, "document": GroupDocument}


@pytest.mark.parametrize("kind", list(EDITS))
def test_who_may_edit_and_delete(client, gw, things, kind):
    edit, delete, data = EDITS[kind]
    item = things[kind]
    args = [gw.g1.pk, item.pk]
    for user, status in ((gw.other_facilitator, 404), (gw.member_c, 404), (gw.member_b, 403)):
        client.force_login(user)
        assert client.get(reverse(f"alliances:{edit}", args=args)).status_code == status, user
        assert client.post(reverse(f"alliances:{edit}", args=args), data).status_code == status
        assert client.post(reverse(f"alliances:{delete}", args=args)).status_code == status
    assert MODELS[kind].objects.filter(pk=item.pk).exists()
    client.logout()
    assert client.get(reverse(f"alliances:{edit}", args=args)).status_code == 302  # to the login page
    # The lead edits, the branch's staff deletes; both leave a line in the history.
    client.force_login(gw.member_a)
    assert client.get(reverse(f"alliances:{edit}", args=args)).status_code == 200
    response = client.post(reverse(f"alliances:{edit}", args=args), data, follow=True)
    assert response.status_code == 200 and "modifi" in _messages(response), _messages(response)
    item.refresh_from_db()
    field = next(iter(data))
    assert getattr(item, field) == data[field]
    client.force_login(gw.facilitator)
    response = client.post(reverse(f"alliances:{delete}", args=args), follow=True)
    assert "supprimé" in _messages(response)
    assert not MODELS[kind].objects.filter(pk=item.pk).exists()
    body = response.content.decode()
    assert "supprimé" in body  # the history keeps a line
    log = list(gw.g1.log.values_list("by", flat=True))
    assert log == [gw.member_a.pk, gw.facilitator.pk]


@pytest.mark.parametrize(
    ("kind", "data", "expected"),
    [
        ("meeting", {"title": "x", "held_on": "0001-01-01"}, "Indiquez une date entre"),
        ("meeting", {"title": "x", "held_on": "99999-12-31"}, "date valide"),
        ("meeting", {"title": "", "held_on": "2026-03-09"}, "obligatoire"),
        ("meeting", {"title": "x" * 201, "held_on": "2026-03-09"}, "200"),
        (
            "meeting",
            {"title": "x", "held_on": "2026-03-09", "event": "999999"},
            "Sélectionnez un choix valide",
        ),
        ("task", {"title": "x", "due_on": "0001-01-01"}, "Indiquez une date entre"),
        ("task", {"title": "x", "owner": "abc"}, "Sélectionnez un choix valide"),
        ("task", {}, "obligatoire"),
        ("decision", {"text": "<script>alert(1)</script>", "decided_on": "99999-12-31"}, "date valide"),
        ("decision", {"text": "   ", "decided_on": "2026-03-03"}, "obligatoire"),
        ("document", {"title": ""}, "obligatoire"),
    ],
)
def test_bad_input_is_answered_in_french_and_writes_nothing(client, gw, things, kind, data, expected):
    edit, _delete, _data = EDITS[kind]
    item = things[kind]
    before = MODELS[kind].objects.filter(pk=item.pk).values().get()
    client.force_login(gw.member_a)
    response = client.post(reverse(f"alliances:{edit}", args=[gw.g1.pk, item.pk]), data)
    assert response.status_code == 400
    assert expected in response.content.decode()
    assert MODELS[kind].objects.filter(pk=item.pk).values().get() == before
    assert not gw.g1.log.exists()


def test_a_document_is_replaced_by_a_checked_file(client, gw, things):
    document = things["document"]
    old_name = document.file.name
    client.force_login(gw.member_a)
    url = reverse("alliances:document_edit", args=[gw.g1.pk, document.pk])
    fake = SimpleUploadedFile("faux.pdf", b"MZ\x90\x00 not a pdf")
    response = client.post(url, {"title": "Compte rendu", "file": fake}, follow=True)
    assert "ne correspond pas" in response.content.decode()
    document.refresh_from_db()
    assert document.file.name == old_name
    new = SimpleUploadedFile("cr-v2.pdf", PDF + b"% v2\n")
    client.post(url, {"title": "Compte rendu v2", "file": new})
    document.refresh_from_db()
    assert document.title == "Compte rendu v2" and document.file.name != old_name
    assert document.size == len(PDF) + 5
    assert "remplacé" in gw.g1.log.get().text


def test_a_meeting_is_linked_to_an_event_of_the_branch_only(gw, things):
    mine = EventFactory(branch=gw.branch)
    other = EventFactory(branch=gw.other_branch)
    meeting = things["meeting"]
    with pytest.raises(Exception, match="antenne du groupe"):
        group_edits.meeting_update(
            meeting=meeting, title="x", held_on=date(2026, 3, 9), event=other, by=gw.facilitator
        )
    group_edits.meeting_update(
        meeting=meeting, title="x", held_on=date(2026, 3, 9), event=mine, by=gw.member_a
    )
    meeting.refresh_from_db()
    assert meeting.event == mine


def test_a_task_owner_must_belong_to_the_group(gw, things):
    with pytest.raises(Exception, match="appartenir"):
        group_edits.task_update(task=things["task"], title="x", owner=gw.member_c, by=gw.facilitator)
    group_edits.task_update(task=things["task"], title="x", owner=gw.member_b, by=gw.facilitator)
    assert GroupTask.objects.get(pk=things["task"].pk).owner == gw.member_b


def test_closing_and_reopening_a_group(client, gw, things):
    close = reverse("alliances:group_close", args=[gw.g1.pk])
    reopen = reverse("alliances:group_reopen", args=[gw.g1.pk])
    client.force_login(gw.member_b)
    assert client.post(close, {"reason": "Fini"}).status_code == 403
    client.force_login(gw.other_facilitator)
    assert client.post(close, {"reason": "Fini"}).status_code == 404
    client.force_login(gw.member_a)
    response = client.post(close, {"reason": "  "}, follow=True)
    assert "obligatoire" in _messages(response)
    gw.g1.refresh_from_db()
    assert gw.g1.state == WorkingGroup.State.ACTIVE
    response = client.post(close, {"reason": "Objectif atteint"}, follow=True)
    gw.g1.refresh_from_db()
    assert gw.g1.state == WorkingGroup.State.CLOSED
    body = response.content.decode()
    assert "Objectif atteint" in body and "Clore le groupe" not in body and "Rouvrir le groupe" not in body
    # Nothing changes in a closed group: its forms are gone, the addresses refuse.
    edit = reverse("alliances:task_edit", args=[gw.g1.pk, things["task"].pk])
    response = client.post(edit, {"title": "Autre"}, follow=True)
    assert "clos" in _messages(response)
    assert GroupTask.objects.get(pk=things["task"].pk).title == "Recenser les lieux"
    response = client.post(reverse("alliances:task_add", args=[gw.g1.pk]), {"title": "Nouvelle"}, follow=True)
    assert "clos" in _messages(response) and not GroupTask.objects.filter(title="Nouvelle").exists()
    response = client.post(
        reverse("alliances:decision_delete", args=[gw.g1.pk, things["decision"].pk]), follow=True
    )
    assert "clos" in _messages(response) and GroupDecision.objects.filter(pk=things["decision"].pk).exists()
    assert client.post(close, {"reason": "Encore"}, follow=True).status_code == 200
    # Reopening is the branch's staff's.
    assert client.post(reopen, {}).status_code == 403
    client.force_login(gw.facilitator)
    body = client.get(reverse("alliances:group", args=[gw.g1.pk])).content.decode()
    assert "Rouvrir le groupe" in body
    response = client.post(reopen, {"note": "On reprend"}, follow=True)
    gw.g1.refresh_from_db()
    assert gw.g1.state == WorkingGroup.State.ACTIVE and "rouvert" in _messages(response)
    assert list(gw.g1.history.values_list("to_state", "note")) == [
        ("active", ""),
        ("closed", "Objectif atteint"),
        ("active", "On reprend"),
    ]
    response = client.post(reopen, {}, follow=True)
    assert "Seul un groupe clos" in _messages(response)


def test_a_merged_group_cannot_be_closed(gw):
    from terreau.alliances import merge

    merge.merge_or_refuse(
        sources=[gw.g1, gw.g2], into=None, name="Ensemble", reason="Proches", by=gw.facilitator
    )
    gw.g1.refresh_from_db()
    with pytest.raises(Exception, match="fusionné"):
        groups.group_close(group=gw.g1, reason="x", by=gw.facilitator)


def test_the_lead_sees_the_edit_links_and_the_member_does_not(client, gw, things):
    url = reverse("alliances:group", args=[gw.g1.pk])
    client.force_login(gw.member_a)
    body = client.get(url).content.decode()
    for name, kind in (("meeting_edit", "meeting"), ("task_edit", "task"), ("decision_edit", "decision")):
        assert reverse(f"alliances:{name}", args=[gw.g1.pk, things[kind].pk]) in body
    assert "Clore le groupe" in body
    client.force_login(gw.member_b)
    body = client.get(url).content.decode()
    assert "/modifier/" not in body.split("apports")[0] and "Clore le groupe" not in body
