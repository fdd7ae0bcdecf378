"""Civic-service missions: their weekly availability windows written as text ("mardi 14:00-17:00"), and saving
a mission with the volunteer's roles at its sites. Views call these after fetching objects through
terreau.core.access; nothing here decides permissions."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from terreau.activities.models import Mission, Weekday

# --- weekly windows ("mardi 14:00-17:00") ------------------------------------------------------------

_DAYS = {str(label).lower(): value for value, label in Weekday.choices}
_LINE = re.compile(r"^\s*(\w+)\s+(\d{1,2})[:h](\d{2})\s*[-–à]+\s*(\d{1,2})[:h](\d{2})\s*$", re.IGNORECASE)


def windows_from_text(text: str) -> list[dict]:
    """Parse one window per line, e.g. "mardi 14:00-17:00", into the JSON stored on missions and sites."""
    out = []
    for n, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        m = _LINE.match(line)
        day = _DAYS.get(m.group(1).lower()) if m else None
        if m is None or day is None:
            raise ValidationError(
                _("Ligne %(n)s : écrivez un jour et un horaire, par exemple « mardi 14:00-17:00 ».")
                % {"n": n}
            )
        h1, m1, h2, m2 = (int(g) for g in m.groups()[1:])
        if h1 > 23 or h2 > 24 or m1 > 59 or m2 > 59 or (h2 * 60 + m2) <= (h1 * 60 + m1):
            raise ValidationError(_("Ligne %(n)s : l'heure de fin doit suivre l'heure de début.") % {"n": n})
        out.append({"weekday": day, "start": f"{h1:02d}:{m1:02d}", "end": f"{h2:02d}:{m2:02d}"})
    return out


def windows_to_text(windows: list[dict]) -> str:
    labels = dict(Weekday.choices)
    return "\n".join(
        f"{labels.get(w['weekday'], w['weekday'])} {w['start']}-{w['end']}" for w in windows or []
    )


# --- missions --------------------------------------------------------------------------------------


@transaction.atomic
def mission_save(*, mission: Mission, sites=None, by=None) -> Mission:
    """Validate (civic-service rules), save, and give the volunteer's account the volunteer role at each site."""
    from terreau.programs.team import volunteer_roles_sync

    mission.full_clean()
    mission.save()
    if sites is not None:
        mission.sites.set(sites)
    if mission.user_id:
        # Granted and revoked through the programs' services: recorded, and never granted to oneself.
        site_ids = set(mission.sites.values_list("pk", flat=True))
        volunteer_roles_sync(program=mission.program, user_id=mission.user_id, site_ids=site_ids, by=by)
    return mission
