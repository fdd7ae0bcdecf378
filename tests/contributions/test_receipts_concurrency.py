"""Gapless, unique receipt numbers under parallel issue (PostgreSQL: real row locks between connections).

Run with DATABASE_URL=postgres://postgres@127.0.0.1:5432/terreau_receipts; skipped on SQLite, which has no
row locks (it serialises whole-database writes)."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections

from terreau.contributions import receipts
from terreau.contributions.receipt_models import Receipt, ReceiptSequence
from terreau.directory.models import Membership
from tests.contributions.factories import ContributionFactory, EligibilityFactory
from tests.factories import BranchFactory, MembershipFactory, OrganisationFactory

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL"),
]

FAILING = Decimal("13.00")  # a gift whose receipt fails after its number was taken (rolled back)


def run_in_threads(work: list) -> list:
    """Run each callable in its own thread (own database connection), all released at once."""
    barrier = threading.Barrier(len(work))
    results: list = [None] * len(work)

    def target(i: int) -> None:
        try:
            barrier.wait()
            results[i] = work[i]()
        except Exception as exc:  # noqa: BLE001 (collected for the assertions)
            results[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=target, args=(i,)) for i in range(len(work))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results


@pytest.fixture
def world():
    branch = BranchFactory()
    issuer = OrganisationFactory(branch=branch)
    EligibilityFactory(organisation=issuer)
    admin = MembershipFactory(organisation=issuer, role=Membership.Role.ADMIN).user
    return branch, issuer, admin


def test_parallel_issues_get_gapless_unique_numbers(world, monkeypatch):
    branch, issuer, admin = world
    donors = [OrganisationFactory(branch=branch, company=True) for _ in range(4)]
    gifts = []
    for i in range(16):
        amount = FAILING if i % 5 == 0 else Decimal(100 + i)
        gifts.append(
            ContributionFactory(
                branch=branch,
                donor=donors[i % 4],
                recipient=issuer,
                received=True,
                amount=amount,
                value=amount,
            )
        )
    real_words = receipts.amount_in_words

    def words(amount):
        if amount == FAILING:
            raise ValidationError("échec simulé après la prise du numéro")
        return real_words(amount)

    monkeypatch.setattr(receipts, "amount_in_words", words)
    work = [
        (lambda g=g: receipts.receipt_issue(by=admin, issuer=issuer, contributions=[g]).sequence)
        for g in gifts
    ]
    results = run_in_threads(work)
    failed = [r for r in results if isinstance(r, Exception)]
    assert len(failed) == 4 and all(isinstance(r, ValidationError) for r in failed), failed
    numbers = sorted(r for r in results if isinstance(r, int))
    assert numbers == list(range(1, 13))
    stored = sorted(Receipt.objects.filter(issuer=issuer).values_list("sequence", flat=True))
    assert stored == list(range(1, 13))
    assert ReceiptSequence.objects.get(issuer=issuer).last_number == 12
    assert len(set(Receipt.objects.values_list("number", flat=True))) == 12


def test_the_same_gift_issued_twice_in_parallel_gets_one_receipt(world):
    branch, issuer, admin = world
    gift = ContributionFactory(branch=branch, recipient=issuer, received=True)
    work = [lambda: receipts.receipt_issue(by=admin, issuer=issuer, contributions=[gift]).number] * 4
    results = run_in_threads(work)
    assert sum(isinstance(r, str) for r in results) == 1, results
    assert all(isinstance(r, ValidationError) for r in results if not isinstance(r, str))
    assert Receipt.objects.filter(contributions=gift).count() == 1
    assert ReceiptSequence.objects.get(issuer=issuer).last_number == 1
