"""The lineage seen from the diagnosis's end: the groups formed around its key issues (a merged one leading to
its result), their charters and the program launched, as far as the reader may see each."""

from __future__ import annotations

import pytest
from django.template import Context, Template
from django.test import RequestFactory

from terreau.alliances import charter as services
from terreau.alliances import merge
from tests.alliances.groups_world import GroupWorld, build_world


@pytest.fixture
def gw(db) -> GroupWorld:
    return build_world()


def render(user, diagnosis) -> str:
    request = RequestFactory().get("/")
    request.user = user
    return Template("{% load alliances_lineage %}{% diagnosis_lineage diagnosis %}").render(
        Context({"request": request, "diagnosis": diagnosis})
    )


def test_from_the_diagnosis_to_the_program(gw):
    result = merge.group_merge(sources=[gw.g1, gw.g2], name="Collectif", reason="r", by=gw.facilitator)
    charter = services.charter_create(group=result, title="Silver Geek", by=gw.facilitator)
    version = services.charter_version_create(
        charter=charter,
        data={"purpose": "Objet"},
        partners=[{"organisation": gw.a, "roles": ["pilot"]}],
        by=gw.facilitator,
    )
    services.charter_submit(version=version, by=gw.facilitator)
    services.charter_approve(version=version, organisation=gw.a, by=gw.member_a)
    program = services.launch_program(charter=charter, by=gw.facilitator)
    html = render(gw.facilitator, gw.diagnosis)
    for text in ("Bien vieillir", "fusionné dans « Collectif »", "Silver Geek", program.get_absolute_url()):
        assert text in html
    assert render(gw.other_facilitator, gw.diagnosis).strip() == ""
    # A member of A sees its groups and the charter it approved, not the program (not public, no role in it).
    html = render(gw.member_a, gw.diagnosis)
    assert "Bien vieillir" in html and "Silver Geek" in html and program.get_absolute_url() not in html
