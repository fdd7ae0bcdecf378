"""Pre-aggregated dashboard figures per site and month (SiteMonthStats), kept up to date transactionally.

A bucket (site, month in local time) is never incremented: it is recomputed from its sessions, reports and
volunteer assignments, after locking its site row, in the transaction that changed them. Recomputing is
idempotent, so a bucket cannot drift. Triggers:
- signals for row-by-row writes (services, admin, forms): Session and SessionReport saved or deleted,
  volunteers of a session added, removed or cleared;
- explicit ``refresh()`` calls after bulk writes (sessions_generate, plan_sessions) and ``rebuild()`` after
  loaders that write with bulk_create/update (demo data, benchmark).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time

from django.db import transaction
from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncMonth
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_save
from django.dispatch import receiver
from django.utils import timezone

from terreau.activities.models import Session, SessionReport, SiteMonthStats

HELD = Q(status=Session.Status.HELD)
CANCELLED = Q(status=Session.Status.CANCELLED)
FIGURES = ("planned", "held", "cancelled", "attendance", "volunteer_minutes")


def month_of(moment: datetime) -> date:
    """First day of the local month of an aware datetime."""
    return timezone.localtime(moment).date().replace(day=1)


def month_start(month: date) -> datetime:
    return timezone.make_aware(datetime.combine(month, time.min))


def next_month(month: date) -> date:
    return date(month.year + 1, 1, 1) if month.month == 12 else date(month.year, month.month + 1, 1)


def month_key(value) -> date:
    """TruncMonth's value (an aware datetime on PostgreSQL and SQLite) as the local month's first day."""
    if isinstance(value, datetime):
        value = timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    return value.replace(day=1)


def bucket_figures(sessions) -> dict[tuple[int, date], dict[str, int]]:
    """Figures of ``sessions`` per (site id, month): two grouped queries, whatever the number of rows."""
    out: dict[tuple[int, date], dict[str, int]] = {}
    rows = (
        sessions.order_by()
        .annotate(month=TruncMonth("starts_at"))
        .values_list("site_id", "month")
        .annotate(
            planned=Count("id"),
            held=Count("id", filter=HELD),
            cancelled=Count("id", filter=CANCELLED),
            attendance=Sum("report__headcount", filter=HELD),
        )
    )
    for site_id, month, planned, held, cancelled, attendance in rows:
        out[(site_id, month_key(month))] = {
            "planned": planned,
            "held": held,
            "cancelled": cancelled,
            "attendance": attendance or 0,
            "volunteer_minutes": 0,
        }
    through = Session.volunteers.through
    minutes = (
        through.objects.filter(session__in=sessions.filter(HELD).order_by().values("pk"))
        .annotate(month=TruncMonth("session__starts_at"))
        .values_list("session__site_id", "month")
        .annotate(m=Sum("session__duration_minutes"))
        .order_by()
    )
    for site_id, month, m in minutes:
        key = (site_id, month_key(month))
        if key in out:
            out[key]["volunteer_minutes"] = m or 0
    return out


def _lock_sites(site_ids: Iterable[int]) -> None:
    """Serialise refreshes of the same site (the recomputation then reads what the others committed)."""
    from terreau.programs.models import HostSite

    list(HostSite.objects.select_for_update().filter(pk__in=sorted(site_ids)).values_list("pk"))


@transaction.atomic
def refresh(pairs: Iterable[tuple[int | None, date | None]]) -> None:
    """Recompute the buckets ``(site id, month)`` (and, per site, every month between the ones given)."""
    ranges: dict[int, tuple[date, date]] = {}
    for site_id, month in pairs:
        if site_id is None or month is None:
            continue
        low, high = ranges.get(site_id, (month, month))
        ranges[site_id] = (min(low, month), max(high, month))
    if not ranges:
        return
    _lock_sites(ranges)
    scope = Q(pk__in=[])
    stats_scope = Q(pk__in=[])
    for site_id, (low, high) in ranges.items():
        scope |= Q(
            site_id=site_id,
            starts_at__gte=month_start(low),
            starts_at__lt=month_start(next_month(high)),
        )
        stats_scope |= Q(site_id=site_id, month__gte=low, month__lte=high)
    figures = bucket_figures(Session.objects.filter(scope))
    existing = {(s.site_id, s.month): s for s in SiteMonthStats.objects.filter(stats_scope)}
    stale = [s.pk for key, s in existing.items() if key not in figures]
    if stale:
        SiteMonthStats.objects.filter(pk__in=stale).delete()
    changed, new = [], []
    for (site_id, month), values in figures.items():
        row = existing.get((site_id, month))
        if row is None:
            new.append(SiteMonthStats(site_id=site_id, month=month, **values))
        elif any(getattr(row, k) != v for k, v in values.items()):
            for k, v in values.items():
                setattr(row, k, v)
            changed.append(row)
    if changed:
        SiteMonthStats.objects.bulk_update(changed, FIGURES)
    if new:
        SiteMonthStats.objects.bulk_create(new)


@transaction.atomic
def rebuild(*, site_ids: Iterable[int] | None = None) -> int:
    """Recompute every bucket (of ``site_ids``, or of all sites); returns the number of buckets."""
    sessions = Session.objects.all()
    stats = SiteMonthStats.objects.all()
    if site_ids is not None:
        site_ids = list(site_ids)
        _lock_sites(site_ids)
        sessions = sessions.filter(site_id__in=site_ids)
        stats = stats.filter(site_id__in=site_ids)
    figures = bucket_figures(sessions)
    stats.delete()
    SiteMonthStats.objects.bulk_create(
        [SiteMonthStats(site_id=s, month=m, **values) for (s, m), values in figures.items()],
        batch_size=2000,
    )
    return len(figures)


def buckets_of(sessions: Iterable[Session]) -> set[tuple[int, date]]:
    return {(s.site_id, month_of(s.starts_at)) for s in sessions if s.starts_at is not None}


# --- signals: row-by-row writes --------------------------------------------------------------------------


@receiver(pre_save, sender=Session, dispatch_uid="activities_stats_session_pre_save")
def _session_before(sender, instance: Session, raw=False, **kwargs) -> None:
    instance._stats_before = None
    if instance.pk and not instance._state.adding:
        instance._stats_before = (
            Session.objects.filter(pk=instance.pk).values_list("site_id", "starts_at").first()
        )


@receiver(post_save, sender=Session, dispatch_uid="activities_stats_session_saved")
def _session_saved(sender, instance: Session, raw=False, **kwargs) -> None:
    pairs = buckets_of([instance])
    before = getattr(instance, "_stats_before", None)
    if before and before[1] is not None:
        pairs.add((before[0], month_of(before[1])))
    refresh(pairs)


@receiver(post_delete, sender=Session, dispatch_uid="activities_stats_session_deleted")
def _session_deleted(sender, instance: Session, **kwargs) -> None:
    refresh(buckets_of([instance]))


@receiver(post_save, sender=SessionReport, dispatch_uid="activities_stats_report_saved")
@receiver(post_delete, sender=SessionReport, dispatch_uid="activities_stats_report_deleted")
def _report_changed(sender, instance: SessionReport, **kwargs) -> None:
    refresh(
        (site_id, month_of(starts_at))
        for site_id, starts_at in Session.objects.filter(pk=instance.session_id).values_list(
            "site_id", "starts_at"
        )
    )


@receiver(m2m_changed, sender=Session.volunteers.through, dispatch_uid="activities_stats_volunteers")
def _volunteers_changed(sender, instance, action, reverse, pk_set, **kwargs) -> None:
    if not reverse:
        if action in ("post_add", "post_remove", "post_clear"):
            refresh(buckets_of([instance]))
        return
    # mission.sessions.add/remove/clear: the sessions concerned
    if action == "pre_clear":
        instance._stats_sessions = list(instance.sessions.values_list("pk", flat=True))
        return
    if action == "post_clear":
        pk_set = getattr(instance, "_stats_sessions", [])
    elif action not in ("post_add", "post_remove"):
        return
    refresh(
        (site_id, month_of(starts_at))
        for site_id, starts_at in Session.objects.filter(pk__in=pk_set or []).values_list(
            "site_id", "starts_at"
        )
    )
