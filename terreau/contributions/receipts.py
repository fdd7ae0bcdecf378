"""Tax receipts: the issuer's eligibility, issue (one gift or a period), numbering, cancellation, reissue,
the year-end batch, e-mail and the yearly summary (art. 222 bis CGI).

Every receipt is written here and only here. The number is sequential per issuer and year with no gap and no
duplicate: the ReceiptSequence row of (issuer, year) is locked (SELECT ... FOR UPDATE OF the row only), its
counter increased and the receipt created in the same transaction, so a rolled-back issue gives its number
back and two concurrent issues wait for each other. The year is the year of the gifts (the period's end).

Who may act: an administrator of the issuing organisation (directory.Membership ADMIN) or its branch's staff.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Max, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from num2words import num2words

from terreau.contributions.models import IN_KIND_KINDS, MONEY_KINDS, Contribution, Kind
from terreau.contributions.receipt_models import Receipt, ReceiptEligibility, ReceiptSequence
from terreau.core.access import actor_for
from terreau.core.audit import Action, audit_record

CENT = Decimal("0.01")

# --- amounts in words -----------------------------------------------------------------------------------


def amount_in_words(amount: Decimal) -> str:
    """The amount in French words, by num2words (lang="fr", to="currency"), with the cents left out when there
    are none, "d'euros" after a million or a milliard, and no "zéro euro" before cents alone."""
    amount = Decimal(amount).quantize(CENT)
    text = num2words(amount, lang="fr", to="currency")
    text = text.replace(" et zéro centimes", "").replace(" et zéro centime", "")
    for big in ("million", "millions", "milliard", "milliards"):
        text = text.replace(f"{big} euros", f"{big} d'euros")
    if text.startswith("zéro euros et "):
        text = text[len("zéro euros et ") :]
    return text


# --- who may act ----------------------------------------------------------------------------------------


def may_manage(user, organisation) -> bool:
    """An administrator of the organisation, its branch's staff, or a superuser."""
    actor = actor_for(user)
    return (
        actor.is_superuser
        or organisation.pk in actor.org_admin_ids
        or (organisation.branch_id is not None and actor.manages_branch(organisation.branch))
    )


def _require(user, organisation) -> None:
    if not may_manage(user, organisation):
        raise PermissionDenied(
            _(
                "Seul un administrateur de la structure ou l'équipe de son antenne peut gérer ses reçus fiscaux."
            )
        )


# --- eligibility ----------------------------------------------------------------------------------------


def eligibility_of(organisation) -> ReceiptEligibility | None:
    return ReceiptEligibility.objects.filter(organisation=organisation).first()


def is_eligible(organisation) -> bool:
    return ReceiptEligibility.objects.filter(organisation=organisation, eligible=True).exists()


@transaction.atomic
def eligibility_confirm(
    *,
    by,
    organisation,
    eligible: bool,
    ground: str,
    ground_details: str = "",
    rescrit_reference: str = "",
    purpose: str = "",
) -> ReceiptEligibility:
    """The organisation's own statement (art. 1740 A CGI fines wrong receipts): who confirmed it, when, and on
    what ground. Declaring it eligible needs a ground and the purpose printed on its receipts."""
    _require(by, organisation)
    ground = (ground or "").strip()
    if eligible:
        if ground not in ReceiptEligibility.Ground.values:
            raise ValidationError(_("Indiquez le fondement qui permet à la structure d'émettre des reçus."))
        if not (purpose or "").strip():
            raise ValidationError(_("Indiquez l'objet de la structure : il figure sur chaque reçu."))
        if ground == ReceiptEligibility.Ground.RESCRIT and not (rescrit_reference or "").strip():
            raise ValidationError(_("Indiquez la référence du rescrit fiscal."))
    elif ground and ground not in ReceiptEligibility.Ground.values:
        raise ValidationError(_("Fondement inconnu."))
    record, _created = ReceiptEligibility.objects.select_for_update().get_or_create(organisation=organisation)
    record.eligible = bool(eligible)
    record.ground = ground
    record.ground_details = (ground_details or "").strip()
    record.rescrit_reference = (rescrit_reference or "").strip()
    record.purpose = (purpose or "").strip()
    record.confirmed_by = by
    record.confirmed_at = timezone.now()
    record.full_clean()
    record.save()
    audit_record(
        actor=by,
        action=Action.RECEIPT_ELIGIBILITY,
        obj=record,
        target=str(organisation),
        branch_id=organisation.branch_id,
        details={"eligible": record.eligible, "ground": record.ground},
    )
    return record


