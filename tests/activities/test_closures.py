"""Issue 11, closures and absences through the pages: recording a site's closure cancels the sessions already
planned in it (French reason, volunteers e-mailed after the commit), an absence takes the volunteer off their
sessions, the planned sessions on public holidays can be cancelled, deleting a closure does not un-cancel
(and says so); who may do what follows the access layer."""

from __future__ import annotations

from datetime import date, time, timedelta

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from terreau.activities import closures
from terreau.activities.models import Session, SiteClosure, VolunteerAbsence
from tests.activities.test_activities_support import mission, program_with_sites, session, team
from tests.factories import CommuneFactory, DepartmentFactory, UserFactory

pytestmark = pytest.mark.django_db

P = Session.Status


@pytest.fixture
def world():
    program, site_a, site_b = program_with_sites()
    users = team(program, site_a, site_b)
    users["volunteer_a"].email = "lina@example.org"
    users["volunteer_a"].save()
    lina = mission(program, user=users["volunteer_a"], sites=[site_a], starts_on=timezone.localdate())
    other = mission(program, sites=[site_a], name="Noé", starts_on=timezone.localdate())
    return {"program": program, "a": site_a, "b": site_b, "lina": lina, "noe": other, **users}


def _day(n: int) -> date:
    return timezone.localdate() + timedelta(days=n)


def _url(w, name="closures", **kw):
    return reverse(f"activities:{name}", kwargs={"slug": w["program"].slug, **kw})


def _post_closure(client, w, site, start, end, reason=""):
    return client.post(
        _url(w),
        {
            "what": "closure",
            "closure-site": site.pk,
            "closure-starts_on": start,
            "closure-ends_on": end,
            "closure-reason": reason,
        },
    )


def test_closure_cancels_planned_sessions_in_it_and_tells_the_volunteers(
    client, world, django_capture_on_commit_callbacks
):
    a, b = world["a"], world["b"]
    inside = [session(a, day=_day(10)), session(a, day=_day(12))]
    for s in inside:
        s.volunteers.add(world["lina"])
    after = session(a, day=_day(20))
    elsewhere = session(b, day=_day(10))
    held = session(a, day=_day(11), status=P.HELD)
    client.force_login(world["coordinator"])
    with django_capture_on_commit_callbacks(execute=True):
        response = _post_closure(client, world, a, _day(9), _day(15), "travaux")
    assert response.status_code == 302
    messages = [str(m) for m in response.wsgi_request._messages]
    assert messages == ["Fermeture enregistrée. 2 séances annulées."]
    for s in inside:
        s.refresh_from_db()
        assert s.status == P.CANCELLED and s.cancel_reason == "Site fermé : travaux"
        assert list(s.volunteers.all()) == [world["lina"]]  # the history of who was planned stays
    for s, status in ((after, P.PLANNED), (elsewhere, P.PLANNED), (held, P.HELD)):
        s.refresh_from_db()
        assert s.status == status
    # One e-mail for Lina with both sessions.
    assert [m.to for m in mail.outbox] == [["lina@example.org"]]
    assert "2 séances annulées" in mail.outbox[0].subject
    assert mail.outbox[0].body.count("Site fermé : travaux") == 2
    page = client.get(_url(world)).content.decode()
    assert "EHPAD Les Tilleuls" in page and "travaux" in page


def test_closure_dates_are_checked_in_french(client, world):
    client.force_login(world["coordinator"])
    response = _post_closure(client, world, world["a"], _day(9), _day(3))
    assert response.status_code == 400
    assert "La fin de la fermeture précède son début." in response.content.decode()
    response = _post_closure(client, world, world["a"], "1900-01-01", _day(3))
    assert response.status_code == 400
    assert "Indiquez une date entre 2000 et" in response.content.decode()
    assert not SiteClosure.objects.exists()


def test_service_refuses_a_reversed_period(world):
    with pytest.raises(ValidationError) as exc:
        closures.absence_add(mission=world["lina"], starts_on=_day(5), ends_on=_day(4))
    assert exc.value.message_dict == {"ends_on": ["La fin de l'absence précède son début."]}
    assert not VolunteerAbsence.objects.exists()


def test_deleting_a_closure_does_not_uncancel_and_says_so(client, world):
    s = session(world["a"], day=_day(10))
    closure, outcome = closures.closure_add(
        site=world["a"], starts_on=_day(9), ends_on=_day(11), reason="travaux", by=world["coordinator"]
    )
    assert outcome.message() == "1 séance annulée."
    client.force_login(world["coordinator"])
    response = client.post(_url(world, "closure_delete", pk=closure.pk), follow=True)
    assert "La séance annulée pour cette fermeture reste annulée" in response.content.decode()
    s.refresh_from_db()
    assert s.status == P.CANCELLED
    assert not SiteClosure.objects.exists()


