"""Agreements (conventions de mécénat ou de partenariat): creation from the ledger or from a partnership, and
signature by each party.

Services are keyword-only and atomic; bad input is refused with a French ValidationError and nothing is
written. An agreement is created by the branch's staff or by a member of one of the parties, who must be able to
change every contribution it names (terreau.core.access). Each party signs once, through one of its
administrators (Membership role "admin"); the agreement is signed when both parties have.

``agreement_contents`` gathers what the page and the PDF show (contributions with what has arrived, schedule,
counterparts and their value, duration, signatures) in a fixed number of queries.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from terreau.contributions.agreement_models import Agreement, AgreementSignature
from terreau.contributions.models import Contribution, Counterpart, Instalment
from terreau.contributions.valuation import fr_money
from terreau.core import dates, states
from terreau.core.access import actor_for, editable
from terreau.directory.models import Membership, Organisation

ZERO = Decimal("0.00")
TITLE_MAX = 200
TEXT_MAX = 4000
NAME_MAX = 200


def _user(by: Any) -> Any:
    return by if getattr(by, "is_authenticated", False) else None


def _text(value: Any, *, label: str, limit: int, required: bool) -> str:
    text = str(value or "").strip()
    if required and not text:
        raise ValidationError(_("%(label)s : ce champ est obligatoire.") % {"label": label})
    if len(text) > limit:
        raise ValidationError(
            _("%(label)s : %(limit)d caractères au plus.") % {"label": label, "limit": limit}
        )
    return text


def _may_prepare(by: Any, *, branch: Any, donor: Organisation, recipient: Organisation) -> bool:
    actor = actor_for(by)
    return actor.manages_branch(branch) or bool(actor.org_ids & {donor.pk, recipient.pk})


def partnership_parties(partnership: Any) -> list[Organisation]:
    """The partnership's partners, in name order (the parties are chosen among them)."""
    return list(partnership.partners.order_by("name", "pk"))


def candidate_contributions(user: Any, *, donor: Organisation, recipient: Organisation):
    """The live contributions of ``donor`` to ``recipient`` the user may change."""
    qs = Contribution.objects.live().filter(donor=donor, recipient=recipient)
    qs = editable(user, qs).select_related("program", "partnership")
    return qs.order_by("pledged_on", "pk")