# --- what a contribution gives ---------------------------------------------------------------------------


def nature_of(contribution: Contribution) -> str:
    if contribution.kind in MONEY_KINDS:
        return Receipt.Nature.CASH
    if contribution.kind == Kind.SKILLS_SPONSORSHIP:
        return Receipt.Nature.SKILLS
    if contribution.kind in IN_KIND_KINDS:
        return Receipt.Nature.IN_KIND
    raise ValidationError(_("Ce type de contribution ne donne pas droit à un reçu fiscal."))


def received_on(contribution: Contribution) -> date:
    """The gift's date: the last instalment received, or the pledge's date when none was recorded."""
    last = contribution.instalments.aggregate(last=Max("received_on"))["last"]
    return last or contribution.pledged_on


def received_value(contribution: Contribution) -> Decimal:
    """The value received: the contribution's value once received, or what its instalments add up to."""
    if contribution.value and contribution.value > 0:
        return contribution.value
    return contribution.instalments.aggregate(total=Sum("amount"))["total"] or Decimal("0.00")


def _donor_key(contribution: Contribution) -> tuple:
    if contribution.donor_id:
        return ("org", contribution.donor_id)
    return ("person", contribution.individual_name.strip().lower(), contribution.individual_address.strip())


def _address(org) -> str:
    place = " ".join(p for p in [org.postal_code, org.commune.name if org.commune_id else ""] if p)
    return "\n".join(p for p in [org.address, place] if p)


def issuer_snapshot(issuer, eligibility: ReceiptEligibility) -> dict:
    return {
        "name": issuer.name,
        "siren": issuer.siren,
        "rna": issuer.rna,
        "address": _address(issuer),
        "purpose": eligibility.purpose,
        "category": str(eligibility.get_ground_display()),
        "ground": eligibility.ground,
        "rescrit_reference": eligibility.rescrit_reference,
        "legal_category": issuer.legal_category,
    }


def donor_snapshot(contribution: Contribution) -> dict:
    donor = contribution.donor
    if donor is not None:
        legal_form = " — ".join(p for p in [str(donor.get_kind_display()), donor.legal_category] if p)
        return {
            "name": donor.name,
            "legal_form": legal_form,
            "siren": donor.siren,
            "address": _address(donor),
        }
    return {"name": contribution.individual_name, "address": contribution.individual_address}


def _in_kind_line(c: Contribution) -> str:
    value = f"{received_value(c):.2f}".replace(".", ",")
    parts = [c.description.strip()]
    if c.quantity:
        parts.append(_("quantité : %(q)s") % {"q": f"{c.quantity.normalize():f}".replace(".", ",")})
    if c.hours:
        parts.append(_("%(h)s heures de personnel mis à disposition") % {"h": f"{c.hours.normalize():f}"})
    if c.value_basis:
        parts.append(c.value_basis.strip())
    parts.append(_("valeur : %(v)s €") % {"v": value})
    return f"{c.get_kind_display()} — " + " ; ".join(p for p in parts if p)


# --- issue ----------------------------------------------------------------------------------------------


