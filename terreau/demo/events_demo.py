"""Demo events: in Poitou-Charentes a past "Rencontre associations-entreprises" with its attendance, an
upcoming workshop "Atelier bien vieillir et numérique" with its agenda, notes and decisions, and an upcoming
"Speed-meeting Silver Geek" with about 30 associations and companies, their wishes and a provisional plan
computed by the meeting planner; in Alsace an upcoming meeting. Every event is flagged is_demo (its
registrations, workshop items, speed-meeting, wishes and plan go with it).

Called by terreau.demo.loader at the end of load_demo, after the demo organisations and accounts exist. No
e-mail is sent: registrations and wishes are written directly, and the provisional plan is published
without notifying anyone.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db.models import Q
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from terreau.accounts.models import User
from terreau.core.models import Branch
from terreau.demo.errors import DemoError
from terreau.demo.people import USERS
from terreau.demo.records import read
from terreau.directory.models import Organisation
from terreau.events.models import Event, Registration, RegistrationChange, WorkshopItem
from terreau.meetings import plans as meeting_plans
from terreau.meetings import services as meeting_services
from terreau.meetings.models import Participation, Wish

S = Registration.Status
_DATA = read("events.json")


@dataclass(frozen=True)
class Person:
    name: str
    email: str
    user: User | None


def delete_events_demo() -> None:
    """Remove the previous demo events (their registrations, workshop items and speed-meeting go with them)."""
    Event.objects.filter(is_demo=True).delete()


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


def _orgs(branch: Branch, slugs: tuple[str, ...]) -> list[Organisation]:
    """The demo organisations named by slug (or slug-demo when the slug was taken), in the given order."""
    found = Organisation.objects.filter(
        Q(slug__in=slugs) | Q(slug__in=[f"{s}-demo" for s in slugs]), branch=branch, is_demo=True
    )
    by_slug = {org.slug.removesuffix("-demo"): org for org in found}
    return [by_slug[s] for s in slugs if s in by_slug]


def _person(org: Organisation, accounts: dict[str, User]) -> Person:
    """The organisation's contact: a demo account when there is one, otherwise a fictitious person (the
    same one at every event, and no two organisations share a name)."""
    key = org.slug.removesuffix("-demo")
    user = accounts.get(ACCOUNT_OF.get(key, ""))
    if user is not None:
        return Person(user.get_full_name(), user.email, user)
    index, n = CONTACTS.index(key), len(FIRST_NAMES)
    first, last = FIRST_NAMES[index % n], LAST_NAMES[(index + index // n) % len(LAST_NAMES)]
    email = f"{slugify(first)}.{slugify(last)}@{key}.demo.terreau.example.org"
    return Person(f"{first} {last}", email, None)


def _event(branch: Branch, *, slug: str, organiser: User | None, themes=(), **fields) -> Event:
    event = Event.objects.create(branch=branch, slug=slug, is_published=True, is_demo=True, **fields)
    if organiser is not None:
        event.organisers.add(organiser)
    event.themes.set(themes)
    return event


def _register(
    event: Event,
    orgs: list[Organisation],
    accounts: dict[str, User],
    *,
    default: str = S.CONFIRMED,
    statuses: Mapping[int, str] | None = None,
    at: datetime,
    by: User | None = None,
) -> list[Registration]:
    """One registration per organisation, with status `default` unless `statuses` (index → status) says
    otherwise, and the history a real registration would have."""
    statuses = statuses or {}
    rows = []
    for i, org in enumerate(orgs):
        person = _person(org, accounts)
        status = statuses.get(i, default)
        rows.append(
            Registration(
                event=event,
                user=person.user,
                name=person.name,
                email=person.email,
                organisation=org,
                status=status,
                attended_at=event.starts_at + timedelta(minutes=5 + i % 20) if status == S.ATTENDED else None,
                checked_in_by=by if status == S.ATTENDED else None,
            )
        )
    Registration.objects.bulk_create(rows)
    history = []
    for row in rows:
        path = {
            S.CONFIRMED: ["", S.PENDING, S.CONFIRMED],
            S.ATTENDED: ["", S.PENDING, S.CONFIRMED, S.ATTENDED],
            S.CANCELLED: ["", S.PENDING, S.CONFIRMED, S.CANCELLED],
        }[row.status]
        for before, after in zip(path, path[1:], strict=False):
            history.append(
                RegistrationChange(
                    registration=row,
                    from_state=before,
                    to_state=after,
                    by=by if after == S.ATTENDED else row.user,
                    note=_("Accueil") if after == S.ATTENDED else "",
                )
            )
    RegistrationChange.objects.bulk_create(history)
    # Dates a real history would have: registered at `at`, cancelled a few days before, present at the door.
    for change in history:
        if change.to_state == S.ATTENDED:
            change.at = change.registration.attended_at
        elif change.to_state == S.CANCELLED:
            change.at = min(at + timedelta(days=5), event.starts_at - timedelta(days=1))
        else:
            change.at = at
    RegistrationChange.objects.bulk_update(history, ["at"])
    Registration.objects.filter(pk__in=[r.pk for r in rows]).update(created_at=at)
    return rows


def _add_workshop_items(event: Event, items: tuple[tuple[str, str], ...], by: User | None) -> None:
    """The workshop's agenda, notes and decisions, numbered in order within each kind."""
    counters: dict[str, int] = {}
    rows = []
    for kind, text in items:
        counters[kind] = counters.get(kind, 0) + 1
        rows.append(WorkshopItem(event=event, kind=kind, text=text, order=counters[kind], created_by=by))
    WorkshopItem.objects.bulk_create(rows)


