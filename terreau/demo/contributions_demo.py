"""The Silver Geek partners' contributions for the demo school year (data/contributions.json): kits (the
program's tablets, valued at cost price), budget management, communication (skills sponsorship), funding, a
sponsorship with its counterpart, and volunteers' time; what has arrived so far; tax receipts issued by the
receiving association (one cancelled and replaced); two sponsorship agreements awaiting signatures.

Everything goes through the services (terreau.contributions.services, .receipts, .agreements) as the branch's
facilitator, so the values, histories, numbers and audit trail are the real ones; everything is flagged is_demo.
Nothing is dated after the day the demo is loaded: a pledge or an instalment still to come is left out (and so
is a receipt for a gift not yet received).

Called by terreau.demo.loader once the program, its equipment and the partners exist.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Q

from terreau.contributions import agreements, receipts, services
from terreau.contributions.agreement_models import Agreement
from terreau.contributions.models import Contribution, Receipt, ReceiptSequence
from terreau.demo.records import read
from terreau.directory.models import Organisation
from terreau.programs.equipment import EquipmentItem

_DATA = read("contributions.json")
CENT = Decimal("0.01")


def _org(slug: str) -> Organisation | None:
    return Organisation.objects.filter(Q(slug=slug) | Q(slug=f"{slug}-demo"), is_demo=True).first()


def delete_contributions_demo() -> None:
    """Remove the demo agreements, receipts and contributions (before the program, groups, partnerships and
    organisations they point to)."""
    demo = Q(is_demo=True)
    Agreement.objects.filter(demo | Q(donor__is_demo=True) | Q(recipient__is_demo=True)).delete()
    issued = Receipt.objects.filter(demo | Q(issuer__is_demo=True))
    for _round in range(100):  # a receipt protects the one it replaces: the newest of each chain goes first
        last = issued.filter(replaced_by__isnull=True)
        if not last.exists():
            break
        last.delete()
    ReceiptSequence.objects.filter(issuer__is_demo=True).delete()
    Contribution.objects.filter(demo | Q(donor__is_demo=True) | Q(recipient__is_demo=True)).delete()


def _inputs(spec: dict) -> dict:
    fields = ("amount", "quantity", "unit_cost", "hours", "monthly_gross_salary", "employer_charges_rate")
    out = {name: Decimal(spec[name]) for name in (*fields, "hourly_rate") if name in spec}
    return out


def load_contributions_demo(*, program, facilitator, today: date) -> dict[str, Contribution]:
    """Record the contributions, their instalments and counterparts, the receipts and the agreements."""
    recipient = _org(_DATA["recipient"])
    if recipient is None or facilitator is None or program is None:
        return {}
    branch = program.branch
    start = program.starts_on
    by = facilitator
    receipts.eligibility_confirm(
        by=by,
        organisation=recipient,
        eligible=True,
        ground=_DATA["eligibility"]["ground"],
        purpose=_DATA["eligibility"]["purpose"],
    )
    recorded: dict[str, Contribution] = {}
    for spec in _DATA["contributions"]:
        donor = _org(spec["donor"])
        pledged_on = start + timedelta(days=spec["day"])
        if donor is None or pledged_on > today:
            continue
        inputs = _inputs(spec)
        items: list[EquipmentItem] = []
        if "equipment" in spec:
            given_by = _org(spec["equipment"]["given_by"])
            items = list(
                EquipmentItem.objects.filter(
                    program=program, type=spec["equipment"]["type"], given_by=given_by
                ).order_by("pk")
            )
            if not items:
                continue
            inputs.update(quantity=Decimal(len(items)), unit_cost=items[0].value)
        contribution = services.contribution_record(
            by=by,
            branch=branch,
            donor=donor,
            recipient=recipient,
            program=program,
            kind=spec["kind"],
            description=spec["description"],
            pledged_on=pledged_on,
            equipment_items=items,
            is_demo=True,
            **inputs,
        )
        for part in spec.get("received", []):
            received_on = start + timedelta(days=part["day"])
            if received_on > today:
                continue
            contribution.refresh_from_db()
            remaining = contribution.value - services.received_total(contribution)
            share = (contribution.value * Decimal(part["share"])).quantize(CENT, rounding=ROUND_HALF_UP)
            amount = min(share, remaining)
            if amount > 0:
                services.instalment_record(
                    by=by,
                    contribution=contribution,
                    amount=amount,
                    received_on=received_on,
                    note=part["note"],
                )
        for counterpart in spec.get("counterparts", []):
            services.counterpart_add(
                by=by,
                contribution=contribution,
                kind=counterpart["kind"],
                description=counterpart["description"],
                value=Decimal(counterpart["value"]),
            )
        contribution.refresh_from_db()
        recorded[spec["key"]] = contribution
    _receipts(recorded, recipient=recipient, by=by)
    _agreements(recorded, program=program, by=by)
    return recorded


def _receipts(recorded: dict[str, Contribution], *, recipient, by) -> None:
    for spec in _DATA["receipts"]:
        contribution = recorded.get(spec["contribution"])
        if contribution is None or contribution.state != Contribution.State.RECEIVED:
            continue
        receipt = receipts.receipt_issue(by=by, issuer=recipient, contributions=[contribution])
        if spec.get("reissue_reason"):
            receipts.receipt_reissue(by=by, receipt=receipt, reason=spec["reissue_reason"])


def _agreements(recorded: dict[str, Contribution], *, program, by) -> None:
    for spec in _DATA["agreements"]:
        rows = [recorded[key] for key in spec["contributions"] if key in recorded]
        if not rows:
            continue
        agreements.agreement_create(
            kind=spec["kind"],
            donor=rows[0].donor,
            recipient=rows[0].recipient,
            purpose=spec["purpose"],
            contributions=rows,
            starts_on=program.starts_on,
            ends_on=program.ends_on or program.starts_on + timedelta(days=364),
            by=by,
            is_demo=True,
        )
