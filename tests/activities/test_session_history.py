"""A session's state has a lifecycle (terreau.core.states): cancelling it, reporting on it, a closure, a
public holiday or a weekly session ended each write one history row (who, why); a refused move says why in
French; the session's page shows the history with labels and French dates; the admin shows it read-only."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from terreau.activities import closures
from terreau.activities.models import Session, SessionChange
from terreau.activities.recurring import recurring_end
from terreau.activities.reports import report_save
from terreau.activities.sessions import session_cancel, session_replace
from terreau.core import states
from tests.activities.test_activities_support import program_with_sites, session, team, weekly

pytestmark = pytest.mark.django_db

P = Session.Status


@pytest.fixture
def world():
    program, site_a, site_b = program_with_sites()
    return {"program": program, "a": site_a, "b": site_b, **team(program, site_a, site_b)}


def _day(n: int) -> date:
    return timezone.localdate() + timedelta(days=n)


def _row(s: Session) -> tuple:
    change = s.history.get()
    return change.from_state, change.to_state, change.by, change.note


def test_cancelling_writes_one_row_with_the_reason_and_who(world):
    s = session(world["a"], day=_day(5))
    session_cancel(session=s, reason="  Grève des transports ", by=world["coordinator"])
    s.refresh_from_db()
    assert (s.status, s.cancel_reason) == (P.CANCELLED, "Grève des transports")
    assert _row(s) == (P.PLANNED, P.CANCELLED, world["coordinator"], "Grève des transports")


def test_cancelling_twice_or_a_held_session_is_refused_in_french_and_writes_nothing(world):
    s = session(world["a"], day=_day(5))
    session_cancel(session=s, reason="Neige", by=world["coordinator"])
    stale = Session.objects.get(pk=s.pk)
    with pytest.raises(ValidationError, match="déjà annulée"):
        session_cancel(session=stale, reason="Pluie", by=world["staff_a"])
    held = session(world["a"], day=_day(-3), status=P.HELD)
    with pytest.raises(ValidationError, match="a eu lieu"):
        session_cancel(session=held, reason="Pluie")
    assert SessionChange.objects.count() == 1
    s.refresh_from_db()
    assert s.cancel_reason == "Neige"


def test_a_move_the_lifecycle_does_not_list_is_refused_in_french(world):
    held = session(world["a"], day=date(2025, 2, 4), status=P.HELD)
    with pytest.raises(ValidationError) as refused:
        states.move(held, P.PLANNED, by=world["coordinator"])
    assert refused.value.code == "invalid_transition"
    assert refused.value.messages == [
        "La séance « EHPAD Les Tilleuls — 04/02/2025 14:30 » ne peut pas passer de « Tenue » à « Prévue ». "
        "Changement possible : « Annulée »."
    ]
    held.refresh_from_db()
    assert held.status == P.HELD and not held.history.exists()


def test_a_report_writes_one_row_and_a_corrected_report_another(world):
    s = session(world["a"], day=_day(-2))
    report_save(session=s, data={"held": True, "headcount": 4}, by=world["staff_a"])
    s.refresh_from_db()
    assert s.status == P.HELD
    assert _row(s) == (P.PLANNED, P.HELD, world["staff_a"], "Compte rendu rempli")
    # Saving the same report again changes no state: no row.
    report_save(session=s, data={"held": True, "headcount": 5}, by=world["staff_a"])
    assert s.history.count() == 1
    # Corrected: it did not take place after all.
    report_save(session=s, data={"held": False, "cancel_reason": "Salle inondée"}, by=world["coordinator"])
    s.refresh_from_db()
    assert (s.status, s.cancel_reason) == (P.CANCELLED, "Salle inondée")
    last = s.history.last()
    assert (last.from_state, last.to_state, last.by, last.note) == (
        P.HELD,
        P.CANCELLED,
        world["coordinator"],
        "Salle inondée",
    )


def test_a_closure_cancels_with_one_row_per_session(world):
    inside = [session(world["a"], day=_day(10)), session(world["a"], day=_day(12))]
    untouched = session(world["a"], day=_day(30))
    _closure, outcome = closures.closure_add(
        site=world["a"], starts_on=_day(9), ends_on=_day(15), reason="travaux", by=world["coordinator"]
    )
    assert sorted(s.pk for s in outcome.cancelled) == sorted(s.pk for s in inside)
    for s in inside:
        s.refresh_from_db()
        assert s.status == P.CANCELLED
        assert _row(s) == (P.PLANNED, P.CANCELLED, world["coordinator"], "Site fermé : travaux")
    assert not untouched.history.exists()
    assert SessionChange.objects.count() == 2


def test_a_public_holiday_cancellation_writes_its_row(world):
    new_year = date(timezone.localdate().year + 1, 1, 1)
    on_holiday = session(world["a"], day=new_year, at=time(10, 0))
    outcome = closures.holiday_sessions_cancel(sites=[world["a"]], by=world["coordinator"])
    assert [s.pk for s in outcome.cancelled] == [on_holiday.pk]
    assert _row(on_holiday) == (P.PLANNED, P.CANCELLED, world["coordinator"], "Jour férié : Jour de l'an")


def test_ending_a_weekly_session_and_replacing_one_write_their_rows(world):
    rec = weekly(world["a"], weekday=_day(7).weekday(), starts_on=_day(0))
    later = session(world["a"], day=_day(14), recurring=rec)
    recurring_end(recurring=rec, stop_from=_day(10), by=world["coordinator"])
    later.refresh_from_db()
    change = later.history.get()
    assert (change.to_state, change.by) == (P.CANCELLED, world["coordinator"])
    assert change.note.startswith("Séance hebdomadaire arrêtée à partir du")

    moved = session(world["b"], day=_day(3))
    new_time = timezone.make_aware(datetime.combine(_day(4), time(15, 0)))
    session_replace(session=moved, starts_at=new_time, by=world["staff_b"])
    assert _row(moved) == (P.PLANNED, P.CANCELLED, world["staff_b"], "Reportée")


def test_the_session_page_shows_the_history_with_labels_and_french_dates(client, world):
    s = session(world["a"], day=_day(5))
    session_cancel(session=s, reason="Neige", by=world["coordinator"])
    at = timezone.make_aware(datetime(2026, 12, 4, 14, 30))
    SessionChange.objects.filter(session=s).update(at=at)
    client.force_login(world["staff_a"])
    url = reverse("activities:session", kwargs={"slug": world["program"].slug, "pk": s.pk})
    page = client.get(url).content.decode()
    assert "<h2>Historique</h2>" in page
    assert "4 déc. 2026 à 14:30" in page
    assert "Prévue → Annulée&nbsp;: Neige" in page
    assert ">cancelled<" not in page and "planned →" not in page


def test_no_history_no_section(client, world):
    s = session(world["a"], day=_day(5))
    client.force_login(world["staff_a"])
    url = reverse("activities:session", kwargs={"slug": world["program"].slug, "pk": s.pk})
    assert "Historique" not in client.get(url).content.decode()


def test_the_admin_shows_the_history_read_only(client, world):
    s = session(world["a"], day=_day(5))
    session_cancel(session=s, reason="Neige", by=world["coordinator"])
    facilitator = world["facilitator"]
    facilitator.is_staff = True
    facilitator.save()
    client.force_login(facilitator)
    page = client.get(reverse("admin:activities_session_change", args=[s.pk]))
    text = page.content.decode()
    assert page.status_code == 200 and "Neige" in text and "Prévue" in text and "Annulée" in text
    assert 'name="status"' not in text and 'name="history-0-note"' not in text
