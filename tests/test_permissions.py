"""THE permission matrix: who may see and change what, through the pages and through the API.

The world (built afresh for each case):
- network 1 has branch 1; network 2 has branch 2 (so network 1's administrator has no right on branch 2);
- org A "Atelier Alpha": public, branch 1, with private notes, a public need and a private need;
- org B "Bureau Beta": public, branch 1; org C "Collectif Gamma": private, branch 1;
- org D "Domaine Delta": private, branch 2.

Actors: anonymous; member of A; member of B; facilitator of branch 1; facilitator of branch 2;
administrator of network 1; superuser.

Cells:
  200 / 401 / 403 / 404   the exact HTTP status (pages: allowed 200, invisible 404, visible but not allowed 403)
  login                   302 to the login page (anonymous on a login-required page), nothing changed
  ok                      an allowed, valid form post: saved, then a redirect elsewhere than login
  yes                     answered 200 and the object (or the notes) is in the response
  no                      the object (or the notes) is not in the response, whatever the status (never 5xx)
  kept                    the forged value was not saved (any status but 5xx)
  -                       not checked (behaviour left to the page: e.g. whether staff see notes there)

Actions:
  page_view      org: its profile page; need/notes: shown on A's profile page; import: the import page
  api_retrieve   GET /api/organisations/<slug>/ or /api/needs/<id>/ (notes: the private_notes field)
  api_list       in GET /api/organisations/ or /api/needs/
  search         in the search page for a word of its name (need: A, in the results of a search for a
                 word found only in the need's title)
  export         in the CSV export of the directory
  edit_get       GET its edit page (notes: shown in A's edit page)
  edit_post      POST its edit page with forged values; when refused nothing changes
  api_update     PATCH through the API; when refused nothing changes

A second matrix (EVENT_MATRIX) covers events, whose named organisers run them beside their branch's staff,
and registrations, which their registrant sees (their own only). Its world adds to the one above, in branch 1:
a published speed-meeting A organised by "organiser_a" (not branch staff), where "registrant" has a
registration (reg_own) beside someone else's (reg_a); a published speed-meeting B of the same branch with a
registration (reg_b); a draft (unpublished) meeting organised by "organiser_a".

Event actions:
  page_view      its public page             run_links      the organisers' tools shown on its page
  edit_get       its edit page               registrations  its list of registrations
  checkin        its check-in page           planning       its speed-meeting planning (404 unless run)
Registration actions (the name of the person in the page):
  agenda         the speed-meeting agenda of the signed-in participant (without a link token)
  event_link     the participant's link to their speed-meeting pages, on the event page
  listed         the event's list of registrations
  qr_checkin     opening the registration's QR code checks the person in ("yes") or not ("no")
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from terreau.core.access import editable, owned, visible
from terreau.directory.models import Membership, NeedOffer, Organisation
from terreau.events import tokens
from terreau.events.models import Event, Registration
from terreau.meetings import services as meeting_services
from tests.factories import (
    BranchFactory,
    BranchRoleFactory,
    EventFactory,
    MembershipFactory,
    NeedOfferFactory,
    NetworkFactory,
    NetworkRoleFactory,
    OrganisationFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

MATRIX = """
object        action         anonymous  member_a  member_b  facilitator_1  facilitator_2  network_admin_1  superuser
org_a         page_view      200        200       200       200            200            200              200
org_a         api_retrieve   200        200       200       200            200            200              200
org_a         api_list       yes        yes       yes       yes            yes            yes              yes
org_a         search         yes        yes       yes       yes            yes            yes              yes
org_a         export         yes        yes       yes       yes            yes            yes              yes
org_a         edit_get       login      200       403       200            403            200              200
org_a         edit_post      login      ok        403       ok             403            ok               ok
org_a         api_update     401        200       403       200            403            200              200
org_c         page_view      404        404       404       200            404            200              200
org_c         api_retrieve   404        404       404       200            404            200              200
org_c         api_list       no         no        no        yes            no             yes              yes
org_c         search         no         no        no        yes            no             yes              yes
org_c         export         no         no        no        yes            no             yes              yes
org_c         edit_get       login      404       404       200            404            200              200
org_c         edit_post      login      404       404       ok             404            ok               ok
org_c         api_update     401        404       404       200            404            200              200
org_d         page_view      404        404       404       404            200            404              200
org_d         api_retrieve   404        404       404       404            200            404              200
org_d         api_list       no         no        no        no             yes            no               yes
org_d         search         no         no        no        no             yes            no               yes
org_d         export         no         no        no        no             yes            no               yes
org_d         edit_get       login      404       404       404            200            404              200
org_d         edit_post      login      404       404       404            ok             404              ok
org_d         api_update     401        404       404       404            200            404              200
need_public   page_view      yes        yes       yes       yes            yes            yes              yes
need_public   api_retrieve   200        200       200       200            200            200              200
need_public   api_list       yes        yes       yes       yes            yes            yes              yes
need_public   search         yes        yes       yes       yes            yes            yes              yes
need_public   edit_get       login      200       403       200            403            200              200
need_public   edit_post      login      ok        403       ok             403            ok               ok
need_public   api_update     401        200       403       200            403            200              200
need_private  page_view      no         yes       no        yes            no             yes              yes
need_private  api_retrieve   404        200       404       200            404            200              200
need_private  api_list       no         yes       no        yes            no             yes              yes
need_private  search         no         yes       no        yes            no             yes              yes
need_private  edit_get       login      200       404       200            404            200              200
need_private  edit_post      login      ok        404       ok             404            ok               ok
need_private  api_update     401        200       404       200            404            200              200
notes_a       page_view      no         no        no        -              no             -                -
notes_a       api_retrieve   no         no        no        yes            no             yes              yes
notes_a       api_list       no         no        no        yes            no             yes              yes
notes_a       export         no         no        no        -              no             -                -
notes_a       edit_get       no         no        no        -              no             -                -
notes_a       edit_post      kept       kept      kept      -              kept           -                -
notes_a       api_update     401        403       403       200            403            200              200
import        page_view      login      403       403       200            200            200              200
"""


def _parse(table: str) -> tuple[list[str], list[tuple[str, str, str, str]]]:
    lines = [line.split() for line in table.strip().splitlines()]
    actors = lines[0][2:]
    cells = [
        (obj, action, actor, expected)
        for obj, action, *row in lines[1:]
        for actor, expected in zip(actors, row, strict=True)
    ]
    return actors, cells


ACTORS, CELLS = _parse(MATRIX)
NOTES = "NOTE-INTERNE-ALPHA"
FORGED = "VALEUR-FORGEE"


@dataclass
class World:
    a: Organisation
    b: Organisation
    c: Organisation
    d: Organisation
    need_public: NeedOffer
    need_private: NeedOffer
    branch1: Any
    branch2: Any
    network1: Any


@pytest.fixture(autouse=True)
def _fast_and_fresh(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    cache.clear()  # API throttling counters
    yield
    cache.clear()


@pytest.fixture
def world() -> World:
    network1, network2 = NetworkFactory(slug="reseau-1"), NetworkFactory(slug="reseau-2")
    branch1 = BranchFactory(network=network1, slug="antenne-1")
    branch2 = BranchFactory(network=network2, slug="antenne-2")
    a = OrganisationFactory(name="Atelier Alpha", slug="atelier-alpha", branch=branch1, private_notes=NOTES)
    b = OrganisationFactory(name="Bureau Beta", slug="bureau-beta", branch=branch1)
    c = OrganisationFactory(name="Collectif Gamma", slug="collectif-gamma", branch=branch1, private=True)
    d = OrganisationFactory(name="Domaine Delta", slug="domaine-delta", branch=branch2, private=True)
    need_public = NeedOfferFactory(organisation=a, title="Besoin ouvert Alpha")
    need_private = NeedOfferFactory(organisation=a, title="Besoin confidentiel Alpha", private=True)
    return World(a, b, c, d, need_public, need_private, branch1, branch2, network1)


def make_actor(name: str, w: World):
    if name == "anonymous":
        return None
    if name == "member_a":
        return MembershipFactory(organisation=w.a, role=Membership.Role.ADMIN).user
    if name == "member_b":
        return MembershipFactory(organisation=w.b, role=Membership.Role.ADMIN).user
    if name == "facilitator_1":
        return BranchRoleFactory(branch=w.branch1).user
    if name == "facilitator_2":
        return BranchRoleFactory(branch=w.branch2).user
    if name == "network_admin_1":
        return NetworkRoleFactory(network=w.network1).user
    if name == "superuser":
        return UserFactory(is_superuser=True, is_staff=True)
    raise AssertionError(name)


def clients(user) -> tuple[Client, APIClient]:
    page, api = Client(), APIClient()
    if user is not None:
        page.force_login(user)
        api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return page, api


def body(response) -> str:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode("utf-8-sig", errors="replace")
    return response.content.decode("utf-8", errors="replace")


def is_login_redirect(response) -> bool:
    return response.status_code == 302 and response["Location"].startswith(reverse("accounts:login"))


def org_form(org: Organisation) -> dict[str, Any]:
    """A valid post of the organisation form with forged values (staff fields are ignored for members)."""
    return {
        "kind": org.kind,
        "name": FORGED,
        "description": FORGED,
        "commune": org.commune_id or "",
        "visibility": org.visibility,
        "branch": org.branch_id,
        "private_notes": FORGED,
    }


def need_form(need: NeedOffer) -> dict[str, str]:
    return {
        "direction": need.direction,
        "type": need.type,
        "title": FORGED,
        "description": FORGED,
        "scope": need.scope,
        "visibility": need.visibility,
    }


def check_status(response, expected: str) -> None:
    if expected == "login":
        assert is_login_redirect(response), (response.status_code, response.get("Location"))
    elif expected == "ok":
        assert response.status_code in (301, 302, 303) and not is_login_redirect(response), (
            response.status_code,
            re.findall(r'class="errorlist[^"]*"[^>]*>(.*?)</ul>', body(response), re.S)[:3],
        )
    else:
        assert response.status_code == int(expected), response.status_code


def check_presence(response, text: str, expected: str) -> None:
    assert response.status_code < 500
    if expected == "yes":
        assert response.status_code == 200, response.status_code
        assert text in body(response)
    else:
        assert text not in body(response)


@pytest.mark.parametrize(
    ("obj", "action", "actor", "expected"),
    [pytest.param(*cell, id="-".join(cell[:3])) for cell in CELLS if cell[3] != "-"],
)
def test_permission_matrix(world: World, obj: str, action: str, actor: str, expected: str) -> None:
    user = make_actor(actor, world)
    page, api = clients(user)
    w = world

    if obj.startswith("org_"):
        org = {"org_a": w.a, "org_c": w.c, "org_d": w.d}[obj]
        page_url = reverse("directory:organisation", kwargs={"slug": org.slug})
        edit_url = reverse("directory:organisation_edit", kwargs={"slug": org.slug})
        api_url = f"/api/organisations/{org.slug}/"
        word = org.name.split()[-1]
        if action == "page_view":
            check_status(page.get(page_url), expected)
        elif action == "api_retrieve":
            check_status(api.get(api_url), expected)
        elif action == "api_list":
            response = api.get("/api/organisations/", {"page_size": 200})
            check_presence(response, f'"slug":"{org.slug}"', expected)
        elif action == "search":
            check_presence(page.get(reverse("directory:search"), {"q": word}), org.name, expected)
        elif action == "export":
            check_presence(page.get(reverse("directory:export", kwargs={"fmt": "csv"})), org.name, expected)
        elif action == "edit_get":
            check_status(page.get(edit_url), expected)
        elif action == "edit_post":
            response = page.post(edit_url, org_form(org))
            check_status(response, expected)
            org.refresh_from_db()
            assert (org.name == FORGED) == (expected == "ok")
            if expected != "ok":
                assert org.private_notes != FORGED
        elif action == "api_update":
            response = api.patch(api_url, {"description": FORGED}, format="json")
            check_status(response, expected)
            org.refresh_from_db()
            assert (org.description == FORGED) == (expected == "200")
        else:
            raise AssertionError(action)

    elif obj.startswith("need_"):
        need = w.need_public if obj == "need_public" else w.need_private
        edit_url = reverse("directory:need_offer_edit", kwargs={"pk": need.pk})
        api_url = f"/api/needs/{need.pk}/"
        if action == "page_view":
            response = page.get(reverse("directory:organisation", kwargs={"slug": w.a.slug}))
            check_presence(response, need.title, expected)
        elif action == "search":
            word = need.title.split()[1]  # "ouvert", "confidentiel": in no other text of the world
            check_presence(page.get(reverse("directory:search"), {"q": word}), w.a.name, expected)
        elif action == "api_retrieve":
            check_status(api.get(api_url), expected)
        elif action == "api_list":
            response = api.get("/api/needs/", {"page_size": 200})
            check_presence(response, f'"id":{need.pk},', expected)
        elif action == "edit_get":
            check_status(page.get(edit_url), expected)
        elif action == "edit_post":
            response = page.post(edit_url, need_form(need))
            check_status(response, expected)
            need.refresh_from_db()
            assert (need.title == FORGED) == (expected == "ok")
        elif action == "api_update":
            response = api.patch(api_url, {"title": FORGED}, format="json")
            check_status(response, expected)
            need.refresh_from_db()
            assert (need.title == FORGED) == (expected == "200")
        else:
            raise AssertionError(action)

    elif obj == "notes_a":
        page_url = reverse("directory:organisation", kwargs={"slug": w.a.slug})
        edit_url = reverse("directory:organisation_edit", kwargs={"slug": w.a.slug})
        api_url = f"/api/organisations/{w.a.slug}/"
        if action == "page_view":
            check_presence(page.get(page_url), NOTES, expected)
        elif action == "api_retrieve":
            check_presence(api.get(api_url), NOTES, expected)
        elif action == "api_list":
            check_presence(api.get("/api/organisations/", {"page_size": 200}), NOTES, expected)
        elif action == "export":
            check_presence(page.get(reverse("directory:export", kwargs={"fmt": "csv"})), NOTES, expected)
        elif action == "edit_get":
            check_presence(page.get(edit_url), NOTES, expected)
        elif action == "edit_post":
            response = page.post(edit_url, {**org_form(w.a), "name": w.a.name})
            assert response.status_code < 500
            w.a.refresh_from_db()
            assert w.a.private_notes == NOTES
        elif action == "api_update":
            response = api.patch(api_url, {"private_notes": FORGED}, format="json")
            check_status(response, expected)
            w.a.refresh_from_db()
            assert (w.a.private_notes == FORGED) == (expected == "200")
        else:
            raise AssertionError(action)

    elif obj == "import":
        assert action == "page_view"
        check_status(page.get(reverse("directory:import")), expected)

    else:
        raise AssertionError(obj)


def test_matrix_covers_every_actor_and_object():
    assert ACTORS == [
        "anonymous",
        "member_a",
        "member_b",
        "facilitator_1",
        "facilitator_2",
        "network_admin_1",
        "superuser",
    ]
    objects = {obj for obj, *_ in CELLS}
    assert objects == {"org_a", "org_c", "org_d", "need_public", "need_private", "notes_a", "import"}


# --- events and registrations ------------------------------------------------------------------------------

EVENT_MATRIX = """
object   action         anonymous  registrant  organiser_a  facilitator_1  facilitator_2  network_admin_1  superuser
event_a  page_view      200        200         200          200            200            200              200
event_a  run_links      no         no          yes          yes            no             yes              yes
event_a  edit_get       login      403         200          200            403            200              200
event_a  registrations  login      403         200          200            403            200              200
event_a  checkin        login      403         200          200            403            200              200
event_a  planning       login      404         200          200            404            200              200
event_b  page_view      200        200         200          200            200            200              200
event_b  run_links      no         no          no           yes            no             yes              yes
event_b  edit_get       login      403         403          200            403            200              200
event_b  registrations  login      403         403          200            403            200              200
event_b  checkin        login      403         403          200            403            200              200
event_b  planning       login      404         404          200            404            200              200
draft_a  page_view      404        404         200          200            404            200              200
draft_a  edit_get       login      404         200          200            404            200              200
draft_a  registrations  login      404         200          200            404            200              200
reg_own  agenda         no         yes         no           no             no             no               no
reg_own  event_link     no         yes         no           no             no             no               no
reg_own  listed         no         no          yes          yes            no             yes              yes
reg_a    agenda         no         no          no           no             no             no               no
reg_a    listed         no         no          yes          yes            no             yes              yes
reg_a    qr_checkin     no         no          yes          yes            no             yes              yes
reg_b    agenda         no         no          no           no             no             no               no
reg_b    listed         no         no          no           yes            no             yes              yes
reg_b    qr_checkin     no         no          no           yes            no             yes              yes
"""

EVENT_ACTORS, EVENT_CELLS = _parse(EVENT_MATRIX)


@dataclass
class EventWorld:
    event_a: Event
    event_b: Event
    draft_a: Event
    reg_own: Registration
    reg_a: Registration
    reg_b: Registration
    registrant: Any
    organiser_a: Any


def _speed_meeting(branch, slug: str, organiser) -> Event:
    event = EventFactory(branch=branch, slug=slug, kind=Event.Kind.SPEED_MEETING, capacity=20)
    if organiser is not None:
        event.organisers.add(organiser)
    meeting_services.speed_meeting_setup(
        event=event,
        data={
            "rounds": 2,
            "round_minutes": 15,
            "break_minutes": 5,
            "tables": 2,
            "wishes_deadline": event.starts_at,
        },
        by=None,
    )
    return event


def _registration(event: Event, name: str, user=None) -> Registration:
    return Registration.objects.create(
        event=event,
        name=name,
        email=f"{name.split()[0].lower()}@example.org",
        user=user,
        status=Registration.Status.CONFIRMED,
    )


@pytest.fixture
def event_world(world: World) -> EventWorld:
    registrant, organiser_a = UserFactory(), UserFactory()
    event_a = _speed_meeting(world.branch1, "speed-a", organiser_a)
    event_b = _speed_meeting(world.branch1, "speed-b", None)
    draft_a = EventFactory(branch=world.branch1, slug="brouillon-a", is_published=False)
    draft_a.organisers.add(organiser_a)
    return EventWorld(
        event_a=event_a,
        event_b=event_b,
        draft_a=draft_a,
        reg_own=_registration(event_a, "Regine Inscrite", user=registrant),
        reg_a=_registration(event_a, "Armand Autre"),
        reg_b=_registration(event_b, "Berthe Bis"),
        registrant=registrant,
        organiser_a=organiser_a,
    )


def make_event_actor(name: str, w: World, ew: EventWorld):
    if name in ("registrant", "organiser_a"):
        return getattr(ew, name)
    return make_actor(name, w)


@pytest.mark.parametrize(
    ("obj", "action", "actor", "expected"),
    [pytest.param(*cell, id="-".join(cell[:3])) for cell in EVENT_CELLS if cell[3] != "-"],
)
def test_event_permission_matrix(
    world: World, event_world: EventWorld, obj: str, action: str, actor: str, expected: str
) -> None:
    page, _api = clients(make_event_actor(actor, world, event_world))

    if obj.startswith(("event_", "draft_")):
        event = getattr(event_world, obj)
        slug = {"slug": event.slug}
        if action == "page_view":
            check_status(page.get(reverse("events:detail", kwargs=slug)), expected)
        elif action == "run_links":
            response = page.get(reverse("events:detail", kwargs=slug))
            check_presence(response, reverse("events:checkin", kwargs=slug), expected)
        elif action == "edit_get":
            check_status(page.get(reverse("events:edit", kwargs=slug)), expected)
        elif action == "registrations":
            check_status(page.get(reverse("events:registrations", kwargs=slug)), expected)
        elif action == "checkin":
            check_status(page.get(reverse("events:checkin", kwargs=slug)), expected)
        elif action == "planning":
            check_status(page.get(reverse("meetings:planning", kwargs=slug)), expected)
        else:
            raise AssertionError(action)

    elif obj.startswith("reg_"):
        registration = getattr(event_world, obj)
        slug = {"slug": registration.event.slug}
        if action == "agenda":
            check_presence(page.get(reverse("meetings:agenda", kwargs=slug)), registration.name, expected)
        elif action == "event_link":
            response = page.get(reverse("events:detail", kwargs=slug))
            check_presence(response, reverse("meetings:wishes", kwargs=slug), expected)
        elif action == "listed":
            check_presence(
                page.get(reverse("events:registrations", kwargs=slug)), registration.name, expected
            )
        elif action == "qr_checkin":
            url = reverse(
                "events:qr_checkin", kwargs={"token": tokens.make_token(registration.pk, "checkin")}
            )
            assert page.get(url).status_code < 500
            registration.refresh_from_db()
            assert (registration.status == Registration.Status.ATTENDED) == (expected == "yes")
        else:
            raise AssertionError(action)

    else:
        raise AssertionError(obj)


def test_event_matrix_covers_every_actor_and_object():
    assert EVENT_ACTORS == [
        "anonymous",
        "registrant",
        "organiser_a",
        "facilitator_1",
        "facilitator_2",
        "network_admin_1",
        "superuser",
    ]
    objects = {obj for obj, *_ in EVENT_CELLS}
    assert objects == {"event_a", "event_b", "draft_a", "reg_own", "reg_a", "reg_b"}


def test_organisers_and_registrants_through_core_access(world: World, event_world: EventWorld):
    """The rows behind the matrix: organisers see and change their events only, never "manage" them (the
    admin's right, branch staff's); a registrant sees and owns their own registration only."""
    ew = event_world
    events, registrations = Event.objects.all(), Registration.objects.all()
    organiser, registrant = ew.organiser_a, ew.registrant
    assert set(editable(organiser, events)) == {ew.event_a, ew.draft_a}
    assert ew.draft_a in visible(organiser, events) and ew.draft_a not in visible(registrant, events)
    assert list(editable(organiser, events, action="manage")) == []
    ew.event_a.organisers.add(UserFactory())  # two organisers: the event must not come twice
    facilitator = make_actor("facilitator_1", world)
    for user in (organiser, facilitator):
        assert list(visible(user, events).filter(pk=ew.event_a.pk)) == [ew.event_a]
        assert list(editable(user, events).filter(pk=ew.event_a.pk)) == [ew.event_a]
    assert list(visible(registrant, registrations)) == [ew.reg_own]
    assert list(owned(registrant, registrations)) == [ew.reg_own]
    superuser = make_actor("superuser", world)
    assert len(visible(superuser, registrations)) == 3 and list(owned(superuser, registrations)) == []


# --- who may register a program's participants (beneficiaries' personal data) --------------------------------


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("staff_a", "site_a"),
        ("volunteer_a", "site_a"),
        ("coordinator", None),
        ("viewer", None),
        ("facilitator", None),
        ("superuser", "both"),
    ],
)
def test_participants_are_registered_only_by_the_people_running_their_site(client, who, expected):
    from terreau.activities.models import Participant
    from tests.activities.test_activities_support import mission, program_with_sites, team

    program, site_a, site_b = program_with_sites()
    users = team(program, site_a, site_b)
    users["volunteer_a"] = UserFactory()
    mission(program, user=users["volunteer_a"], sites=[site_a])
    users["superuser"] = UserFactory(is_superuser=True, is_staff=True)
    client.force_login(users[who])
    add_url = reverse("activities:participant_add", args=[program.slug])
    listing = client.get(reverse("activities:participants", args=[program.slug]))
    assert listing.status_code == 200
    assert (add_url in body(listing)) == (expected is not None)
    form = client.get(add_url)
    assert form.status_code == (200 if expected else 403)
    if expected:
        assert site_a.name in body(form) and (site_b.name in body(form)) == (expected == "both")
    post = {"site": site_b.pk, "first_name": "Intruse", "age_band": "70_79", "consent_on": "2025-03-01"}
    client.post(add_url, post)
    assert Participant.objects.filter(first_name="Intruse").exists() == (expected == "both")


# The partnership workspace (issue 11): a partnership between A and C (branch 1) is seen and worked on by the
# members of either partner and the branch's staff; anybody else gets a 404 on every URL of its workspace.
# pipeline: the partnership is listed ("yes") or not ("no") on the signed-in user's pipeline page.
PARTNERSHIP_MATRIX = """
object        action         anonymous  member_a  member_b  facilitator_1  facilitator_2  network_admin_1  superuser
partnership   page_view      login      200       404       200            404            200              200
partnership   document       login      200       404       200            404            200              200
partnership   stage          login      ok        404       ok             404            ok               ok
partnership   message        login      ok        404       ok             404            ok               ok
partnership   step_add       login      ok        404       ok             404            ok               ok
partnership   step_done      login      ok        404       ok             404            ok               ok
partnership   document_add   login      ok        404       ok             404            ok               ok
partnership   pipeline       login      yes       no        yes            no             yes              yes
"""
PARTNERSHIP_ACTORS, PARTNERSHIP_CELLS = _parse(PARTNERSHIP_MATRIX)


@pytest.mark.parametrize(
    ("obj", "action", "actor", "expected"),
    [pytest.param(*cell, id="-".join(cell[:3])) for cell in PARTNERSHIP_CELLS],
)
def test_partnership_workspace_matrix(world: World, obj: str, action: str, actor: str, expected: str) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from terreau.partnerships import workspace
    from terreau.partnerships.models import Partnership

    partnership = Partnership.objects.create(branch=world.branch1, title="Atelier Alpha × Collectif Gamma")
    partnership.partners.add(world.a, world.c)
    step = workspace.step_add(partnership=partnership, title="Relancer", by=None)
    document = workspace.document_add(
        partnership=partnership, title="Convention", upload=SimpleUploadedFile("c.pdf", b"%PDF-1.4"), by=None
    )
    page, _api = clients(make_actor(actor, world))
    pk = partnership.pk
    if action == "pipeline":
        response = page.get(reverse("partnerships:board"))
        if expected == "login":
            check_status(response, expected)
        else:
            check_presence(response, partnership.title, expected)
        return
    gets = {
        "page_view": reverse("partnerships:detail", args=[pk]),
        "document": reverse("partnerships:document", args=[pk, document.pk]),
    }
    posts = {
        "stage": (reverse("partnerships:stage", args=[pk]), {"stage": "discussion"}),
        "message": (reverse("partnerships:message", args=[pk]), {"body": FORGED}),
        "step_add": (reverse("partnerships:step_add", args=[pk]), {"title": FORGED}),
        "step_done": (reverse("partnerships:step_done", args=[pk, step.pk]), {"done": "1"}),
        "document_add": (
            reverse("partnerships:document_upload", args=[pk]),
            {"title": FORGED, "file": SimpleUploadedFile("f.pdf", b"%PDF-1.4")},
        ),
    }
    if action in gets:
        check_status(page.get(gets[action]), expected)
        return
    url, data = posts[action]
    check_status(page.post(url, data), expected)
    changed = {
        "stage": lambda: Partnership.objects.get(pk=pk).stage == "discussion",
        "message": lambda: partnership.messages.filter(body=FORGED).exists(),
        "step_add": lambda: partnership.steps.filter(title=FORGED).exists(),
        "step_done": lambda: partnership.steps.get(pk=step.pk).done,
        "document_add": lambda: partnership.documents.filter(title=FORGED).exists(),
    }[action]()
    assert changed == (expected == "ok")


def test_partnership_matrix_covers_every_actor():
    assert PARTNERSHIP_ACTORS == ACTORS


# --- the team page and a program's activities pages, for every kind of person -------------------------------
# (review of issue 11). The team page (/comptes/equipe/) exists only for the head office and facilitators (404
# for anybody else); its actions reach only the branches they manage and the people in their scope. Activities
# pages are for the program's team and its branch's staff. Actors beyond the first matrix's: a plain user (an
# account and nothing else), a volunteer (mission on site A), site A's staff and the program's coordinator.
# The program (not public) runs in branch 1 with sites A and B, each with an open incident about the site.
#
# Team objects: team (the page), target (a facilitator of branch 1: listed when searched for, role withdrawn,
# deactivated), candidate (a member of org A made facilitator of branch 1), inactive (a deactivated member of
# org A, reactivated), branch (created in network 1), invite (a facilitator invited to branch 1).
# Program objects: incidents and closures (the pages), incident_a / incident_b (listed on the Incidents page,
# resolved by a post), closure_a (a closure of site A recorded, or deleted), holiday_a (site A's planned
# session on the next public holiday cancelled), absence_v (an absence of the volunteer recorded, or deleted).
# Cells as above; "kept": answered without a 5xx and nothing changed.
TEAM_MATRIX = """
object       action      anonymous  plain_user  member_a  volunteer  site_staff  coordinator  facilitator_1  facilitator_2  network_admin_1  superuser
team         page_view   login      404         404       404        404         404          200            200            200              200
target       listed      no         no          no        no         no          no           yes            no             yes              yes
branch       create      login      404         404       404        404         404          kept           kept           ok               ok
invite       post        login      404         404       404        404         404          ok             kept           ok               ok
candidate    role_grant  login      404         404       404        404         404          ok             404            ok               ok
target       role_revoke login      404         404       404        404         404          ok             404            ok               ok
target       deactivate  login      404         404       404        404         404          ok             404            ok               ok
inactive     reactivate  login      404         404       404        404         404          ok             404            ok               ok
incidents    page_view   login      404         404       200        200         200          200            404            200              200
incident_a   listed      no         no          no        yes        yes         yes          yes            no             yes              yes
incident_b   listed      no         no          no        no         no          yes          yes            no             yes              yes
incident_a   resolve     login      404         404       403        403         ok           ok             404            ok               ok
closures     page_view   login      404         404       200        200         200          200            404            200              200
closure_a    add         login      404         404       403        ok          ok           ok             404            ok               ok
closure_a    delete      login      404         404       403        ok          ok           ok             404            ok               ok
holiday_a    cancel      login      404         404       403        ok          ok           ok             404            ok               ok
absence_v    add         login      404         404       ok         403         ok           ok             404            ok               ok
absence_v    delete      login      404         404       ok         404         ok           ok             404            ok               ok
"""
TEAM_ACTORS, TEAM_CELLS = _parse(TEAM_MATRIX)


@dataclass
class TeamWorld:
    people: dict[str, Any]
    program: Any
    incidents: dict[str, Any]


@pytest.fixture
def team_world(world: World) -> TeamWorld:
    from terreau.activities.models import SessionReport
    from terreau.activities.reports import incident_record
    from terreau.programs.models import ProgramRole
    from tests.activities.test_activities_support import mission, program_with_sites, session

    program, site_a, site_b = program_with_sites(branch=world.branch1, slug="programme-equipe")
    people = {
        "plain_user": UserFactory(),
        "volunteer": UserFactory(),
        "site_staff": UserFactory(),
        "coordinator": UserFactory(),
        "target": BranchRoleFactory(branch=world.branch1, user=UserFactory(email="cible@example.org")).user,
        "candidate": MembershipFactory(
            organisation=world.a, user=UserFactory(email="candidat@example.org")
        ).user,
        "inactive": MembershipFactory(
            organisation=world.a, user=UserFactory(email="inactif@example.org", is_active=False)
        ).user,
    }
    mission(program, user=people["volunteer"], sites=[site_a])
    ProgramRole.objects.create(program=program, user=people["site_staff"], role="site_staff", site=site_a)
    ProgramRole.objects.create(program=program, user=people["coordinator"], role="coordinator")
    from terreau.activities.closed_days import public_holidays
    from terreau.activities.models import Mission, SiteClosure, VolunteerAbsence

    today = timezone.localdate()
    holiday = min(public_holidays(None, today + timedelta(days=2), today + timedelta(days=400)))
    incidents = {
        "holiday_session": session(site_a, day=holiday),
        "closure": SiteClosure.objects.create(
            site=site_a, starts_on=today + timedelta(days=40), ends_on=today + timedelta(days=41)
        ),
        "absence": VolunteerAbsence.objects.create(
            mission=Mission.objects.get(user=people["volunteer"]),
            starts_on=today + timedelta(days=40),
            ends_on=today + timedelta(days=41),
        ),
        "site_a": site_a,
    }
    for name, site in (("incident_a", site_a), ("incident_b", site_b)):
        report = SessionReport.objects.create(session=session(site), held=True, headcount=3)
        incidents[name] = incident_record(
            report=report, kind="broken", note=f"Prise grillée {name}", site_level=True
        )
    return TeamWorld(people=people, program=program, incidents=incidents)


def make_team_actor(name: str, w: World, tw: TeamWorld):
    return tw.people[name] if name in tw.people else make_actor(name, w)


@pytest.mark.parametrize(
    ("obj", "action", "actor", "expected"),
    [pytest.param(*cell, id="-".join(cell[:3])) for cell in TEAM_CELLS],
)
def test_team_and_activities_matrix(
    world: World, team_world: TeamWorld, obj: str, action: str, actor: str, expected: str
) -> None:
    from terreau.accounts.models import BranchRole, User
    from terreau.core.models import Branch

    page, _api = clients(make_team_actor(actor, world, team_world))
    people, slug = team_world.people, team_world.program.slug
    target_role = BranchRole.objects.get(user=people["target"])

    def check_post(url: str, data: dict, changed) -> None:
        response = page.post(url, data)
        if expected == "kept":
            assert response.status_code < 500, response.status_code
        else:
            check_status(response, expected)
        assert changed() == (expected == "ok"), (obj, action, actor)

    if (obj, action) == ("team", "page_view"):
        check_status(page.get(reverse("accounts:team")), expected)
    elif (obj, action) == ("target", "listed"):
        check_presence(page.get(reverse("accounts:team"), {"q": "cible"}), "cible@example.org", expected)
    elif (obj, action) == ("branch", "create"):
        check_post(
            reverse("accounts:branch_create"),
            {"network": world.network1.pk, "name": "Antenne forgée", "contact_email": ""},
            lambda: Branch.objects.filter(name="Antenne forgée").exists(),
        )
    elif (obj, action) == ("invite", "post"):
        check_post(
            reverse("accounts:invite"),
            {
                "email": "invitee@example.org",
                "first_name": "In",
                "last_name": "Vitée",
                "branch": world.branch1.pk,
            },
            lambda: BranchRole.objects.filter(
                user__email="invitee@example.org", branch=world.branch1
            ).exists(),
        )
    elif (obj, action) == ("candidate", "role_grant"):
        check_post(
            reverse("accounts:role_grant", args=[people["candidate"].pk]),
            {"branch": world.branch1.pk},
            lambda: BranchRole.objects.filter(user=people["candidate"], branch=world.branch1).exists(),
        )
    elif (obj, action) == ("target", "role_revoke"):
        check_post(
            reverse("accounts:role_revoke", args=[target_role.pk]),
            {},
            lambda: not BranchRole.objects.filter(pk=target_role.pk).exists(),
        )
    elif (obj, action) == ("target", "deactivate"):
        check_post(
            reverse("accounts:deactivate", args=[people["target"].pk]),
            {},
            lambda: not User.objects.get(pk=people["target"].pk).is_active,
        )
    elif (obj, action) == ("inactive", "reactivate"):
        check_post(
            reverse("accounts:reactivate", args=[people["inactive"].pk]),
            {},
            lambda: User.objects.get(pk=people["inactive"].pk).is_active,
        )
    elif (obj, action) == ("incidents", "page_view"):
        check_status(page.get(reverse("activities:incidents", args=[slug])), expected)
    elif (obj, action) == ("closures", "page_view"):
        check_status(page.get(reverse("activities:closures", args=[slug])), expected)
    elif action == "listed":
        incident = team_world.incidents[obj]
        check_presence(page.get(reverse("activities:incidents", args=[slug])), incident.note, expected)
    elif action == "resolve":
        incident = team_world.incidents[obj]
        check_post(
            reverse("activities:incident_resolve", args=[slug, incident.pk]),
            {},
            lambda: type(incident).objects.get(pk=incident.pk).resolved_at is not None,
        )
    elif obj in ("closure_a", "holiday_a", "absence_v"):
        from terreau.activities.models import Mission, Session, SiteClosure, VolunteerAbsence

        rows = team_world.incidents
        mission = Mission.objects.get(user=people["volunteer"])
        later = (timezone.localdate() + timedelta(days=60)).isoformat()
        if (obj, action) == ("closure_a", "add"):
            data = {
                "what": "closure",
                "closure-site": rows["site_a"].pk,
                "closure-starts_on": later,
                "closure-ends_on": later,
                "closure-reason": FORGED,
            }
            check_post(
                reverse("activities:closures", args=[slug]),
                data,
                lambda: SiteClosure.objects.filter(reason=FORGED).exists(),
            )
        elif (obj, action) == ("closure_a", "delete"):
            check_post(
                reverse("activities:closure_delete", args=[slug, rows["closure"].pk]),
                {},
                lambda: not SiteClosure.objects.filter(pk=rows["closure"].pk).exists(),
            )
        elif (obj, action) == ("holiday_a", "cancel"):
            check_post(
                reverse("activities:holiday_cancel", args=[slug]),
                {},
                lambda: Session.objects.get(pk=rows["holiday_session"].pk).status == Session.Status.CANCELLED,
            )
        elif (obj, action) == ("absence_v", "add"):
            data = {
                "what": "absence",
                "absence-mission": mission.pk,
                "absence-starts_on": later,
                "absence-ends_on": later,
                "absence-reason": FORGED,
            }
            check_post(
                reverse("activities:closures", args=[slug]),
                data,
                lambda: VolunteerAbsence.objects.filter(reason=FORGED).exists(),
            )
        elif (obj, action) == ("absence_v", "delete"):
            check_post(
                reverse("activities:absence_delete", args=[slug, rows["absence"].pk]),
                {},
                lambda: not VolunteerAbsence.objects.filter(pk=rows["absence"].pk).exists(),
            )
        else:
            raise AssertionError((obj, action))
    else:
        raise AssertionError((obj, action))


def test_team_matrix_covers_every_kind_of_person():
    assert TEAM_ACTORS == [
        "anonymous",
        "plain_user",
        "member_a",
        "volunteer",
        "site_staff",
        "coordinator",
        "facilitator_1",
        "facilitator_2",
        "network_admin_1",
        "superuser",
    ]
    assert {obj for obj, *_ in TEAM_CELLS} == {
        "team",
        "target",
        "branch",
        "invite",
        "candidate",
        "inactive",
        "incidents",
        "incident_a",
        "incident_b",
        "closures",
        "closure_a",
        "holiday_a",
        "absence_v",
    }


# --- territorial diagnoses (issue 13) ------------------------------------------------------------------------
# World: in branch 1, a diagnosis under consultation ("diag": A and B invited, A has answered, one key issue)
# and a published one ("pub", with a chosen key issue). Nothing of "diag" is seen outside branch 1's staff
# (another branch, the members, anonymous: 404); "pub" and its key issue are public; its staff pages stay
# for branch 1's staff (403 for the others who see it). A's answer is changed by A's members (and branch 1's
# staff) only; a member ranks for their own organisation only (B's member posting for A changes B's ballot,
# A's is "kept").
# Actions: page (the staff page's tabs: territory), public (the public page), pdf, api_retrieve, api_list,
# edit_post (the diagnosis form), move (consultation closed), invite (C, an organisation of branch 1),
# key_issue_post (a new key issue), upload_get (the indicators upload page), member_edit_get/post (A's
# answer through its signed-in page), ranking_post (the signed-in ranking, asking for A).
DIAGNOSIS_MATRIX = """
object        action            anonymous  member_a  member_b  facilitator_1  facilitator_2  network_admin_1  superuser
diag          page              login      404       404       200            404            200              200
diag          public            404        404       404       200            404            200              200
diag          pdf               404        404       404       200            404            200              200
diag          api_retrieve      404        404       404       200            404            200              200
diag          api_list          no         no        no        yes            no             yes              yes
diag          edit_post         login      404       404       ok             404            ok               ok
diag          move              login      404       404       ok             404            ok               ok
diag          invite            login      404       404       ok             404            ok               ok
diag          key_issue_post    login      404       404       ok             404            ok               ok
diag          upload_get        login      404       404       200            404            200              200
diag_issue    api_retrieve      404        404       404       200            404            200              200
pub           page              login      403       403       200            403            200              200
pub           public            200        200       200       200            200            200              200
pub           pdf               200        200       200       200            200            200              200
pub           api_retrieve      200        200       200       200            200            200              200
pub           api_list          yes        yes       yes       yes            yes            yes              yes
pub_issue     api_retrieve      200        200       200       200            200            200              200
answer_a      member_edit_get   login      200       404       200            404            200              200
answer_a      member_edit_post  login      ok        404       ok             404            ok               ok
ballot_a      ranking_post      login      ok        kept      kept           kept           kept             kept
"""
DIAGNOSIS_ACTORS, DIAGNOSIS_CELLS = _parse(DIAGNOSIS_MATRIX)


@pytest.mark.parametrize(
    ("obj", "action", "actor", "expected"),
    [pytest.param(*cell, id="-".join(cell[:3])) for cell in DIAGNOSIS_CELLS],
)
def test_diagnosis_matrix(world: World, obj: str, action: str, actor: str, expected: str) -> None:
    from datetime import date

    from terreau.alliances import consultation, services
    from terreau.alliances.models import Ballot, Diagnosis, KeyIssue
    from terreau.territories.models import Department

    staff = BranchRoleFactory(branch=world.branch1).user
    department = Department.objects.get(code=world.a.commune.department_id)

    def diagnosis(title: str) -> Diagnosis:
        d = Diagnosis(
            branch=world.branch1, title=title, period_start=date(2026, 1, 1), period_end=date(2026, 12, 31)
        )
        d = services.diagnosis_save(diagnosis=d, by=staff, departments=[department])
        services.diagnosis_move(diagnosis=d, to="consultation", by=staff)
        consultation.invite(diagnosis=d, organisations=[world.a, world.b], by=staff)
        return d

    diag, pub = diagnosis("Diagnostic en cours"), diagnosis("Diagnostic publié")
    answer = {
        "respondent_name": "Dominique",
        "respondent_email": "dominique@example.org",
        "issues": "Isolement",
        "themes": ["bien-vieillir"],
    }
    answer_a = consultation.answer_submit(diagnosis=diag, data=answer, organisation=world.a)
    issue = services.key_issue_save(key_issue=KeyIssue(diagnosis=diag, title="Bien vieillir"), by=staff)
    other = services.key_issue_save(key_issue=KeyIssue(diagnosis=diag, title="Numérique"), by=staff)
    services.ballot_cast(diagnosis=diag, organisation=world.a, ranking_ids=[issue.pk])
    pub_issue = services.key_issue_save(
        key_issue=KeyIssue(diagnosis=pub, title="Emploi des jeunes"), by=staff
    )
    services.diagnosis_move(diagnosis=pub, to="analysis", by=staff)
    services.key_issues_choose(diagnosis=pub, by=staff, chosen=[pub_issue])
    services.diagnosis_publish(diagnosis=pub, by=staff)

    page, api = clients(make_actor(actor, world))
    d = {"diag": diag, "diag_issue": diag, "pub": pub, "pub_issue": pub}.get(obj, diag)
    if action == "page":
        check_status(page.get(reverse("alliances:diagnosis", args=[d.pk])), expected)
    elif action == "public":
        check_status(page.get(reverse("alliances:diagnosis_public", args=[d.pk])), expected)
    elif action == "pdf":
        check_status(page.get(reverse("alliances:diagnosis_pdf", args=[d.pk])), expected)
    elif action == "api_retrieve":
        url = (
            f"/api/key-issues/{(issue if obj == 'diag_issue' else pub_issue).pk}/" if "issue" in obj else None
        )
        check_status(api.get(url or f"/api/diagnoses/{d.pk}/"), expected)
    elif action == "api_list":
        check_presence(api.get("/api/diagnoses/", {"page_size": 200}), f'"title":"{d.title}"', expected)
    elif action == "edit_post":
        data = {
            "title": FORGED,
            "period_start": "2026-01-01",
            "period_end": "2026-12-31",
            "departments": [department.pk],
            "team": [],
        }
        check_status(page.post(reverse("alliances:diagnosis_edit", args=[d.pk]), data), expected)
        assert (Diagnosis.objects.get(pk=d.pk).title == FORGED) == (expected == "ok")
    elif action == "move":
        check_status(
            page.post(reverse("alliances:diagnosis_move", args=[d.pk]), {"to": "analysis"}), expected
        )
        assert (Diagnosis.objects.get(pk=d.pk).state == "analysis") == (expected == "ok")
    elif action == "invite":
        c = world.c
        c.email = "gamma@example.org"
        c.save()
        check_status(
            page.post(reverse("alliances:diagnosis_invite", args=[d.pk]), {"organisations": [c.pk]}), expected
        )
        assert d.invitations.filter(organisation=c).exists() == (expected == "ok")
    elif action == "key_issue_post":
        url = reverse("alliances:key_issue_create", args=[d.pk])
        check_status(page.post(url, {"title": FORGED}), expected)
        assert d.key_issues.filter(title=FORGED).exists() == (expected == "ok")
    elif action == "upload_get":
        check_status(page.get(reverse("alliances:indicators_upload", args=[d.pk])), expected)
    elif action in ("member_edit_get", "member_edit_post"):
        url = reverse("alliances:answer_member_edit", args=[answer_a.pk])
        if action == "member_edit_get":
            check_status(page.get(url), expected)
        else:
            check_status(page.post(url, {**answer, "issues": FORGED}), expected)
            answer_a.refresh_from_db()
            assert (answer_a.issues == FORGED) == (expected == "ok")
    elif action == "ranking_post":
        url = reverse("alliances:ranking_member", args=[diag.pk]) + f"?structure={world.a.pk}"
        response = page.post(url, {f"rank_{other.pk}": "1", f"rank_{issue.pk}": "2"})
        if expected in ("login", "ok"):
            check_status(response, expected)
        assert response.status_code < 500
        changed = Ballot.objects.get(diagnosis=diag, organisation=world.a).ranking == [other.pk, issue.pk]
        assert changed == (expected == "ok")
    else:
        raise AssertionError(action)


def test_diagnosis_matrix_covers_every_actor():
    assert DIAGNOSIS_ACTORS == ACTORS


# --- working groups and charters (issue 13) -------------------------------------------------------------------
# A working group of branch 1 (not open to join requests): A is its lead, B a member. Its charter names A and C
# as partners of a submitted version (C has approved it). Objects: group (its page, edit page, a decision posted,
# a document downloaded, the API), merge (the staff's merge form), pledge_b (B's pledge, edited by a post),
# charter (its page, its PDF, the API, A's approval posted in the name of the poster's first organisation, the
# launch of the program once A has approved too). "kept": any status but 5xx, and nothing changed.
GROUP_MATRIX = """
object    action         anonymous  member_a  member_b  facilitator_1  facilitator_2  network_admin_1  superuser
group     page_view      404        200       200       200            404            200              200
group     edit_get       login      200       403       200            404            200              200
group     decision       login      ok        403       ok             404            ok               ok
group     decision_edit  login      ok        403       ok             404            ok               ok
group     close          login      ok        403       ok             404            ok               ok
group     document       login      200       200       200            404            200              200
group     api_retrieve   404        200       200       200            404            200              200
merge     page_view      login      403       403       200            200            200              200
pledge_b  edit_post      login      403       ok        403            404            403              403
charter   page_view      login      200       200       200            404            200              200
charter   pdf            login      200       200       200            404            200              200
charter   api_retrieve   404        200       200       200            404            200              200
charter   approve        login      ok        kept      kept           kept           kept             kept
charter   launch         login      403       403       ok             404            ok               ok
"""
GROUP_ACTORS, GROUP_CELLS = _parse(GROUP_MATRIX)


@pytest.mark.parametrize(
    ("obj", "action", "actor", "expected"),
    [pytest.param(*cell, id="-".join(cell[:3])) for cell in GROUP_CELLS],
)
def test_working_group_and_charter_matrix(
    world: World, obj: str, action: str, actor: str, expected: str
) -> None:

    from django.core.files.uploadedfile import SimpleUploadedFile

    from terreau.alliances import charter as charter_services
    from terreau.alliances import groups
    from terreau.alliances.charter_models import CharterApproval

    facilitator = BranchRoleFactory(branch=world.branch1).user
    member_c = MembershipFactory(organisation=world.c).user
    approver_a = MembershipFactory(organisation=world.a).user
    group = groups.group_create(branch=world.branch1, name="Bien vieillir", lead=world.a, by=facilitator)
    groups.member_add(group=group, organisation=world.b, by=facilitator)
    document = groups.document_add(
        group=group, title="CR", upload=SimpleUploadedFile("c.pdf", b"%PDF-1.4 x"), by=facilitator
    )
    charter = charter_services.charter_create(group=group, title="Silver Geek", by=facilitator)
    version = charter_services.charter_version_create(
        charter=charter,
        data={"purpose": "Objet"},
        partners=[
            {"organisation": world.a, "roles": ["pilot"]},
            {"organisation": world.c, "roles": ["kits"]},
        ],
        by=facilitator,
    )
    charter_services.charter_submit(version=version, by=facilitator)
    charter_services.charter_approve(version=version, organisation=world.c, by=member_c)
    user = make_actor(actor, world)
    if actor == "member_b":
        pledge = groups.pledge_save(
            group=group, organisation=world.b, kind="money", description="100 €", by=user
        )
    else:
        b_user = MembershipFactory(organisation=world.b).user
        pledge = groups.pledge_save(
            group=group, organisation=world.b, kind="money", description="100 €", by=b_user
        )
    page, api = clients(user)
    gets = {
        ("group", "page_view"): reverse("alliances:group", args=[group.pk]),
        ("group", "edit_get"): reverse("alliances:group_edit", args=[group.pk]),
        ("group", "document"): reverse("alliances:group_document", args=[group.pk, document.pk]),
        ("merge", "page_view"): reverse("alliances:group_merge"),
        ("charter", "page_view"): reverse("alliances:charter", args=[charter.pk]),
        ("charter", "pdf"): reverse("alliances:charter_pdf", args=[charter.pk, 1]),
    }
    if (obj, action) in gets:
        check_status(page.get(gets[obj, action]), expected)
    elif action == "api_retrieve":
        url = f"/api/working-groups/{group.pk}/" if obj == "group" else f"/api/charters/{charter.pk}/"
        check_status(api.get(url), expected)
    elif action == "decision":
        response = page.post(
            reverse("alliances:decision_add", args=[group.pk]), {"text": FORGED, "decided_on": "2026-07-01"}
        )
        check_status(response, expected)
        assert group.decisions.filter(text=FORGED).exists() == (expected == "ok")
    elif action == "decision_edit":
        from datetime import date

        decision = groups.decision_add(group=group, text="Avant", decided_on=date(2026, 7, 1), by=facilitator)
        url = reverse("alliances:decision_edit", args=[group.pk, decision.pk])
        check_status(page.post(url, {"text": FORGED, "decided_on": "2026-07-02"}), expected)
        decision.refresh_from_db()
        assert (decision.text == FORGED) == (expected == "ok")
    elif action == "close":
        check_status(
            page.post(reverse("alliances:group_close", args=[group.pk]), {"reason": FORGED}), expected
        )
        group.refresh_from_db()
        assert (group.state == "closed") == (expected == "ok")
    elif action == "edit_post":
        url = reverse("alliances:pledge_edit", args=[group.pk, pledge.pk])
        check_status(
            page.post(url, {"organisation": world.b.pk, "kind": "money", "description": FORGED}), expected
        )
        pledge.refresh_from_db()
        assert (pledge.description == FORGED) == (expected == "ok")
    elif action == "approve":
        org = world.a.pk if actor == "member_a" else (world.b.pk if actor == "member_b" else world.a.pk)
        response = page.post(
            reverse("alliances:charter_approve", args=[charter.pk, 1]), {"organisation": org}
        )
        if expected in ("login", "ok"):
            check_status(response, "ok" if expected == "ok" else "login")
        assert response.status_code < 500
        assert CharterApproval.objects.filter(version=version, organisation=world.a).exists() == (
            expected == "ok"
        )
    elif action == "launch":
        charter_services.charter_approve(version=version, organisation=world.a, by=approver_a)
        check_status(page.post(reverse("alliances:charter_launch", args=[charter.pk])), expected)
        charter.refresh_from_db()
        assert (charter.program is not None) == (expected == "ok")
        if charter.program is not None:  # with the charter's partners and their roles
            assert sorted(charter.program.partners.values_list("roles", flat=True)) == [["kits"], ["pilot"]]
    else:
        raise AssertionError((obj, action))


def test_group_matrix_covers_every_actor():
    assert GROUP_ACTORS == ACTORS


# --- the donor's page "Nos contributions" and its tax estimate (terreau.contributions.estimate_views) ---------

# A gave B a gift received this year; D gave C one (D is in branch 2). est_a / est_d: A's / D's page (a public
# organisation's contributions stay hidden from everyone but its members and its branch's staff: 404);
# turnover: a turnover posted on A's page (ok: saved; otherwise nothing saved).
ESTIMATE_MATRIX = """
object  action     anonymous  member_a  member_b  facilitator_1  facilitator_2  network_admin_1  superuser
est_a   page_view  login      yes       404       yes            404            yes              yes
est_a   turnover   login      ok        404       ok             404            ok               ok
est_d   page_view  login      404       404       404            yes            404              yes
"""
ESTIMATE_ACTORS, ESTIMATE_CELLS = _parse(ESTIMATE_MATRIX)


@pytest.mark.parametrize(
    ("obj", "action", "actor", "expected"),
    [pytest.param(*cell, id="-".join(cell[:3])) for cell in ESTIMATE_CELLS],
)
def test_donor_estimate_matrix(world: World, obj: str, action: str, actor: str, expected: str) -> None:
    from datetime import date as _date
    from decimal import Decimal

    from terreau.contributions.estimate_models import DonorYear
    from tests.contributions.factories import ContributionFactory

    year = _date.today().year
    for donor, recipient, text in ((world.a, world.b, "DON-ALPHA"), (world.d, world.c, "DON-DELTA")):
        ContributionFactory(
            branch=donor.branch,
            donor=donor,
            recipient=recipient,
            description=text,
            amount=Decimal("500.00"),
            value=Decimal("500.00"),
            pledged_on=_date(year, 1, 2),
            received=True,
        )
    org, text = (world.a, "DON-ALPHA") if obj == "est_a" else (world.d, "DON-DELTA")
    page, _api = clients(make_actor(actor, world))
    url = reverse("contributions:donor_estimate", args=[org.slug])
    if action == "page_view":
        response = page.get(url)
        if expected in ("yes", "no"):
            check_presence(response, text, expected)
        else:
            check_status(response, expected)
            assert text not in body(response)
    elif action == "turnover":
        check_status(page.post(url, {"annee": year, "turnover": "123456"}), expected)
        assert DonorYear.objects.filter(organisation=org).exists() == (expected == "ok")
    else:
        raise AssertionError((obj, action))


def test_estimate_matrix_covers_every_actor():
    assert ESTIMATE_ACTORS == ACTORS


# --- agreements and reports of contributions (issue 14) ------------------------------------------------------
# A pledged gift of 700 € from A to C (branch 1) for a public program of branch 1, named in a draft sponsorship
# agreement between A (donor) and C (recipient); members of A and B are administrators of their organisation.
# Objects: agreement (its page, its PDF, the page preparing an agreement from the gift, A's signature posted by the
# actor in A's name: only A's administrator may sign), report_program and report_year (A's name among the givers
# of the program's report and of the year's report: only what the actor may see is summed).
AGREEMENT_MATRIX = """
object          action      anonymous  member_a  member_b  facilitator_1  facilitator_2  network_admin_1  superuser
agreement       page_view   login      200       404       200            404            200              200
agreement       pdf         login      200       404       200            404            200              200
agreement       create_get  login      200       404       200            404            200              200
agreement       sign        login      ok        404       kept           404            kept             kept
report_program  listed      no         yes       no        yes            no             yes              yes
report_year     listed      no         yes       no        yes            no             yes              yes
"""
AGREEMENT_ACTORS, AGREEMENT_CELLS = _parse(AGREEMENT_MATRIX)


@pytest.mark.parametrize(
    ("obj", "action", "actor", "expected"),
    [pytest.param(*cell, id="-".join(cell[:3])) for cell in AGREEMENT_CELLS],
)
def test_agreement_and_report_matrix(world: World, obj: str, action: str, actor: str, expected: str) -> None:
    from datetime import date

    from terreau.contributions import agreements
    from terreau.contributions.agreement_models import AgreementSignature
    from tests.contributions.factories import ContributionFactory, ProgramFactory

    facilitator = BranchRoleFactory(branch=world.branch1).user
    program = ProgramFactory(branch=world.branch1, is_public=True)
    gift = ContributionFactory(
        branch=world.branch1, donor=world.a, recipient=world.c, program=program, pledged_on=date(2026, 3, 2)
    )
    agreement = agreements.agreement_create(
        kind="sponsorship",
        donor=world.a,
        recipient=world.c,
        purpose="Objet",
        contributions=[gift],
        starts_on=date(2026, 3, 2),
        ends_on=date(2027, 3, 1),
        by=facilitator,
    )
    user = make_actor(actor, world)
    page, _api = clients(user)
    gets = {
        "page_view": reverse("contributions:agreement", args=[agreement.pk]),
        "pdf": reverse("contributions:agreement_pdf", args=[agreement.pk]),
        "create_get": reverse("contributions:agreement_create") + f"?contribution={gift.pk}",
    }
    if obj == "agreement" and action in gets:
        check_status(page.get(gets[action]), expected)
    elif action == "sign":
        response = page.post(
            reverse("contributions:agreement_sign", args=[agreement.pk]), {"organisation": world.a.pk}
        )
        assert response.status_code < 500
        if expected != "kept":
            check_status(response, expected)
        signed = AgreementSignature.objects.filter(agreement=agreement, organisation=world.a).exists()
        assert signed == (expected == "ok")
    elif obj == "report_program":
        check_presence(
            page.get(reverse("contributions:report_program", args=[program.slug])), "Atelier Alpha", expected
        )
    elif obj == "report_year":
        check_presence(page.get(reverse("contributions:report_year", args=[2026])), "Atelier Alpha", expected)
    else:
        raise AssertionError((obj, action))


def test_agreement_matrix_covers_every_actor():
    assert AGREEMENT_ACTORS == ACTORS


# --- the contributions ledger (terreau.contributions.views and the API) -----------------------------------------

# ab: A gives B a money gift (branch 1); cb: C gives B one (A, a donor too, must not see it); dx: a private person
# gives D one (branch 2). page_view: its page; ledger: in the ledger's list ("yes"/"no" by its description);
# api_retrieve: GET /api/contributions/<id>/; instalment: an instalment posted on its page (only the recipient's
# side and the branch's staff; "ok": saved); cancel: its cancellation posted with a reason ("ok": cancelled).
LEDGER_MATRIX = """
object  action        anonymous  member_a  member_b  facilitator_1  facilitator_2  network_admin_1  superuser
ab      page_view     login      200       200       200            404            200              200
ab      ledger        login      yes       yes       yes            no             yes              yes
ab      api_retrieve  404        200       200       200            404            200              200
ab      instalment    login      403       ok        ok             404            ok               ok
ab      cancel        login      ok        ok        ok             404            ok               ok
cb      page_view     login      404       200       200            404            200              200
cb      ledger        login      no        yes       yes            no             yes              yes
cb      api_retrieve  404        404       200       200            404            200              200
dx      page_view     login      404       404       404            200            404              200
dx      ledger        login      no        no        no             yes            no               yes
dx      api_retrieve  404        404       404       404            200            404              200
dx      instalment    login      404       404       404            ok             404              ok
"""
LEDGER_ACTORS, LEDGER_CELLS = _parse(LEDGER_MATRIX)


@pytest.mark.parametrize(
    ("obj", "action", "actor", "expected"),
    [pytest.param(*cell, id="-".join(cell[:3])) for cell in LEDGER_CELLS],
)
def test_contributions_ledger_matrix(world: World, obj: str, action: str, actor: str, expected: str) -> None:
    from terreau.contributions.models import Contribution
    from tests.contributions.factories import ContributionFactory

    rows = {
        "ab": ContributionFactory(
            branch=world.branch1, donor=world.a, recipient=world.b, description="DON-AB"
        ),
        "cb": ContributionFactory(
            branch=world.branch1, donor=world.c, recipient=world.b, description="DON-CB"
        ),
        "dx": ContributionFactory(
            branch=world.branch2,
            donor=None,
            individual_name="Jeanne",
            recipient=world.d,
            description="DON-DX",
        ),
    }
    contribution = rows[obj]
    page, api = clients(make_actor(actor, world))
    if action == "page_view":
        check_status(page.get(reverse("contributions:contribution", args=[contribution.pk])), expected)
    elif action == "ledger":
        response = page.get(reverse("contributions:ledger"))
        if expected == "login":
            check_status(response, expected)
        else:
            check_presence(response, contribution.description, expected)
    elif action == "api_retrieve":
        check_status(api.get(f"/api/contributions/{contribution.pk}/"), expected)
    elif action == "instalment":
        url = reverse("contributions:instalment_add", args=[contribution.pk])
        today = timezone.localdate().isoformat()
        check_status(page.post(url, {"amount": "10,00", "received_on": today}), expected)
        assert contribution.instalments.exists() == (expected == "ok")
    elif action == "cancel":
        url = reverse("contributions:contribution_cancel", args=[contribution.pk])
        check_status(page.post(url, {"reason": FORGED}), expected)
        contribution.refresh_from_db()
        assert (contribution.state == Contribution.State.CANCELLED) == (expected == "ok")
    else:
        raise AssertionError((obj, action))


def test_ledger_matrix_covers_every_actor():
    assert LEDGER_ACTORS == ACTORS


RECEIPT_MATRIX = """
object     action         anonymous  member_a  member_b  facilitator_1  facilitator_2  network_admin_1  superuser
receipt_b  page_view      login      200       200       200            404            200              200
receipt_b  pdf            login      200       200       200            404            200              200
receipt_b  api_retrieve   404        200       200       200            404            200              200
receipt_b  cancel         login      ok        403       ok             404            ok               ok
receipt_c  page_view      login      200       404       200            404            200              200
receipt_c  api_list       no         yes       no        yes            no             yes              yes
receipt_b  donor_list     no         no        yes       no             no             no               no
issuer     list           login      200       403       200            403            200              200
issuer     summary        login      200       403       200            403            200              200
"""
RECEIPT_ACTORS, RECEIPT_CELLS = _parse(RECEIPT_MATRIX)


@pytest.mark.parametrize(
    ("obj", "action", "actor", "expected"),
    [pytest.param(*cell, id="-".join(cell[:3])) for cell in RECEIPT_CELLS],
)
def test_receipt_matrix(world: World, obj: str, action: str, actor: str, expected: str) -> None:
    """Tax receipts issued by A: one for B's gift, one for C's. A company (B) sees only its own receipts, the
    issuer (A) its own, the branch's staff those of the branch, another branch nothing; only the issuer's
    administrators and the branch's staff cancel."""
    from terreau.contributions import receipts
    from terreau.contributions.receipt_models import Receipt
    from tests.contributions.factories import ContributionFactory, EligibilityFactory

    facilitator = BranchRoleFactory(branch=world.branch1).user
    EligibilityFactory(organisation=world.a)
    issued = {}
    for name, donor in (("receipt_b", world.b), ("receipt_c", world.c)):
        gift = ContributionFactory(branch=world.branch1, donor=donor, recipient=world.a, received=True)
        issued[name] = receipts.receipt_issue(by=facilitator, issuer=world.a, contributions=[gift])
    user = make_actor(actor, world)
    page, api = clients(user)
    receipt = issued.get(obj)
    if action == "page_view":
        check_status(page.get(reverse("contributions:receipt", args=[receipt.pk])), expected)
    elif action == "pdf":
        response = page.get(reverse("contributions:receipt_pdf", args=[receipt.pk]))
        check_status(response, expected)
        assert expected != "200" or response["Content-Type"] == "application/pdf"
    elif action == "api_retrieve":
        check_status(api.get(f"/api/receipts/{receipt.pk}/"), expected)
    elif action == "api_list":
        check_presence(api.get("/api/receipts/"), receipt.number + '"', expected)
        assert issued["receipt_b"].number  # both numbers differ: 00001 and 00002
    elif action == "donor_list":
        response = page.get(reverse("contributions:my_receipts"))
        assert response.status_code < 500
        assert (response.status_code == 200 and receipt.number in body(response)) == (expected == "yes")
    elif action == "cancel":
        response = page.post(reverse("contributions:receipt_cancel", args=[receipt.pk]), {"reason": FORGED})
        check_status(response, expected)
        receipt.refresh_from_db()
        assert (receipt.state == Receipt.State.CANCELLED) == (expected == "ok")
    elif action in ("list", "summary"):
        name = "contributions:receipts" if action == "list" else "contributions:receipt_summary"
        check_status(page.get(reverse(name, args=[world.a.slug])), expected)
    else:
        raise AssertionError((obj, action))