@transaction.atomic
def agreement_create(
    *,
    kind: str,
    donor: Organisation,
    recipient: Organisation,
    purpose: str,
    contributions: Iterable[Contribution],
    starts_on: date | None,
    ends_on: date | None,
    by: Any,
    title: str = "",
    schedule: str = "",
    partnership: Any = None,
    is_demo: bool = False,
) -> Agreement:
    """A draft agreement between ``donor`` and ``recipient`` naming some of the donor's contributions to it."""
    if kind not in Agreement.Kind.values:
        raise ValidationError(_("Type de convention inconnu."))
    if donor is None or recipient is None:
        raise ValidationError(_("Une convention lie un donateur et un bénéficiaire : choisissez les deux."))
    if donor.pk == recipient.pk:
        raise ValidationError(_("Le donateur et le bénéficiaire doivent être deux structures différentes."))
    purpose = _text(purpose, label=_("Objet"), limit=TEXT_MAX, required=True)
    schedule = _text(schedule, label=_("Calendrier"), limit=TEXT_MAX, required=False)
    if starts_on is None or ends_on is None:
        raise ValidationError(_("Indiquez les dates de début et de fin de la convention."))
    if ends_on < starts_on:
        raise ValidationError(_("La fin de la convention ne peut pas précéder son début."))
    ids = sorted({c.pk for c in contributions})
    if not ids:
        raise ValidationError(_("Choisissez au moins une contribution à inscrire dans la convention."))
    rows = list(Contribution.objects.filter(pk__in=ids).select_related("branch"))
    if len(rows) != len(ids):
        raise ValidationError(_("Une des contributions choisies n'existe plus."))
    for row in rows:
        if row.donor_id != donor.pk or row.recipient_id != recipient.pk:
            raise ValidationError(
                _("« %(c)s » n'est pas une contribution de %(donor)s à %(recipient)s.")
                % {"c": row.description[:80], "donor": donor, "recipient": recipient}
            )
        if row.state == Contribution.State.CANCELLED:
            raise ValidationError(
                _("« %(c)s » est annulée : elle ne peut pas figurer dans une convention.")
                % {"c": row.description[:80]}
            )
    branch = rows[0].branch
    if any(row.branch_id != branch.pk for row in rows):
        raise ValidationError(_("Les contributions d'une convention relèvent d'une même antenne."))
    user = _user(by)
    if user is None or not _may_prepare(user, branch=branch, donor=donor, recipient=recipient):
        raise ValidationError(
            _("Seuls l'antenne et les membres des deux parties peuvent préparer cette convention.")
        )
    if editable(user, Contribution.objects.filter(pk__in=ids)).count() != len(ids):
        raise ValidationError(_("Vous ne pouvez pas inscrire ces contributions dans une convention."))
    if partnership is not None:
        partners = set(partnership.partners.values_list("pk", flat=True))
        if not {donor.pk, recipient.pk} <= partners:
            raise ValidationError(
                _("Les deux parties doivent être partenaires de « %(p)s ».") % {"p": partnership}
            )
        if partnership.branch_id != branch.pk:
            raise ValidationError(_("Le partenariat et les contributions relèvent d'antennes différentes."))
    if not title:
        label = Agreement.Kind(kind).label
        title = f"{label} — {donor.name} · {recipient.name}"[:TITLE_MAX]
    title = _text(title, label=_("Intitulé"), limit=TITLE_MAX, required=True)
    agreement = Agreement.objects.create(
        branch=branch,
        kind=kind,
        title=title,
        partnership=partnership,
        donor=donor,
        recipient=recipient,
        purpose=purpose,
        schedule=schedule,
        starts_on=starts_on,
        ends_on=ends_on,
        created_by=user,
        is_demo=is_demo,
    )
    agreement.contributions.set(rows)
    states.begin(agreement, by=user)
    return agreement


def may_sign_for(user: Any, organisation: Organisation) -> bool:
    if _user(user) is None:
        return False
    return Membership.objects.filter(
        organisation=organisation, user=user, role=Membership.Role.ADMIN
    ).exists()


def organisations_to_sign(user: Any, agreement: Agreement) -> list[Organisation]:
    """The parties the user may still sign for (administrator of the party, not signed yet)."""
    if _user(user) is None or agreement.state != Agreement.State.DRAFT:
        return []
    signed = set(agreement.signatures.values_list("organisation_id", flat=True))
    admin_of = set(
        Membership.objects.filter(
            user=user, role=Membership.Role.ADMIN, organisation_id__in=agreement.party_ids
        ).values_list("organisation_id", flat=True)
    )
    return [org for org in agreement.parties if org.pk in admin_of and org.pk not in signed]


