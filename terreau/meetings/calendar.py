"""A participant's speed-meeting agenda as iCalendar (one VEVENT per meeting), with the icalendar package."""

from __future__ import annotations

from datetime import UTC

from django.utils import timezone
from django.utils.translation import gettext as _
from icalendar import Calendar
from icalendar import Event as VEvent


def agenda_ics(sm, registration, meetings) -> bytes:
    event = sm.event
    cal = Calendar()
    cal.add("prodid", "-//Terreau//Rendez-vous d'affaires//FR")
    cal.add("version", "2.0")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", _("Mes rendez-vous — %(title)s") % {"title": event.title})
    stamp = timezone.now().astimezone(UTC)
    for m in meetings:
        other = m.other(registration)
        item = VEvent()
        item.add("uid", f"speed-meeting-{sm.pk}-{registration.pk}-{m.round}@terreau")
        item.add("dtstamp", stamp)
        item.add("dtstart", sm.round_starts_at(m.round).astimezone(UTC))
        item.add("dtend", sm.round_ends_at(m.round).astimezone(UTC))
        who = other.name + (f" ({other.organisation_label})" if other.organisation_label else "")
        item.add("summary", _("Rendez-vous avec %(who)s") % {"who": who})
        item.add(
            "description",
            _("Tour %(round)s, table %(table)s — %(title)s")
            % {"round": m.round + 1, "table": m.table, "title": event.title},
        )
        if event.place:
            item.add("location", f"{event.place} — " + _("table %(table)s") % {"table": m.table})
        cal.add_component(item)
    return cal.to_ical()