def test_receipt_matrix_covers_every_actor():
    assert RECEIPT_ACTORS == ACTORS


# --- evaluation: framework, questionnaire builder and collection pages (terreau.evaluation) ---------------------
# World: in branch 1, a program (not public) with site A; its evaluation, collecting, with an open wave, the
# participants' questionnaire (not frozen, one question), a respondent of site A ("EVAL-0001") and a collection
# link. Actors beyond the first matrix's: a plain user, site A's volunteer and staff, the program's coordinator,
# evaluator and partner viewer. The evaluation's own matrix (tests/evaluation/test_permissions_matrix.py) adds
# the report, the answers, the API and the admin.
# Objects: evaluations (the program's list of evaluations), evaluation (its page, its edit page), question and
# wave (their "new" pages), respondents (the codes' page), link (its token on the evaluation page; a new link
# for site A posted; the link revoked), instrument (the questionnaire's page, edit page, preview), item (a
# question posted to the questionnaire), assisted (assisted entry, with the respondent's code in the page when
# allowed), paper_entry, paper_pdf (the printable questionnaire), answer_link (the link's answering page,
# without an account). Cells as above ("ok": done; any other status: nothing changed).
EVALUATION_MATRIX = """
object       action     anonymous  plain_user  volunteer  site_staff  coordinator  evaluator  partner_viewer  facilitator_1  facilitator_2  network_admin_1  superuser
evaluations  page_view  login      404         404        404         200          200        200             200            404            200              200
evaluation   page_view  login      404         404        404         200          200        200             200            404            200              200
evaluation   edit_get   login      404         404        404         200          200        403             200            404            200              200
question     add_get    login      404         404        404         200          200        403             200            404            200              200
wave         add_get    login      404         404        404         200          200        403             200            404            200              200
respondents  page_view  login      404         404        404         200          200        403             403            404            403              200
link         listed     no         no          no         no          yes          yes        no              no             no             no               yes
link         create     login      404         404        404         ok           ok         403             403            404            403              ok
link         revoke     login      404         404        404         ok           ok         404             404            404            404              ok
instrument   page_view  login      404         404        404         200          200        200             200            404            200              200
instrument   edit_get   login      404         404        404         200          200        403             200            404            200              200
instrument   preview    login      404         404        404         200          200        200             200            404            200              200
item         add        login      404         404        404         ok           ok         403             ok             404            ok               ok
assisted     page_view  login      404         yes        yes         yes         yes        403             403            404            403              yes
paper_entry  page_view  login      404         404        404         200          200        403             403            404            403              200
paper_pdf    page_view  login      404         200        200         200          200        200             200            404            200              200
answer_link  page_view  200        200         200        200         200          200        200             200            200            200              200
"""
EVALUATION_ACTORS, EVALUATION_CELLS = _parse(EVALUATION_MATRIX)


