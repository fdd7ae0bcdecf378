"""Writes of the contributions ledger: every contribution, instalment, document and counterpart goes through here.

Keyword-only functions called by the pages, the API and the demo once the caller has fetched the objects
through terreau.core.access. Each write runs in one transaction (nothing half-written) and refuses bad input
with a ValidationError in French (a PermissionDenied when the user may not act); a state moves only through
terreau.core.states. The value of a contribution is always computed by terreau.contributions.valuation.

Who may do what:
- record a contribution: the branch's staff, and the members of the donor or of the receiving organisation;
- change it (while pledged only): the same people;
- record an instalment (what arrived): the branch's staff and the members of the receiving organisation;
- cancel it (with a reason; never once an issued receipt covers it): the branch's staff and the receiving
  organisation's members; the donor's members while it is still a pledge;
- documents and counterparts: the branch's staff and the members of either party.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from terreau.contributions import valuation
from terreau.contributions.models import (
    CENT,
    Contribution,
    ContributionDocument,
    Counterpart,
    Instalment,
    Kind,
    Receipt,
)
from terreau.core import states
from terreau.core.access import actor_for
from terreau.core.uploads import check_document

# The valuation inputs a caller may give; terreau.contributions.valuation decides which ones a kind needs.
VALUATION_FIELDS = (
    "amount",
    "quantity",
    "unit_cost",
    "hours",
    "monthly_gross_salary",
    "employer_charges_rate",
    "hourly_rate",
)
# Inputs that may be zero (a rate of charges), the others must be above zero when given.
_ZERO_ALLOWED = frozenset({"employer_charges_rate"})
_DIGITS = {
    name: Contribution._meta.get_field(name).max_digits - Contribution._meta.get_field(name).decimal_places
    for name in VALUATION_FIELDS
}
_FIELD_LABELS = {name: str(Contribution._meta.get_field(name).verbose_name) for name in VALUATION_FIELDS}
EDITABLE_FIELDS = frozenset(
    {
        "donor",
        "individual_name",
        "individual_address",
        "recipient",
        "kind",
        "description",
        "pledged_on",
        "program",
        "working_group",
        "partnership",
        *VALUATION_FIELDS,
    }
)


# --- parsing and checks -----------------------------------------------------------------------------


def parse_decimal(value: Any, *, label: str = "") -> Decimal | None:
    """A Decimal from a number or a French text ("1 234,56", "12.5", "1 000 €"); None when empty.

    Refuses (ValidationError) what is not a number, and a float (money is never a float)."""
    if value is None or value == "":
        return None
    if isinstance(value, float):
        raise ValidationError(_("Montant invalide : utilisez un nombre décimal, pas un flottant."))
    if isinstance(value, Decimal | int):
        number = Decimal(value)
    else:
        text = str(value).strip().replace("\u202f", "").replace("\xa0", "").replace(" ", "").removesuffix("€")
        if text.count(",") == 1 and ("." not in text or text.rfind(",") > text.rfind(".")):
            text = text.replace(".", "").replace(",", ".")  # "1.234,56": dots between thousands
        try:
            number = Decimal(text)
        except InvalidOperation:
            number = None
        if number is None or not number.is_finite():
            raise ValidationError(
                _("« %(value)s » n'est pas un nombre (exemple : 1 234,50).") % {"value": str(value)[:40]}
                if not label
                else _("%(label)s : « %(value)s » n'est pas un nombre (exemple : 1 234,50).")
                % {"label": label, "value": str(value)[:40]}
            )
    return number


def _money(value: Any, *, label: str, zero: bool = False, digits: int = 10) -> Decimal | None:
    """A positive Decimal with two places at most and ``digits`` digits before the point at most."""
    number = parse_decimal(value, label=label)
    if number is None:
        return None
    if number < 0 or (number == 0 and not zero):
        raise ValidationError(_("%(label)s : le montant doit être supérieur à zéro.") % {"label": label})
    if number >= Decimal(10) ** digits:
        raise ValidationError(_("%(label)s : valeur trop élevée.") % {"label": label})
    if number.as_tuple().exponent < -2 and number != number.quantize(CENT):
        raise ValidationError(_("%(label)s : deux décimales au plus.") % {"label": label})
    return number.quantize(CENT)


def _not_in_future(day, *, message: str) -> None:
    if day is None:
        raise ValidationError(_("La date est obligatoire."))
    if day > timezone.localdate():
        raise ValidationError(message)


def _user(by: Any) -> Any:
    return by if getattr(by, "is_authenticated", False) else None


# --- who may act (decided here; the pages and the API offer only what these allow) -----------------------


def may_record(user: Any, *, branch=None, organisations: Iterable[Any] = ()) -> bool:
    actor = actor_for(user)
    if actor.is_superuser or (branch is not None and actor.manages_branch(branch)):
        return True
    return any(o is not None and o.pk in actor.org_ids for o in organisations)


def may_change(user: Any, contribution: Contribution) -> bool:
    return may_record(
        user, branch=contribution.branch, organisations=(contribution.donor, contribution.recipient)
    )


def may_receive(user: Any, contribution: Contribution) -> bool:
    return may_record(user, branch=contribution.branch, organisations=(contribution.recipient,))


def may_cancel(user: Any, contribution: Contribution) -> bool:
    if contribution.state == Contribution.State.PLEDGED:
        return may_change(user, contribution)
    return may_receive(user, contribution)


def _require(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied(_("Vous n'avez pas le droit de faire cela sur cette contribution."))


# --- valuation ------------------------------------------------------------------------------------------


def _valuate(contribution: Contribution) -> None:
    """Set ``value`` and ``value_basis`` from the inputs (terreau.contributions.valuation, the one place)."""
    valuation.apply(contribution)
    if contribution.value is None or contribution.value < 0:
        raise ValidationError(_("La valeur de la contribution ne peut pas être négative."))
    if contribution.value >= Decimal(10) ** _DIGITS["amount"]:
        raise ValidationError(
            _("La valeur calculée est trop élevée : vérifiez les quantités et les montants.")
        )
    contribution.value = contribution.value.quantize(CENT, rounding=ROUND_HALF_UP)


# --- contributions --------------------------------------------------------------------------------------


def _check(contribution: Contribution, *, equipment_items: Iterable[Any]) -> None:
    """The rules of a contribution that do not depend on its state (French messages)."""
    c = contribution
    if c.kind not in Kind.values:
        raise ValidationError(_("Nature de contribution inconnue."))
    if c.recipient_id is None:
        raise ValidationError(_("Indiquez l'organisation qui reçoit la contribution."))
    c.individual_name = (c.individual_name or "").strip()[:200]
    c.individual_address = (c.individual_address or "").strip()[:500]
    c.description = (c.description or "").strip()[:4000]
    if c.donor_id is None and not c.individual_name:
        raise ValidationError(_("Indiquez le donateur : une organisation ou un particulier (nom)."))
    if c.donor_id is not None and c.donor_id == c.recipient_id:
        raise ValidationError(
            _("Le donateur et le bénéficiaire doivent être deux organisations différentes.")
        )
    if not c.description:
        raise ValidationError(_("Décrivez la contribution."))
    _not_in_future(c.pledged_on, message=_("La date de la promesse ne peut pas être dans le futur."))
    targets = [t for t in (c.program, c.working_group, c.partnership) if t is not None]
    if len(targets) > 1:
        raise ValidationError(
            _("Une contribution va à un seul objet : un programme, un groupe de travail ou un partenariat.")
        )
    for target in targets:
        if target.branch_id != c.branch_id:
            raise ValidationError(_("Ce programme, groupe ou partenariat n'appartient pas à cette antenne."))
    if c.branch_id not in {c.recipient.branch_id, getattr(c.donor, "branch_id", None)}:
        raise ValidationError(_("Le bénéficiaire ou le donateur doit appartenir à cette antenne."))
    items = list(equipment_items)
    if items:
        if c.kind != Kind.EQUIPMENT:
            raise ValidationError(_("Seul un don de matériel se rattache au matériel d'un programme."))
        if c.program_id is None or any(item.program_id != c.program_id for item in items):
            raise ValidationError(_("Le matériel choisi doit appartenir au programme de la contribution."))
    for name in VALUATION_FIELDS:
        value = _money(
            getattr(c, name), label=_FIELD_LABELS[name], zero=name in _ZERO_ALLOWED, digits=_DIGITS[name]
        )
        setattr(c, name, value)


@transaction.atomic
def contribution_record(
    *,
    by: Any,
    branch,
    recipient,
    kind: str,
    description: str,
    pledged_on,
    donor=None,
    donor_person=None,
    individual_name: str = "",
    individual_address: str = "",
    program=None,
    working_group=None,
    partnership=None,
    equipment_items: Iterable[Any] = (),
    is_demo: bool = False,
    **valuation_inputs: Any,
) -> Contribution:
    """Record a pledged contribution, valued by terreau.contributions.valuation; its history starts."""
    unknown = set(valuation_inputs) - set(VALUATION_FIELDS)
    if unknown:
        raise TypeError(f"Unknown valuation inputs: {sorted(unknown)}")
    _require(may_record(by, branch=branch, organisations=(donor, recipient)))
    contribution = Contribution(
        branch=branch,
        donor=donor,
        donor_person=donor_person,
        individual_name=individual_name,
        individual_address=individual_address,
        recipient=recipient,
        program=program,
        working_group=working_group,
        partnership=partnership,
        kind=str(kind),
        description=description,
        pledged_on=pledged_on,
        recorded_by=_user(by),
        is_demo=is_demo,
        **valuation_inputs,
    )
    items = list(equipment_items)
    _check(contribution, equipment_items=items)
    _valuate(contribution)
    contribution.save()
    if items:
        contribution.equipment_items.set(items)
    states.begin(contribution, by=by)
    return contribution


def _locked(contribution: Contribution) -> Contribution:
    return (
        Contribution.objects.select_for_update(of=("self",))
        .select_related("branch", "donor", "recipient", "program", "working_group", "partnership")
        .get(pk=contribution.pk)
    )


@transaction.atomic
def contribution_update(
    *, by: Any, contribution: Contribution, equipment_items: Iterable[Any] | None = None, **changes: Any
) -> Contribution:
    """Change a contribution still pledged (once something arrived it is fixed; cancel it instead)."""
    unknown = set(changes) - EDITABLE_FIELDS
    if unknown:
        raise TypeError(f"Fields not editable: {sorted(unknown)}")
    locked = _locked(contribution)
    _require(may_change(by, locked))
    if locked.state != Contribution.State.PLEDGED:
        raise ValidationError(
            _("Seule une contribution promise peut être modifiée ; celle-ci est « %(state)s ».")
            % {"state": locked.get_state_display()}
        )
    for name, value in changes.items():
        setattr(locked, name, value)
    if changes.get("donor") is not None or changes.get("recipient") is not None:
        _require(may_record(by, branch=locked.branch, organisations=(locked.donor, locked.recipient)))
    items = list(locked.equipment_items.all()) if equipment_items is None else list(equipment_items)
    _check(locked, equipment_items=items)
    _valuate(locked)
    locked.save()
    locked.equipment_items.set(items)
    return locked


@transaction.atomic
def contribution_cancel(*, by: Any, contribution: Contribution, reason: str) -> Contribution:
    """Cancel with a reason (kept in the history); refused once an issued receipt covers it."""
    locked = _locked(contribution)
    _require(may_cancel(by, locked))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(_("Indiquez le motif de l'annulation."))
    if locked.state == Contribution.State.CANCELLED:
        raise ValidationError(_("Cette contribution est déjà annulée."))
    if locked.receipts.filter(state=Receipt.State.ISSUED).exists():
        raise ValidationError(
            _(
                "Un reçu fiscal émis couvre cette contribution : annulez d'abord le reçu, "
                "puis la contribution."
            )
        )
    states.move(locked, Contribution.State.CANCELLED, by=by, note=reason)
    return locked


# --- instalments ------------------------------------------------------------------------------------------


def received_total(contribution: Contribution) -> Decimal:
    total = contribution.instalments.aggregate(total=Sum("amount"))["total"]
    return total or Decimal("0.00")


@transaction.atomic
def instalment_record(
    *, by: Any, contribution: Contribution, amount: Any, received_on, note: str = ""
) -> Instalment:
    """Record what arrived; the contribution becomes partly received, then received when the sum reaches
    its value. Refuses more than the value, a date in the future, a zero or negative amount."""
    locked = _locked(contribution)
    _require(may_receive(by, locked))
    if locked.state not in (Contribution.State.PLEDGED, Contribution.State.PARTLY_RECEIVED):
        raise ValidationError(
            _("Aucun versement ne peut être enregistré sur une contribution « %(state)s ».")
            % {"state": locked.get_state_display()}
        )
    amount = _money(amount, label=_("Versement"))
    if amount is None:
        raise ValidationError(_("Indiquez le montant reçu."))
    _not_in_future(received_on, message=_("La date de réception ne peut pas être dans le futur."))
    if received_on < locked.pledged_on:
        raise ValidationError(_("La date de réception ne peut pas précéder la date de la promesse."))
    already = received_total(locked)
    remaining = locked.value - already
    if amount > remaining:
        raise ValidationError(
            _("Ce versement dépasse ce qui reste à recevoir (%(remaining)s €).")
            % {"remaining": f"{remaining:.2f}".replace(".", ",")}
        )
    instalment = Instalment.objects.create(
        contribution=locked,
        amount=amount,
        received_on=received_on,
        note=(note or "").strip()[:300],
        recorded_by=_user(by),
    )
    target = (
        Contribution.State.RECEIVED
        if already + amount >= locked.value
        else Contribution.State.PARTLY_RECEIVED
    )
    if target != locked.state:
        note_text = _("Versement de %(amount)s € reçu le %(day)s.") % {
            "amount": f"{amount:.2f}".replace(".", ","),
            "day": received_on.strftime("%d/%m/%Y"),
        }
        states.move(locked, target, by=by, note=note_text)
    return instalment


# --- documents and counterparts ---------------------------------------------------------------------------


@transaction.atomic
def document_add(
    *,
    by: Any,
    contribution: Contribution,
    upload: Any,
    title: str = "",
    kind: str = ContributionDocument.Kind.OTHER,
) -> ContributionDocument:
    """Keep an agreement, an invoice or a timesheet with the contribution (type, size and first bytes checked)."""
    _require(may_change(by, contribution))
    if kind not in ContributionDocument.Kind.values:
        raise ValidationError(_("Type de pièce inconnu."))
    check_document(upload)
    name = getattr(upload, "name", "") or ""
    return ContributionDocument.objects.create(
        contribution=contribution,
        kind=kind,
        title=((title or "").strip() or name)[:200],
        file=upload,
        uploaded_by=_user(by),
    )


@transaction.atomic
def counterpart_add(
    *, by: Any, contribution: Contribution, kind: str, description: str, value: Any
) -> Counterpart:
    """Record what the donor receives in return (compared with the value given: terreau.contributions.tax)."""
    locked = _locked(contribution)
    _require(may_change(by, locked))
    if locked.state == Contribution.State.CANCELLED:
        raise ValidationError(_("Cette contribution est annulée."))
    if kind not in Counterpart.Kind.values:
        raise ValidationError(_("Type de contrepartie inconnu."))
    description = (description or "").strip()[:300]
    if not description:
        raise ValidationError(_("Décrivez la contrepartie."))
    value = _money(value, label=_("Valeur de la contrepartie"), zero=True)
    if value is None:
        raise ValidationError(_("Indiquez la valeur de la contrepartie (0 si aucune)."))
    return Counterpart.objects.create(contribution=locked, kind=kind, description=description, value=value)


@transaction.atomic
def counterpart_remove(*, by: Any, counterpart: Counterpart) -> None:
    _require(may_change(by, counterpart.contribution))
    counterpart.delete()
