"""The demo's contributions to Silver Geek for a school year: kits linked to the program's tablets, budget
management, communication, funding, a sponsorship with its counterpart, volunteers' time; receipts issued with
one cancelled and replaced; two agreements; the program's page shows them; loading twice gives the same rows.
Runs on SQLite and on PostgreSQL (DATABASE_URL)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from terreau.accounts.models import User
from terreau.contributions import reports
from terreau.contributions.agreement_models import Agreement
from terreau.contributions.models import Contribution, Counterpart, Instalment, Receipt
from terreau.demo.loader import load_demo
from terreau.programs.models import Program
from terreau.territories.loader import load_territories

TODAY = date(2026, 12, 1)  # three months into the 2026-2027 school year


@pytest.fixture(autouse=True)
def _fast_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _counts() -> tuple[int, ...]:
    return tuple(m.objects.count() for m in (Contribution, Instalment, Counterpart, Receipt, Agreement))


def test_the_partners_contributions_to_silver_geek(db, client, django_capture_on_commit_callbacks):
    load_territories(departments={"16", "17", "79", "86", "67", "68"})
    with django_capture_on_commit_callbacks(execute=True):
        load_demo(today=TODAY)
    program = Program.objects.get(is_demo=True, slug__startswith="silver-geek")
    contributions = Contribution.objects.filter(program=program)
    assert contributions.count() == 7 and not contributions.filter(is_demo=False).exists()
    kinds = set(contributions.values_list("kind", flat=True))
    assert kinds == {
        "equipment",
        "services",
        "skills_sponsorship",
        "gift",
        "sponsorship",
        "skills_volunteering",
        "volunteering",
    }
    kits = contributions.get(kind="equipment")
    tablets = kits.equipment_items.count()
    assert tablets >= 5 and kits.value == Decimal("229.00") * tablets and kits.state == "received"
    assert "Coût de revient" in kits.value_basis or "coût de revient" in kits.value_basis
    assert contributions.get(kind="gift").state == "partly_received"
    assert Counterpart.objects.filter(
        contribution__kind="sponsorship", contribution__program=program
    ).exists()

    demo_receipts = Receipt.objects.filter(is_demo=True)
    assert demo_receipts.count() == 4
    cancelled = demo_receipts.get(state="cancelled")
    assert cancelled.cancel_reason and cancelled.replaced_by.state == "issued"
    assert sorted(demo_receipts.values_list("sequence", flat=True)) == [1, 2, 3, 4]  # no gap

    assert Agreement.objects.filter(is_demo=True, state="draft").count() == 2

    facilitator = User.objects.get(email="animatrice.poitou@demo.terreau.example.org")
    summary = reports.program_report(Contribution.objects.all(), program)
    accounts = {t.code: t.pledged for t in summary.accounts}
    volunteering = sum(
        c.value for c in contributions.filter(kind__in=["volunteering", "skills_volunteering"])
    )
    assert accounts["870"] == volunteering > 0
    assert summary.total.received < summary.total.pledged
    client.force_login(facilitator)
    body = client.get(program.get_absolute_url()).content.decode()
    assert "Contributions des partenaires" in body and "Solidatech" in body

    rows = _counts()
    with django_capture_on_commit_callbacks(execute=True):
        load_demo(today=TODAY)
    assert _counts() == rows