@dataclass
class EvaluationWorld:
    people: dict[str, Any]
    program: Any
    site: Any
    evaluation: Any
    wave: Any
    instrument: Any
    link: Any


@pytest.fixture
def evaluation_world(world: World) -> EvaluationWorld:
    from terreau.programs.models import ProgramRole
    from tests.evaluation.factories import (
        CollectionLinkFactory,
        EvaluationFactory,
        HostSiteFactory,
        InstrumentFactory,
        ItemFactory,
        ProgramFactory,
        RespondentFactory,
        WaveFactory,
    )

    program = ProgramFactory(branch=world.branch1, slug="programme-evalue-matrice", is_public=False)
    site = HostSiteFactory(program=program, name="Site A évalué")
    evaluation = EvaluationFactory(program=program, collecting=True)
    wave = WaveFactory(evaluation=evaluation, open=True)
    instrument = InstrumentFactory(evaluation=evaluation)
    ItemFactory(instrument=instrument, order=1, code="isolement")
    RespondentFactory(evaluation=evaluation, code="EVAL-0001", site=site)
    link = CollectionLinkFactory(wave=wave)
    people: dict[str, Any] = {"plain_user": UserFactory()}
    for name, site_of in (
        ("volunteer", site),
        ("site_staff", site),
        ("coordinator", None),
        ("evaluator", None),
        ("partner_viewer", None),
    ):
        people[name] = UserFactory()
        ProgramRole.objects.create(program=program, user=people[name], role=name, site=site_of)
    return EvaluationWorld(people, program, site, evaluation, wave, instrument, link)