def _check(issuer, contributions: list[Contribution], period: tuple[date, date] | None) -> tuple[date, date]:
    if not contributions:
        raise ValidationError(_("Choisissez au moins une contribution reçue."))
    for c in contributions:
        if c.recipient_id != issuer.pk:
            raise ValidationError(
                _("« %(c)s » n'a pas été reçue par %(org)s : seul son bénéficiaire émet le reçu.")
                % {"c": c.description[:60], "org": issuer}
            )
        if not c.is_receiptable:
            raise ValidationError(
                _("« %(kind)s » ne donne pas droit à un reçu fiscal (bénévolat, subvention).")
                % {"kind": c.get_kind_display()}
            )
        if c.state == Contribution.State.CANCELLED:
            raise ValidationError(_("Une contribution annulée ne donne pas lieu à un reçu."))
        if c.state != Contribution.State.RECEIVED:
            raise ValidationError(
                _(
                    "« %(c)s » est une promesse qui n'est pas encore entièrement reçue : le reçu fiscal "
                    "ne s'émet qu'une fois le don reçu."
                )
                % {"c": c.description[:60]}
            )
        if c.receipts.filter(state=Receipt.State.ISSUED).exists():
            raise ValidationError(
                _("« %(c)s » figure déjà sur un reçu émis ; annulez-le pour en émettre un autre.")
                % {"c": c.description[:60]}
            )
        if received_value(c) <= 0:
            raise ValidationError(_("« %(c)s » n'a pas de valeur reçue.") % {"c": c.description[:60]})
    if len({_donor_key(c) for c in contributions}) > 1:
        raise ValidationError(_("Un reçu ne couvre que les dons d'un seul donateur."))
    if len({nature_of(c) for c in contributions}) > 1:
        raise ValidationError(
            _("Les dons en numéraire, en nature et le mécénat de compétences vont sur des reçus distincts.")
        )
    dates = [received_on(c) for c in contributions]
    if period is None:
        if len(contributions) > 1:
            raise ValidationError(_("Pour plusieurs dons, indiquez la période couverte par le reçu."))
        return dates[0], dates[0]
    start, end = period
    if start > end:
        raise ValidationError(_("La période doit commencer avant de finir."))
    if start.year != end.year:
        raise ValidationError(_("Un reçu couvre une période d'une seule année civile."))
    if any(d < start or d > end for d in dates):
        raise ValidationError(_("Un des dons a été reçu en dehors de la période indiquée."))
    return start, end


def _next_number(issuer, year: int) -> int:
    ReceiptSequence.objects.get_or_create(issuer=issuer, year=year)
    sequence = ReceiptSequence.objects.select_for_update(of=("self",)).get(issuer=issuer, year=year)
    sequence.last_number += 1
    sequence.save(update_fields=["last_number"])
    return sequence.last_number


def receipt_issue(
    *,
    by,
    issuer,
    contributions: Iterable[Contribution],
    form: str | None = None,
    period: tuple[date, date] | None = None,
    payment_method: str = "",
    replaces: Receipt | None = None,
    _checked_by: bool = False,
) -> Receipt:
    """One receipt for received gifts of one donor to ``issuer`` (one gift, or several over ``period``)."""
    if not _checked_by:
        _require(by, issuer)
    with transaction.atomic():
        ids = sorted({c.pk for c in contributions})
        # Lock the gifts (in id order) so that two concurrent issues cannot put one on two live receipts.
        list(Contribution.objects.select_for_update(of=("self",)).filter(pk__in=ids).order_by("pk"))
        rows = list(Contribution.objects.select_related("donor__commune").filter(pk__in=ids).order_by("pk"))
        eligibility = ReceiptEligibility.objects.filter(organisation=issuer, eligible=True).first()
        if eligibility is None:
            raise ValidationError(
                _(
                    "%(org)s n'a pas déclaré pouvoir émettre des reçus fiscaux : un administrateur de la "
                    "structure doit d'abord confirmer son habilitation et son fondement."
                )
                % {"org": issuer}
            )
        if len(rows) != len(ids):
            raise ValidationError(_("Une des contributions n'existe plus."))
        start, end = _check(issuer, rows, period)
        first = rows[0]
        default_form = Receipt.Form.COMPANY if first.donor_id else Receipt.Form.INDIVIDUAL
        form = form or default_form
        if form not in Receipt.Form.values:
            raise ValidationError(_("Modèle de reçu inconnu."))
        if form == Receipt.Form.COMPANY and not first.donor_id:
            raise ValidationError(_("Le modèle entreprise (Cerfa 16216) demande un donateur organisation."))
        nature = nature_of(first)
        amount = sum((received_value(c) for c in rows), Decimal("0.00")).quantize(CENT)
        if not payment_method:
            payment_method = {
                Receipt.Nature.CASH: _("Versement en numéraire"),
                Receipt.Nature.IN_KIND: _("Don en nature"),
                Receipt.Nature.SKILLS: _("Mise à disposition de personnel (mécénat de compétences)"),
            }[nature]
        year = end.year
        number = _next_number(issuer, year)
        receipt = Receipt.objects.create(
            branch_id=issuer.branch_id or first.branch_id,
            issuer=issuer,
            year=year,
            sequence=number,
            number=f"{year}-{number:05d}",
            form=form,
            nature=nature,
            donor=first.donor,
            period_start=start,
            period_end=end,
            amount=amount,
            amount_in_words=amount_in_words(amount),
            in_kind_description=""
            if nature == Receipt.Nature.CASH
            else "\n".join(_in_kind_line(c) for c in rows),
            payment_method=payment_method[:100],
            issuer_snapshot=issuer_snapshot(issuer, eligibility),
            donor_snapshot=donor_snapshot(first),
            issued_at=timezone.now(),
            issued_by=by,
            replaces=replaces,
            is_demo=all(c.is_demo for c in rows),
        )
        receipt.contributions.set(rows)
        audit_record(
            actor=by,
            action=Action.RECEIPT_ISSUED,
            obj=receipt,
            target=f"{receipt.number} — {issuer}",
            details={"amount": str(amount), "contributions": ids},
        )
    return receipt


