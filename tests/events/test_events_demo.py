"""The demo events (terreau.demo.events_demo): a past meeting with its attendance, a workshop with agenda, notes
and decisions, a speed-meeting with wishes and a provisional plan, an event in Alsace; reloadable, flagged
is_demo, sending no e-mail, and usable through the pages."""

from __future__ import annotations

from collections import Counter
from datetime import time, timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from terreau.accounts.models import User
from terreau.demo import events_demo, loader
from terreau.events.models import Event, Registration, RegistrationChange, WorkshopItem
from terreau.events.tokens import make_token
from terreau.meetings.models import Meeting, PlanChange, SpeedMeeting, Wish
from terreau.territories.loader import load_territories
from tests.factories import EventFactory

pytestmark = pytest.mark.django_db
S = Registration.Status


@pytest.fixture(autouse=True)
def _fast(settings, monkeypatch):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # The Silver Geek program and the search index play no part in the events: skip them (speed).
    monkeypatch.setattr(loader.silvergeek, "load_program_demo", lambda **kwargs: None)
    monkeypatch.setattr(loader, "reindex_organisations", lambda ids: None)


@pytest.fixture
def demo(db, django_capture_on_commit_callbacks):
    load_territories(departments={"16", "17", "79", "86", "67", "68"})
    with django_capture_on_commit_callbacks(execute=True):
        loader.load_demo()
    return {e.slug: e for e in Event.objects.select_related("branch")}


def _counts() -> dict[str, int]:
    models = [Event, Registration, RegistrationChange, WorkshopItem, SpeedMeeting, Wish, Meeting, PlanChange]
    return {m.__name__: m.objects.count() for m in models}


def test_demo_events_are_flagged_dated_and_silent(demo):
    assert set(demo) == set(events_demo.SLUGS)
    assert all(e.is_demo and e.is_published for e in demo.values())
    assert mail.outbox == []  # nobody is told about demo registrations or the demo plan
    now = timezone.now()
    past = demo[events_demo.MEETING_SLUG]
    assert past.ends_at < now and past.kind == Event.Kind.MEETING
    assert past.title == "Rencontre associations-entreprises"
    for slug in (events_demo.WORKSHOP_SLUG, events_demo.SPEED_MEETING_SLUG, events_demo.ALSACE_SLUG):
        assert demo[slug].starts_at > now
    assert demo[events_demo.ALSACE_SLUG].branch.slug == "demo-alsace"
    assert {e.branch.slug for e in demo.values()} == {"demo-poitou-charentes", "demo-alsace"}
    for event in demo.values():
        assert event.organisers.filter(branch_roles__branch=event.branch).exists(), event
        assert event.registrations.exists(), event
        assert not event.registrations.exclude(organisation__branch=event.branch).exists(), event


# What each demo event looks like, relative to the loading day: (day, start, end, registrations close that
# many days before at 18:00 or None, registered (days ago, hour), registrations by status).
PINNED = {
    events_demo.MEETING_SLUG: (
        -21,
        time(14),
        time(17, 30),
        2,
        (36, 10),
        {S.ATTENDED: 17, S.CONFIRMED: 3, S.CANCELLED: 2},
    ),
    events_demo.WORKSHOP_SLUG: (12, time(9, 30), time(12, 30), 2, (3, 9), {S.CONFIRMED: 9}),
    events_demo.SPEED_MEETING_SLUG: (24, time(14), time(17), 5, (6, 11), {S.CONFIRMED: 30}),
    events_demo.ALSACE_SLUG: (33, time(8, 30), time(10, 30), None, (2, 9), {S.CONFIRMED: 7}),
}


def test_demo_events_dates_and_registrations_are_pinned(demo):
    today = timezone.localdate()
    local = timezone.localtime
    for slug, (offset, start, end, deadline, (ago, hour), statuses) in PINNED.items():
        event = demo[slug]
        day = today + timedelta(days=offset)
        assert (local(event.starts_at).date(), local(event.starts_at).time()) == (day, start), slug
        assert (local(event.ends_at).date(), local(event.ends_at).time()) == (day, end), slug
        if deadline is None:
            assert event.registration_deadline is None, slug
        else:
            closes = local(event.registration_deadline)
            assert (closes.date(), closes.time()) == (day - timedelta(days=deadline), time(18)), slug
        assert Counter(event.registrations.values_list("status", flat=True)) == statuses, slug
        registered = {local(at) for at in event.registrations.values_list("created_at", flat=True)}
        assert {(at.date(), at.time()) for at in registered} == {(today - timedelta(days=ago), time(hour))}, (
            slug
        )
    kinds = Counter(demo[events_demo.WORKSHOP_SLUG].workshop_items.values_list("kind", flat=True))
    assert kinds == {"agenda": 5, "note": 2, "decision": 2}


