"""Working groups: creation, members, join requests, the group's work, and merges (provenance kept, refusals
that write nothing, history)."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from terreau.alliances import groups, merge
from terreau.alliances.group_models import (
    GroupDecision,
    GroupKeyIssue,
    GroupMember,
    GroupMerge,
    GroupPledge,
    GroupTask,
    JoinRequest,
    WorkingGroup,
    WorkingGroupChange,
)
from terreau.directory.models import Direction
from terreau.notifications.models import Notification
from tests.alliances.groups_world import GroupWorld, build_world
from tests.factories import NeedOfferFactory


@pytest.fixture
def gw(db) -> GroupWorld:
    return build_world()


def snapshot():
    """Every row a merge may write or change."""
    return (
        list(WorkingGroup.objects.order_by("pk").values()),
        list(GroupMember.objects.order_by("pk").values()),
        list(GroupTask.objects.order_by("pk").values()),
        list(GroupKeyIssue.objects.order_by("pk").values()),
        GroupMerge.objects.count(),
        WorkingGroupChange.objects.count(),
    )


def test_roles_in_a_group(gw):
    assert groups.role_in(gw.facilitator, gw.g1) == groups.STAFF
    assert groups.role_in(gw.member_a, gw.g1) == groups.LEAD
    assert groups.role_in(gw.member_b, gw.g1) == groups.MEMBER
    assert groups.role_in(gw.member_c, gw.g1) is None
    assert groups.role_in(gw.other_facilitator, gw.g1) is None


def test_key_issues_of_another_branch_are_refused(gw):
    from terreau.alliances.models import Diagnosis, KeyIssue

    elsewhere = Diagnosis.objects.create(
        branch=gw.other_branch, title="Ailleurs", period_start=date(2026, 1, 1), period_end=date(2026, 2, 1)
    )
    issue = KeyIssue.objects.create(diagnosis=elsewhere, title="Autre")
    with pytest.raises(ValidationError, match="antenne du groupe"):
        groups.group_create(branch=gw.branch, name="X", key_issues=[issue], by=gw.facilitator)
    assert not WorkingGroup.objects.filter(name="X").exists()


def test_join_request_accepted_makes_a_member_and_tells_both_sides(gw):
    gw.g1.is_open = True
    gw.g1.save()
    request = groups.join_request(
        group=gw.g1, organisation=gw.c, message="Nous avons des tablettes.", by=gw.member_c
    )
    assert Notification.objects.filter(recipient=gw.member_a, kind="alliances.group").exists()
    with pytest.raises(ValidationError, match="attend déjà"):
        groups.join_request(group=gw.g1, organisation=gw.c, by=gw.member_c)
    groups.join_answer(request=request, accept=True, by=gw.member_a)
    request.refresh_from_db()
    assert request.state == JoinRequest.State.ACCEPTED
    assert gw.g1.members.filter(organisation=gw.c, person=gw.member_c).exists()
    assert [h.to_state for h in request.history.all()] == ["pending", "accepted"]
    assert Notification.objects.filter(recipient=gw.member_c, kind="alliances.group").exists()
    with pytest.raises(ValidationError, match="déjà reçu une réponse"):
        groups.join_answer(request=request, accept=False, by=gw.member_a)
    with pytest.raises(ValidationError, match="déjà membre"):
        groups.join_request(group=gw.g1, organisation=gw.c, by=gw.member_c)


def test_declined_request_adds_nobody(gw):
    request = groups.join_request(group=gw.g1, organisation=gw.c, by=gw.member_c)
    groups.join_answer(request=request, accept=False, note="Pas pour l'instant", by=gw.facilitator)
    assert not gw.g1.members.filter(organisation=gw.c).exists()


def test_a_group_keeps_a_lead(gw):
    lead = gw.g1.members.get(organisation=gw.a)
    with pytest.raises(ValidationError, match="au moins une structure pilote"):
        groups.member_remove(member=lead, by=gw.facilitator)
    with pytest.raises(ValidationError, match="au moins une structure pilote"):
        groups.member_set_role(member=lead, role="member", by=gw.facilitator)
    b = gw.g1.members.get(organisation=gw.b)
    groups.member_set_role(member=b, role="lead", by=gw.facilitator)
    groups.member_set_role(member=lead, role="member", by=gw.facilitator)
    assert gw.g1.members.get(organisation=gw.a).role == "member"


def test_tasks_decisions_documents_and_pledges(gw):
    task = groups.task_add(
        group=gw.g1, title="Recenser les EHPAD", owner=gw.member_b, due_on=date(2026, 9, 1), by=gw.member_a
    )
    groups.task_move(task=task, to="done", by=gw.member_a)
    assert [h.to_state for h in task.history.all()] == ["todo", "done"]
    with pytest.raises(ValidationError, match="appartenir"):
        groups.task_add(group=gw.g1, title="X", owner=gw.member_c, by=gw.member_a)
    groups.decision_add(
        group=gw.g1, text="On se réunit chaque mois.", decided_on=date(2026, 7, 1), by=gw.member_a
    )
    with pytest.raises(ValidationError, match="Écrivez"):
        groups.decision_add(group=gw.g1, text="  ", decided_on=date(2026, 7, 1), by=gw.member_a)
    with pytest.raises(ValidationError, match="Type de fichier"):
        groups.document_add(group=gw.g1, title="x", upload=SimpleUploadedFile("x.exe", b"MZ"), by=gw.member_a)
    offer = NeedOfferFactory(organisation=gw.b, direction=Direction.OFFER, title="Tablettes")
    pledge = groups.pledge_save(
        group=gw.g1,
        organisation=gw.b,
        kind="equipment",
        description="10 tablettes",
        offer=offer,
        by=gw.member_b,
    )
    with pytest.raises(ValidationError, match="propres apports"):
        groups.pledge_save(
            group=gw.g1, organisation=gw.a, kind="money", description="x", pledge=pledge, by=gw.member_a
        )
    with pytest.raises(ValidationError, match="Seules les structures membres"):
        groups.pledge_save(group=gw.g1, organisation=gw.c, kind="money", description="x", by=gw.member_c)
    other_offer = NeedOfferFactory(organisation=gw.a, direction=Direction.OFFER)
    with pytest.raises(ValidationError, match="ressource publiée par votre structure"):
        groups.pledge_save(
            group=gw.g1, organisation=gw.b, kind="money", description="x", offer=other_offer, by=gw.member_b
        )
    with pytest.raises(ValidationError, match="nature"):
        groups.pledge_save(group=gw.g1, organisation=gw.b, kind="gold", description="x", by=gw.member_b)


def test_merge_into_a_new_group_keeps_everything_with_its_provenance(gw):
    task = groups.task_add(group=gw.g1, title="Recenser les EHPAD", by=gw.member_a)
    decision = groups.decision_add(
        group=gw.g2, text="Ateliers tablettes", decided_on=date(2026, 7, 1), by=gw.member_c
    )
    document = groups.document_add(
        group=gw.g2, title="Compte rendu", upload=SimpleUploadedFile("c.pdf", b"%PDF-1.4 x"), by=gw.member_c
    )
    pledge = groups.pledge_save(
        group=gw.g1, organisation=gw.b, kind="skills_sponsorship", description="2 jours", by=gw.member_b
    )
    waiting = groups.join_request(group=gw.g2, organisation=gw.a, by=gw.member_a)
    result = merge.group_merge(
        sources=[gw.g1, gw.g2],
        name="Silver Geek",
        reason="Mêmes publics, mêmes partenaires",
        by=gw.facilitator,
    )

    members = {m.organisation_id: m for m in result.members.all()}
    assert set(members) == {gw.a.pk, gw.b.pk, gw.c.pk}  # B was in both: once
    assert members[gw.a.pk].came_from == gw.g1 and members[gw.a.pk].role == "lead"
    assert members[gw.c.pk].came_from == gw.g2 and members[gw.c.pk].role == "lead"
    assert members[gw.b.pk].came_from == gw.g1
    for row, origin in ((task, gw.g1), (decision, gw.g2), (document, gw.g2), (pledge, gw.g1)):
        row.refresh_from_db()
        assert (row.group, row.came_from) == (result, origin)
    links = {link.key_issue_id: link.came_from_id for link in result.issue_links.all()}
    assert links == {gw.ageing.pk: gw.g1.pk, gw.digital.pk: gw.g2.pk}
    assert result.diagnosis == gw.diagnosis
    waiting.refresh_from_db()
    assert waiting.state == "declined"  # A is already a member of the result

    for source in (gw.g1, gw.g2):
        source.refresh_from_db()
        assert source.state == "merged" and source.merged_into == result
        assert source.history.last().to_state == "merged"
        assert source.history.last().note == "Mêmes publics, mêmes partenaires"
        assert source.members.exists()  # the source's own rows stay (its members still reach it)
    record = GroupMerge.objects.get(result=result)
    assert set(record.sources.all()) == {gw.g1, gw.g2}
    assert record.moved["members"] == 3 and record.moved["tasks"] == 1
    assert "Issu de la fusion" in result.history.get().note


def test_merge_into_an_existing_group_and_provenance_through_two_merges(gw):
    g3 = groups.group_create(
        branch=gw.branch, name="Emploi des jeunes", key_issues=[gw.youth], lead=gw.b, by=gw.facilitator
    )
    task = groups.task_add(group=gw.g1, title="Tâche de g1", by=gw.member_a)
    merge.group_merge(sources=[gw.g1], into=gw.g2, reason="Rapprochement", by=gw.facilitator)
    task.refresh_from_db()
    assert (task.group, task.came_from) == (gw.g2, gw.g1)
    merge.group_merge(sources=[gw.g2], into=g3, reason="Tout ensemble", by=gw.facilitator)
    task.refresh_from_db()
    assert (task.group, task.came_from) == (g3, gw.g1)  # the first provenance is kept
    gw.g1.refresh_from_db()
    assert gw.g1.final() == g3
    assert g3.members.get(organisation=gw.a).came_from == gw.g1


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("self", "lui-même"),
        ("into_merged", "choisissez le groupe qui en est issu"),
        ("source_merged", "a déjà été fusionné"),
        ("alone", "au moins deux groupes"),
        ("no_reason", "raison"),
        ("no_name", "nom"),
        ("two_branches", "même antenne"),
    ],
)
def test_bad_merges_are_refused_and_write_nothing(gw, case, message):
    from tests.factories import OrganisationFactory

    g3 = groups.group_create(branch=gw.branch, name="Emploi des jeunes", lead=gw.b, by=gw.facilitator)
    g4 = groups.group_create(branch=gw.branch, name="Mobilité", lead=gw.b, by=gw.facilitator)
    merge.group_merge(sources=[g3], into=g4, reason="déjà fait", by=gw.facilitator)
    g3.refresh_from_db()
    elsewhere_org = OrganisationFactory(branch=gw.other_branch)
    elsewhere = groups.group_create(
        branch=gw.other_branch, name="Ailleurs", lead=elsewhere_org, by=gw.other_facilitator
    )
    kwargs = {
        "self": {"sources": [gw.g1, gw.g2], "into": gw.g1, "reason": "r"},
        "into_merged": {"sources": [gw.g1], "into": g3, "reason": "r"},
        "source_merged": {"sources": [g3, gw.g1], "name": "N", "reason": "r"},
        "alone": {"sources": [gw.g1], "name": "N", "reason": "r"},
        "no_reason": {"sources": [gw.g1, gw.g2], "name": "N", "reason": "  "},
        "no_name": {"sources": [gw.g1, gw.g2], "reason": "r"},
        "two_branches": {"sources": [gw.g1, elsewhere], "name": "N", "reason": "r"},
    }[case]
    before = snapshot()
    with pytest.raises(ValidationError, match=message):
        merge.group_merge(by=gw.facilitator, **kwargs)
    assert snapshot() == before


def test_a_merged_group_is_read_only(gw):
    merge.group_merge(sources=[gw.g1], into=gw.g2, reason="r", by=gw.facilitator)
    gw.g1.refresh_from_db()
    with pytest.raises(ValidationError, match="fusionné dans « Inclusion numérique »"):
        groups.decision_add(group=gw.g1, text="x", decided_on=date(2026, 1, 1), by=gw.facilitator)
    assert not GroupDecision.objects.filter(text="x").exists()
    with pytest.raises(ValidationError):
        groups.pledge_save(group=gw.g1, organisation=gw.b, kind="money", description="x", by=gw.member_b)
    assert not GroupPledge.objects.exists()
