"""The load test's data generator (bench/load_data.py) on a few hundred rows: shape, not timing."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from django.db import connection

from terreau.accounts.models import User
from terreau.directory.models import Membership, NeedOffer, Organisation
from terreau.events.models import Event
from terreau.territories.loader import load_territories

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

import load_data  # noqa: E402

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the generator writes with PostgreSQL COPY"),
    pytest.mark.django_db(transaction=True),  # it runs VACUUM ANALYZE, which no transaction may wrap
]


def test_generated_directory_is_indexed_placed_and_has_members_events_and_probes():
    load_territories(departments={"16", "17", "79", "86"})
    plan = load_data.fill(orgs=300, per_org=2, members=12, events=6, probes=3, log=lambda *_: None)

    generated = Organisation.objects.filter(slug__startswith="charge-")
    assert generated.count() == 303  # 300 and the 3 probes' partners
    assert plan.orgs == 303 and plan.needs_offers == NeedOffer.objects.count() == 603
    # Indexed like production, on real communes, each in the branch covering its department.
    assert not generated.filter(search_vector=None).exists()
    assert not generated.filter(commune=None).exists()
    for org in generated.select_related("commune", "branch")[:50]:
        assert org.branch.departments.filter(code=org.commune.department_id).exists()
        assert org.name and org.description
    assert {"need", "offer"} == set(NeedOffer.objects.values_list("direction", flat=True).distinct())

    # Members: one account per organisation, administrator, its need known; the probes' partners offer
    # the probe object in the member's commune.
    assert len(plan.members) == 12 == Membership.objects.filter(role="admin").count()
    assert User.objects.filter(email__endswith="@charge.terreau.test").count() == 12
    for member in plan.members:
        need = NeedOffer.objects.get(pk=member["need_id"])
        assert need.direction == "need" and need.organisation.slug == member["slug"]
    assert [p["partner"] for p in plan.probes] == [f"Atelier partagé Sésame n° {k}" for k in (1, 2, 3)]
    for probe in plan.probes:
        partner = Organisation.objects.get(name=probe["partner"])
        member_org = Organisation.objects.get(slug=probe["slug"])
        assert partner.commune_id == member_org.commune_id
        assert partner.needs_offers.get().direction == "offer"

    assert len(plan.event_slugs) <= 6 and Event.objects.filter(
        slug__in=plan.event_slugs, is_published=True
    ).count() == len(plan.event_slugs)
    assert plan.org_slugs and set(plan.org_slugs) <= set(generated.values_list("slug", flat=True))

    # A later run resets the probes' needs to a neutral text, and describe() finds the same accounts.
    load_data.reset_probes(plan)
    assert NeedOffer.objects.get(pk=plan.probes[0]["need_id"]).title == load_data.NEUTRAL_NEED[2]
    again = load_data.describe(load_data.Plan())
    assert [m["email"] for m in again.members] == sorted(m["email"] for m in plan.members)
    assert [p["partner"] for p in again.probes] == [p["partner"] for p in plan.probes]
