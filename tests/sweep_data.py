"""The demo territory plus what the demo does not create (events, a speed-meeting, contact requests, a
partnership, an import report), shared by the site-wide sweeps (tests/browser/test_sweep.py,
tests/test_no_500.py). Call build() with database access; it returns the roles and the URLs to visit."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

DEMO_DEPARTMENTS = {"16", "17", "79", "86", "67", "68"}
SAMPLE_CSV = Path(__file__).resolve().parent / "data" / "generic.csv"

# (role key, e-mail); None is the anonymous visitor. Password: terreau.demo.people.DEMO_PASSWORD.
ROLES: dict[str, str | None] = {
    "anonymous": None,
    "network_admin": "admin.reseau@demo.terreau.example.org",
    "poitou_facilitator": "animatrice.poitou@demo.terreau.example.org",
    "alsace_facilitator": "animateur.alsace@demo.terreau.example.org",
    "ehpad_member": "direction.ehpad@demo.terreau.example.org",
    "csr_member": "rse.entreprise@demo.terreau.example.org",
    "uniscite_member": "coordination.uniscite@demo.terreau.example.org",
    "silvergeek_coordinator": "coordination.silvergeek@demo.terreau.example.org",
    "site_staff": "equipe.site@demo.terreau.example.org",
}


@dataclass
class SweepData:
    urls: dict[str, str] = field(default_factory=dict)  # page key -> path (HTML pages)
    downloads: dict[str, str] = field(default_factory=dict)  # page key -> path (files: CSV, XLSX, PDF, ICS)
    # Pages each role must reach (status < 400); the sweep visits the other pages when the role can.
    expected: dict[str, set[str]] = field(default_factory=dict)
    objects: dict[str, object] = field(default_factory=dict)


def build() -> SweepData:
    from terreau.accounts.models import User
    from terreau.activities.models import Mission, Participant, RecurringSession, Session
    from terreau.core.models import Branch
    from terreau.directory.importers.service import import_organisations
    from terreau.directory.models import NeedOffer, Organisation
    from terreau.evaluation.models import Evaluation
    from terreau.events import services as event_services
    from terreau.events.models import Event, Registration
    from terreau.meetings import services as meeting_services
    from terreau.partnerships import services as partnership_services
    from terreau.partnerships.models import ContactRequest
    from terreau.programs.models import EquipmentItem, HostSite, Kit, Program, ProgramRole
    from terreau.territories.loader import load_territories

    load_territories(departments=DEMO_DEPARTMENTS)
    call_command("load-demo", stdout=io.StringIO())

    poitou = Branch.objects.get(slug="demo-poitou-charentes")
    users = {key: User.objects.get(email=email) for key, email in ROLES.items() if email}
    ehpad = Organisation.objects.get(slug="ehpad-les-glycines")
    company = Organisation.objects.get(slug="sevre-et-marais-assurances")
    uniscite = Organisation.objects.get(slug="unis-cite-poitiers")
    need = NeedOffer.objects.filter(organisation=ehpad).order_by("pk").first()
    offer = NeedOffer.objects.filter(direction="offer").exclude(organisation=ehpad).order_by("pk").first()

    # Contact requests: one pending (EHPAD -> company), one accepted (a partnership with Unis-Cité).
    partnership_services.contact_request_create(
        sender=ehpad, recipient=company, need=need, offer=None, message="Bonjour", by=users["ehpad_member"]
    )
    accepted = partnership_services.contact_request_create(
        sender=ehpad, recipient=uniscite, need=need, offer=None, message="Bonjour", by=users["ehpad_member"]
    )
    partnership = partnership_services.contact_request_accept(
        request=accepted, by=users["uniscite_member"], answer="Avec plaisir"
    )

    # Events: a meeting with registrations, a speed-meeting set up with four participants.
    start = timezone.now() + timedelta(days=10)
    commune = ehpad.commune
    meeting = Event.objects.create(
        branch=poitou,
        kind="meeting",
        title="Rencontre des acteurs du bien vieillir",
        slug="sweep-rencontre",
        description="Associations et entreprises se découvrent.",
        starts_at=start,
        ends_at=start + timedelta(hours=3),
        venue="Centre socioculturel des Trois Cités",
        address="1 place des Trois Cités",
        commune=commune,
        capacity=30,
        is_published=True,
    )
    registration = event_services.registration_create(
        event=meeting,
        name="Martine Rousseau",
        email=users["ehpad_member"].email,
        organisation=ehpad,
        user=users["ehpad_member"],
    )
    event_services.registration_create(event=meeting, name="Paul Durand", email="paul.durand@example.org")
    speed = Event.objects.create(
        branch=poitou,
        kind="speed_meeting",
        title="Rendez-vous d'affaires solidaires",
        slug="sweep-speed-meeting",
        starts_at=start,
        ends_at=start + timedelta(hours=2),
        venue="Hôtel de ville",
        commune=commune,
        capacity=30,
        is_published=True,
    )
    speed_regs = []
    for i, (org, user) in enumerate(
        [(ehpad, users["ehpad_member"]), (uniscite, users["uniscite_member"]), (company, users["csr_member"])]
        + [
            (o, None)
            for o in Organisation.objects.filter(branch=poitou, kind="company").exclude(pk=company.pk)[:2]
        ]
    ):
        speed_regs.append(
            Registration.objects.create(
                event=speed,
                name=user.get_full_name() if user else f"Participant {i}",
                email=user.email if user else f"participant{i}@example.org",
                organisation=org,
                user=user,
                status=Registration.Status.CONFIRMED,
            )
        )
    meeting_services.speed_meeting_setup(
        event=speed,
        data={"rounds": 2, "round_minutes": 15, "break_minutes": 5, "tables": 2, "wishes_deadline": start},
    )

    # An import report (the sample has bad rows).
    with SAMPLE_CSV.open("rb") as fh:
        run = import_organisations(
            stream=fh,
            file_name="exemple.csv",
            format="generic",
            branch=poitou,
            by=users["poitou_facilitator"],
        )

    program = Program.objects.get(is_demo=True)
    staff_site = ProgramRole.objects.filter(user=users["site_staff"], site__isnull=False).first()
    site = staff_site.site if staff_site else HostSite.objects.filter(program=program).order_by("pk").first()
    session = Session.objects.filter(site=site).order_by("starts_at").first()
    past_session = (
        Session.objects.filter(site=site, starts_at__lt=timezone.now()).order_by("-starts_at").first()
    )
    participant = Participant.objects.filter(site=site).order_by("pk").first()
    kit = Kit.objects.filter(program=program).order_by("pk").first()
    item = EquipmentItem.objects.filter(program=program).order_by("pk").first()
    mission = Mission.objects.filter(program=program).order_by("pk").first()
    recurring = RecurringSession.objects.filter(site=site).order_by("pk").first()
    evaluation = Evaluation.objects.filter(program=program).order_by("pk").first()
    instrument = evaluation.instruments.filter(is_current=True).order_by("pk").first()
    share = evaluation.share_links.filter(revoked_at__isnull=True).order_by("pk").first()

    p = program.slug
    urls = {
        "search": reverse("directory:search"),
        "search_filtered": reverse("directory:search")
        + "?q=tablettes&kind=association&type=equipment&department=86&theme=digital",
        "search_page2": reverse("directory:search") + "?page=2",
        "organisation": reverse("directory:organisation", args=[ehpad.slug]),
        "organisation_company": reverse("directory:organisation", args=[company.slug]),
        "organisation_edit": reverse("directory:organisation_edit", args=[ehpad.slug]),
        "organisation_members": reverse("directory:organisation_members", args=[ehpad.slug]),
        "need_create": reverse("directory:need_offer_create", args=[ehpad.slug]),
        "need_edit": reverse("directory:need_offer_edit", args=[need.pk]),
        "need_status": reverse("directory:need_offer_status", args=[need.pk]),
        "map": reverse("directory:map") + "?department=86",
        "import": reverse("directory:import"),
        "import_report": reverse("directory:import_report", args=[run.pk]),
        "complementarities": reverse("matching:home"),
        "complementarities_territory_home": reverse("matching:territory_home"),
        "complementarities_territory": reverse("matching:territory", args=[poitou.slug]),
        "suggestions": reverse("matching:suggestions", args=[ehpad.slug]),
        "inbox": reverse("partnerships:inbox"),
        "propose": reverse("partnerships:propose") + f"?sender={ehpad.slug}&recipient={company.slug}",
        "board": reverse("partnerships:board"),
        "partnership": reverse("partnerships:detail", args=[partnership.pk]),
        "events": reverse("events:list"),
        "event_create": reverse("events:create"),
        "event": reverse("events:detail", args=[meeting.slug]),
        "event_register": reverse("events:register", args=[meeting.slug]),
        "event_edit": reverse("events:edit", args=[meeting.slug]),
        "event_registrations": reverse("events:registrations", args=[meeting.slug]),
        "event_checkin": reverse("events:checkin", args=[meeting.slug]),
        "event_registration_page": reverse(
            "events:registration", args=[event_services.tokens.make_token(registration.pk, "manage")]
        ),
        "speed_event": reverse("events:detail", args=[speed.slug]),
        "speed_planning": reverse("meetings:planning", args=[speed.slug]),
        "speed_setup": reverse("meetings:setup", args=[speed.slug]),
        "speed_wishes": reverse("meetings:wishes", args=[speed.slug]),
        "speed_wishes_link": reverse(
            "meetings:wishes_token", args=[speed.slug, meeting_services.participant_token(speed_regs[3])]
        ),
        "programs": reverse("programs:list"),
        "program": reverse("programs:detail", args=[p]),
        "program_edit": reverse("programs:edit", args=[p]),
        "program_partners": reverse("programs:partners", args=[p]),
        "program_team": reverse("programs:team", args=[p]),
        "sites": reverse("programs:sites", args=[p]),
        "site": reverse("programs:site", args=[p, site.pk]),
        "site_edit": reverse("programs:site_edit", args=[p, site.pk]),
        "inventory": reverse("programs:inventory", args=[p, site.pk]),
        "equipment": reverse("programs:equipment", args=[p]),
        "equipment_add": reverse("programs:item_add", args=[p]),
        "kits": reverse("programs:kits", args=[p]),
        "kit": reverse("programs:kit", args=[p, kit.pk]),
        "item": reverse("programs:item", args=[p, item.pk]),
        "item_incident": reverse("programs:item_incident", args=[p, item.pk]),
        "sessions": reverse("activities:sessions", args=[p]),
        "sessions_plan": reverse("activities:plan", args=[p]),
        "session": reverse("activities:session", args=[p, session.pk]),
        "report": reverse("activities:report", args=[p, past_session.pk]),
        "calendar": reverse("activities:calendar", args=[p]),
        "missions": reverse("activities:missions", args=[p]),
        "mission_edit": reverse("activities:mission_edit", args=[p, mission.pk]),
        "recurring_edit": reverse("activities:recurring_edit", args=[p, recurring.pk]),
        "participants": reverse("activities:participants", args=[p]),
        "participant_add": reverse("activities:participant_add", args=[p]),
        "participant": reverse("activities:participant", args=[p, participant.pk]),
        "dashboard": reverse("activities:dashboard", args=[p]),
        "program_evaluations": reverse("evaluation:program_evaluations", args=[p]),
        "evaluation": reverse("evaluation:detail", args=[evaluation.pk]),
        "evaluation_report": reverse("evaluation:report", args=[evaluation.pk]),
        "evaluation_respondents": reverse("evaluation:respondents", args=[evaluation.pk]),
        "instrument": reverse("evaluation:instrument", args=[instrument.pk]),
        "instrument_preview": reverse("evaluation:instrument_preview", args=[instrument.pk]),
        "evaluation_shared": reverse("evaluation:shared_report", args=[share.token]),
        "api_token": reverse("api-token"),
        "profile": reverse("accounts:profile"),
        "login": reverse("accounts:login"),
        "password_reset": reverse("accounts:password_reset"),
    }
    downloads = {
        "export_csv": reverse("directory:export", args=["csv"]) + "?department=86",
        "export_xlsx": reverse("directory:export", args=["xlsx"]) + "?q=tablettes",
        "import_template": reverse("directory:import_template"),
        "board_export": reverse("partnerships:board_export"),
        "attendance_export": reverse("events:export", args=[meeting.slug]),
        "dashboard_xlsx": reverse("activities:dashboard_xlsx", args=[p]),
        "alliances_csv": reverse("matching:territory_alliances_csv", args=[poitou.slug]),
        "evaluation_pdf": reverse("evaluation:report_pdf", args=[evaluation.pk]),
        "evaluation_xlsx": reverse("evaluation:answers_xlsx", args=[evaluation.pk]),
        "paper_pdf": reverse("evaluation:paper_pdf", args=[instrument.pk]),
    }
    public = {
        "search",
        "search_filtered",
        "search_page2",
        "organisation",
        "organisation_company",
        "map",
        "events",
        "event",
        "event_register",
        "speed_event",
        "login",
        "password_reset",
        "event_registration_page",
        "speed_wishes_link",
        "evaluation_shared",
    }
    signed_in = public - {"login"} | {"profile", "api_token"}
    program_pages = {"program", "sites", "site", "sessions", "session", "calendar"}
    # The evaluation's framework and report: the program's coordination and the branch's staff; its respondents
    # (pseudonymous answers) the coordination only.
    evaluation_pages = {
        "program_evaluations",
        "evaluation",
        "evaluation_report",
        "instrument",
        "instrument_preview",
    }
    facilitator = (
        signed_in
        | {
            "import",
            "import_report",
            "complementarities",
            "complementarities_territory",
            "board",
            "partnership",
            "event_create",
            "event_edit",
            "event_registrations",
            "event_checkin",
            "speed_planning",
            "speed_setup",
            "organisation_edit",
            "need_create",
            "need_edit",
            "suggestions",
            "inbox",
            "programs",
        }
        | program_pages
        # Not "participant": beneficiaries' personal data is for the people who run their sessions only.
        | {"participants", "dashboard", "report", "equipment", "kits", "kit", "item", "recurring_edit"}
        | evaluation_pages
    )
    expected = {
        "anonymous": public,
        "network_admin": facilitator,
        "poitou_facilitator": facilitator,
        "alsace_facilitator": signed_in | {"import", "complementarities"},
        "ehpad_member": signed_in
        | {
            "organisation_edit",
            "organisation_members",
            "need_create",
            "need_edit",
            "inbox",
            "suggestions",
            "partnership",
            "speed_wishes",
        },
        "csr_member": signed_in | {"inbox", "speed_wishes"},
        "uniscite_member": signed_in | {"inbox", "partnership", "speed_wishes"},
        "silvergeek_coordinator": signed_in
        | program_pages
        | evaluation_pages
        | {"evaluation_respondents"}
        | {
            "programs",
            "participants",
            "dashboard",
            "equipment",
            "kits",
            "report",
            "missions",
            "recurring_edit",
        },
        "site_staff": signed_in
        | {"site", "sessions", "session", "participants", "participant", "report", "recurring_edit"},
    }
    return SweepData(
        urls=urls,
        downloads=downloads,
        expected=expected,
        objects={
            "program": program,
            "site": site,
            "event": meeting,
            "speed": speed,
            "branch": poitou,
            "organisation": ehpad,
            "partnership": partnership,
            "import_run": run,
            "users": users,
            "need": need,
            "offer": offer,
            "kit": kit,
            "item": item,
            "session": past_session or session,
            "mission": mission,
            "recurring": recurring,
            "participant": participant,
            "registration": registration,
            "speed_registration": speed_regs[0],
            "speed_registration_link": speed_regs[3],
            "membership": ehpad.memberships.order_by("pk").first(),
            "contact_request": ContactRequest.objects.filter(status="pending").order_by("pk").first(),
            "program_partner": program.partners.order_by("pk").first(),
            "program_role": program.team.order_by("pk").first(),
        },
    )


def reset_database() -> None:
    """Leave the database as a transactional test leaves it: empty, with the reference data back."""
    from django.contrib.contenttypes.models import ContentType

    from terreau.directory.models import Theme
    from terreau.vocabulary import THEMES

    call_command("flush", interactive=False, verbosity=0)
    ContentType.objects.clear_cache()
    Theme.objects.bulk_create(
        [Theme(code=c, label=label) for c, label in THEMES.items()], ignore_conflicts=True
    )
