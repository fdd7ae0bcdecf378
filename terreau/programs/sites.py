"""Changes to a program's host sites: their details and weekly time windows. Keyword-only, transactional;
bad input raises django.core.exceptions.ValidationError with a French message that views show as is.

What a site holds (its kits, items and inventories) changes through terreau.programs.kits and
terreau.programs.items.
"""

from __future__ import annotations

import re
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from terreau.programs.models import HostSite

_TIME = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


def parse_time_windows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Validate weekly windows [{"weekday": 0-6, "start": "HH:MM", "end": "HH:MM"}]; blank rows are skipped."""
    out = []
    for row in rows:
        weekday, start, end = (
            row.get("weekday"),
            (row.get("start") or "").strip(),
            (row.get("end") or "").strip(),
        )
        if weekday in (None, "") and not start and not end:
            continue
        try:
            day = int(weekday)
        except (TypeError, ValueError):
            day = -1
        if not 0 <= day <= 6:
            raise ValidationError(_("Jour de la semaine invalide."))
        if not _TIME.match(start) or not _TIME.match(end):
            raise ValidationError(_("Les heures s'écrivent HH:MM, par exemple 14:30."))
        if end <= start:
            raise ValidationError(
                _("Un créneau doit finir après son début (%(start)s–%(end)s).") % {"start": start, "end": end}
            )
        out.append({"weekday": day, "start": start, "end": end})
    out.sort(key=lambda w: (w["weekday"], w["start"]))
    for a, b in zip(out, out[1:], strict=False):
        if a["weekday"] == b["weekday"] and b["start"] < a["end"]:
            raise ValidationError(_("Deux créneaux du même jour se chevauchent."))
    return out


# What a site's details form may change (terreau.programs.forms.SiteForm shows these fields).
SITE_FIELDS = (
    "name",
    "address",
    "contact_name",
    "contact_phone",
    "contact_email",
    "capacity",
    "accessibility_notes",
    "wifi",
    "wifi_notes",
    "starts_on",
)


def site_update(*, site: HostSite, data: dict[str, Any], by: Any) -> HostSite:
    editable_fields = SITE_FIELDS
    with transaction.atomic():
        for name in editable_fields:
            if name in data:
                setattr(site, name, data[name])
        if "time_windows" in data:
            site.time_windows = parse_time_windows(data["time_windows"])
        site.full_clean(exclude=["program", "organisation", "commune"])
        site.save()
    return site
