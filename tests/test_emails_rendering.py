"""Every e-mail Terreau sends, triggered through its real service with names holding & ' " < > é: the plain
text (subject and body) carries them as typed, never as HTML entities ("Sèvre &amp; Marais", "l&#x27;atelier");
an HTML alternative, when there is one, carries them escaped. Plus the convention that keeps it so: e-mail
templates live under <app>/emails/ and are rendered only by terreau.core.mail."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from terreau.activities.models import Session
from terreau.activities.sessions import session_cancel, session_replace
from terreau.directory.services import membership_add
from terreau.events.models import Registration
from terreau.events.services import send_registration_mail
from terreau.meetings import agendas, plans, services
from terreau.partnerships.models import ContactRequest
from terreau.partnerships.services import (
    contact_request_accept,
    contact_request_create,
    contact_request_decline,
    contact_requests_expire,
)
from terreau.programs.team import team_add
from tests.activities.test_activities_support import mission as make_mission
from tests.factories import (
    BranchFactory,
    BranchRoleFactory,
    EventFactory,
    MembershipFactory,
    NeedOfferFactory,
    OrganisationFactory,
    UserFactory,
)
from tests.programs.test_programs_support import make_program

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = ROOT / "terreau" / "templates"

HOSTILE = "Sèvre & Marais"
PIECES = ["Sèvre & Marais", "l'atelier", '"quoted"', "<b>x</b>", "é"]
ENTITIES = re.compile(r"&(amp|#x27|#39|quot|lt|gt|#34);")
SITE_URL = "https://terreau.example.org"


def name(suffix: str = "") -> str:
    return f'{HOSTILE} {suffix}l\'atelier "quoted" <b>x</b> é'.replace("  ", " ")


def check(message, *, in_subject: bool = True) -> None:
    """The subject (when it names something) and the body hold every piece literally, with no entity; an HTML
    alternative holds them escaped."""
    for piece in PIECES:
        assert piece in message.body, (piece, message.body)
        if in_subject:
            assert piece in message.subject, (piece, message.subject)
    assert not ENTITIES.search(message.body), message.body
    assert not ENTITIES.search(message.subject), message.subject
    assert "\n" not in message.subject
    for content, mimetype in getattr(message, "alternatives", []):
        if mimetype == "text/html":
            assert escape("<b>x</b>") in content and "<b>x</b>" not in content


@pytest.fixture
def capture(django_capture_on_commit_callbacks):
    def run(fn, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return fn(*args, **kwargs)

    return run


# --- events ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "template", ["confirm_request", "confirmed", "waitlisted", "promoted", "cancelled", "reminder"]
)
def test_event_mails(template, capture):
    event = EventFactory(title=name(), venue=name("salle "))
    registration = Registration.objects.create(
        event=event, name=name("Camille "), email="camille@example.org", status=Registration.Status.CONFIRMED
    )
    capture(send_registration_mail, registration, template, with_ics=template == "confirmed")
    [message] = mail.outbox
    check(message)
    assert message.to == ["camille@example.org"]


# --- speed-meetings -------------------------------------------------------------------------------------


def test_speed_meeting_provisional_and_final_agenda_mails(capture):
    branch = BranchFactory()
    organiser = UserFactory()
    BranchRoleFactory(user=organiser, branch=branch)
    start = timezone.now() + timedelta(days=10)
    event = EventFactory(
        branch=branch,
        kind="speed_meeting",
        title=name(),
        capacity=10,
        starts_at=start,
        ends_at=start + timedelta(hours=3),
    )
    orgs = [
        OrganisationFactory(branch=branch, name=name("asso ")),
        OrganisationFactory(branch=branch, company=True),
    ]
    regs = [
        Registration.objects.create(
            event=event,
            name=name(f"{i} "),
            email=f"p{i}@example.org",
            organisation=org,
            status=Registration.Status.CONFIRMED,
        )
        for i, org in enumerate(orgs)
    ]
    sm = services.speed_meeting_setup(
        event=event,
        data={
            "rounds": 1,
            "round_minutes": 15,
            "break_minutes": 5,
            "tables": 1,
            "wishes_deadline": start - timedelta(days=1),
            "bipartite": True,
        },
        by=organiser,
    )
    services.wishes_save(sm=sm, source=regs[0], levels={regs[1].pk: "must"})
    plans.plan_run(sm=sm, by=organiser)
    assert capture(agendas.send_provisional_plan_mails, sm=sm, registrations=regs) == 2
    assert capture(agendas.send_final_plan_mails, sm=sm, registrations=regs) == 2
    assert len(mail.outbox) == 4
    for message in mail.outbox:
        check(message)
    # The final agenda names the other side, here the association with the hostile name.
    final_to_company = next(m for m in mail.outbox[2:] if m.to == ["p1@example.org"])
    assert orgs[0].name in final_to_company.body or regs[0].name in final_to_company.body


# --- contact requests -----------------------------------------------------------------------------------


def _pair():
    branch = BranchFactory()
    sender = OrganisationFactory(branch=branch, name=name("émettrice "))
    recipient = OrganisationFactory(branch=branch, name=name("destinataire "))
    MembershipFactory(organisation=sender, user=UserFactory(email="sender@example.org"))
    MembershipFactory(organisation=recipient, user=UserFactory(email="recipient@example.org"))
    need = NeedOfferFactory(organisation=recipient, title=name("besoin "))
    return sender, recipient, need


def test_contact_request_received_accepted_declined_and_expired_mails(capture):
    sender, recipient, need = _pair()
    request = capture(
        contact_request_create,
        sender=sender,
        recipient=recipient,
        need=need,
        offer=None,
        message=name("mot "),
    )
    [received] = mail.outbox
    check(received)
    assert need.title in received.body and request.message in received.body

    mail.outbox.clear()
    capture(contact_request_accept, request=request, answer=name("réponse "))
    assert len(mail.outbox) == 2
    for message in mail.outbox:
        check(message, in_subject=False)

    mail.outbox.clear()
    other_need = NeedOfferFactory(organisation=recipient, title="Autre besoin")
    second = capture(contact_request_create, sender=sender, recipient=recipient, need=other_need, offer=None)
    mail.outbox.clear()
    capture(contact_request_decline, request=second, answer=name("non "))
    [declined] = mail.outbox
    check(declined, in_subject=False)

    mail.outbox.clear()
    third_need = NeedOfferFactory(organisation=recipient, title="Troisième besoin")
    third = capture(contact_request_create, sender=sender, recipient=recipient, need=third_need, offer=None)
    ContactRequest.objects.filter(pk=third.pk).update(expires_at=timezone.now() - timedelta(days=1))
    mail.outbox.clear()
    assert capture(contact_requests_expire) == 1
    assert len(mail.outbox) == 2
    for message in mail.outbox:
        check(message, in_subject=False)


# --- teams: organisation members, program teams, password reset -----------------------------------------


def test_organisation_member_mail_for_a_new_account(capture):
    organisation = OrganisationFactory(name=name())
    by = UserFactory(first_name="l'atelier", last_name="Sèvre & Marais")
    capture(membership_add, organisation=organisation, email="nouveau@example.org", by=by, site_url=SITE_URL)
    [message] = mail.outbox
    check(message)
    assert str(by) in message.body


def test_program_team_mail(capture):
    program, site_a, _site_b, _kit = make_program()
    program.name = name()
    program.save(update_fields=["name"])
    site_a.name = name("site ")
    site_a.save(update_fields=["name"])
    by = UserFactory()
    BranchRoleFactory(user=by, branch=program.branch)
    capture(
        team_add,
        program=program,
        email="benevole@example.org",
        role="site_staff",
        site=site_a,
        by=by,
        site_url=SITE_URL,
    )
    [message] = mail.outbox
    check(message)
    assert site_a.name in message.body


def test_password_reset_mail(client, capture):
    user = UserFactory(email="camille@example.org", first_name=name())
    response = capture(client.post, reverse("accounts:password_reset"), {"email": user.email})
    assert response.status_code == 302
    [message] = mail.outbox
    assert message.subject == "Terreau : réinitialisation de votre mot de passe"
    assert "/compte/" in message.body or "http" in message.body
    assert not ENTITIES.search(message.body)


# --- program sessions (messages written in Python, no template) -----------------------------------------


def test_session_cancelled_and_moved_mails(capture):
    program, site_a, _site_b, _kit = make_program()
    site_a.name = name("site ")
    site_a.contact_email = "site@example.org"
    site_a.save(update_fields=["name", "contact_email"])
    volunteer = UserFactory(email="volontaire@example.org")
    mission = make_mission(program, user=volunteer, sites=[site_a], starts_on=timezone.localdate())
    starts = timezone.now() + timedelta(days=3)
    session = Session.objects.create(site=site_a, starts_at=starts, duration_minutes=90, volunteers_needed=1)
    session.volunteers.add(mission)
    capture(session_cancel, session=session, reason=name("motif "))
    # One e-mail per person (each with their own unsubscribe link).
    assert sorted(m.to[0] for m in mail.outbox) == ["site@example.org", "volontaire@example.org"]
    cancelled = mail.outbox[0]
    check(cancelled, in_subject=False)
    assert site_a.name in cancelled.subject

    mail.outbox.clear()
    capture(session_replace, session=session, starts_at=starts + timedelta(days=1))
    moved = mail.outbox[0]
    assert len(mail.outbox) == 2
    assert site_a.name in moved.subject and site_a.name in moved.body
    assert not ENTITIES.search(moved.body + moved.subject)


# --- convention -----------------------------------------------------------------------------------------


def test_every_text_template_is_an_email_under_an_emails_folder():
    for path in TEMPLATES.rglob("*.txt"):
        rel = path.relative_to(TEMPLATES)
        assert rel.parent.name == "emails", f"{rel}: e-mail templates live in <app>/emails/"
        if path.name.startswith("_") or path.stem.endswith("_subject"):
            continue
        assert path.with_name(f"{path.stem}_subject.txt").exists(), f"{rel} needs its _subject.txt"


def test_email_templates_are_rendered_only_through_terreau_core_mail():
    """A .txt template rendered by render_to_string (or Django's password reset) would be HTML-escaped:
    Python code names e-mails by their base ("events/emails/confirmed") and lets terreau.core.mail render."""
    offenders = []
    for path in (ROOT / "terreau").rglob("*.py"):
        if "migrations" in path.parts or path == ROOT / "terreau" / "core" / "mail.py":
            continue
        text = path.read_text(encoding="utf-8")
        # A template path: a quoted "app/emails/name.txt" (a file name such as "codes.txt" or "/robots.txt" is
        # not a template).
        if re.search(r"[\"'][\w{}]+(?:/[\w{}.-]+)+\.txt[\"']|email_template_name\s*=\s*[\"']", text):
            offenders.append(str(path.relative_to(ROOT)))
    assert not offenders, f"render these e-mails with terreau.core.mail.email_message: {offenders}"