def _wishes(regs: list[Registration], rng: random.Random) -> list[Wish]:
    """Each association wishes 3 to 5 companies and each company 2 to 4 associations, popular ones more often;
    the first wish is a "must"; now and then a "no thanks"."""
    assos = [r for r in regs if r.organisation.kind == "association"]
    companies = [r for r in regs if r.organisation.kind == "company"]
    wishes: list[Wish] = []
    for mine, others, count in ((assos, companies, (3, 5)), (companies, assos, (2, 4))):
        weights = [POPULAR.get(r.organisation.slug.removesuffix("-demo"), 1) for r in others]
        for source in mine:
            chosen: list[Registration] = []
            while len(chosen) < rng.randint(*count):
                target = rng.choices(others, weights=weights)[0]
                if target not in chosen:
                    chosen.append(target)
            for i, target in enumerate(chosen):
                level = Wish.Level.MUST if i == 0 else Wish.Level.LIKE
                wishes.append(Wish(source=source, target=target, level=level))
            if rng.random() < 0.15:
                rest = [r for r in others if r not in chosen]
                wishes.append(Wish(source=source, target=rng.choice(rest), level=Wish.Level.NO))
    return wishes


def _plan_speed_meeting(event: Event, day: date, facilitator: User | None) -> None:
    """Set up the speed-meeting of a registered event, with wishes, a few unavailabilities and a provisional
    plan published without notifying anyone."""
    regs = list(Registration.objects.filter(event=event).select_related("organisation").order_by("pk"))
    sm = meeting_services.speed_meeting_setup(
        event=event,
        data={
            "rounds": 6,
            "round_minutes": 12,
            "break_minutes": 3,
            "first_round_at": _at(day, 14, 30),
            "tables": 12,
            "wishes_deadline": _at(day - timedelta(days=3), 18),
            "bipartite": True,
        },
        by=facilitator,
    )
    rng = random.Random(2026)  # the same demo every time
    Wish.objects.bulk_create(_wishes(regs, rng))
    # Three participants cannot attend every round.
    Participation.objects.bulk_create(
        [
            Participation(registration=regs[2], unavailable_rounds=[0]),
            Participation(registration=regs[9], unavailable_rounds=[4, 5]),
            Participation(registration=regs[20], unavailable_rounds=[5]),
        ]
    )
    meeting_plans.plan_run(sm=sm, by=facilitator, time_limit=5.0)
    meeting_plans.plan_publish(sm=sm, final=False, by=facilitator, notify=False)


@dataclass(frozen=True)
class DemoEvent:
    """One demo event: what its page says, when it happens relative to the day the demo is loaded, and who
    registered (the demo organisations `orgs`, by slug)."""

    slug: str
    branch: str  # slug of the demo branch
    organiser: str  # e-mail of the demo facilitator who organises it
    kind: str
    title: str
    description: str
    themes: tuple[str, ...]
    day: int  # days from the loading day (negative: in the past)
    starts: tuple[int, int]  # (hour, minute)
    ends: tuple[int, int]
    venue: str
    address: str
    commune_id: str
    capacity: int
    deadline: int | None  # registrations close this many days before, at 18:00 (None: at the start)
    orgs: tuple[str, ...]
    registered: tuple[int, int]  # (days before the loading day, hour) when the registrations were made
    status: str = S.CONFIRMED  # of every registration, except those listed in `statuses` (index → status)
    statuses: Mapping[int, str] = field(default_factory=dict)
    workshop_items: tuple[tuple[str, str], ...] = ()
    speed_meeting: bool = False  # set up with wishes and a provisional plan


