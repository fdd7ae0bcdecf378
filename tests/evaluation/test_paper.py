"""The printable paper questionnaire (terreau.evaluation.paper_pdf) and who may download it."""

from __future__ import annotations

from io import BytesIO

import pytest
from django.urls import reverse
from pypdf import PdfReader

from terreau.evaluation.paper_pdf import paper_pdf
from terreau.programs.models import ProgramRole
from tests.evaluation.factories import HostSiteFactory, ItemFactory
from tests.evaluation.test_collect import make_world
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(BytesIO(data)).pages)


def test_paper_questionnaire_is_a_real_pdf_with_its_questions():
    world = make_world()
    data = paper_pdf(instrument=world.instrument)
    assert data.startswith(b"%PDF")
    text = pdf_text(data)
    assert "Questionnaire des participants" in text
    assert "Je me sens moins seul" in text
    assert "Comment avez-vous connu les ateliers" in text
    assert "Par ma famille" in text
    assert "code personnel" in text
    assert "J'accepte de répondre" in text
    assert "Répondez seulement si vous avez répondu" in text  # the skip logic, in words


def test_hostile_text_does_not_break_the_pdf():
    world = make_world()
    world.instrument.title = "<b>&</para> titre"
    world.instrument.intro = "<img src='x'/> & <para>"
    world.instrument.save()
    ItemFactory(
        instrument=world.instrument,
        order=9,
        code="hostile",
        single=True,
        text="<b>&</para> question ?",
        choices=[{"value": "a", "label": "<i>choix & </para>"}],
    )
    text = pdf_text(paper_pdf(instrument=world.instrument))
    assert "<b>&</para> question ?" in text
    assert "<i>choix & </para>" in text


def test_paper_pdf_page_for_the_team_only(client):
    world = make_world()
    url = reverse("evaluation:paper_pdf", kwargs={"pk": world.instrument.pk})
    assert client.get(url).status_code == 302
    volunteer = UserFactory()
    ProgramRole.objects.create(program=world.program, user=volunteer, role="volunteer", site=world.site_a)
    client.force_login(volunteer)
    page = client.get(url)
    assert page.status_code == 200 and page["Content-Type"] == "application/pdf"
    assert page.content.startswith(b"%PDF")
    elsewhere = HostSiteFactory()
    stranger = UserFactory()
    ProgramRole.objects.create(program=elsewhere.program, user=stranger, role="volunteer", site=elsewhere)
    client.force_login(stranger)
    assert client.get(url).status_code == 404
    assert client.get(reverse("evaluation:paper_pdf", kwargs={"pk": 999999})).status_code == 404