@pytest.mark.parametrize(
    ("obj", "action", "actor", "expected"),
    [pytest.param(*cell, id="-".join(cell[:3])) for cell in EVALUATION_CELLS],
)
def test_evaluation_matrix(
    world: World, evaluation_world: EvaluationWorld, obj: str, action: str, actor: str, expected: str
) -> None:
    from terreau.evaluation.models import CollectionLink, Item

    ew = evaluation_world
    user = ew.people[actor] if actor in ew.people else make_actor(actor, world)
    page, _api = clients(user)
    evaluation, instrument = ew.evaluation, ew.instrument

    def check_post(url: str, data: dict, changed) -> None:
        check_status(page.post(url, data), expected)
        assert changed() == (expected == "ok"), (obj, action, actor)

    gets = {
        ("evaluations", "page_view"): reverse("evaluation:program_evaluations", args=[ew.program.slug]),
        ("evaluation", "page_view"): reverse("evaluation:detail", args=[evaluation.pk]),
        ("evaluation", "edit_get"): reverse("evaluation:edit", args=[evaluation.pk]),
        ("question", "add_get"): reverse("evaluation:question_add", args=[evaluation.pk]),
        ("wave", "add_get"): reverse("evaluation:wave_add", args=[evaluation.pk]),
        ("respondents", "page_view"): reverse("evaluation:respondents", args=[evaluation.pk]),
        ("instrument", "page_view"): reverse("evaluation:instrument", args=[instrument.pk]),
        ("instrument", "edit_get"): reverse("evaluation:instrument_edit", args=[instrument.pk]),
        ("instrument", "preview"): reverse("evaluation:instrument_preview", args=[instrument.pk]),
        ("paper_entry", "page_view"): reverse("evaluation:paper_entry", args=[evaluation.pk]),
        ("paper_pdf", "page_view"): reverse("evaluation:paper_pdf", args=[instrument.pk]),
        ("answer_link", "page_view"): reverse("evaluation:link", args=[ew.link.token]),
    }
    if (obj, action) in gets:
        check_status(page.get(gets[(obj, action)]), expected)
    elif (obj, action) == ("assisted", "page_view"):
        response = page.get(reverse("evaluation:assist_start", args=[evaluation.pk]))
        if expected == "yes":
            check_presence(response, "EVAL-0001", expected)
        else:
            check_status(response, expected)
    elif (obj, action) == ("link", "listed"):
        check_presence(page.get(reverse("evaluation:detail", args=[evaluation.pk])), ew.link.token, expected)
    elif (obj, action) == ("link", "create"):
        check_post(
            reverse("evaluation:link_create", args=[evaluation.pk]),
            {"lien-wave": ew.wave.pk, "lien-audience": "participants", "lien-site": ew.site.pk},
            lambda: CollectionLink.objects.filter(wave=ew.wave, site=ew.site).exists(),
        )
    elif (obj, action) == ("link", "revoke"):
        check_post(
            reverse("evaluation:link_revoke", args=[ew.link.pk]),
            {},
            lambda: CollectionLink.objects.get(pk=ew.link.pk).revoked_at is not None,
        )
    elif (obj, action) == ("item", "add"):
        check_post(
            reverse("evaluation:item_add", args=[instrument.pk]),
            {"kind": "text", "text": FORGED, "code": ""},
            lambda: Item.objects.filter(instrument=instrument, text=FORGED).exists(),
        )
    else:
        raise AssertionError((obj, action))


def test_evaluation_matrix_covers_every_kind_of_person():
    assert EVALUATION_ACTORS == [
        "anonymous",
        "plain_user",
        "volunteer",
        "site_staff",
        "coordinator",
        "evaluator",
        "partner_viewer",
        "facilitator_1",
        "facilitator_2",
        "network_admin_1",
        "superuser",
    ]
    assert {obj for obj, *_ in EVALUATION_CELLS} == {
        "evaluations",
        "evaluation",
        "question",
        "wave",
        "respondents",
        "link",
        "instrument",
        "item",
        "assisted",
        "paper_entry",
        "paper_pdf",
        "answer_link",
    }
