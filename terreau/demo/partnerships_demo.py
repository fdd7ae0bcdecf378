"""Demo contact requests and partnerships (data/partnerships.json): a partnership at every stage of the
pipeline in both branches, each with its thread (the contact request's message and its answer first), its next
steps (some done, some due, one overdue) and its stage history; pending, declined and expired requests in the
demo accounts' inboxes; one partnership opened from the past "Rencontre associations-entreprises".

Everything goes through the domain services (terreau.partnerships.services and .workspace), so states,
history and threads are what the application would have written; the rows are then dated back to plausible
days (the services stamp "now"). The services' e-mails are not sent (see terreau.demo.loader).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from terreau.accounts.models import BranchRole, User
from terreau.core.models import Branch
from terreau.demo.errors import DemoError
from terreau.demo.records import read
from terreau.directory.models import NeedOffer, Organisation
from terreau.events.models import Event
from terreau.partnerships import services, workspace
from terreau.partnerships.models import (
    ContactRequest,
    ContactRequestChange,
    Partnership,
    PartnershipMessage,
    PartnershipStageChange,
    PartnershipStep,
)

_DATA = read("partnerships.json")
PARTNERSHIPS: tuple[dict[str, Any], ...] = tuple(_DATA["partnerships"])
REQUESTS: tuple[dict[str, Any], ...] = tuple(_DATA["requests"])
STAFF = "staff"


def delete_partnerships_demo() -> None:
    """Remove the demo partnerships (their threads, steps and history go with them) and every partnership or
    contact request involving a demo organisation (before the organisations and branches are deleted)."""
    Partnership.objects.filter(Q(is_demo=True) | Q(partners__is_demo=True)).delete()
    ContactRequest.objects.filter(Q(sender__is_demo=True) | Q(recipient__is_demo=True)).delete()


@dataclass
class _Context:
    today: date
    users: dict[str, User]
    orgs: dict[str, Organisation]
    staff: dict[int, User]  # branch id -> its demo facilitator

    def at(self, day: int, hour: int = 10) -> datetime:
        """A moment of the day ``day`` days from today (minutes spread so that a day's rows keep their order)."""
        moment = datetime.combine(self.today + timedelta(days=day), time(hour, (abs(day) * 7) % 60))
        return min(timezone.make_aware(moment), timezone.now())

    def user(self, email: str, branch: Branch) -> User:
        if email == STAFF:
            return self.staff[branch.pk]
        try:
            return self.users[email]
        except KeyError:
            raise DemoError(f"partnerships.json: unknown demo account {email}") from None

    def org(self, slug: str) -> Organisation:
        try:
            return self.orgs[slug]
        except KeyError:
            raise DemoError(f"partnerships.json: unknown demo organisation {slug}") from None


def _item(org_ids: list[int], direction: str, title: str | None) -> NeedOffer | None:
    if not title:
        return None
    item = NeedOffer.objects.filter(
        organisation_id__in=org_ids, direction=direction, title__startswith=title, is_demo=True
    ).first()
    if item is None:
        raise DemoError(f"partnerships.json: no {direction} starting with {title!r}")
    return item


def _request(ctx: _Context, data: dict[str, Any]) -> ContactRequest:
    sender, recipient = ctx.org(data["sender"]), ctx.org(data["recipient"])
    ids = [sender.pk, recipient.pk]
    request = services.contact_request_create(
        sender=sender,
        recipient=recipient,
        need=_item(ids, "need", data.get("need")),
        offer=_item(ids, "offer", data.get("offer")),
        message=data["message"],
        by=ctx.user(data["sent_by"], sender.branch),
    )
    sent = ctx.at(data["day"], 9)
    expiry = timedelta(days=settings.TERREAU_CONTACT_REQUEST_EXPIRY_DAYS)
    ContactRequest.objects.filter(pk=request.pk).update(
        created_at=sent, updated_at=sent, expires_at=sent + expiry
    )
    ContactRequestChange.objects.filter(request=request).update(at=sent)
    request.refresh_from_db()
    return request


def _answered(request: ContactRequest, when: datetime) -> None:
    ContactRequest.objects.filter(pk=request.pk).update(answered_at=when, updated_at=when)
    ContactRequestChange.objects.filter(request=request).exclude(from_state="").update(at=when)


def _load_request(ctx: _Context, data: dict[str, Any]) -> None:
    request = _request(ctx, data)
    status = data["status"]
    if status == ContactRequest.Status.DECLINED:
        by = ctx.user(data["answered_by"], request.recipient.branch)
        services.contact_request_decline(request=request, by=by, answer=data["answer"])
        _answered(request, ctx.at(data["answer_day"], 11))
    elif status == ContactRequest.Status.EXPIRED:
        services.contact_requests_expire(now=request.expires_at)
        _answered(request, request.expires_at)
    elif status != ContactRequest.Status.PENDING:
        raise DemoError(f"partnerships.json: unknown request status {status}")


def _open(ctx: _Context, data: dict[str, Any], events: dict[str, Event]) -> tuple[Partnership, datetime]:
    """The partnership opened by an accepted request, or by a meeting at a demo event."""
    if "request" in data:
        request_data = data["request"]
        request = _request(ctx, request_data)
        by = ctx.user(request_data["answered_by"], request.recipient.branch)
        partnership = services.contact_request_accept(request=request, by=by, answer=request_data["answer"])
        opened = ctx.at(request_data["answer_day"], 11)
        _answered(request, opened)
        # The thread's first messages keep the dates of the request and of its answer.
        first, answer = list(partnership.messages.order_by("pk"))
        PartnershipMessage.objects.filter(pk=first.pk).update(created_at=request.created_at)
        PartnershipMessage.objects.filter(pk=answer.pk).update(created_at=opened)
        return partnership, opened
    event = events[data["event"]]
    first, second = (ctx.org(slug) for slug in data["partners"])
    partnership = services.partnership_open_from_meeting(
        event=event, first=first, second=second, by=ctx.staff[event.branch_id]
    )
    return partnership, ctx.at(data["opened_day"], 9)


def _load_partnership(ctx: _Context, data: dict[str, Any], events: dict[str, Event]) -> Partnership:
    partnership, opened = _open(ctx, data, events)
    branch = partnership.branch
    Partnership.objects.filter(pk=partnership.pk).update(
        title=data["title"],
        kind=data.get("kind", ""),
        notes=data.get("notes", partnership.notes),
        is_demo=True,
    )
    PartnershipStageChange.objects.filter(partnership=partnership).update(at=opened)
    last = opened
    for move in data["stages"]:
        services.partnership_set_stage(
            partnership=partnership, to=move["to"], by=ctx.user(move["by"], branch), note=move["note"]
        )
        last = ctx.at(move["day"], 16)
        row = PartnershipStageChange.objects.filter(partnership=partnership).latest("pk")
        PartnershipStageChange.objects.filter(pk=row.pk).update(at=last)
    for message in data["messages"]:
        row = workspace.message_post(
            partnership=partnership, body=message["body"], by=ctx.user(message["by"], branch)
        )
        when = ctx.at(message["day"], 14)
        PartnershipMessage.objects.filter(pk=row.pk).update(created_at=when)
        last = max(last, when)
    for step in data["steps"]:
        owner = ctx.user(step["owner"], branch)
        row = workspace.step_add(
            partnership=partnership,
            title=step["title"],
            owner=owner,
            due_date=ctx.today + timedelta(days=step["due"]),
            by=owner,
        )
        created = ctx.at(step["day"], 15)
        done = ctx.at(step["done"], 17) if "done" in step else None
        if done is not None:
            workspace.step_set_done(step=row, done=True)
        PartnershipStep.objects.filter(pk=row.pk).update(
            created_at=created, updated_at=done or created, done_at=done
        )
        last = max(last, done or created)
    Partnership.objects.filter(pk=partnership.pk).update(created_at=opened, updated_at=last)
    return partnership


def load_partnerships_demo(*, branches: dict[str, Branch], today: date) -> int:
    """Create the demo requests and partnerships; returns the number of partnerships."""
    emails = {
        *(r["sent_by"] for r in REQUESTS),
        *(r.get("answered_by", STAFF) for r in REQUESTS),
        *(p["request"]["sent_by"] for p in PARTNERSHIPS if "request" in p),
        *(p["request"]["answered_by"] for p in PARTNERSHIPS if "request" in p),
        *(m["by"] for p in PARTNERSHIPS for m in p["messages"]),
        *(s["owner"] for p in PARTNERSHIPS for s in p["steps"]),
    } - {STAFF}
    users = {u.email: u for u in User.objects.filter(email__in=emails, is_demo=True)}
    orgs = {
        org.slug.removesuffix("-demo"): org
        for org in Organisation.objects.filter(is_demo=True, branch__in=branches.values()).select_related(
            "branch"
        )
    }
    staff = {
        role.branch_id: role.user
        for role in BranchRole.objects.filter(
            branch__in=branches.values(), role=BranchRole.Role.FACILITATOR, user__is_demo=True
        ).select_related("user")
    }
    ctx = _Context(today=today, users=users, orgs=orgs, staff=staff)
    events = {e.slug: e for e in Event.objects.filter(is_demo=True)}
    for data in PARTNERSHIPS:
        _load_partnership(ctx, data, events)
    for data in REQUESTS:
        _load_request(ctx, data)
    return len(PARTNERSHIPS)