@transaction.atomic
def agreement_sign(
    *,
    agreement: Agreement,
    organisation: Organisation,
    by: Any,
    signer_name: str = "",
    signer_role: str = "",
) -> AgreementSignature:
    """``organisation``, one of the parties, signs through ``by``, one of its administrators; once both parties
    have signed the agreement is signed."""
    agreement = (
        Agreement.objects.select_for_update(of=("self",))
        .select_related("donor", "recipient")
        .get(pk=agreement.pk)
    )
    if organisation is None or organisation.pk not in agreement.party_ids:
        raise ValidationError(
            _("« %(org)s » n'est pas partie à cette convention : elle ne peut pas la signer.")
            % {"org": organisation}
        )
    if agreement.state != Agreement.State.DRAFT:
        raise ValidationError(_("Cette convention est déjà signée par toutes les parties."))
    user = _user(by)
    membership = (
        Membership.objects.filter(organisation=organisation, user=user, role=Membership.Role.ADMIN).first()
        if user is not None
        else None
    )
    if membership is None:
        raise ValidationError(
            _("Seul un administrateur de « %(org)s » peut signer la convention en son nom.")
            % {"org": organisation}
        )
    if agreement.signatures.filter(organisation=organisation).exists():
        raise ValidationError(_("« %(org)s » a déjà signé cette convention.") % {"org": organisation})
    name = _text(
        signer_name or user.get_full_name() or user.email,
        label=_("Nom du signataire"),
        limit=NAME_MAX,
        required=True,
    )
    role = _text(
        signer_role or membership.job_title or Membership.Role.ADMIN.label,
        label=_("Qualité du signataire"),
        limit=NAME_MAX,
        required=True,
    )
    now = timezone.now()
    signature = AgreementSignature.objects.create(
        agreement=agreement,
        organisation=organisation,
        signed_by=user,
        signed_at=now,
        signer_name=name,
        signer_role=role,
    )
    if set(agreement.signatures.values_list("organisation_id", flat=True)) >= set(agreement.party_ids):
        states.move(agreement, Agreement.State.SIGNED, by=user, also={"signed_at": now})
    return signature


# --- what the page and the PDF show ---------------------------------------------------------------------------


@dataclass
class Contents:
    contributions: list[Contribution]
    schedule: list[tuple[date, str]]
    counterparts: list[Counterpart]
    signatures: dict[int, AgreementSignature]
    total_value: Decimal = ZERO
    total_received: Decimal = ZERO
    total_counterparts: Decimal = ZERO
    duration: str = ""
    parties: list[Organisation] = field(default_factory=list)


def duration_label(start: date, end: date) -> str:
    """« du 1 septembre 2026 au 31 août 2027 (12 mois) »; whole months when the period is made of them."""
    months = (end.year - start.year) * 12 + end.month - start.month
    if (end + timedelta(days=1)).day == start.day:
        months += 1
        length = ngettext("%(n)d mois", "%(n)d mois", months) % {"n": months}
    else:
        days = (end - start).days + 1
        length = ngettext("%(n)d jour", "%(n)d jours", days) % {"n": days}
    return _("du %(start)s au %(end)s (%(length)s)") % {
        "start": dates.date_format(start, "j F Y"),
        "end": dates.date_format(end, "j F Y"),
        "length": length,
    }


def agreement_contents(agreement: Agreement) -> Contents:
    """The contributions (with what arrived), the schedule, the counterparts and the signatures: 3 queries."""
    instalments = Prefetch("instalments", queryset=Instalment.objects.order_by("received_on", "pk"))
    contributions = list(
        agreement.contributions.select_related("program")
        .prefetch_related(instalments, "counterparts")
        .order_by("pledged_on", "pk")
    )
    schedule: list[tuple[date, str]] = []
    counterparts: list[Counterpart] = []
    total_value = total_received = ZERO
    for c in contributions:
        c.received_total = sum((i.amount for i in c.instalments.all()), ZERO)
        total_value += c.value
        total_received += c.received_total
        label = c.get_kind_display()
        schedule.append(
            (c.pledged_on, _("Engagement : %(kind)s — %(d)s") % {"kind": label, "d": c.description})
        )
        for i in c.instalments.all():
            schedule.append(
                (
                    i.received_on,
                    _("Versement reçu : %(amount)s — %(kind)s")
                    % {"amount": fr_money(i.amount), "kind": label},
                )
            )
        counterparts.extend(c.counterparts.all())
    schedule.sort(key=lambda row: row[0])
    signatures = {s.organisation_id: s for s in agreement.signatures.select_related("signed_by")}
    return Contents(
        contributions=contributions,
        schedule=schedule,
        counterparts=counterparts,
        signatures=signatures,
        total_value=total_value,
        total_received=total_received,
        total_counterparts=sum((c.value for c in counterparts), ZERO),
        duration=duration_label(agreement.starts_on, agreement.ends_on),
        parties=list(agreement.parties),
    )
