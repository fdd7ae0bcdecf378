"""Sending receipts by e-mail (the PDF attached) and the year-end batch: one receipt per donor (and per form
of gift: cash and in kind apart) for the year's received gifts not yet on a live receipt, run as a tracked job
whose progress page the person who started it follows."""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import date

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.urls import reverse
from django.utils.translation import gettext as _

from terreau.contributions import receipts
from terreau.contributions.models import RECEIPTABLE_KINDS, Contribution
from terreau.contributions.receipt_models import Receipt
from terreau.contributions.receipt_pdf import money, receipt_pdf
from terreau.core.jobs import JobError, finish_tracked, job, start_tracked, tracking
from terreau.core.links import absolute_url
from terreau.notifications.services import Attachment, notify

logger = logging.getLogger(__name__)


def recipients_of(receipt: Receipt) -> list:
    """The donor's contact address, the person who gave in its name, and its administrators."""
    people: list = []
    gifts = list(receipt.contributions.select_related("donor", "donor_person"))
    for gift in gifts:
        if gift.donor_person is not None:
            people.append(gift.donor_person)
    donor = receipt.donor
    if donor is not None:
        if donor.email:
            people.append(donor.email)
        from terreau.directory.models import Membership

        admins = Membership.objects.filter(organisation=donor, role=Membership.Role.ADMIN).select_related(
            "user"
        )
        people += [m.user for m in admins if m.user.is_active]
    return people


def receipt_send(*, receipt: Receipt) -> int:
    """E-mail the receipt (PDF attached) to its donor; returns the number of e-mails queued."""
    people = recipients_of(receipt)
    if not people:
        return 0
    link = reverse("contributions:receipt_pdf", args=[receipt.pk])
    deliveries = notify(
        kind="contributions.receipt",
        recipients=people,
        template="contributions/emails/receipt",
        context={
            "receipt": receipt,
            "issuer_name": receipt.issuer_snapshot.get("name", ""),
            "amount": money(receipt.amount),
            "link": absolute_url(link),
        },
        link=link,
        attachments=[Attachment(f"recu-{receipt.number}.pdf", receipt_pdf(receipt), "application/pdf")],
        dedup_key=f"receipt:{receipt.pk}",
    )
    return len(deliveries)


def pending_gifts(issuer, year: int) -> list[Contribution]:
    """Received, receiptable gifts to ``issuer`` received during ``year`` and not on a live receipt."""
    live = Receipt.objects.filter(contributions=OuterRef("pk"), state=Receipt.State.ISSUED)
    candidates = (
        Contribution.objects.filter(
            recipient=issuer, state=Contribution.State.RECEIVED, kind__in=list(RECEIPTABLE_KINDS)
        )
        .exclude(Exists(live))
        .order_by("pk")
    )
    return [c for c in candidates if receipts.received_on(c).year == year and receipts.received_value(c) > 0]


def receipts_batch_year_end(*, by, issuer, year: int):
    """Start the year-end batch as a tracked job; returns the TrackedJob whose page shows its progress."""
    receipts._require(by, issuer)
    if not receipts.is_eligible(issuer):
        raise ValidationError(
            _("%(org)s n'a pas déclaré pouvoir émettre des reçus fiscaux.") % {"org": issuer}
        )
    if year < 2000 or year > date.today().year:
        raise ValidationError(_("Choisissez une année passée ou l'année en cours."))
    return start_tracked(
        receipts_year_end,
        owner=by,
        title=_("Reçus fiscaux de fin d'année %(year)s — %(org)s") % {"year": year, "org": issuer},
        branch=issuer.branch,
        issuer_id=issuer.pk,
        year=year,
        user_id=by.pk,
    )


@job(name="contributions.receipts_year_end", retries=0)
def receipts_year_end(*, issuer_id: int, year: int, user_id: int, tracked_id: str | None = None) -> None:
    from terreau.directory.models import Organisation

    with tracking(tracked_id) as progress:
        issuer = Organisation.objects.get(pk=issuer_id)
        by = get_user_model().objects.get(pk=user_id)
        groups: dict[tuple, list[Contribution]] = defaultdict(list)
        for gift in pending_gifts(issuer, year):
            groups[(receipts._donor_key(gift), receipts.nature_of(gift))].append(gift)
        total = len(groups)
        progress(done=0, total=total, message=_("%(n)s reçus à émettre.") % {"n": total})
        issued, failed = 0, []
        period = (date(year, 1, 1), date(year, 12, 31))
        for done, gifts in enumerate(groups.values(), start=1):
            try:
                with transaction.atomic():
                    receipt = receipts.receipt_issue(
                        by=by, issuer=issuer, contributions=gifts, period=period, _checked_by=True
                    )
                    receipt_send(receipt=receipt)
                issued += 1
            except ValidationError as exc:
                failed.append(f"{gifts[0].donor_label} : {' '.join(exc.messages)}")
            progress(done=done, total=total)
        if failed and not issued:
            raise JobError(_("Aucun reçu émis. ") + " ; ".join(failed)[:1500])
        message = _("%(n)s reçus émis et envoyés.") % {"n": issued}
        if failed:
            message += " " + _("Non émis : %(list)s") % {"list": " ; ".join(failed)[:1500]}
        url = reverse("contributions:receipts", args=[issuer.slug]) + f"?annee={year}"
        finish_tracked(tracked_id, result_url=url, message=message)
