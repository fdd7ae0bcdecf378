"""Program, site and equipment pages: the permission matrix and the main flows through the web."""

from __future__ import annotations

from unittest import mock

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.db.models import QuerySet
from django.urls import reverse

from terreau.programs.equipment import Incident, ItemState, ProgramDocument
from terreau.programs.kits import kit_assemble, kit_deliver
from terreau.programs.models import ProgramPartner, ProgramRole
from terreau.programs.team import team_add
from tests.factories import OrganisationFactory, UserFactory
from tests.programs.test_programs_support import make_items, make_program, people

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    program, site_a, site_b, kit_model = make_program()
    users = people(program, site_a)
    items = make_items(program)
    kit = kit_assemble(kit_model=kit_model, items=items, code="K-A", by=users["coordinator"])
    kit_deliver(kit=kit, site=site_a, by=users["coordinator"])
    items_b = make_items(program, prefix="B")
    kit_b = kit_assemble(kit_model=kit_model, items=items_b, code="K-B", by=users["coordinator"])
    kit_deliver(kit=kit_b, site=site_b, by=users["coordinator"])
    return {
        "program": program,
        "a": site_a,
        "b": site_b,
        "kit": kit,
        "kit_b": kit_b,
        "items": items,
        "items_b": items_b,
        **users,
    }


def _urls(w):
    slug = w["program"].slug
    return {
        "program": reverse("programs:detail", args=[slug]),
        "site_a": reverse("programs:site", args=[slug, w["a"].pk]),
        "site_b": reverse("programs:site", args=[slug, w["b"].pk]),
        "overview": reverse("programs:equipment", args=[slug]),
        "pdf": reverse("programs:delivery_note", args=[slug, w["kit"].pk]),
    }


OK, NO = 200, 404
MATRIX = {
    "coordinator": {"program": OK, "site_a": OK, "site_b": OK, "overview": OK, "pdf": OK},
    "staff_a": {"program": NO, "site_a": OK, "site_b": NO, "overview": NO, "pdf": OK},
    "volunteer_a": {"program": NO, "site_a": OK, "site_b": NO, "overview": NO, "pdf": OK},
    "viewer": {"program": OK, "site_a": OK, "site_b": OK, "overview": OK, "pdf": OK},
    "facilitator": {"program": OK, "site_a": OK, "site_b": OK, "overview": OK, "pdf": OK},
    "other": {"program": NO, "site_a": NO, "site_b": NO, "overview": NO, "pdf": NO},
    "anonymous": {"program": NO, "site_a": 302, "site_b": 302, "overview": 302, "pdf": 302},
}


@pytest.mark.parametrize("who", list(MATRIX))
def test_permission_matrix(client, world, who):
    if who != "anonymous":
        client.force_login(world[who])
    urls = _urls(world)
    got = {page: client.get(url).status_code for page, url in urls.items()}
    assert got == MATRIX[who]


def test_delivery_note_is_a_pdf_listing_the_serials(client, world):
    client.force_login(world["coordinator"])
    response = client.get(_urls(world)["pdf"])
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")


def test_site_staff_see_only_their_site_items_and_no_other_serials(client, world):
    client.force_login(world["staff_a"])
    page = client.get(_urls(world)["site_a"]).content.decode()
    assert world["items"][0].serial_number in page
    assert world["items_b"][0].serial_number not in page
    slug = world["program"].slug
    assert client.get(reverse("programs:item", args=[slug, world["items_b"][0].pk])).status_code == 404
    assert client.get(reverse("programs:kit", args=[slug, world["kit_b"].pk])).status_code == 404
    listing = client.get(reverse("programs:list")).content.decode()
    assert world["a"].name in listing and world["b"].name not in listing
    sites = client.get(reverse("programs:sites", args=[slug])).content.decode()
    assert world["a"].name in sites and world["b"].name not in sites


def test_site_staff_report_an_incident_at_their_site_only(client, world):
    client.force_login(world["staff_a"])
    slug = world["program"].slug
    item = world["items"][0]
    response = client.post(
        reverse("programs:item_incident", args=[slug, item.pk]), {"kind": "broken", "note": "écran"}
    )
    assert response.status_code == 302
    assert Incident.objects.filter(item=item, kind="broken").exists()
    other = world["items_b"][0]
    assert (
        client.post(reverse("programs:item_incident", args=[slug, other.pk]), {"kind": "lost"}).status_code
        == 404
    )
    # Coordination actions are not theirs.
    assert client.post(reverse("programs:item_action", args=[slug, item.pk, "reparation"])).status_code == 404
    assert client.post(reverse("programs:kit_swap", args=[slug, world["kit"].pk])).status_code == 404


