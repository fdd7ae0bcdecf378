"""The Silver Geek demo program on the Poitou-Charentes demo branch: partners and their roles, one site per
demo host structure (about 20), one kit per site (5 tablets, 2 consoles, 1 projector), a few incidents
and repairs, a coordinator and a site staff account; the data come from data/silvergeek.json. Everything
is flagged is_demo.

Called by terreau.demo.loader after the organisations and demo accounts exist; the activities part
(volunteers, sessions, reports) comes from terreau.demo.silvergeek_activities.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Q

from terreau.accounts.models import User
from terreau.demo.records import read
from terreau.demo.silvergeek_activities import load_activities_demo
from terreau.directory.models import Organisation, OrganisationKind
from terreau.programs.equipment import EquipmentEvent, EquipmentItem, Kit, KitModel
from terreau.programs.items import incident_report, repair_return, repair_send
from terreau.programs.kits import item_swap, kit_assemble, kit_deliver
from terreau.programs.models import HostSite, Program, ProgramPartner, ProgramRole
from terreau.territories.models import Department

_DATA = read("silvergeek.json")
PROGRAM_SLUG: str = _DATA["program"]["slug"]
COORDINATOR_EMAIL: str = _DATA["coordinator_email"]
SITE_STAFF_EMAIL: str = _DATA["site_staff_email"]
SITE_STAFF_HOST: str = _DATA["site_staff_host"]
# (organisation slug, roles, note)
PARTNERS = tuple((p["organisation"], p["roles"], p["note"]) for p in _DATA["partners"])
# (type, make, model, unit value in euros, quantity): cost prices, plausible for a 2014 kit.
KIT_CONTENT = tuple((k["type"], k["make"], k["model"], k["value"], k["quantity"]) for k in _DATA["kit"])
SERIAL_PREFIX: dict[str, str] = {k["type"]: k["serial_prefix"] for k in _DATA["kit"]}


def delete_program_demo() -> None:
    """Remove the previous demo program (before the demo organisations it points to are deleted)."""
    Program.objects.filter(is_demo=True).delete()


def _org(slug: str) -> Organisation | None:
    return Organisation.objects.filter(Q(slug=slug) | Q(slug=f"{slug}-demo"), is_demo=True).first()


def load_program_demo(*, branch, today: date) -> Program:
    rng = random.Random(2014)  # the same demo every time
    coordinator = User.objects.filter(email=COORDINATOR_EMAIL).first()
    start = date(today.year if today.month >= 9 else today.year - 1, 9, 1)
    program = Program.objects.create(
        branch=branch,
        name=_DATA["program"]["name"],
        slug=PROGRAM_SLUG,
        purpose=_DATA["program"]["purpose"],
        starts_on=start,
        ends_on=start.replace(year=start.year + 1) - timedelta(days=1),
        coordinator=coordinator,
        is_public=True,
        is_demo=True,
    )
    program.departments.set(Department.objects.filter(code__in=_DATA["program"]["departments"]))
    for slug, roles, note in PARTNERS:
        org = _org(slug)
        if org is not None:
            ProgramPartner.objects.create(program=program, organisation=org, roles=roles, note=note)
    hosts = list(
        Organisation.objects.filter(branch=branch, is_demo=True, kind=OrganisationKind.HOST_STRUCTURE)
        .select_related("commune")
        .order_by("slug")
    )
    sites = []
    for i, host in enumerate(hosts):
        ProgramPartner.objects.get_or_create(program=program, organisation=host, defaults={"roles": ["host"]})
        weekday = i % 5
        sites.append(
            HostSite(
                program=program,
                organisation=host,
                name=host.name,
                address=host.address,
                commune=host.commune,
                latitude=host.latitude,
                longitude=host.longitude,
                contact_name=f"Référent·e animation {i + 1}",
                contact_phone=f"05 49 00 {10 + i:02d} {20 + i:02d}",
                capacity=8 + (i % 3) * 2,
                accessibility_notes="Salle de plain-pied, accessible en fauteuil.",
                wifi=i % 4 != 3,
                wifi_notes="" if i % 4 != 3 else "Pas de Wi-Fi : partage de connexion depuis une tablette.",
                time_windows=[
                    {"weekday": weekday, "start": "14:00", "end": "17:00"},
                    {"weekday": (weekday + 2) % 5, "start": "10:00", "end": "12:00"},
                ],
                starts_on=start + timedelta(days=30),
                is_demo=True,
            )
        )
    HostSite.objects.bulk_create(sites)
    sites = list(HostSite.objects.filter(program=program).order_by("organisation__slug"))
    if coordinator is not None:
        ProgramRole.objects.create(program=program, user=coordinator, role=ProgramRole.Role.COORDINATOR)
    staff = User.objects.filter(email=SITE_STAFF_EMAIL).first()
    staff_site = next(
        (s for s in sites if s.organisation.slug.startswith(SITE_STAFF_HOST)), sites[0] if sites else None
    )
    if staff is not None and staff_site is not None:
        ProgramRole.objects.create(
            program=program, user=staff, role=ProgramRole.Role.SITE_STAFF, site=staff_site
        )

    kit_model = KitModel.objects.create(
        program=program,
        name="Kit Silver Geek",
        composition=[{"type": kind, "quantity": qty} for kind, _m, _n, _v, qty in KIT_CONTENT],
        is_demo=True,
    )
    solidatech = _org("solidatech")
    delivered_on = start + timedelta(days=20)
    for n, site in enumerate(sites, start=1):
        items = []
        for kind, make, model_name, value, qty in KIT_CONTENT:
            for _ in range(qty):
                items.append(
                    EquipmentItem(
                        program=program,
                        type=kind,
                        make=make,
                        model_name=model_name,
                        serial_number=f"{SERIAL_PREFIX[kind]}{rng.randrange(10**7, 10**8)}",
                        origin=EquipmentItem.Origin.GIVEN
                        if solidatech and kind == "tablet"
                        else EquipmentItem.Origin.BOUGHT,
                        given_by=solidatech if kind == "tablet" else None,
                        value=Decimal(value),
                        is_demo=True,
                    )
                )
        EquipmentItem.objects.bulk_create(items)
        EquipmentEvent.objects.bulk_create(
            EquipmentEvent(item=i, kind=EquipmentEvent.Kind.REGISTERED, to_state=i.state, by=coordinator)
            for i in items
        )
        kit = kit_assemble(kit_model=kit_model, items=items, code=f"SG-{n:02d}", by=coordinator)
        kit_deliver(kit=kit, site=site, by=coordinator, on=delivered_on)
    Kit.objects.filter(program=program).update(is_demo=True)
    _incidents(program, coordinator, rng, today)
    _activities(program, today)
    return program


def _incidents(program: Program, by, rng: random.Random, today: date) -> None:
    """A broken tablet swapped and repaired, a lost console, a broken projector still in repair."""
    spare = []
    for kind, make, model_name, value, _qty in KIT_CONTENT[:1]:
        spare.append(
            EquipmentItem.objects.create(
                program=program,
                type=kind,
                make=make,
                model_name=model_name,
                serial_number=f"{SERIAL_PREFIX[kind]}{rng.randrange(10**7, 10**8)}",
                value=Decimal(value),
                is_demo=True,
            )
        )
    kits = list(Kit.objects.filter(program=program).order_by("code")[:3])
    if len(kits) < 3:
        return
    tablet = kits[0].items.filter(type="tablet").first()
    incident = incident_report(item=tablet, kind="broken", note="Écran fêlé après une chute.", by=by)
    item_swap(kit=kits[0], out_item=tablet, in_item=spare[0], by=by, note="Tablette de rechange")
    repair = repair_send(item=tablet, by=by, repairer="Solidatech – atelier du Pin", incident=incident)
    repair_return(repair=repair, outcome="repaired", cost=Decimal("45.00"), by=by, note="Écran remplacé")
    console = kits[1].items.filter(type="console").first()
    incident_report(item=console, kind="lost", note="Introuvable après le déménagement de la salle.", by=by)
    projector = kits[2].items.filter(type="projector").first()
    broken = incident_report(item=projector, kind="broken", note="La lampe ne s'allume plus.", by=by)
    repair_send(item=projector, by=by, repairer="Epson service", incident=broken)
    EquipmentItem.objects.filter(program=program).update(is_demo=True)


def _activities(program: Program, today: date) -> None:
    """Volunteers, sessions and reports."""
    load_activities_demo(program=program, today=today)
