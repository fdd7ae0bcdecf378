"""'Mon espace' leads members to their working groups and to the consultations open to their organisations
(answer, amend their answer, rank the key issues), and the branch's staff to their groups; never to the groups
or the answers of other organisations."""

from __future__ import annotations

from django.urls import reverse

from terreau.alliances import consultation, services
from terreau.alliances.models import Diagnosis
from tests.alliances.conftest import ANSWER
from tests.alliances.groups_world import build_world


def _section(html: str) -> str:
    start = html.index('id="profile-alliances"')
    return html[start : html.index("</section>", start)]


def test_members_reach_their_groups_and_open_consultations(client, db):
    w = build_world()
    services.diagnosis_move(diagnosis=w.diagnosis, to=Diagnosis.State.CONSULTATION, by=w.facilitator)
    answer = consultation.answer_submit(diagnosis=w.diagnosis, organisation=w.a, data=ANSWER)
    client.force_login(w.member_a)
    part = _section(client.get(reverse("accounts:profile")).content.decode())
    assert "Mes groupes de travail" in part
    assert reverse("alliances:group", args=[w.g1.pk]) in part  # its organisation leads it
    assert reverse("alliances:group", args=[w.g2.pk]) not in part  # another group
    assert w.diagnosis.title in part
    assert reverse("alliances:answer_member_edit", args=[answer.pk]) in part
    assert reverse("alliances:ranking_member", args=[w.diagnosis.pk]) in part
    assert reverse("alliances:groups") in part

    # The member of an organisation that did not answer: the public form, never another's answer.
    client.force_login(w.member_c)
    part = _section(client.get(reverse("accounts:profile")).content.decode())
    assert reverse("alliances:group", args=[w.g2.pk]) in part
    assert reverse("alliances:answer_member_edit", args=[answer.pk]) not in part
    assert w.diagnosis.title not in part  # not consulted: neither invited nor answered


def test_staff_reach_the_groups_and_draft_diagnoses_consult_no_one(client, db):
    w = build_world()
    client.force_login(w.facilitator)
    part = _section(client.get(reverse("accounts:profile")).content.decode())
    assert "Groupes de travail de mes antennes" in part
    assert reverse("alliances:groups") in part
    client.force_login(w.member_a)
    part = _section(client.get(reverse("accounts:profile")).content.decode())
    assert w.diagnosis.title not in part  # a draft diagnosis consults no one yet