def test_partner_viewer_reads_but_cannot_change(client, world):
    client.force_login(world["viewer"])
    slug = world["program"].slug
    assert client.get(reverse("programs:edit", args=[slug])).status_code == 403
    assert client.post(reverse("programs:kits", args=[slug]), {"code": "X"}).status_code == 403
    item = world["items"][0]
    assert (
        client.post(reverse("programs:item_incident", args=[slug, item.pk]), {"kind": "lost"}).status_code
        == 403
    )
    item.refresh_from_db()
    assert item.state == ItemState.AT_SITE


def test_coordinator_assembles_and_delivers_through_the_pages(client, world):
    client.force_login(world["coordinator"])
    program = world["program"]
    slug = program.slug
    new_items = make_items(program, prefix="N")
    response = client.post(
        reverse("programs:kits", args=[slug]),
        {"kit_model": program.kit_models.get().pk, "code": "K-N", "items": [i.pk for i in new_items]},
    )
    kit = program.kits.get(code="K-N")
    assert response.status_code == 302 and response["Location"] == reverse(
        "programs:kit", args=[slug, kit.pk]
    )
    # Site b already holds kit K-B: delivered once confirmed (tests/programs/test_kit_second_delivery.py).
    response = client.post(
        reverse("programs:kit_deliver", args=[slug, kit.pk]), {"site": world["b"].pk, "confirm": "1"}
    )
    kit.refresh_from_db()
    assert kit.state == "delivered" and kit.site == world["b"]
    page = client.get(reverse("programs:kit", args=[slug, kit.pk])).content.decode()
    assert reverse("programs:delivery_note", args=[slug, kit.pk]) in page
    # Wrong composition: a French message, no 500, nothing created.
    response = client.post(
        reverse("programs:kits", args=[slug]),
        {
            "kit_model": program.kit_models.get().pk,
            "code": "K-Z",
            "items": [make_items(program, prefix="Z", consoles=0, projectors=0)[0].pk],
        },
        follow=True,
    )
    assert response.status_code == 200 and "composition" in response.content.decode()
    assert not program.kits.filter(code="K-Z").exists()


def test_time_windows_are_validated(client, world):
    client.force_login(world["staff_a"])
    slug, site = world["program"].slug, world["a"]
    url = reverse("programs:site_edit", args=[slug, site.pk])
    base = {"name": site.name, "creneaux-TOTAL_FORMS": "2", "creneaux-INITIAL_FORMS": "0"}
    response = client.post(
        url, {**base, "creneaux-0-weekday": "2", "creneaux-0-start": "14:00", "creneaux-0-end": "16:30"}
    )
    assert response.status_code == 302
    site.refresh_from_db()
    assert site.time_windows == [{"weekday": 2, "start": "14:00", "end": "16:30"}]
    response = client.post(
        url, {**base, "creneaux-0-weekday": "2", "creneaux-0-start": "16:00", "creneaux-0-end": "15:00"}
    )
    assert response.status_code == 200 and "finir après" in response.content.decode()
    assert client.get(reverse("programs:site_edit", args=[slug, world["b"].pk])).status_code == 404


def test_inventory_page_flags_missing(client, world):
    client.force_login(world["staff_a"])
    slug, site = world["program"].slug, world["a"]
    seen = [i.pk for i in world["items"][1:]]
    response = client.post(reverse("programs:inventory", args=[slug, site.pk]), {"seen": seen}, follow=True)
    assert "1 équipement manquant." in response.content.decode()
    assert list(site.inventory_checks.get().missing.all()) == [world["items"][0]]


def test_team_add_and_documents(client, world, django_capture_on_commit_callbacks):
    client.force_login(world["coordinator"])
    slug = world["program"].slug
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("programs:team", args=[slug]),
            {"email": "Nouvelle@Example.org", "role": "site_staff", "site": world["b"].pk},
        )
    assert response.status_code == 302
    assert ProgramRole.objects.filter(user__email="nouvelle@example.org", site=world["b"]).exists()
    assert "mot de passe" in mail.outbox[-1].body
    response = client.post(
        reverse("programs:team", args=[slug]), {"email": "x@example.org", "role": "volunteer"}
    )
    assert "Choisissez le site" in response.content.decode()
    upload = reverse("programs:document_upload", args=[slug])
    client.post(
        upload,
        {"title": "Convention", "file": SimpleUploadedFile("c.pdf", b"%PDF-1.4 test", "application/pdf")},
    )
    assert ProgramDocument.objects.filter(title="Convention").exists()
    response = client.post(
        upload, {"file": SimpleUploadedFile("x.exe", b"MZ....", "application/octet-stream")}, follow=True
    )
    assert "Type de fichier refusé" in response.content.decode()
    response = client.post(
        upload, {"file": SimpleUploadedFile("fake.pdf", b"<html>", "application/pdf")}, follow=True
    )
    assert "ne correspond pas" in response.content.decode()
    assert ProgramDocument.objects.count() == 1
    doc = ProgramDocument.objects.get()
    client.force_login(world["other"])
    assert client.get(reverse("programs:document", args=[slug, doc.pk])).status_code == 404


