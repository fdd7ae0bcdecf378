"""The diagnosis through its pages: a facilitator creates it, invites, opens the consultation; actors answer
without an account (public link, invitation, edit link), indicators are uploaded, key issues drafted with
their evidence, ranked by two organisations, chosen and published; the public page and the PDF. Bad input
everywhere: French messages, nothing saved, no 500."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from terreau.alliances import consultation, services
from terreau.alliances.models import Ballot, ConsultationAnswer, Diagnosis, IndicatorValue, KeyIssue
from terreau.territories.models import Department, Region
from tests.alliances.conftest import ANSWER
from tests.factories import NeedOfferFactory

pytestmark = pytest.mark.django_db
S = Diagnosis.State


def _form(data: dict) -> dict:
    return dict(data)


def _messages(response) -> str:
    return " ".join(re.findall(r'class="message[^"]*">([^<]*)<', response.content.decode()))


def test_facilitator_creates_and_edits_a_diagnosis(client, dw):
    client.force_login(dw.facilitator)
    data = {
        "branch": dw.branch.pk,
        "title": "Diagnostic Grand Poitiers",
        "summary": "",
        "period_start": "2026-01-01",
        "period_end": "2026-06-30",
        "consultation_closes_on": "",
        "departments": [],
        "epci_codes": "",
        "commune_codes": "86194 99999",
        "team": [dw.facilitator.pk],
    }
    response = client.post(reverse("alliances:diagnosis_create"), data)
    assert response.status_code == 200 and "99999" in response.content.decode()
    assert not Diagnosis.objects.filter(title="Diagnostic Grand Poitiers").exists()
    response = client.post(reverse("alliances:diagnosis_create"), {**data, "period_start": "2026-09-01"})
    assert "précède" in response.content.decode()
    response = client.post(reverse("alliances:diagnosis_create"), {**data, "period_start": "0002-01-01"})
    assert response.status_code == 200
    assert not Diagnosis.objects.filter(title="Diagnostic Grand Poitiers").exists()
    response = client.post(reverse("alliances:diagnosis_create"), {**data, "commune_codes": "86194"})
    diagnosis = Diagnosis.objects.get(title="Diagnostic Grand Poitiers")
    assert response.status_code == 302 and response["Location"] == reverse(
        "alliances:diagnosis", args=[diagnosis.pk]
    )
    assert [c.code for c in diagnosis.communes.all()] == ["86194"]
    for name in (
        "diagnosis",
        "diagnosis_consultation",
        "diagnosis_indicators",
        "diagnosis_knowledge",
        "diagnosis_key_issues",
        "diagnosis_publication",
        "diagnosis_edit",
        "indicators_upload",
        "key_issue_create",
        "diagnosis_public",
    ):
        assert client.get(reverse(f"alliances:{name}", args=[diagnosis.pk])).status_code == 200, name
    assert "Diagnostic Grand Poitiers" in client.get(reverse("alliances:diagnoses")).content.decode()


def _open(client, dw):
    client.force_login(dw.facilitator)
    client.post(
        reverse("alliances:diagnosis_invite", args=[dw.diagnosis.pk]),
        {"organisations": [dw.a.pk, dw.b.pk, dw.c.pk]},
    )
    response = client.post(
        reverse("alliances:diagnosis_move", args=[dw.diagnosis.pk]), {"to": S.CONSULTATION}
    )
    assert response.status_code == 302
    dw.diagnosis.refresh_from_db()
    assert dw.diagnosis.state == S.CONSULTATION


def test_consultation_by_invitation_public_link_and_edit_link(client, dw, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        _open(client, dw)
    invitation_mail = next(m for m in mail.outbox if m.to == ["alpha@example.org"])
    link = re.search(r"https?://\S+/alliances/consultation/invitation/\S+/", invitation_mail.body).group(0)
    client.logout()
    path = link.split("://", 1)[1].split("/", 1)[1]
    response = client.get("/" + path)
    assert response.status_code == 200 and "Atelier Alpha" in response.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/" + path, _form(ANSWER))
    answer = ConsultationAnswer.objects.get(organisation=dw.a)
    assert response["Location"] == reverse("alliances:consultation_edit", args=[answer.edit_token])
    # The same invitation link edits the answer afterwards: still one answer.
    client.post("/" + path, _form({**ANSWER, "issues": "Des besoins de mobilité."}))
    answer.refresh_from_db()
    assert answer.issues == "Des besoins de mobilité." and ConsultationAnswer.objects.count() == 1
    # The public link: a directory organisation already answered is refused, a typed name is accepted.
    public = reverse("alliances:consultation_public", args=[dw.diagnosis.public_token])
    response = client.post(public, _form({**ANSWER, "organisation": dw.a.pk}))
    assert response.status_code == 200 and "déjà répondu" in response.content.decode()
    response = client.post(public, _form({**ANSWER, "organisation_name": ""}))
    assert "Choisissez votre structure" in response.content.decode()
    response = client.post(public, _form({**ANSWER, "organisation_name": "Épicerie solidaire du quartier"}))
    assert response.status_code == 302
    assert ConsultationAnswer.objects.count() == 2
    response = client.post(public, _form({**ANSWER, "organisation_name": "epicerie SOLIDAIRE du quartier"}))
    assert "déjà répondu" in response.content.decode() and ConsultationAnswer.objects.count() == 2
    # The edit link works until the consultation closes; then nothing is saved.
    edit = reverse("alliances:consultation_edit", args=[answer.edit_token])
    assert client.get(edit).status_code == 200
    services.diagnosis_move(diagnosis=dw.diagnosis, to=S.ANALYSIS, by=dw.facilitator)
    response = client.post(edit, _form({**ANSWER, "issues": "Trop tard"}))
    assert response.status_code == 410 and "close" in response.content.decode()
    response = client.post(public, _form({**ANSWER, "organisation_name": "Retardataire"}))
    assert response.status_code == 410
    answer.refresh_from_db()
    assert answer.issues == "Des besoins de mobilité." and ConsultationAnswer.objects.count() == 2


@pytest.mark.parametrize(
    "token",
    ["abc", "00000000-0000-0000-0000-000000000000", "x" * 300, "%00", "6f1c2a9e-4b1d-4c1e-9a51-3d2f0b7c8e11"],
)
def test_tampered_links_show_a_french_page_and_save_nothing(client, dw, token):
    services.diagnosis_move(diagnosis=dw.diagnosis, to=S.CONSULTATION, by=dw.facilitator)
    for name in ("consultation_public", "consultation_invited", "consultation_edit", "ranking_link"):
        url = reverse(f"alliances:{name}", kwargs={"token": token})
        response = client.post(url, _form({**ANSWER, "organisation_name": "Pirate"}))
        assert response.status_code == 400, (name, response.status_code)
        assert "Ce lien ne fonctionne pas" in response.content.decode()
    assert ConsultationAnswer.objects.count() == 0


def _two_answers_and_issues(dw):
    services.diagnosis_move(diagnosis=dw.diagnosis, to=S.CONSULTATION, by=dw.facilitator)
    consultation.invite(diagnosis=dw.diagnosis, organisations=[dw.a, dw.b], by=dw.facilitator)
    a = consultation.answer_submit(diagnosis=dw.diagnosis, data=ANSWER, organisation=dw.a)
    b = consultation.answer_submit(diagnosis=dw.diagnosis, data=ANSWER, organisation=dw.b)
    issues = [
        services.key_issue_save(key_issue=KeyIssue(diagnosis=dw.diagnosis, title=t), by=dw.facilitator)
        for t in ("Bien vieillir", "Accès au numérique", "Emploi des jeunes")
    ]
    return a, b, issues


def test_key_issue_with_evidence_ranked_by_two_organisations_then_published(client, dw):
    a, b, (age, digital, youth) = _two_answers_and_issues(dw)
    need = NeedOfferFactory(organisation=dw.a, title="Visites de convivialité")
    client.force_login(dw.facilitator)
    response = client.post(
        reverse("alliances:key_issue_edit", args=[dw.diagnosis.pk, age.pk]),
        {
            "title": "Bien vieillir",
            "description": "Isolement des aînés",
            "themes": ["bien-vieillir"],
            "answers": [a.pk],
            "needs": [need.pk],
            "indicator_values": [],
        },
    )
    assert response.status_code == 302
    assert list(age.needs.all()) == [need] and list(age.answers.all()) == [a]
    # Ranking through A's answer edit link, and by B's member signed in.
    client.logout()
    link = reverse("alliances:ranking_link", args=[a.edit_token])
    page = client.get(link)
    assert page.status_code == 200 and "Bien vieillir" in page.content.decode()
    bad = client.post(link, {f"rank_{age.pk}": "1", f"rank_{digital.pk}": "1"})
    assert "même place" in bad.content.decode() and not Ballot.objects.exists()
    assert "au moins un" in client.post(link, {}).content.decode()
    unknown = client.post(link, {f"rank_{age.pk}": "9"})
    assert unknown.status_code == 200 and not Ballot.objects.exists()
    assert client.post(link, {f"rank_{age.pk}": "1", f"rank_{youth.pk}": "2"}).status_code == 302
    client.force_login(dw.member_b)
    member_url = reverse("alliances:ranking_member", args=[dw.diagnosis.pk])
    assert client.post(member_url, {f"rank_{digital.pk}": "1", f"rank_{age.pk}": "2"}).status_code == 302
    assert Ballot.objects.get(organisation=dw.b).ranking == [digital.pk, age.pk]
    # A member of an organisation not consulted: no ranking.
    client.force_login(dw.facilitator)
    response = client.get(reverse("alliances:diagnosis_key_issues", args=[dw.diagnosis.pk]))
    table = response.content.decode()
    assert "Décompte de Borda sur 2 classements" in table
    # Close, choose, publish.
    client.post(reverse("alliances:diagnosis_move", args=[dw.diagnosis.pk]), {"to": S.ANALYSIS})
    response = client.post(reverse("alliances:diagnosis_move", args=[dw.diagnosis.pk]), {"to": S.PUBLISHED})
    assert "Retenez au moins un enjeu" in _messages(client.get(response["Location"]))
    client.post(
        reverse("alliances:key_issues_choose", args=[dw.diagnosis.pk]), {"chosen": [age.pk, digital.pk]}
    )
    client.post(reverse("alliances:diagnosis_move", args=[dw.diagnosis.pk]), {"to": S.PUBLISHED})
    dw.diagnosis.refresh_from_db()
    assert dw.diagnosis.state == S.PUBLISHED
    # Public page and PDF, for anyone.
    client.logout()
    page = client.get(reverse("alliances:diagnosis_public", args=[dw.diagnosis.pk])).content.decode()
    assert (
        "Bien vieillir" in page and "Visites de convivialité" in page and "dominique@example.org" not in page
    )
    pdf = client.get(reverse("alliances:diagnosis_pdf", args=[dw.diagnosis.pk]))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    # After the analysis, ballots are closed: the link says so.
    assert client.post(link, {f"rank_{age.pk}": "1"}).status_code == 410
    assert Ballot.objects.get(organisation=dw.a).ranking == [age.pk, youth.pk]


def _upload(client, dw, text: str, **extra):
    upload = SimpleUploadedFile("indicateurs.csv", text.encode("utf-8"), content_type="text/csv")
    return client.post(
        reverse("alliances:indicators_upload", args=[dw.diagnosis.pk]),
        {"file": upload, "default_year": extra.get("year", ""), "default_source": extra.get("source", "")},
    )


def test_indicator_upload_report_tables_and_map(client, dw, django_capture_on_commit_callbacks):
    Department.objects.create(code="17", name="Charente-Maritime", region=Region.objects.get(code="75"))
    dw.diagnosis.departments.add("17")
    client.force_login(dw.facilitator)
    with django_capture_on_commit_callbacks(execute=True):  # the import job runs inline
        response = _upload(
            client,
            dw,
            "code;niveau;indicateur;annee;valeur;source\n"
            "86;departement;part_75_plus;2021;11,1;Insee\n"
            "17;departement;part_75_plus;2021;13,4;Insee\n"
            "75;region;part_75_plus;2021;12,0;Insee\n"
            "FR;france;part_75_plus;2021;9,8;Insee\n"
            "99;departement;part_75_plus;2021;10;Insee\n"
            "86;departement;part_75_plus;2021;11,5;Insee\n"
            "86;departement;chomage_15_24;2019;1 234,5;Insee\n"
            "86;departement;inconnu;2021;4;Insee\n"
            "86;departement;fragilite_numerique;20x1;4;Insee\n"
            "86;departement;part_75_plus;2016;10,4;Insee\n",
        )
    assert response.status_code == 302
    progress = client.get(response["Location"])  # the job's progress page, then its report
    report_url = progress.context["tracked"].result_url
    assert progress.status_code == 200 and report_url in progress.content.decode()
    report = client.get(report_url).content.decode()
    assert "10 lignes lues" in report and "6 valeurs enregistrées" in report and "4 lignes refusées" in report
    assert "« 99 » inconnu" in report and "doublon" in report and "inconnu" in report and "20x1" in report
    assert IndicatorValue.objects.get(code="86", year=2021, indicator__code="part_75_plus").value == Decimal(
        "11.1"
    )
    page = client.get(reverse("alliances:diagnosis_indicators", args=[dw.diagnosis.pk])).content.decode()
    assert "<svg" in page and "Charente-Maritime (17)" in page
    assert "12" in page and "9,8" in page  # regional and national references beside the values
    # Whole-file refusals: an empty file, no code column, a binary file.
    for text in ("", "nom;valeur\nx;1\n", "\x00\x01PK\x03\x04"):
        response = _upload(client, dw, text)
        assert response.status_code == 200 and 'class="errorlist' in response.content.decode()


def test_another_branch_and_members_see_nothing_unpublished(client, dw):
    from tests.factories import BranchRoleFactory

    other = BranchRoleFactory().user
    client.force_login(other)
    assert client.get(reverse("alliances:diagnosis", args=[dw.diagnosis.pk])).status_code == 404
    assert client.get(reverse("alliances:diagnosis_public", args=[dw.diagnosis.pk])).status_code == 404
    assert client.get(reverse("alliances:diagnosis_pdf", args=[dw.diagnosis.pk])).status_code == 404
    assert client.get("/api/diagnoses/").json()["count"] == 0
    client.force_login(dw.member_a)
    assert client.get(reverse("alliances:diagnosis", args=[dw.diagnosis.pk])).status_code == 404
    assert client.get(reverse("alliances:diagnoses")).status_code == 403


def test_extreme_dates_in_the_form_do_not_fail(client, dw):
    client.force_login(dw.facilitator)
    url = reverse("alliances:diagnosis_edit", args=[dw.diagnosis.pk])
    for start, end in (("9999-12-31", "9999-12-31"), ("0001-01-01", "2026-01-01"), ("2026-02-31", "abc")):
        response = client.post(
            url,
            {"title": "X", "period_start": start, "period_end": end, "departments": ["86"], "team": []},
        )
        assert response.status_code == 200
    dw.diagnosis.refresh_from_db()
    assert dw.diagnosis.period_start == date(2026, 1, 1)
