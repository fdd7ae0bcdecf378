"""Days without sessions: French public holidays of a site's department (the `holidays` library, in French;
Alsace-Moselle — 57, 67, 68 — adds Good Friday and 26 December; overseas departments their own days), the
site's closures (SiteClosure), and the days a volunteer is away (VolunteerAbsence).

Session generation (terreau.activities.sessions) skips a site's closed days; the planner
(terreau.activities.planning) assigns nobody on a day they are away. What recording a closure or an absence does
to the sessions already planned (cancelled, volunteer taken off) is in terreau.activities.closures."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from functools import lru_cache

import holidays
from django.utils.translation import gettext as _

from terreau.activities.models import SiteClosure, VolunteerAbsence

# Department code -> subdivision of holidays.France with its own public holidays.
SUBDIVISIONS = {
    "57": "57",
    "67": "6AE",
    "68": "6AE",
    "971": "971",
    "972": "972",
    "973": "973",
    "974": "974",
    "976": "976",
}


@lru_cache(maxsize=64)
def _holidays(department: str, year: int) -> dict[date, str]:
    calendar = holidays.country_holidays("FR", subdiv=SUBDIVISIONS.get(department), years=year, language="fr")
    return dict(calendar.items())


def public_holidays(department: str | None, start: date, end: date) -> dict[date, str]:
    """{day: name} of the public holidays between start and end (inclusive) for a department code."""
    out: dict[date, str] = {}
    for year in range(start.year, end.year + 1):
        out.update(
            (day, name) for day, name in _holidays(str(department or ""), year).items() if start <= day <= end
        )
    return out


def _days(first: date, last: date, start: date, end: date) -> Iterable[date]:
    day, last = max(first, start), min(last, end)
    while day <= last:
        yield day
        day += timedelta(days=1)


def closed_days_by_site(sites: Iterable, start: date, end: date) -> dict[int, dict[date, str]]:
    """{site id: {day: why}} the sites are closed between start and end: their department's public holidays
    and their closures (one query for all the sites)."""
    sites = list(sites)
    out = {
        site.pk: public_holidays(getattr(getattr(site, "commune", None), "department_id", None), start, end)
        for site in sites
    }
    for site_id, first, last, reason in SiteClosure.objects.filter(
        site__in=[site.pk for site in sites], starts_on__lte=end, ends_on__gte=start
    ).values_list("site_id", "starts_on", "ends_on", "reason"):
        for day in _days(first, last, start, end):
            out[site_id].setdefault(day, reason or _("Fermeture du site"))
    return out


def absent_days(mission_ids: Iterable[int], start: date, end: date) -> dict[int, frozenset[date]]:
    """{mission id: days away between start and end}, one query."""
    out: dict[int, set[date]] = {}
    for mid, first, last in VolunteerAbsence.objects.filter(
        mission_id__in=list(mission_ids), starts_on__lte=end, ends_on__gte=start
    ).values_list("mission_id", "starts_on", "ends_on"):
        out.setdefault(mid, set()).update(_days(first, last, start, end))
    return {mid: frozenset(days) for mid, days in out.items()}
