"""Every limit of the activities app, in one place (civic service law, data protection, planning defaults).

Pure Python: the planner, the models' validation, the retention command and the tests read them from here.
Sources: /work/shared/domain/facts.md (service civique; CNIL guidance on social support data).
"""

from __future__ import annotations

from datetime import date

# Civic service (service civique) missions.
MISSION_MIN_MONTHS = 6
MISSION_MAX_MONTHS = 12
WEEKLY_HOURS_MIN = 24
WEEKLY_HOURS_MAX = 48
WEEKLY_HOURS_MAX_MINOR = 35  # under 18
ADULT_AGE = 18
AGE_MIN = 16
AGE_MAX = 25
AGE_MAX_WITH_DISABILITY = 30

# Participants (elderly beneficiaries): anonymised this long after their last participation.
PARTICIPANT_RETENTION_YEARS = 2
# A participant is "regular" when present at least at this share of their site's held sessions
# over the period considered (and at least REGULAR_MIN_SESSIONS times).
REGULAR_ATTENDANCE_RATE = 0.5
REGULAR_MIN_SESSIONS = 3

# Planner defaults.
MAX_TRAVEL_KM = 40.0  # from the volunteer's home commune to a site
TRAVEL_SPEED_KMH = 45.0  # to leave time between two sessions at different sites on one day


def age_on(birth: date, day: date) -> int:
    """Age in whole years on ``day``."""
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def add_months(day: date, months: int) -> date:
    """``day`` moved by ``months`` calendar months (clamped to the month's last day)."""
    month = day.month - 1 + months
    year = day.year + month // 12
    month = month % 12 + 1
    for d in (day.day, 31, 30, 29, 28):
        try:
            return date(year, month, min(day.day, d))
        except ValueError:
            continue
    raise ValueError(day)  # pragma: no cover


def mission_errors(
    *,
    birth_date: date | None,
    has_disability: bool,
    starts_on: date | None,
    ends_on: date | None,
    weekly_hours: float | None,
) -> dict[str, str]:
    """French messages for each rule a civic-service mission breaks, by field name (empty: valid)."""
    errors: dict[str, str] = {}
    if starts_on and ends_on:
        if ends_on < add_months(starts_on, MISSION_MIN_MONTHS) - _ONE_DAY:
            errors["ends_on"] = f"Une mission de service civique dure au moins {MISSION_MIN_MONTHS} mois."
        elif ends_on > add_months(starts_on, MISSION_MAX_MONTHS):
            errors["ends_on"] = f"Une mission de service civique dure au plus {MISSION_MAX_MONTHS} mois."
    age = age_on(birth_date, starts_on) if birth_date and starts_on else None
    if age is not None:
        limit = AGE_MAX_WITH_DISABILITY if has_disability else AGE_MAX
        if age < AGE_MIN:
            errors["birth_date"] = (
                f"Le service civique est ouvert à partir de {AGE_MIN} ans (âge au début de la mission)."
            )
        elif age > limit:
            errors["birth_date"] = (
                f"Le service civique est ouvert jusqu'à {AGE_MAX} ans, "
                f"{AGE_MAX_WITH_DISABILITY} ans pour une personne en situation de handicap."
            )
    if weekly_hours is not None:
        if weekly_hours < WEEKLY_HOURS_MIN or weekly_hours > WEEKLY_HOURS_MAX:
            errors["weekly_hours"] = (
                f"La durée hebdomadaire d'une mission est comprise entre {WEEKLY_HOURS_MIN} et {WEEKLY_HOURS_MAX} heures."
            )
        elif age is not None and age < ADULT_AGE and weekly_hours > WEEKLY_HOURS_MAX_MINOR:
            errors["weekly_hours"] = (
                f"Avant {ADULT_AGE} ans, une mission ne dépasse pas {WEEKLY_HOURS_MAX_MINOR} heures par semaine."
            )
    return errors


_ONE_DAY = date(2000, 1, 2) - date(2000, 1, 1)
