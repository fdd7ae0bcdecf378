"""The collective's charter: versions frozen once submitted, approvals only by the partners' members, a new
version starting without approvals, and the launch of the program with its partners and roles."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from terreau.alliances import charter as services
from terreau.alliances import merge
from terreau.alliances.charter_models import CharterApproval, CharterVersion
from terreau.programs.models import Program, ProgramPartner
from tests.alliances.groups_world import GroupWorld, build_world


@pytest.fixture
def gw(db) -> GroupWorld:
    return build_world()


def content(gw, **extra):
    data = {
        "purpose": "Rompre l'isolement des aînés par le numérique.",
        "publics": ["seniors", "isolated"],
        "key_issues": [gw.ageing],
        "budget_lines": [
            {"label": "Tablettes", "amount": "4 500,50", "source": "Solidatech"},
            {"label": "", "amount": ""},
        ],
        "governance": "Un comité de pilotage trimestriel.",
        "starts_on": date(2026, 10, 1),
    }
    data.update(extra)
    return data


def partners(gw):
    return [
        {"organisation": gw.a, "roles": ["pilot", "host"], "note": "Coordination"},
        {"organisation": gw.b, "roles": ["kits", "budget"]},
    ]


def submitted(gw):
    charter = services.charter_create(group=gw.g1, title="Silver Geek Vienne", by=gw.member_a)
    version = services.charter_version_create(
        charter=charter, data=content(gw), partners=partners(gw), by=gw.member_a
    )
    services.charter_submit(version=version, by=gw.member_a)
    version.refresh_from_db()
    return charter, version


def test_a_version_is_written_checked_and_frozen_once_submitted(gw):
    charter, version = submitted(gw)
    assert version.state == "submitted" and version.submitted_at is not None
    assert version.budget_lines == [{"label": "Tablettes", "amount": "4500.50", "source": "Solidatech"}]
    assert [p.organisation for p in version.partners.all()] == [gw.a, gw.b]
    with pytest.raises(ValidationError, match="ne change plus"):
        services.charter_version_update(
            version=version, data=content(gw, purpose="Autre"), partners=[], by=gw.member_a
        )
    version.refresh_from_db()
    assert version.purpose.startswith("Rompre")


@pytest.mark.parametrize(
    ("data", "rows", "message"),
    [
        ({"purpose": " "}, None, "objet"),
        ({"publics": ["martians"]}, None, "publics"),
        ({"budget_lines": [{"label": "Salle", "amount": "beaucoup"}]}, None, "Montant illisible"),
        ({"budget_lines": [{"label": "Salle", "amount": "-5"}]}, None, "Montant invalide"),
        ({"budget_lines": [{"label": "", "amount": "5"}]}, None, "intitulé"),
        ({"key_issues": "youth"}, None, "enjeux clés"),
        ({}, "no_role", "au moins un rôle"),
        ({}, "twice", "deux fois"),
        ({}, "elsewhere", "pas accessible"),
    ],
)
def test_bad_content_is_refused_and_nothing_is_written(gw, data, rows, message):
    charter = services.charter_create(group=gw.g1, title="Silver Geek", by=gw.member_a)
    if data.get("key_issues") == "youth":
        data = {"key_issues": [gw.youth]}
    partner_rows = {
        None: partners(gw),
        "no_role": [{"organisation": gw.a, "roles": []}],
        "twice": [{"organisation": gw.a, "roles": ["pilot"]}, {"organisation": gw.a, "roles": ["kits"]}],
        "elsewhere": [{"organisation": gw.d, "roles": ["pilot"]}],
    }[rows]
    with pytest.raises(ValidationError, match=message):
        services.charter_version_create(
            charter=charter, data=content(gw, **data), partners=partner_rows, by=gw.member_a
        )
    assert not CharterVersion.objects.exists()


def test_approvals_only_by_members_of_partners_then_approved(gw):
    _charter, version = submitted(gw)
    with pytest.raises(ValidationError, match="n'est pas partenaire"):
        services.charter_approve(version=version, organisation=gw.c, by=gw.member_c)
    with pytest.raises(ValidationError, match="Seul un membre"):
        services.charter_approve(version=version, organisation=gw.a, by=gw.member_b)
    with pytest.raises(ValidationError, match="Seul un membre"):
        services.charter_approve(version=version, organisation=gw.a, by=gw.facilitator)
    assert not CharterApproval.objects.exists()
    services.charter_approve(version=version, organisation=gw.a, by=gw.member_a)
    with pytest.raises(ValidationError, match="déjà approuvé"):
        services.charter_approve(version=version, organisation=gw.a, by=gw.member_a)
    version.refresh_from_db()
    assert version.state == "submitted"
    services.charter_approve(version=version, organisation=gw.b, by=gw.member_b)
    version.refresh_from_db()
    assert version.state == "approved"
    assert [(a.organisation, a.approved_by) for a in version.approvals.all()] == [
        (gw.a, gw.member_a),
        (gw.b, gw.member_b),
    ]


def test_a_draft_cannot_be_approved_and_a_new_version_resets_approvals(gw):
    charter, version = submitted(gw)
    services.charter_approve(version=version, organisation=gw.a, by=gw.member_a)
    v2 = services.charter_version_create(
        charter=charter, data=content(gw, purpose="Version 2"), partners=partners(gw), by=gw.member_a
    )
    version.refresh_from_db()
    assert (v2.number, version.state) == (2, "superseded")
    assert not v2.approvals.exists()
    with pytest.raises(ValidationError, match="n'est pas soumise"):
        services.charter_approve(version=v2, organisation=gw.a, by=gw.member_a)
    with pytest.raises(ValidationError, match="n'est pas soumise"):
        services.charter_approve(version=version, organisation=gw.b, by=gw.member_b)
    with pytest.raises(ValidationError, match="brouillon existe déjà"):
        services.charter_version_create(
            charter=charter, data=content(gw), partners=partners(gw), by=gw.member_a
        )


def test_launch_needs_an_approved_version_then_creates_the_program_with_partners_and_roles(gw):
    charter, version = submitted(gw)
    with pytest.raises(ValidationError, match="approuvée par tous"):
        services.launch_program(charter=charter, by=gw.facilitator)
    assert not Program.objects.exists()
    services.charter_approve(version=version, organisation=gw.a, by=gw.member_a)
    services.charter_approve(version=version, organisation=gw.b, by=gw.member_b)
    program = services.launch_program(charter=charter, by=gw.facilitator)
    charter.refresh_from_db()
    assert charter.program == program and charter.launched_version == version and program.charter == charter
    assert (program.branch, program.name, program.starts_on) == (
        gw.branch,
        "Silver Geek Vienne",
        date(2026, 10, 1),
    )
    roles = {p.organisation_id: p.roles for p in ProgramPartner.objects.filter(program=program)}
    assert roles == {gw.a.pk: ["pilot", "host"], gw.b.pk: ["kits", "budget"]}
    with pytest.raises(ValidationError, match="déjà été lancé"):
        services.launch_program(charter=charter, by=gw.facilitator)
    assert Program.objects.count() == 1


def test_a_charter_follows_its_group_into_a_merge(gw):
    charter, _version = submitted(gw)
    result = merge.group_merge(sources=[gw.g1, gw.g2], name="Silver Geek", reason="r", by=gw.facilitator)
    charter.refresh_from_db()
    assert charter.group == result
    with pytest.raises(ValidationError, match="déjà une charte"):
        services.charter_create(group=result, title="Une autre", by=gw.facilitator)


def test_amounts_read_the_french_way():
    assert services.parse_amount("1 234,50") == Decimal("1234.50")
    assert services.parse_amount("4\u202f500 €") == Decimal("4500.00")
    for bad in ("", "abc", "NaN", "Infinity", "1e12"):
        with pytest.raises(ValidationError):
            services.parse_amount(bad)