def _demo_event(data: dict) -> DemoEvent:
    return DemoEvent(
        **{
            **data,
            "themes": tuple(data["themes"]),
            "starts": tuple(data["starts"]),
            "ends": tuple(data["ends"]),
            "orgs": tuple(data["orgs"]),
            "registered": tuple(data["registered"]),
            "statuses": {int(i): status for i, status in data.get("statuses", {}).items()},
            "workshop_items": tuple((item["kind"], item["text"]) for item in data.get("workshop_items", ())),
        }
    )


DEMO_EVENTS: tuple[DemoEvent, ...] = tuple(_demo_event(event) for event in _DATA["events"])
# The four demo events, in the order of data/events.json.
SLUGS = tuple(event.slug for event in DEMO_EVENTS)
MEETING_SLUG, WORKSHOP_SLUG, SPEED_MEETING_SLUG, ALSACE_SLUG = SLUGS

# The demo facilitators, and the demo accounts who take part for their organisation (so that signing in as
# them shows their registrations and agenda).
POITOU_FACILITATOR, ALSACE_FACILITATOR = (
    next(u.email for u in USERS if u.facilitator_of == branch)
    for branch in ("demo-poitou-charentes", "demo-alsace")
)
ACCOUNT_OF = {u.member_of: u.email for u in USERS if u.member_of}

# A few participants are wanted by many (skewed popularity, as in real speed-meetings).
POPULAR: dict[str, int] = _DATA["popular"]
FIRST_NAMES: tuple[str, ...] = tuple(_DATA["first_names"])
LAST_NAMES: tuple[str, ...] = tuple(_DATA["last_names"])
# Every organisation taking part in a demo event, each with its own fictitious contact person.
CONTACTS = tuple(dict.fromkeys(slug for event in DEMO_EVENTS for slug in event.orgs))


def _load_event(spec: DemoEvent, branch: Branch, accounts: dict[str, User], today: date) -> Event:
    day = today + timedelta(days=spec.day)
    organiser = accounts.get(spec.organiser)
    event = _event(
        branch,
        slug=spec.slug,
        organiser=organiser,
        themes=spec.themes,
        kind=spec.kind,
        title=spec.title,
        description=spec.description,
        starts_at=_at(day, *spec.starts),
        ends_at=_at(day, *spec.ends),
        venue=spec.venue,
        address=spec.address,
        commune_id=spec.commune_id,
        capacity=spec.capacity,
        registration_deadline=(
            _at(day - timedelta(days=spec.deadline), 18) if spec.deadline is not None else None
        ),
        audience=Event.Audience.EVERYONE,
    )
    if spec.workshop_items:
        _add_workshop_items(event, spec.workshop_items, organiser)
    days_ago, hour = spec.registered
    _register(
        event,
        _orgs(branch, spec.orgs),
        accounts,
        default=spec.status,
        statuses=spec.statuses,
        at=_at(today - timedelta(days=days_ago), hour),
        by=organiser,
    )
    if spec.speed_meeting:
        _plan_speed_meeting(event, day, organiser)
    return event


def load_events_demo(*, branches: dict[str, Branch], today: date) -> list[Event]:
    """(Re)create the demo events of the Poitou-Charentes and Alsace demo branches."""
    delete_events_demo()
    taken = sorted(Event.objects.filter(slug__in=SLUGS).values_list("slug", flat=True))
    if taken:
        raise DemoError(
            _("Des rencontres réelles utilisent déjà les adresses de démonstration : %(slugs)s.")
            % {"slugs": ", ".join(taken)}
        )
    emails = [*ACCOUNT_OF.values(), *(event.organiser for event in DEMO_EVENTS)]
    accounts = {u.email: u for u in User.objects.filter(email__in=emails, is_demo=True)}
    return [_load_event(spec, branches[spec.branch], accounts, today) for spec in DEMO_EVENTS]
