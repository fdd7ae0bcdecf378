"""Speed-meetings on top of events: setup, wishes, planning from the database, publishing, agenda, re-planning
on the day and feedback opening a partnership."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from terreau.events import services as event_services
from terreau.events.models import Registration
from terreau.events.tokens import make_token
from terreau.meetings import agendas, documents, planner, plans, services
from terreau.meetings.models import Feedback, Meeting, Participation, SpeedMeeting, Wish
from terreau.partnerships.models import Partnership
from tests.factories import BranchFactory, BranchRoleFactory, EventFactory, OrganisationFactory, UserFactory

pytestmark = pytest.mark.django_db


def _register(event, org, *, user=None, status=Registration.Status.CONFIRMED):
    return Registration.objects.create(
        event=event,
        name=f"Personne {org.name}",
        email=f"{org.slug}@example.org",
        organisation=org,
        user=user,
        status=status,
    )


@pytest.fixture
def world():
    branch = BranchFactory()
    organiser = UserFactory()
    BranchRoleFactory(user=organiser, branch=branch)
    start = timezone.now() + timedelta(days=10)
    event = EventFactory(
        branch=branch, kind="speed_meeting", capacity=50, starts_at=start, ends_at=start + timedelta(hours=3)
    )
    assos = [OrganisationFactory(branch=branch) for _ in range(4)]
    companies = [OrganisationFactory(branch=branch, company=True) for _ in range(3)]
    users = [UserFactory() for _ in range(7)]
    regs = [_register(event, o, user=u) for o, u in zip(assos + companies, users, strict=True)]
    sm = services.speed_meeting_setup(
        event=event,
        data={
            "rounds": 3,
            "round_minutes": 15,
            "break_minutes": 5,
            "tables": 2,
            "wishes_deadline": start - timedelta(days=1),
            "bipartite": True,
        },
        by=organiser,
    )
    return {
        "event": event,
        "sm": sm,
        "organiser": organiser,
        "assos": regs[:4],
        "companies": regs[4:],
        "users": users,
    }


def _wish_all(world, level="like"):
    for a in world["assos"]:
        services.wishes_save(sm=world["sm"], source=a, levels={c.pk: level for c in world["companies"]})


def test_round_times_follow_lengths_and_breaks(world):
    sm = world["sm"]
    assert sm.round_starts_at(0) == world["event"].starts_at
    assert sm.round_starts_at(2) == world["event"].starts_at + timedelta(minutes=40)
    assert sm.round_ends_at(2) == world["event"].starts_at + timedelta(minutes=55)


def test_setup_refuses_rounds_beyond_the_event_end(world):
    with pytest.raises(ValidationError, match="dépassent la fin"):
        services.speed_meeting_setup(event=world["event"], data={"rounds": 20, "round_minutes": 30})


def test_sides_come_from_the_organisation_kind(world):
    assert services.side_of(world["assos"][0]) == "A"
    assert services.side_of(world["companies"][0]) == "B"


def test_declared_side_counts_only_without_an_organisation(world):
    anonymous = Registration.objects.create(
        event=world["event"], name="Léa", email="lea@example.org", side="company", status="confirmed"
    )
    assert services.side_of(anonymous) == "B"
    asso = world["assos"][0]
    asso.side = "company"  # the organisation's kind wins over a declared side
    assert services.side_of(asso) == "A"
    undeclared = Registration.objects.create(
        event=world["event"], name="Paul", email="paul@example.org", status="confirmed"
    )
    assert services.side_of(undeclared) == "other"


def test_anonymous_company_registrant_is_planned_against_associations(world, client):
    sm, event = world["sm"], world["event"]
    response = client.post(
        reverse("events:register", kwargs={"slug": event.slug}),
        {
            "name": "Léa Martin",
            "email": "lea@example.org",
            "side": "company",
            "organisation_name": "Boulangerie Martin",
        },
    )
    assert response.status_code == 200
    lea = event_services.registration_confirm(registration=event.registrations.get(email="lea@example.org"))
    assert lea.organisation is None and services.side_of(lea) == "B"
    assos = world["assos"]
    # Lea may wish to meet the associations, and only them.
    assert {r.pk for r in services.wish_candidates(sm, lea)} == {a.pk for a in assos}
    services.wishes_save(sm=sm, source=lea, levels={assos[0].pk: "must", assos[1].pk: "like"})
    services.wishes_save(sm=sm, source=assos[0], levels={lea.pk: "must"})
    _wish_all(world)
    document = documents.schedule_document(sm)
    assert {"id": services.pid(lea), "side": "B", "unavailable": []} in document["participants"]
    plans.plan_run(sm=sm, by=world["organiser"])
    hers = Meeting.objects.filter(speed_meeting=sm).filter(Q(a=lea) | Q(b=lea))
    assert hers.exists()
    assert all(m.other(lea).organisation.kind == "association" for m in hers)


def test_anonymous_registrant_declaring_other_is_left_out_of_bipartite_planning(world):
    other = Registration.objects.create(
        event=world["event"], name="Léa", email="lea@example.org", side="other", status="confirmed"
    )
    ids = {p["id"] for p in documents.schedule_document(world["sm"])["participants"]}
    assert services.pid(other) not in ids and services.pid(world["companies"][0]) in ids


def test_plan_from_database_respects_every_hard_constraint(world):
    sm = world["sm"]
    a0, a1 = world["assos"][:2]
    c0 = world["companies"][0]
    services.availability_save(sm=sm, registration=a0, unavailable=[0])
    _wish_all(world)
    services.wishes_save(sm=sm, source=a1, levels={c0.pk: "must"})
    # "no thanks" from the company vetoes the pair even though the association wants it.
    services.wishes_save(sm=sm, source=c0, levels={world["assos"][2].pk: "no"})
    plan = plans.plan_run(sm=sm, by=world["organiser"])
    document = documents.schedule_document(sm)
    event = planner.parse_event(document)
    stored = [
        planner.Meeting(m.round, m.table, services.pid(m.a_id), services.pid(m.b_id), m.value)
        for m in Meeting.objects.filter(speed_meeting=sm)
    ]
    planner.check_plan(event, stored)  # raises on any broken hard constraint
    assert len(stored) == len(plan.meetings) > 0
    assert all(
        m.round != 0
        for m in Meeting.objects.filter(speed_meeting=sm, a=a0)
        | Meeting.objects.filter(speed_meeting=sm, b=a0)
    )
    assert not Meeting.objects.filter(speed_meeting=sm, a=world["assos"][2], b=c0).exists()
    assert not Meeting.objects.filter(speed_meeting=sm, a=c0, b=world["assos"][2]).exists()
    assert Meeting.objects.filter(speed_meeting=sm).count() <= 2 * 3
    sm.refresh_from_db()
    assert sm.total_value == plan.total_value and sm.upper_bound >= sm.total_value > 0
    assert sm.state == SpeedMeeting.State.DRAFT


def test_states_move_draft_provisional_final_with_history_and_mails(world):
    sm = world["sm"]
    _wish_all(world)
    with pytest.raises(ValidationError, match="Calculez"):
        plans.plan_publish(sm=sm, final=False)
    plans.plan_run(sm=sm, by=world["organiser"])
    with pytest.raises(ValidationError, match="provisoire"):
        plans.plan_publish(sm=sm, final=True)
    plans.plan_publish(sm=sm, final=False, by=world["organiser"])
    assert mail.outbox == []
    with pytest.raises(ValidationError):
        plans.plan_publish(sm=sm, final=False)
    with django_capture_on_commit():
        plans.plan_publish(sm=sm, final=True, by=world["organiser"])
    sm.refresh_from_db()
    assert sm.state == SpeedMeeting.State.FINAL
    assert [h.to_state for h in sm.history.all()] == ["draft", "draft", "provisional", "final"]
    assert len(mail.outbox) == 7
    with_meetings = [m for m in mail.outbox if m.attachments]
    assert with_meetings and "rendez-vous" in mail.outbox[0].subject
    with pytest.raises(ValidationError):
        plans.plan_run(sm=sm)


def django_capture_on_commit():
    from django.test import TestCase

    return TestCase.captureOnCommitCallbacks(execute=True)


def test_wishes_close_at_the_deadline(world, client):
    sm = world["sm"]
    a0, c0 = world["assos"][0], world["companies"][0]
    late = sm.wishes_deadline + timedelta(minutes=1)
    with pytest.raises(ValidationError, match="date limite"):
        services.wishes_save(sm=sm, source=a0, levels={c0.pk: "must"}, now=late)
    sm.wishes_deadline = timezone.now() - timedelta(minutes=1)
    sm.save()
    client.force_login(world["users"][0])
    url = reverse("meetings:wishes", kwargs={"slug": sm.event.slug})
    response = client.post(url, {f"w{c0.pk}": "must"})
    assert response.status_code == 400
    assert "date limite" in response.content.decode()
    assert not Wish.objects.exists()


def test_wishes_page_saves_through_the_signed_link(world, client):
    sm = world["sm"]
    a0, c0, c1 = world["assos"][0], *world["companies"][:2]
    url = reverse(
        "meetings:wishes_token", kwargs={"slug": sm.event.slug, "token": make_token(a0.pk, "manage")}
    )
    page = client.get(url)
    assert page.status_code == 200
    # Bipartite: an association is offered the companies only.
    assert c0.name in page.content.decode() and world["assos"][1].name not in page.content.decode()
    response = client.post(url, {f"w{c0.pk}": "must", f"w{c1.pk}": "no"})
    assert response.status_code == 302
    assert dict(Wish.objects.filter(source=a0).values_list("target_id", "level")) == {
        c0.pk: "must",
        c1.pk: "no",
    }
    tampered = client.get(url.replace("/lien/", "/lien/x"))
    assert tampered.status_code in (400, 404)


def test_wish_for_someone_of_the_same_side_is_refused(world):
    with pytest.raises(ValidationError):
        services.wishes_save(sm=world["sm"], source=world["assos"][0], levels={world["assos"][1].pk: "must"})


def _published(world, final=True):
    _wish_all(world)
    plans.plan_run(sm=world["sm"])
    plans.plan_publish(sm=world["sm"], final=False)
    if final:
        plans.plan_publish(sm=world["sm"], final=True)
    world["sm"].refresh_from_db()
    return world["sm"]


def test_participant_sees_only_their_own_agenda_pdf_and_ics(world, client):
    sm = _published(world)
    a0 = world["assos"][0]
    client.force_login(world["users"][0])
    slug = sm.event.slug
    page = client.get(reverse("meetings:agenda", kwargs={"slug": slug}))
    assert page.status_code == 200
    mine = agendas.agenda_of(sm, a0)
    assert mine
    body = page.content.decode()
    for m in mine:
        assert m.other(a0).name in body
    others = Meeting.objects.filter(speed_meeting=sm).exclude(a=a0).exclude(b=a0)
    for m in others:
        if a0.pk not in (m.a_id, m.b_id):
            assert f"{m.a.name} × {m.b.name}" not in body
    pdf = client.get(reverse("meetings:agenda_pdf", kwargs={"slug": slug}))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    ics = client.get(reverse("meetings:agenda_ics", kwargs={"slug": slug}))
    cal = Calendar.from_ical(ics.content)
    events = [c for c in cal.walk() if c.name == "VEVENT"]
    assert len(events) == len(mine)
    assert {e.decoded("dtstart") for e in events} == {
        sm.round_starts_at(m.round).replace(microsecond=0) for m in mine
    }
    # Organiser pages are not for participants.
    assert client.get(reverse("meetings:planning", kwargs={"slug": slug})).status_code == 404


def test_organiser_pages_and_table_plan(world, client):
    sm = _published(world, final=False)
    client.force_login(world["organiser"])
    slug = sm.event.slug
    page = client.get(reverse("meetings:planning", kwargs={"slug": slug}))
    assert page.status_code == 200
    assert "meilleur planning possible au vu des souhaits" in page.content.decode()
    assert "borne" not in page.content.decode().lower()
    pdf = client.get(reverse("meetings:table_plan", kwargs={"slug": slug}))
    assert pdf.content.startswith(b"%PDF")


def test_another_branch_user_gets_404(world, client):
    other = UserFactory()
    BranchRoleFactory(user=other, branch=BranchFactory())
    client.force_login(other)
    slug = world["event"].slug
    for name in ("planning", "setup", "table_plan", "agenda", "wishes"):
        assert client.get(reverse(f"meetings:{name}", kwargs={"slug": slug})).status_code == 404
    assert client.post(reverse("meetings:plan_run", kwargs={"slug": slug})).status_code == 404


def test_absence_replan_keeps_held_meetings(world):
    sm = _published(world)
    before = {(m.round, m.table, m.a_id, m.b_id) for m in sm.meetings.all()}
    held = {x for x in before if x[0] == 0}
    # The absent person: someone with a meeting in round 1 (the next round).
    nxt = sm.meetings.filter(round=1).first()
    assert nxt is not None
    absent = Registration.objects.get(pk=nxt.a_id)
    changes = plans.mark_absent(sm=sm, registration=absent, current_round=1)
    after = {(m.round, m.table, m.a_id, m.b_id) for m in sm.meetings.all()}
    assert held <= after
    assert not [x for x in after if x[0] >= 1 and absent.pk in (x[2], x[3])]
    assert changes["removed"]
    assert Participation.objects.get(registration=absent).absent
    last = sm.history.last()
    assert last.details["current_round"] == 1 and last.to_state == "final"
    planner.check_plan(
        planner.parse_event(documents.schedule_document(sm)),
        [
            planner.Meeting(m.round, m.table, services.pid(m.a_id), services.pid(m.b_id), m.value)
            for m in sm.meetings.all()
        ],
    )


def test_feedback_partnership_opens_once_per_pair(world, client):
    sm = _published(world)
    meeting = sm.meetings.select_related("a", "b").first()
    after = sm.round_ends_at(meeting.round) + timedelta(minutes=1)
    with pytest.raises(ValidationError, match="après"):
        agendas.feedback_save(
            meeting=meeting,
            registration=meeting.a,
            rating=4,
            follow_up="partnership",
            now=sm.round_starts_at(0),
        )
    agendas.feedback_save(
        meeting=meeting, registration=meeting.a, rating=5, follow_up="partnership", now=after
    )
    agendas.feedback_save(
        meeting=meeting, registration=meeting.b, rating=4, follow_up="partnership", now=after
    )
    partnerships = Partnership.objects.filter(origin=Partnership.Origin.EVENT)
    assert partnerships.count() == 1
    p = partnerships.get()
    assert p.branch == sm.event.branch
    assert set(p.partners.values_list("pk", flat=True)) == {
        meeting.a.organisation_id,
        meeting.b.organisation_id,
    }
    assert Feedback.objects.filter(meeting=meeting).count() == 2
    with pytest.raises(ValidationError, match="propres"):
        outsider = next(
            r for r in world["assos"] + world["companies"] if r.pk not in (meeting.a_id, meeting.b_id)
        )
        agendas.feedback_save(
            meeting=meeting, registration=outsider, rating=3, follow_up="nothing", now=after
        )
    with pytest.raises(ValidationError):
        agendas.feedback_save(
            meeting=meeting, registration=meeting.a, rating=9, follow_up="nothing", now=after
        )


def test_feedback_page_before_the_meeting_says_later(world, client):
    sm = _published(world)
    client.force_login(world["users"][0])
    page = client.get(reverse("meetings:feedback", kwargs={"slug": sm.event.slug}))
    assert page.status_code == 200
    assert "après ce rendez-vous" in page.content.decode()


def test_engine_suggestions_never_fail(world):
    result = services.engine_suggestions(registration=world["assos"][0], candidates=world["companies"])
    assert isinstance(result, list)
    assert all(r in world["companies"] for r in result)
