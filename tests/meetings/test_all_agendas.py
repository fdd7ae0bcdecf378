"""Every participant's agenda in one PDF for the organisers: one page per participant with meetings, their
names escaped, the planning page links to it, participants and other branches do not get it."""

from __future__ import annotations

from io import BytesIO

import pytest
from django.urls import reverse
from pypdf import PdfReader

from terreau.meetings import agendas
from terreau.meetings.agenda_views import agendas_by_participant
from tests.factories import BranchFactory, BranchRoleFactory, UserFactory
from tests.meetings.test_speed_meetings import _published, world  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db


def test_all_agendas_pdf_has_one_page_per_participant_with_meetings(world, client):  # noqa: F811
    sm = _published(world, final=False)
    # A hostile name is printed as text, never read as markup.
    first = world["assos"][0]
    first.name = "Zoé <b>&</b> Cie"
    first.save(update_fields=["name"])
    with_meetings = [r for r in world["assos"] + world["companies"] if agendas.agenda_of(sm, r)]
    assert with_meetings
    client.force_login(world["organiser"])
    slug = sm.event.slug
    planning = client.get(reverse("meetings:planning", kwargs={"slug": slug})).content.decode()
    url = reverse("meetings:all_agendas", kwargs={"slug": slug})
    assert url in planning
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    reader = PdfReader(BytesIO(response.content))
    assert len(reader.pages) == len(with_meetings) == len(agendas_by_participant(sm))
    for page, (registration, meetings) in zip(reader.pages, agendas_by_participant(sm), strict=True):
        text = page.extract_text()
        assert "Mes rendez-vous" in text
        assert registration.name in text
        for m in meetings:
            assert m.other(registration).name in text
    assert "Zoé <b>&</b> Cie" in "".join(p.extract_text() for p in reader.pages)


def test_all_agendas_pdf_is_for_organisers_only(world, client):  # noqa: F811
    sm = _published(world)
    url = reverse("meetings:all_agendas", kwargs={"slug": sm.event.slug})
    client.force_login(world["users"][0])  # a participant
    assert client.get(url).status_code == 404
    other = UserFactory()
    BranchRoleFactory(user=other, branch=BranchFactory())
    client.force_login(other)
    assert client.get(url).status_code == 404
    client.logout()
    assert client.get(url).status_code == 302


def test_all_agendas_pdf_before_planning_is_404(world, client):  # noqa: F811
    client.force_login(world["organiser"])
    assert (
        client.get(reverse("meetings:all_agendas", kwargs={"slug": world["event"].slug})).status_code == 404
    )
