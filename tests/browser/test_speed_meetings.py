"""Speed-meetings in the browser: a participant enters wishes, the organiser plans and publishes, the
participant downloads the agenda; axe-core on the wishes, planning and agenda pages."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from terreau.events.models import Registration
from terreau.meetings import services
from terreau.meetings.models import SpeedMeeting, Wish
from tests.browser.conftest import assert_accessible, login
from tests.browser.jobs import follow_job
from tests.factories import BranchFactory, BranchRoleFactory, EventFactory, OrganisationFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_wishes_plan_publish_and_agenda(page):
    branch = BranchFactory()
    organiser = UserFactory(email="orga@example.org")
    BranchRoleFactory(user=organiser, branch=branch)
    start = timezone.now() + timedelta(days=10)
    event = EventFactory(
        branch=branch, kind="speed_meeting", capacity=20, starts_at=start, ends_at=start + timedelta(hours=2)
    )
    asso_user = UserFactory(email="asso@example.org")
    regs = []
    for i, org in enumerate(
        [OrganisationFactory(branch=branch), OrganisationFactory(branch=branch)]
        + [OrganisationFactory(branch=branch, company=True) for _ in range(2)]
    ):
        regs.append(
            Registration.objects.create(
                event=event,
                name=f"Participant {i}",
                email=f"p{i}@example.org",
                organisation=org,
                user=asso_user if i == 0 else None,
                status=Registration.Status.CONFIRMED,
            )
        )
    services.speed_meeting_setup(
        event=event,
        data={"rounds": 2, "round_minutes": 15, "break_minutes": 5, "tables": 2, "wishes_deadline": start},
    )
    company = regs[2]

    login(page, "asso@example.org")
    page.goto(f"/rencontres/{event.slug}/rendez-vous/souhaits/")
    assert_accessible(page)
    page.get_by_role("group", name="Participant 2").get_by_label("Je dois le rencontrer").check()
    page.get_by_role("button", name="Enregistrer mes souhaits").click()
    page.get_by_text("Vos souhaits sont enregistrés").wait_for()
    assert Wish.objects.get(source=regs[0], target=company).level == "must"

    page.context.clear_cookies()
    login(page, "orga@example.org")
    page.goto(f"/rencontres/{event.slug}/rendez-vous/")
    page.get_by_role("button", name="Calculer le planning").click()
    # The plan is computed by a job: its progress page, then the planning page.
    follow_job(page, expect_text="Planning calculé")
    page.wait_for_url(f"**/rencontres/{event.slug}/rendez-vous/")
    page.get_by_role("button", name="Publier le planning provisoire").click()
    page.get_by_role("button", name="Publier le planning définitif").wait_for()
    assert_accessible(page)
    page.get_by_role("button", name="Publier le planning définitif").click()
    page.get_by_text("Planning définitif publié").first.wait_for()
    assert SpeedMeeting.objects.get(event=event).state == "final"

    page.context.clear_cookies()
    login(page, "asso@example.org")
    page.goto(f"/rencontres/{event.slug}/rendez-vous/agenda/")
    page.get_by_role("cell", name="Participant 2").wait_for()
    assert_accessible(page)
    with page.expect_download() as info:
        page.get_by_role("link", name="Télécharger mon agenda (PDF)").click()
    path = info.value.path()
    with open(path, "rb") as fh:
        assert fh.read(4) == b"%PDF"