def test_partners_are_set_by_the_coordinator(client, world):
    client.force_login(world["coordinator"])
    program = world["program"]
    org = OrganisationFactory(branch=program.branch)
    response = client.post(
        reverse("programs:partners", args=[program.slug]),
        {"organisation": org.pk, "roles": ["kits", "budget"]},
    )
    assert response.status_code == 302
    assert ProgramPartner.objects.get(program=program, organisation=org).roles == ["kits", "budget"]
    page = client.get(program.get_absolute_url()).content.decode()
    assert "Kits et matériel" in page


def test_a_role_without_site_cannot_be_duplicated(world):
    program, coordinator = world["program"], world["coordinator"]
    # NULL sites are distinct for the (program, user, role, site) constraint: the conditional one catches them.
    for role, site in (("coordinator", None), ("partner_viewer", None), ("site_staff", world["a"])):
        user = world["viewer"] if role == "partner_viewer" else world["staff_a"] if site else coordinator
        with pytest.raises(IntegrityError), transaction.atomic():
            ProgramRole.objects.create(program=program, user=user, role=role, site=site)
    with pytest.raises(ValidationError, match="déjà ce rôle"):
        ProgramRole(program=program, user=coordinator, role="coordinator").validate_constraints()
    # Another role, another user or another program stays possible.
    ProgramRole.objects.create(program=program, user=coordinator, role="partner_viewer")
    ProgramRole.objects.create(program=program, user=UserFactory(), role="coordinator")
    other, *_ = make_program(slug="autre-programme")
    ProgramRole.objects.create(program=other, user=coordinator, role="coordinator")
    assert ProgramRole.objects.filter(user=coordinator, role="coordinator", site=None).count() == 2


def test_adding_a_role_twice_gives_a_french_message(client, world):
    client.force_login(world["coordinator"])
    program = world["program"]
    url = reverse("programs:team", args=[program.slug])
    response = client.post(url, {"email": world["viewer"].email, "role": "partner_viewer"})
    assert response.status_code == 200
    assert "Cette personne a déjà ce rôle dans le programme." in response.content.decode()
    assert ProgramRole.objects.filter(program=program, user=world["viewer"]).count() == 1
    # Two requests at once both pass the check: the database refuses the second row, still no 500.
    with (
        mock.patch.object(QuerySet, "exists", return_value=False),
        pytest.raises(ValidationError, match="déjà ce rôle"),
    ):
        team_add(
            program=program,
            email=world["coordinator"].email,
            role="coordinator",
            by=world["coordinator"],
            site_url="http://testserver",
        )
    assert ProgramRole.objects.filter(program=program, user=world["coordinator"]).count() == 1
    assert mail.outbox == []


@pytest.mark.django_db(transaction=True)
def test_migration_removes_duplicate_roles_keeping_the_oldest():
    program, site, _site_b, _model = make_program(slug="doublons")
    user, other = UserFactory(), UserFactory()
    before, after = [("programs", "0002_equipment")], [("programs", "0003_programrole_unique_without_site")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    # The rows are written with the model as it was at 0002 (later migrations add columns).
    old_role = executor.loader.project_state(before).apps.get_model("programs", "ProgramRole")
    try:
        try:
            first = old_role.objects.create(program_id=program.pk, user_id=user.pk, role="coordinator")
            for _ in range(2):
                old_role.objects.create(program_id=program.pk, user_id=user.pk, role="coordinator")
            kept = [
                first,
                old_role.objects.create(program_id=program.pk, user_id=user.pk, role="partner_viewer"),
                old_role.objects.create(program_id=program.pk, user_id=other.pk, role="coordinator"),
                old_role.objects.create(
                    program_id=program.pk, user_id=user.pk, role="site_staff", site_id=site.pk
                ),
            ]
        finally:
            MigrationExecutor(connection).migrate(after)
        assert sorted(ProgramRole.objects.values_list("pk", flat=True)) == sorted(r.pk for r in kept)
    finally:
        latest = MigrationExecutor(connection)
        latest.migrate(latest.loader.graph.leaf_nodes())
