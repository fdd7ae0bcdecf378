"""Instalments recorded in parallel never receive more than a contribution's value (PostgreSQL row locks).

Run with DATABASE_URL=postgres://postgres@127.0.0.1:5432/terreau_ledger; skipped on SQLite."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections
from django.utils import timezone

from terreau.contributions import services
from terreau.contributions.models import Contribution
from tests.contributions.factories import ContributionFactory
from tests.factories import BranchRoleFactory

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL"),
]


def test_parallel_instalments_stop_at_the_value():
    c = ContributionFactory(amount=Decimal("1000.00"), value=Decimal("1000.00"))
    staff = BranchRoleFactory(branch=c.branch).user
    barrier = threading.Barrier(4)
    results: list = [None] * 4

    def work(i: int) -> None:
        try:
            barrier.wait()
            results[i] = services.instalment_record(
                by=staff, contribution=c, amount="400", received_on=timezone.localdate()
            )
        except Exception as exc:  # noqa: BLE001 (collected for the assertions)
            results[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    refused = [r for r in results if isinstance(r, Exception)]
    assert len(refused) == 2 and all(isinstance(r, ValidationError) for r in refused), results
    c.refresh_from_db()
    assert services.received_total(c) == Decimal("800.00")
    assert c.state == Contribution.State.PARTLY_RECEIVED
    assert list(c.history.values_list("to_state", flat=True)) == ["pledged", "partly_received"]