def test_absence_takes_the_volunteer_off_their_planned_sessions(
    client, world, django_capture_on_commit_callbacks
):
    mine = [session(world["a"], day=_day(d)) for d in (5, 6, 7)]
    for s in mine:
        s.volunteers.add(world["lina"], world["noe"])
    later = session(world["a"], day=_day(30))
    later.volunteers.add(world["lina"])
    client.force_login(world["volunteer_a"])
    page = client.get(_url(world)).content.decode()
    assert 'name="absence-mission"' in page and 'type="hidden"' in page
    assert "Enregistrer une fermeture" not in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            _url(world),
            {
                "what": "absence",
                "absence-mission": world["lina"].pk,
                "absence-starts_on": _day(4),
                "absence-ends_on": _day(8),
                "absence-reason": "formation",
            },
            follow=True,
        )
    assert "Absence enregistrée. 1 volontaire retiré de 3 séances." in response.content.decode()
    for s in mine:
        assert list(s.volunteers.all()) == [world["noe"]]
        s.refresh_from_db()
        assert s.status == P.PLANNED
    assert list(later.volunteers.all()) == [world["lina"]]
    assert [m.to for m in mail.outbox] == [["lina@example.org"]]
    assert VolunteerAbsence.objects.get().reason == "formation"


def test_volunteer_records_only_their_own_absence_and_no_closure(client, world):
    client.force_login(world["volunteer_a"])
    response = client.post(
        _url(world),
        {
            "what": "absence",
            "absence-mission": world["noe"].pk,
            "absence-starts_on": _day(4),
            "absence-ends_on": _day(8),
        },
    )
    assert response.status_code == 400 and not VolunteerAbsence.objects.exists()
    assert _post_closure(client, world, world["a"], _day(1), _day(2)).status_code == 403
    assert not SiteClosure.objects.exists()


def test_site_staff_close_their_own_site_only(client, world):
    client.force_login(world["staff_a"])
    assert _post_closure(client, world, world["b"], _day(1), _day(2)).status_code == 400
    assert _post_closure(client, world, world["a"], _day(1), _day(2)).status_code == 302
    closure = SiteClosure.objects.get()
    assert closure.site == world["a"]
    client.force_login(world["staff_b"])
    assert client.post(_url(world, "closure_delete", pk=closure.pk)).status_code == 404
    client.force_login(world["viewer"])
    page = client.get(_url(world))
    assert page.status_code == 200 and "Enregistrer une fermeture" not in page.content.decode()
    assert client.post(_url(world, "closure_delete", pk=closure.pk)).status_code == 403
    assert _post_closure(client, world, world["a"], _day(1), _day(2)).status_code == 403
    client.force_login(world["other"])
    assert client.get(_url(world)).status_code == 404
    client.force_login(UserFactory())
    assert client.get(_url(world)).status_code == 404
    client.logout()
    assert client.get(_url(world)).status_code == 302


def test_coordinator_removes_an_absence_which_does_not_reassign(client, world):
    s = session(world["a"], day=_day(5))
    s.volunteers.add(world["lina"])
    absence, outcome = closures.absence_add(
        mission=world["lina"], starts_on=_day(4), ends_on=_day(6), by=world["coordinator"]
    )
    assert outcome.message() == "1 volontaire retiré de 1 séance."
    client.force_login(world["coordinator"])
    response = client.post(_url(world, "absence_delete", pk=absence.pk), follow=True)
    assert "pas remis·e automatiquement" in response.content.decode()
    assert not s.volunteers.exists()


def test_public_holidays_listed_with_alsace_days_and_planned_sessions_on_them_cancelled(client, world):
    alsace = CommuneFactory(
        code="67482", name="Strasbourg", department=DepartmentFactory(code="67", name="Bas-Rhin")
    )
    world["b"].commune = alsace
    world["b"].save()
    today = timezone.localdate()
    next_new_year = date(today.year + 1, 1, 1)
    on_holiday = session(world["a"], day=next_new_year, at=time(10, 0))
    on_holiday.volunteers.add(world["lina"])
    ordinary = session(world["a"], day=next_new_year + timedelta(days=1))
    client.force_login(world["coordinator"])
    page = client.get(_url(world)).content.decode()
    assert "Jour de l&#x27;an" in page
    assert "Saint-Étienne" in page and "Vendredi saint" in page  # Alsace-Moselle (site b only)
    assert "1 séance prévue tombe un jour férié" in page
    response = client.post(_url(world, "holiday_cancel"), follow=True)
    assert "1 séance annulée." in response.content.decode()
    on_holiday.refresh_from_db()
    ordinary.refresh_from_db()
    assert on_holiday.status == P.CANCELLED and on_holiday.cancel_reason == "Jour férié : Jour de l'an"
    assert ordinary.status == P.PLANNED
    # Only the people who may close the sites cancel them.
    client.force_login(world["volunteer_a"])
    assert client.post(_url(world, "holiday_cancel")).status_code == 403


def test_only_the_department_holidays_for_one_department():
    program, site_a, _b = program_with_sites(slug="vienne-seule")
    names = {h["name"] for h in closures.upcoming_holidays([site_a], today=date(2027, 1, 1))}
    assert "Jour de l'an" in names and "Saint-Étienne" not in names and "Vendredi saint" not in names