def receipt_cancel(*, by, receipt: Receipt, reason: str) -> Receipt:
    """Cancel with a reason (both kept); the gifts may then be put on a new receipt."""
    _require(by, receipt.issuer)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(_("Indiquez le motif de l'annulation."))
    with transaction.atomic():
        locked = Receipt.objects.select_for_update(of=("self",)).get(pk=receipt.pk)
        if locked.state == Receipt.State.CANCELLED:
            raise ValidationError(_("Le reçu %(n)s est déjà annulé.") % {"n": locked.number})
        locked.state = Receipt.State.CANCELLED
        locked.cancelled_at = timezone.now()
        locked.cancelled_by = by
        locked.cancel_reason = reason[:1000]
        locked.save(update_fields=["state", "cancelled_at", "cancelled_by", "cancel_reason", "updated_at"])
        audit_record(
            actor=by,
            action=Action.RECEIPT_CANCELLED,
            obj=locked,
            target=f"{locked.number} — {locked.issuer}",
            details={"reason": reason[:300]},
        )
    for field in ("state", "cancelled_at", "cancelled_by", "cancel_reason"):
        setattr(receipt, field, getattr(locked, field))
    return locked


def receipt_reissue(*, by, receipt: Receipt, reason: str) -> Receipt:
    """Cancel ``receipt`` and issue a new one for the same gifts, pointing at it (``replaces``)."""
    with transaction.atomic():
        cancelled = receipt_cancel(by=by, receipt=receipt, reason=reason)
        gifts = list(cancelled.contributions.all())
        period = (cancelled.period_start, cancelled.period_end) if len(gifts) > 1 else None
        return receipt_issue(
            by=by,
            issuer=cancelled.issuer,
            contributions=gifts,
            form=cancelled.form,
            period=period,
            payment_method=cancelled.payment_method,
            replaces=cancelled,
            _checked_by=True,
        )


# --- yearly summary (art. 222 bis CGI) ------------------------------------------------------------------


@dataclass(frozen=True)
class YearlySummary:
    year: int
    count: int
    total: Decimal
    by_nature: list[tuple[str, int, Decimal]]
    cancelled: int


def yearly_summary(*, issuer, year: int) -> YearlySummary:
    """Total amount and number of receipts issued for the year's gifts; cancelled receipts are left out."""
    receipts = Receipt.objects.filter(issuer=issuer, year=year)
    live = receipts.filter(state=Receipt.State.ISSUED)
    totals = live.aggregate(count=Count("pk"), total=Sum("amount"))
    labels = dict(Receipt.Nature.choices)
    by_nature = [
        (str(labels[row["nature"]]), row["count"], Decimal(row["total"]).quantize(CENT))
        for row in live.values("nature").annotate(count=Count("pk"), total=Sum("amount")).order_by("nature")
    ]
    return YearlySummary(
        year=year,
        count=totals["count"] or 0,
        total=Decimal(totals["total"] or 0).quantize(CENT),
        by_nature=by_nature,
        cancelled=receipts.filter(state=Receipt.State.CANCELLED).count(),
    )


def summary_rows(summary: YearlySummary, receipts: Iterable[Receipt]) -> tuple[list, list[list]]:
    """Header and rows of the yearly summary's export: each live receipt, then the totals."""
    header = [_("Numéro"), _("Émis le"), _("Donateur"), _("Modèle"), _("Forme du don"), _("Montant (€)")]
    rows = [
        [
            r.number,
            timezone.localtime(r.issued_at).date(),
            r.donor_snapshot.get("name", ""),
            r.get_form_display(),
            r.get_nature_display(),
            r.amount,
        ]
        for r in receipts
        if r.state == Receipt.State.ISSUED
    ]
    rows.append([_("Total"), "", _("%(n)s reçus") % {"n": summary.count}, "", "", summary.total])
    return header, rows
