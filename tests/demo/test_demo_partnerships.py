"""The demo shows every capability in use: partnerships at each stage with their threads, next steps and
history, requests in the demo accounts' inboxes, site closures, volunteer absences, open incidents and no
session on a public holiday; loading twice gives the same rows."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from terreau.accounts.models import User
from terreau.activities.closed_days import public_holidays
from terreau.activities.models import ReportIncident, Session, SiteClosure, VolunteerAbsence
from terreau.demo.loader import load_demo
from terreau.demo.people import CONTACTS, USERS
from terreau.directory.models import Membership
from terreau.partnerships.models import (
    STAGE_ORDER,
    ContactRequest,
    ContactRequestChange,
    Partnership,
    PartnershipMessage,
    PartnershipStageChange,
    PartnershipStep,
)
from terreau.programs.models import Program
from terreau.territories.loader import load_territories

DEMO_DEPARTMENTS = {"16", "17", "79", "86", "67", "68"}


@pytest.fixture(autouse=True)
def _fast_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def demo(db, django_capture_on_commit_callbacks, mailoutbox):
    load_territories(departments=DEMO_DEPARTMENTS)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        load_demo()
    # The services e-mailed nobody, although they queued their e-mails as they would for real.
    assert callbacks and mailoutbox == []


def _counts() -> dict[str, int]:
    models = [
        Partnership,
        PartnershipMessage,
        PartnershipStep,
        PartnershipStageChange,
        ContactRequest,
        ContactRequestChange,
        SiteClosure,
        VolunteerAbsence,
        ReportIncident,
        User,
        Membership,
    ]
    return {model.__name__: model.objects.count() for model in models}


def _snapshot() -> set[tuple]:
    return set(
        Partnership.objects.values_list(
            "title", "stage", "kind", "origin", "branch__slug", "created_at__date"
        )
    ) | set(
        ContactRequest.objects.values_list("sender__slug", "recipient__slug", "status", "created_at__date")
    )


def test_every_stage_with_thread_steps_and_history(demo):
    partnerships = Partnership.objects.all()
    assert not partnerships.filter(is_demo=False).exists()
    assert set(partnerships.values_list("stage", flat=True)) == set(STAGE_ORDER)
    for slug in ("demo-poitou-charentes", "demo-alsace"):
        assert partnerships.filter(branch__slug=slug).count() >= 2, slug
    assert {"contact_request", "event"} <= set(partnerships.values_list("origin", flat=True))
    assert len(set(partnerships.exclude(kind="").values_list("kind", flat=True))) >= 3
    today = timezone.localdate()
    overdue = 0
    for p in partnerships.prefetch_related("partners"):
        assert all(org.is_demo for org in p.partners.all()), p
        # History: from the first stage through the pipeline to the current one, in date order.
        history = list(p.history.order_by("pk").values_list("from_state", "to_state", "at"))
        assert history[0][:2] == ("", "contact"), p
        assert history[-1][1] == p.stage, p
        assert [h[2] for h in history] == sorted(h[2] for h in history), p
        assert history[0][2] < timezone.now() and p.created_at <= p.updated_at, p
        # The thread: the request's message and its answer first, every message signed.
        messages = list(p.messages.order_by("created_at", "pk"))
        assert len(messages) >= 2, p
        assert all(m.author_id is not None for m in messages), p
        request = p.contact_request
        if request is not None:
            assert messages[0].body == request.message and messages[0].organisation_id == request.sender_id
            assert messages[1].body == request.answer and messages[1].organisation_id == request.recipient_id
            assert request.status == ContactRequest.Status.ACCEPTED
        # Next steps: owned by a partner's member, dated.
        steps = list(p.steps.all())
        assert steps, p
        members = set(
            Membership.objects.filter(organisation__in=p.partners.all()).values_list("user", flat=True)
        )
        for step in steps:
            assert step.owner_id in members and step.due_date is not None, step
            overdue += not step.done and step.due_date < today
    steps = PartnershipStep.objects.all()
    assert steps.filter(done_at__isnull=False).exists() and steps.filter(done_at__isnull=True).exists()
    assert steps.filter(done_at__isnull=True, due_date__gte=today).exists()
    assert overdue >= 1
    statuses = set(ContactRequest.objects.values_list("status", flat=True))
    assert statuses == {"pending", "accepted", "declined", "expired"}
    # Pending requests are still within their deadline, so the expiry job leaves them be.
    assert not ContactRequest.objects.overdue().exists()


def test_every_demo_role_sees_requests_or_a_pipeline(demo, client):
    by_role = {u.role_label: User.objects.get(email=u.email) for u in USERS}
    for label, user in by_role.items():
        client.force_login(user)
        if user.network_roles.exists() or user.branch_roles.exists() or user.memberships.exists():
            response = client.get("/partenariats/suivi/")
            assert response.status_code == 200, label
            assert response.context["pipeline"].total >= 2, label
        if user.memberships.exists():
            inbox = client.get("/partenariats/")
            assert inbox.status_code == 200, label
            assert inbox.context["received"] or inbox.context["sent"], label
            assert any(r.status == "pending" for r in [*inbox.context["received"], *inbox.context["sent"]]), (
                label
            )
            assert inbox.context["partnerships"].exists(), label
    admin = next(u for u in by_role.values() if u.network_roles.exists())
    client.force_login(admin)
    assert client.get("/partenariats/suivi/").context["pipeline"].total == Partnership.objects.count()
    # The partners' contacts write in the threads (or approve the demo charter) but are not printed among the
    # roles.
    from terreau.alliances.charter_models import CharterApproval

    assert {c.email for c in CONTACTS} <= set(
        PartnershipMessage.objects.values_list("author__email", flat=True)
    ) | set(ContactRequest.objects.values_list("sent_by__email", flat=True)) | set(
        CharterApproval.objects.values_list("approved_by__email", flat=True)
    )


def test_closures_absences_incidents_and_holidays(demo, client):
    program = Program.objects.get(is_demo=True)
    assert SiteClosure.objects.filter(site__program=program).count() >= 2
    assert VolunteerAbsence.objects.filter(mission__program=program).count() >= 2
    assert ReportIncident.objects.open_site_level().filter(report__session__site__program=program).exists()
    assert ReportIncident.objects.filter(site_level=True, resolved_at__isnull=False).exists()
    # No session on a closed day of its site, nor on a public holiday.
    for closure in SiteClosure.objects.filter(site__program=program):
        days = [
            closure.starts_on + timedelta(days=n)
            for n in range((closure.ends_on - closure.starts_on).days + 1)
        ]
        sessions = Session.objects.filter(site=closure.site, replaces__isnull=True)
        assert not [s for s in sessions if timezone.localtime(s.starts_at).date() in days], closure
    sessions = list(Session.objects.filter(site__program=program).select_related("site__commune"))
    first = min(timezone.localtime(s.starts_at).date() for s in sessions)
    last = max(timezone.localtime(s.starts_at).date() for s in sessions)
    for department in {s.site.commune.department_id for s in sessions}:
        holidays = public_holidays(department, first, last)
        assert holidays
        assert not [
            s
            for s in sessions
            if s.site.commune.department_id == department
            and timezone.localtime(s.starts_at).date() in holidays
        ]
    # Nobody is assigned a session on a day they are away.
    for absence in VolunteerAbsence.objects.filter(mission__program=program):
        assigned = absence.mission.sessions.all()
        assert not [
            s
            for s in assigned
            if absence.starts_on <= timezone.localtime(s.starts_at).date() <= absence.ends_on
        ], absence
    # The coordinator and the site staff see open incidents on the Incidents page.
    for email in ("coordination.silvergeek@demo.terreau.example.org", "equipe.site@demo.terreau.example.org"):
        client.force_login(User.objects.get(email=email))
        response = client.get(f"/programmes/{program.slug}/incidents/")
        assert response.status_code == 200, email
        items, sites = response.context["items"], response.context["sites"]
        assert list(items) or list(sites), email


def test_loading_twice_gives_the_same_partnerships(demo):
    first, snapshot = _counts(), _snapshot()
    load_demo()
    assert _counts() == first
    assert _snapshot() == snapshot