def test_past_meeting_has_attendance_and_history(demo):
    past = demo[events_demo.MEETING_SLUG]
    statuses = Counter(past.registrations.values_list("status", flat=True))
    assert statuses[S.ATTENDED] >= 10 and statuses[S.CONFIRMED] >= 1 and statuses[S.CANCELLED] >= 1
    for reg in past.registrations.filter(status=S.ATTENDED):
        assert reg.attended_at is not None and reg.checked_in_by is not None
        assert list(reg.history.values_list("to_state", flat=True).order_by("pk")) == [
            S.PENDING,
            S.CONFIRMED,
            S.ATTENDED,
        ]


def test_workshop_keeps_agenda_notes_and_decisions(demo, client):
    workshop = demo[events_demo.WORKSHOP_SLUG]
    assert workshop.kind == Event.Kind.WORKSHOP and workshop.title == "Atelier bien vieillir et numérique"
    kinds = Counter(workshop.workshop_items.values_list("kind", flat=True))
    assert kinds["agenda"] >= 3 and kinds["note"] >= 1 and kinds["decision"] >= 1
    page = client.get(workshop.get_absolute_url()).content.decode()
    assert "Ordre du jour" in page  # the public sees the agenda, not the notes
    assert "Décision" not in page


def test_speed_meeting_has_wishes_and_a_provisional_plan(demo):
    event = demo[events_demo.SPEED_MEETING_SLUG]
    sm = SpeedMeeting.objects.get(event=event)
    regs = list(event.registrations.select_related("organisation"))
    assert 25 <= len(regs) <= 35
    kinds = Counter(r.organisation.kind for r in regs)
    assert kinds["association"] >= 10 and kinds["company"] >= 10
    assert all(r.status == S.CONFIRMED for r in regs)
    assert Wish.objects.filter(source__event=event, level="must").exists()
    assert Wish.objects.filter(source__event=event, level="like").count() > len(regs)
    assert sm.state == SpeedMeeting.State.PROVISIONAL and sm.bipartite
    assert sm.upper_bound >= sm.total_value > 0 and sm.quality >= 99.5
    meetings = list(sm.meetings.select_related("a__organisation", "b__organisation"))
    assert len(meetings) >= len(regs)
    seen = set()
    per_round = Counter(m.round for m in meetings)
    for m in meetings:
        assert {m.a.organisation.kind, m.b.organisation.kind} == {"association", "company"}
        for reg in (m.a, m.b):
            assert (reg.pk, m.round) not in seen  # one meeting per person and round
            seen.add((reg.pk, m.round))
            unavailable = getattr(getattr(reg, "participation", None), "unavailable_rounds", [])
            assert m.round not in unavailable
        assert 1 <= m.table <= sm.tables and 0 <= m.round < sm.rounds
    assert max(per_round.values()) <= sm.tables
    # A demo account takes part, so that signing in shows a real agenda.
    rse = User.objects.get(email="rse.entreprise@demo.terreau.example.org")
    assert event.registrations.filter(user=rse, status=S.CONFIRMED).exists()


def test_demo_speed_meeting_pages_work(demo, client):
    event = demo[events_demo.SPEED_MEETING_SLUG]
    facilitator = User.objects.get(email=events_demo.POITOU_FACILITATOR)
    client.force_login(facilitator)
    planning = client.get(reverse("meetings:planning", kwargs={"slug": event.slug}))
    assert planning.status_code == 200
    assert "Planning provisoire publié" in planning.content.decode()
    client.logout()
    reg = event.registrations.filter(user__isnull=True).order_by("pk").first()
    token = make_token(reg.pk, "manage")
    page = client.get(reverse("events:registration", kwargs={"token": token})).content.decode()
    agenda_path = reverse("meetings:agenda_token", kwargs={"slug": event.slug, "token": token})
    assert agenda_path in page
    agenda = client.get(agenda_path).content.decode()
    assert "Planning provisoire" in agenda
    assert "Mes rendez-vous" in agenda


def test_reload_replaces_the_demo_events_and_keeps_real_ones(demo, django_capture_on_commit_callbacks):
    first = _counts()
    real = EventFactory(branch=demo[events_demo.MEETING_SLUG].branch)
    with django_capture_on_commit_callbacks(execute=True):
        loader.load_demo()
    assert Event.objects.filter(pk=real.pk, is_demo=False).exists()
    real.delete()
    assert _counts() == first
    assert mail.outbox == []
