"""Speed-meetings in the browser, after the event: both sides rate their meeting (one with an account, one
through the signed link of their registration), one says "partnership", and the partnership appears in the
facilitator's pipeline; axe-core on the feedback page and the pipeline."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from terreau.events.models import Registration
from terreau.events.tokens import make_token
from terreau.meetings import plans, services
from terreau.meetings.models import Feedback, Meeting, SpeedMeeting, Wish
from terreau.partnerships.models import Partnership
from tests.browser.conftest import assert_accessible, login
from tests.factories import BranchFactory, BranchRoleFactory, EventFactory, OrganisationFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def _past_speed_meeting():
    """A speed-meeting held this morning: one association, one company, a final plan with one meeting."""
    branch = BranchFactory()
    facilitator = UserFactory(email="animatrice@example.org")
    BranchRoleFactory(user=facilitator, branch=branch)
    start = timezone.now() - timedelta(hours=3)
    event = EventFactory(
        branch=branch,
        kind="speed_meeting",
        title="Rendez-vous solidaires",
        capacity=10,
        starts_at=start,
        ends_at=start + timedelta(hours=2),
    )
    asso_user = UserFactory(email="asso@example.org")
    asso_org = OrganisationFactory(branch=branch, name="Les Petits Débrouillards du Clain")
    company_org = OrganisationFactory(branch=branch, company=True, name="Imprimerie Pictave")
    asso = Registration.objects.create(
        event=event,
        name="Alice Asso",
        email="asso@example.org",
        organisation=asso_org,
        user=asso_user,
        status=Registration.Status.ATTENDED,
    )
    company = Registration.objects.create(
        event=event,
        name="Bruno Boîte",
        email="bruno@example.org",
        organisation=company_org,
        status=Registration.Status.ATTENDED,
    )
    sm = services.speed_meeting_setup(
        event=event,
        data={"rounds": 2, "round_minutes": 15, "break_minutes": 5, "tables": 1, "wishes_deadline": start},
        by=facilitator,
    )
    Wish.objects.create(source=asso, target=company, level=Wish.Level.MUST)
    plans.plan_run(sm=sm, by=facilitator)
    plans.plan_publish(sm=sm, final=False, by=facilitator)
    plans.plan_publish(sm=sm, final=True, by=facilitator)
    return event, sm, asso, company


def _rate(page, *, rating: str, follow_up: str) -> None:
    page.get_by_role("group", name="Note").get_by_label(rating, exact=True).check()
    page.get_by_label(follow_up).check()
    page.get_by_role("button", name="Donner mon avis").click()
    page.get_by_text("Merci, votre avis est enregistré").wait_for()


def test_feedback_opens_a_partnership_in_the_pipeline(page):
    event, sm, asso, company = _past_speed_meeting()
    meeting = Meeting.objects.get(speed_meeting=sm)
    assert SpeedMeeting.objects.get(pk=sm.pk).state == "final"

    # The association's member, signed in, rates the meeting and wants a partnership.
    login(page, "asso@example.org")
    page.goto(f"/rencontres/{event.slug}/rendez-vous/avis/")
    page.get_by_role("heading", name="Tour 1 : Bruno Boîte — Imprimerie Pictave").wait_for()
    assert_accessible(page)
    _rate(page, rating="5", follow_up="Construire un partenariat")
    assert Feedback.objects.get(meeting=meeting, registration=asso).follow_up == "partnership"

    # The company's representative has no account: from their registration page to the feedback page.
    page.context.clear_cookies()
    page.goto(f"/rencontres/inscription/{make_token(company.pk, 'manage')}/")
    page.get_by_role("link", name="Mon avis sur les rendez-vous").click()
    page.get_by_role("heading", name="Mon avis sur les rendez-vous").wait_for()
    _rate(page, rating="4", follow_up="Se revoir / échanger")
    assert Feedback.objects.get(meeting=meeting, registration=company).rating == 4

    partnership = Partnership.objects.get(origin=Partnership.Origin.EVENT)
    assert partnership.branch_id == event.branch_id
    assert set(partnership.partners.values_list("name", flat=True)) == {
        "Les Petits Débrouillards du Clain",
        "Imprimerie Pictave",
    }

    # The facilitator finds it in the branch's pipeline.
    page.context.clear_cookies()
    login(page, "animatrice@example.org")
    page.goto("/partenariats/suivi/")
    page.get_by_text("Les Petits Débrouillards du Clain × Imprimerie Pictave").first.wait_for()
    assert_accessible(page)
