"""Outputs of an evaluation's program over its period (terreau.evaluation.outputs), on factory data: sessions
held in and out of the period, attendance, regular participants, volunteer hours valued at the year's default
rate, the program's partner contributions (cancelled and out-of-period ones left out), active sites."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from terreau.activities.models import Attendance, Mission, Session, SessionReport
from terreau.contributions.models import Contribution
from terreau.contributions.rules import rules
from terreau.evaluation import outputs
from tests.contributions.factories import ContributionFactory
from tests.evaluation.factories import EvaluationFactory, HostSiteFactory, ParticipantFactory
from tests.factories import OrganisationFactory

pytestmark = pytest.mark.django_db


def _held(site, day, people=(), volunteers=(), minutes=120):
    session = Session.objects.create(
        site=site,
        starts_at=timezone.make_aware(datetime.datetime.combine(day, datetime.time(14, 0))),
        duration_minutes=minutes,
        status=Session.Status.HELD,
    )
    report = SessionReport.objects.create(
        session=session, held=True, headcount=len(people), duration_minutes=minutes
    )
    for person in people:
        Attendance.objects.create(report=report, participant=person)
    session.volunteers.add(*volunteers)
    return session


def test_outputs_over_the_period():
    site = HostSiteFactory()
    program = site.program
    idle = HostSiteFactory(program=program)
    evaluation = EvaluationFactory(
        program=program, period_start=datetime.date(2025, 1, 1), period_end=datetime.date(2025, 6, 30)
    )
    regular, once = ParticipantFactory(site=site), ParticipantFactory(site=site)
    for p in (regular, once):
        type(p).objects.filter(pk=p.pk).update(created_at=timezone.make_aware(datetime.datetime(2024, 12, 1)))
    mission = Mission.objects.create(
        program=program,
        first_name="Léa",
        last_name="Martin",
        birth_date=datetime.date(2004, 5, 1),
        host_organisation=OrganisationFactory(branch=program.branch),
        starts_on=datetime.date(2025, 1, 1),
        ends_on=datetime.date(2025, 9, 30),
        weekly_hours=24,
    )
    days = [datetime.date(2025, 2, d) for d in (4, 11, 18, 25)]
    for i, day in enumerate(days):
        _held(site, day, people=[regular] + ([once] if i == 0 else []), volunteers=[mission])
    _held(site, datetime.date(2025, 8, 5), people=[regular, once], volunteers=[mission])  # after the period
    Session.objects.create(
        site=site,
        starts_at=timezone.make_aware(datetime.datetime(2025, 3, 4, 14)),
        status=Session.Status.CANCELLED,
    )
    ContributionFactory(branch=program.branch, program=program, pledged_on=datetime.date(2025, 3, 1))
    ContributionFactory(
        branch=program.branch, program=program, pledged_on=datetime.date(2025, 4, 1), in_kind_equipment=True
    )
    ContributionFactory(
        branch=program.branch,
        program=program,
        pledged_on=datetime.date(2025, 4, 1),
        state=Contribution.State.CANCELLED,
    )
    ContributionFactory(branch=program.branch, program=program, pledged_on=datetime.date(2024, 12, 1))
    ContributionFactory(branch=program.branch, pledged_on=datetime.date(2025, 3, 1))  # another program's

    out = outputs.compute(evaluation=evaluation)

    assert (out.sessions_held, out.sessions_planned) == (4, 5)
    assert out.attendance == 5
    assert out.participants_reached == 2
    assert out.regular_participants == 1  # 4 of 4 sessions; the other came once
    assert out.volunteer_hours == 8.0  # 4 sessions × 2 h × 1 volunteer
    assert out.volunteer_value == (Decimal("8") * rules().hourly_rate(2025).value).quantize(Decimal("0.01"))
    assert (out.contributions_count, out.contributions_value) == (2, Decimal("2200.00"))
    assert (out.sites_active, out.sites_total) == (1, 2)
    assert idle.pk in out.sites
    assert out.value("sessions_held") == 4 and out.value("nonsense") is None
    assert out.as_dict()["contributions_value"] == 2200.0


def test_outputs_of_a_program_without_activity():
    evaluation = EvaluationFactory()
    out = outputs.compute(evaluation=evaluation)
    assert (out.sessions_held, out.participants_reached, out.regular_participants, out.sites_total) == (
        0,
        0,
        0,
        0,
    )
    assert out.volunteer_value == Decimal("0.00")
