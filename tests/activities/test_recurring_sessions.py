"""Weekly sessions (RecurringSession) edited, ended and deleted outside the admin: what becomes of their
occurrences to come, the history kept, bad input, and who may do it."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from unittest import mock

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from terreau.activities import plan_instance, planner
from terreau.activities.models import RecurringSession, Session, SiteMonthStats
from terreau.activities.planning import plan_sessions
from terreau.activities.recurring import recurring_end, recurring_update
from terreau.activities.reports import report_save
from terreau.activities.sessions import local_dt, session_cancel, session_replace, sessions_generate
from tests.activities.test_activities_support import mission, program_with_sites, session, team, weekly
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

TUESDAY, THURSDAY = 1, 3


def _next_monday() -> date:
    today = timezone.localdate()
    return today + timedelta(days=7 - today.weekday())


def _local(session: Session) -> datetime:
    return timezone.localtime(session.starts_at)


@pytest.fixture
def world():
    """Site A has a Tuesday 14:30 weekly session with four past weeks and four weeks to come generated:
    week 1 planned with a volunteer, week 2 held (reported), week 3 cancelled by hand, week 4 planned."""
    program, site_a, site_b = program_with_sites()
    users = team(program, site_a, site_b)
    today, monday = timezone.localdate(), _next_monday()
    m = mission(program, user=users["volunteer_a"], sites=[site_a], starts_on=today - timedelta(days=30))
    rec = weekly(site_a, weekday=TUESDAY, starts_on=today - timedelta(days=70))
    rec_b = weekly(site_b, weekday=THURSDAY, starts_on=today - timedelta(days=70))
    sessions_generate(program=program, start=monday - timedelta(days=28), end=today - timedelta(days=1))
    sessions_generate(program=program, start=monday, end=monday + timedelta(days=27))
    weeks = list(Session.objects.filter(recurring=rec, starts_at__gte=local_dt(monday, time.min)))
    assert len(weeks) == 4
    weeks[0].volunteers.add(m)
    # Week 2 was held and reported: the report is filed once it has happened (the clock moved on).
    with mock.patch("django.utils.timezone.now", return_value=weeks[1].ends_at):
        report_save(session=weeks[1], data={"held": True, "headcount": 6}, by=users["staff_a"])
    session_cancel(session=weeks[2], reason="Jour férié", by=users["coordinator"])
    past = list(Session.objects.filter(recurring=rec, starts_at__lt=timezone.now()))
    assert past
    return {
        "program": program,
        "a": site_a,
        "b": site_b,
        "u": users,
        "mission": m,
        "rec": rec,
        "rec_b": rec_b,
        "weeks": weeks,
        "past": past,
        "monday": monday,
    }


def url(name, rec):
    return reverse(f"activities:{name}", args=[rec.site.program.slug, rec.pk])


def _data(rec, **changes):
    data = {
        "site": rec.site_id,
        "weekday": rec.weekday,
        "start_time": f"{rec.start_time:%H:%M}",
        "duration_minutes": rec.duration_minutes,
        "volunteers_needed": rec.volunteers_needed,
        "starts_on": rec.starts_on.isoformat(),
        "ends_on": rec.ends_on.isoformat() if rec.ends_on else "",
    }
    return data | changes


def _snapshot(rec):
    rec.refresh_from_db()
    rows = Session.objects.filter(recurring=rec).order_by("pk")
    return (
        rec.weekday,
        rec.start_time,
        rec.ends_on,
        [(s.starts_at, s.status, s.duration_minutes, s.volunteers_needed) for s in rows],
    )


def _stats_match(site) -> bool:
    """The dashboard's pre-aggregated figures agree with the sessions after the bulk changes."""
    stored = SiteMonthStats.objects.filter(site=site)
    sessions = Session.objects.filter(site=site)
    return (
        sum(s.cancelled for s in stored) == sessions.filter(status=Session.Status.CANCELLED).count()
        and sum(s.planned for s in stored) == sessions.count()
    )


# --- edit ---------------------------------------------------------------------------------------------


def test_edit_moves_the_planned_occurrences_to_come_and_keeps_history(
    client, world, django_capture_on_commit_callbacks
):
    rec, (w1, w2, w3, w4) = world["rec"], world["weeks"]
    before_past = {s.pk: s.starts_at for s in world["past"]}
    client.force_login(world["u"]["coordinator"])
    page = client.get(url("recurring_edit", rec))
    assert page.status_code == 200
    body = page.content.decode()
    assert 'value="14:30"' in body and "Enregistrer les modifications" in body
    assert "Supprimer la séance hebdomadaire" not in body  # occurrences exist: end it instead
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            url("recurring_edit", rec),
            _data(rec, weekday=THURSDAY, start_time="15:00", duration_minutes=120, volunteers_needed=3),
            follow=True,
        )
    assert response.redirect_chain[-1][0] == reverse("activities:sessions", args=[world["program"].slug])
    text = response.content.decode()
    assert "Séance hebdomadaire modifiée." in text and "2 séances à venir déplacées." in text
    rec.refresh_from_db()
    assert (rec.weekday, rec.start_time, rec.duration_minutes) == (THURSDAY, time(15, 0), 120)
    for s, week in ((w1, 0), (w4, 3)):
        s.refresh_from_db()
        assert _local(s).date() == world["monday"] + timedelta(days=7 * week + THURSDAY)
        assert _local(s).time() == time(15, 0)
        assert (s.status, s.duration_minutes, s.volunteers_needed) == ("planned", 120, 3)
    assert list(w1.volunteers.all()) == [world["mission"]]  # the volunteer stays, and is told
    # History: held, cancelled and past occurrences are untouched.
    for s, status in ((w2, "held"), (w3, "cancelled")):
        old = s.starts_at
        s.refresh_from_db()
        assert (s.status, s.starts_at, s.duration_minutes) == (status, old, 90)
    assert w3.cancel_reason == "Jour férié"
    for pk, at in before_past.items():
        assert Session.objects.get(pk=pk).starts_at == at
    assert [m for m in mail.outbox if world["mission"].user.email in m.to]
    message = next(m for m in mail.outbox if world["mission"].user.email in m.to)
    assert "Séance déplacée" in message.body
    assert _stats_match(world["a"])
    # Planning those weeks again adds nothing: each week already has its occurrence (the cancelled one too).
    count = Session.objects.count()
    sessions_generate(
        program=world["program"], start=world["monday"], end=world["monday"] + timedelta(days=27)
    )
    assert Session.objects.count() == count


def test_edit_with_an_earlier_end_cancels_what_falls_outside(client, world):
    rec, (w1, _w2, _w3, w4) = world["rec"], world["weeks"]
    client.force_login(world["u"]["staff_a"])
    last_day = world["monday"] + timedelta(days=20)  # before week 4's Tuesday
    response = client.post(url("recurring_edit", rec), _data(rec, ends_on=last_day.isoformat()))
    assert response.status_code == 302
    w4.refresh_from_db()
    w1.refresh_from_db()
    assert w4.status == Session.Status.CANCELLED
    assert w4.cancel_reason == "Hors de la nouvelle période de la séance hebdomadaire"
    assert w1.status == Session.Status.PLANNED


def test_rescheduling_to_a_time_already_past_cancels_that_weeks_occurrence():
    program, site_a, _site_b = program_with_sites()
    rec = weekly(site_a, weekday=THURSDAY, starts_on=date(2030, 1, 1))
    sessions_generate(program=program, start=date(2030, 3, 4), end=date(2030, 3, 17))
    this_week, next_week = Session.objects.filter(recurring=rec).order_by("starts_at")
    wednesday_noon = local_dt(date(2030, 3, 6), time(12, 0))
    outcome = recurring_update(recurring=rec, changes={"weekday": TUESDAY}, now=wednesday_noon)
    this_week.refresh_from_db()
    next_week.refresh_from_db()
    assert outcome.cancelled == [this_week] and [s for _old, s in outcome.moved] == [next_week]
    assert this_week.status == Session.Status.CANCELLED
    assert this_week.cancel_reason == "Horaire de la séance hebdomadaire modifié"
    assert _local(this_week).date() == date(2030, 3, 7)  # cancelled where it was
    assert _local(next_week).date() == date(2030, 3, 12)


def test_site_cannot_change_once_occurrences_exist(client, world):
    rec = world["rec"]
    with pytest.raises(ValidationError) as err:
        recurring_update(recurring=rec, changes={"site": world["b"]})
    assert "site" in err.value.message_dict
    client.force_login(world["u"]["coordinator"])
    page = client.get(url("recurring_edit", rec)).content.decode()
    assert "pour changer de site" in page
    # The disabled field ignores what is posted.
    assert client.post(url("recurring_edit", rec), _data(rec, site=world["b"].pk)).status_code == 302
    rec.refresh_from_db()
    assert rec.site_id == world["a"].pk


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"duration_minutes": 5}, "Une séance dure entre 15 minutes et 8 heures."),
        ({"ends_on": "2020-01-01"}, "La fin doit suivre le début."),
        ({"weekday": 9}, "Sélectionnez un choix valide"),
        ({"start_time": "25:99"}, "Saisissez une heure valide."),
        ({"starts_on": "hier"}, "Saisissez une date valide."),
        ({"volunteers_needed": "99999999999999999999"}, "Assurez-vous que cette valeur"),
        ({"site": "abc"}, "Sélectionnez un choix valide"),
    ],
)
def test_edit_bad_input_shows_errors_in_french_and_changes_nothing(client, world, changes, message):
    rec = world["rec_b"]
    Session.objects.filter(recurring=rec).delete()  # unused: the site field is open too
    before = _snapshot(rec)
    client.force_login(world["u"]["coordinator"])
    response = client.post(url("recurring_edit", rec), _data(rec, **changes))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert 'aria-invalid="true"' in response.content.decode()
    assert _snapshot(rec) == before


def test_site_staff_chooses_only_their_own_sites(client, world):
    rec = world["rec"]
    Session.objects.filter(recurring=rec).delete()
    client.force_login(world["u"]["staff_a"])
    page = client.get(url("recurring_edit", rec)).content.decode()
    assert "EHPAD Les Tilleuls" in page and "Club des Aînés" not in page
    response = client.post(url("recurring_edit", rec), _data(rec, site=world["b"].pk))
    assert response.status_code == 200 and "Sélectionnez un choix valide" in response.content.decode()
    rec.refresh_from_db()
    assert rec.site_id == world["a"].pk


# --- end ----------------------------------------------------------------------------------------------


def test_end_cancels_planned_occurrences_and_keeps_reported_ones(
    client, world, django_capture_on_commit_callbacks
):
    rec, (w1, w2, w3, w4) = world["rec"], world["weeks"]
    stop_from = world["monday"] + timedelta(days=7)  # from week 2 on
    client.force_login(world["u"]["coordinator"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            url("recurring_end", rec),
            {"stop_from": stop_from.isoformat(), "reason": "Fermeture du site pour travaux"},
            follow=True,
        )
    text = response.content.decode()
    assert f"Séance hebdomadaire arrêtée à partir du {stop_from:%d/%m/%Y}." in text
    assert "1 séance prévue annulée." in text and "1 séance avec compte rendu conservée." in text
    rec.refresh_from_db()
    assert rec.ends_on == stop_from - timedelta(days=1)
    for s in (w1, w2, w3, w4):
        s.refresh_from_db()
    assert w1.status == Session.Status.PLANNED  # before the end
    assert w2.status == Session.Status.HELD and w2.report.headcount == 6  # reported: kept
    assert (w3.status, w3.cancel_reason) == ("cancelled", "Jour férié")  # its own reason stays
    assert w4.status == Session.Status.CANCELLED
    assert w4.cancel_reason == (
        f"Séance hebdomadaire arrêtée à partir du {stop_from:%d/%m/%Y} : Fermeture du site pour travaux"
    )
    assert Session.objects.filter(pk__in=[s.pk for s in world["past"]]).count() == len(world["past"])
    assert _stats_match(world["a"])
    # Planning later creates nothing after the end.
    count = Session.objects.filter(recurring=rec).count()
    sessions_generate(
        program=world["program"], start=world["monday"], end=world["monday"] + timedelta(days=60)
    )
    assert Session.objects.filter(recurring=rec).count() == count


def test_end_of_a_series_notifies_the_volunteers_once(world, django_capture_on_commit_callbacks):
    rec, (w1, *_rest) = world["rec"], world["weeks"]
    with django_capture_on_commit_callbacks(execute=True):
        outcome = recurring_end(recurring=rec, stop_from=world["monday"])
    assert len(outcome.cancelled) == 2 and outcome.kept == 1
    sent = [m for m in mail.outbox if world["mission"].user.email in m.to]
    assert len(sent) == 1 and f"{timezone.localtime(w1.starts_at):%d/%m/%Y %H:%M}" in sent[0].body


@pytest.mark.parametrize(
    ("stop_from", "message"),
    [
        ("past", "Choisissez aujourd&#x27;hui ou une date à venir"),
        ("", "Ce champ est obligatoire."),
        ("31/02/2026", "Saisissez une date valide."),
        ("n'importe quoi", "Saisissez une date valide."),
    ],
)
def test_end_bad_input_is_refused_with_a_message(client, world, stop_from, message):
    rec = world["rec"]
    if stop_from == "past":
        stop_from = (timezone.localdate() - timedelta(days=1)).isoformat()
    before = _snapshot(rec)
    client.force_login(world["u"]["coordinator"])
    response = client.post(url("recurring_end", rec), {"stop_from": stop_from, "reason": "Fermeture"})
    assert response.status_code == 200
    assert message in response.content.decode()
    assert _snapshot(rec) == before


def test_end_reason_too_long_is_refused(client, world):
    rec = world["rec"]
    before = _snapshot(rec)
    client.force_login(world["u"]["coordinator"])
    stop = world["monday"].isoformat()
    response = client.post(url("recurring_end", rec), {"stop_from": stop, "reason": "x" * 500})
    assert response.status_code == 200
    assert "Assurez-vous que cette valeur comporte au plus 200 caractères" in response.content.decode()
    assert _snapshot(rec) == before


def test_end_after_the_current_end_is_refused(world):
    rec = world["rec"]
    rec.ends_on = world["monday"] + timedelta(days=10)
    rec.save()
    with pytest.raises(ValidationError) as err:
        recurring_end(recurring=rec, stop_from=world["monday"] + timedelta(days=20))
    assert "se termine déjà le" in err.value.message_dict["stop_from"][0]


# --- delete -------------------------------------------------------------------------------------------


def test_delete_an_unused_weekly_session(client, world):
    program = world["program"]
    unused = weekly(world["a"], weekday=4, starts_on=world["monday"] + timedelta(days=60))
    client.force_login(world["u"]["staff_a"])
    assert "Supprimer la séance hebdomadaire" in client.get(url("recurring_edit", unused)).content.decode()
    response = client.post(url("recurring_delete", unused), follow=True)
    assert response.redirect_chain[-1][0] == reverse("activities:sessions", args=[program.slug])
    assert "Séance hebdomadaire supprimée." in response.content.decode()
    assert not RecurringSession.objects.filter(pk=unused.pk).exists()


def test_delete_is_refused_once_occurrences_exist(client, world):
    rec = world["rec"]
    client.force_login(world["u"]["coordinator"])
    response = client.post(url("recurring_delete", rec), follow=True)
    assert response.status_code == 200
    assert "arrêtez-la plutôt" in response.content.decode()
    assert RecurringSession.objects.filter(pk=rec.pk).exists()
    assert Session.objects.filter(recurring=rec).count() == 4 + len(world["past"])


# --- who may do it ------------------------------------------------------------------------------------


ALLOWED = {"coordinator", "facilitator", "staff_a"}


@pytest.mark.parametrize(
    ("who", "code"),
    [
        ("coordinator", 200),
        ("facilitator", 200),  # the branch's staff
        ("staff_a", 200),  # the site's staff
        ("volunteer_a", 403),  # sees the site's weekly sessions, may not change them
        ("viewer", 403),  # partner viewer: sees the program
        ("staff_b", 404),  # another site of the program
        ("other", 404),  # another branch's facilitator
    ],
)
def test_permissions(client, world, who, code):
    rec = world["rec"]
    unused = weekly(world["a"], weekday=4, starts_on=world["monday"] + timedelta(days=60))
    before, before_unused = _snapshot(rec), _snapshot(unused)
    client.force_login(world["u"][who])
    assert client.get(url("recurring_edit", rec)).status_code == code
    post_code = 302 if who in ALLOWED else code
    edited = client.post(url("recurring_edit", rec), _data(rec, start_time="16:00"))
    assert edited.status_code == post_code
    assert (_snapshot(rec) != before) is (who in ALLOWED)
    before = _snapshot(rec)
    stop = (world["monday"] + timedelta(days=14)).isoformat()
    assert client.post(url("recurring_end", rec), {"stop_from": stop}).status_code == post_code
    assert (_snapshot(rec) != before) is (who in ALLOWED)
    assert client.post(url("recurring_delete", unused)).status_code == post_code
    assert RecurringSession.objects.filter(pk=unused.pk).exists() is (who not in ALLOWED)
    if who not in ALLOWED:
        assert _snapshot(unused) == before_unused


def test_anonymous_is_sent_to_the_login_page(client, world):
    rec = world["rec"]
    before = _snapshot(rec)
    for response in (
        client.get(url("recurring_edit", rec)),
        client.post(url("recurring_edit", rec), _data(rec, start_time="16:00")),
        client.post(url("recurring_end", rec), {"stop_from": world["monday"].isoformat()}),
        client.post(url("recurring_delete", rec)),
    ):
        assert response.status_code == 302 and "/comptes/connexion/" in response["Location"]
    assert _snapshot(rec) == before


def test_changes_need_post_and_a_csrf_token(world):
    rec = world["rec"]
    before = _snapshot(rec)
    client = Client(enforce_csrf_checks=True)
    client.force_login(world["u"]["coordinator"])
    assert client.get(url("recurring_end", rec)).status_code == 405
    assert client.get(url("recurring_delete", rec)).status_code == 405
    assert client.post(url("recurring_edit", rec), _data(rec, start_time="16:00")).status_code == 403
    assert (
        client.post(url("recurring_end", rec), {"stop_from": world["monday"].isoformat()}).status_code == 403
    )
    assert _snapshot(rec) == before


def test_sessions_page_links_to_the_weekly_sessions_the_user_may_change(client, world):
    program = world["program"]
    home = reverse("activities:sessions", args=[program.slug])
    edit_a, edit_b = url("recurring_edit", world["rec"]), url("recurring_edit", world["rec_b"])
    client.force_login(world["u"]["coordinator"])
    page = client.get(home).content.decode()
    assert edit_a in page and edit_b in page
    client.force_login(world["u"]["staff_a"])
    page = client.get(home).content.decode()
    assert edit_a in page and edit_b not in page
    client.force_login(world["u"]["volunteer_a"])
    page = client.get(home).content.decode()
    assert "EHPAD Les Tilleuls" in page and edit_a not in page and ">Modifier<" not in page


def test_ending_a_finished_series_again_says_why(client, world):
    rec = world["rec"]
    rec.ends_on = timezone.localdate() - timedelta(days=3)
    rec.save()
    client.force_login(world["u"]["coordinator"])
    page = client.get(url("recurring_edit", rec)).content.decode()
    assert "est arrêtée le" in page and "Arrêter la séance hebdomadaire" not in page
    response = client.post(url("recurring_end", rec), {"stop_from": world["monday"].isoformat()})
    assert response.status_code == 200 and "se termine déjà le" in response.content.decode()


# --- replacements belong to their weekly session ------------------------------------------------------


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return local_dt(day, time(hour, minute))


def test_a_replacement_stays_an_occurrence_of_the_weekly_session_and_is_cancelled_by_its_end(
    world, django_capture_on_commit_callbacks
):
    rec, (w1, _w2, _w3, w4), monday = world["rec"], world["weeks"], world["monday"]
    # Week 1 put off to its Friday (before the end), week 4 put off to the Monday after (after the end).
    early = session_replace(session=w1, starts_at=_at(monday + timedelta(days=4), 10))
    late = session_replace(session=w4, starts_at=_at(monday + timedelta(days=28), 10))
    late.volunteers.add(world["mission"])
    assert (early.recurring_id, late.recurring_id) == (rec.pk, rec.pk)
    stop_from = monday + timedelta(days=14)
    with django_capture_on_commit_callbacks(execute=True):
        outcome = recurring_end(recurring=rec, stop_from=stop_from, reason="Travaux")
    early.refresh_from_db()
    late.refresh_from_db()
    assert early.status == Session.Status.PLANNED  # before the end: kept
    assert late.status == Session.Status.CANCELLED
    reason = f"Séance hebdomadaire arrêtée à partir du {stop_from:%d/%m/%Y} : Travaux"
    assert late.cancel_reason == reason
    assert late in outcome.cancelled
    assert list(late.volunteers.all()) == [world["mission"]]  # history keeps its volunteers
    # The sessions they replace keep their own state and reason.
    w4.refresh_from_db()
    assert (w4.status, w4.cancel_reason) == ("cancelled", "Reportée")
    sent = [m for m in mail.outbox if world["mission"].user.email in m.to and "arrêtée" in m.subject]
    assert len(sent) == 1 and f"{_local(late):%d/%m/%Y %H:%M}" in sent[0].body
    assert _stats_match(world["a"])


def test_planning_keeps_the_regular_occurrence_of_the_week_a_session_was_put_off_to():
    program, site_a, _site_b = program_with_sites()
    rec = weekly(site_a, weekday=THURSDAY, starts_on=date(2030, 1, 1))
    sessions_generate(program=program, start=date(2030, 3, 4), end=date(2030, 3, 10))
    (first,) = Session.objects.filter(recurring=rec)
    # Put off from Thursday 7 March to Tuesday 12 March, before the week of 11 March is planned.
    moved = session_replace(session=first, starts_at=_at(date(2030, 3, 12), 10))
    assert moved.recurring_id == rec.pk
    plan_sessions(program=program, start=date(2030, 3, 1), end=date(2030, 3, 31))
    rows = Session.objects.filter(recurring=rec).order_by("starts_at")
    assert [(_local(s).date(), s.status) for s in rows] == [
        (date(2030, 3, 7), "cancelled"),  # the week of the original gets no other occurrence
        (date(2030, 3, 12), "planned"),  # the replacement
        (date(2030, 3, 14), "planned"),  # that week's own occurrence is still created
        (date(2030, 3, 21), "planned"),
        (date(2030, 3, 28), "planned"),
    ]
    count = Session.objects.count()
    sessions_generate(program=program, start=date(2030, 3, 1), end=date(2030, 3, 31))
    assert Session.objects.count() == count


def test_editing_the_time_leaves_replacements_where_they_were_put(world):
    rec, (w1, _w2, w3, w4), monday = world["rec"], world["weeks"], world["monday"]
    friday = session_replace(session=w1, starts_at=_at(monday + timedelta(days=4), 10))
    # The cancelled week 3 made up in week 4, on Thursday 15:00: the new time of the weekly session.
    thursday = session_replace(session=w3, starts_at=_at(monday + timedelta(days=24), 15))
    outcome = recurring_update(
        recurring=rec, changes={"weekday": THURSDAY, "start_time": time(15, 0), "duration_minutes": 120}
    )
    for s in (friday, thursday, w4):
        s.refresh_from_db()
    assert (_local(friday), friday.status, friday.duration_minutes) == (
        timezone.localtime(_at(monday + timedelta(days=4), 10)),
        "planned",
        120,
    )
    assert (thursday.status, _local(thursday).date()) == ("planned", monday + timedelta(days=24))
    # Week 4's own occurrence would land on the replacement's very time: it gives way.
    assert (w4.status, w4.cancel_reason) == ("cancelled", "Horaire de la séance hebdomadaire modifié")
    assert _local(w4).date() == monday + timedelta(days=22)
    assert outcome.cancelled == [w4] and {s.pk for s in outcome.updated} == {friday.pk, thursday.pk}


def test_a_replacement_put_after_the_last_week_survives_other_changes_but_not_a_shorter_period():
    program, site_a, _site_b = program_with_sites()
    rec = weekly(site_a, weekday=THURSDAY, starts_on=date(2030, 1, 1))
    rec.ends_on = date(2030, 3, 15)
    rec.save()
    sessions_generate(program=program, start=date(2030, 3, 1), end=date(2030, 3, 31))
    last = Session.objects.filter(recurring=rec).order_by("starts_at").last()
    assert _local(last).date() == date(2030, 3, 14)
    later = session_replace(session=last, starts_at=_at(date(2030, 3, 19), 10))  # after the end
    recurring_update(recurring=rec, changes={"duration_minutes": 60, "volunteers_needed": 2})
    later.refresh_from_db()
    assert (later.status, later.duration_minutes, later.volunteers_needed) == ("planned", 60, 2)
    recurring_update(recurring=rec, changes={"ends_on": date(2030, 3, 10)})
    later.refresh_from_db()
    assert (later.status, later.cancel_reason) == (
        "cancelled",
        "Hors de la nouvelle période de la séance hebdomadaire",
    )


def test_a_replacement_on_the_time_of_another_occurrence_is_refused(client, world):
    rec, (w1, _w2, _w3, w4) = world["rec"], world["weeks"]
    with pytest.raises(ValidationError) as err:
        session_replace(session=w1, starts_at=w4.starts_at)
    assert "starts_at" in err.value.message_dict
    client.force_login(world["u"]["staff_a"])
    when = _local(w4).strftime("%Y-%m-%dT%H:%M")
    response = client.post(
        reverse("activities:session_replace", args=[world["program"].slug, w1.pk]),
        {"starts_at": when},
        follow=True,
    )
    assert response.status_code == 200
    assert "a déjà une séance à cette date et à cette heure" in response.content.decode()
    w1.refresh_from_db()
    assert w1.status == Session.Status.PLANNED
    assert not Session.objects.filter(replaces=w1).exists()
    assert Session.objects.filter(recurring=rec, starts_at=w4.starts_at).count() == 1


# --- volunteers no longer available at the new time ---------------------------------------------------


def _volunteer(program, site, name, **kw):
    return mission(program, user=UserFactory(), sites=[site], name=name, **kw)


def test_moving_releases_only_the_volunteers_no_longer_available(
    client, world, django_capture_on_commit_callbacks
):
    program, site_a, site_b = world["program"], world["a"], world["b"]
    rec, (w1, _w2, _w3, w4), monday = world["rec"], world["weeks"], world["monday"]
    start = timezone.localdate() - timedelta(days=30)
    lina = world["mission"]  # available Monday to Friday 09:00-18:00: stays
    keep = _volunteer(program, site_a, "Noa", starts_on=start)  # same: stays
    window = _volunteer(program, site_a, "Inès", starts_on=start)
    window.availability = [{"weekday": TUESDAY, "start": "14:00", "end": "17:00"}]
    window.save()
    busy = _volunteer(program, site_a, "Yanis", starts_on=start)
    thursday_b = Session.objects.get(
        recurring=world["rec_b"], starts_at=_at(monday + timedelta(days=THURSDAY), 14, 30)
    )
    thursday_b.volunteers.add(busy)  # at site B on Thursday 14:30-16:00 of week 1
    hours = _volunteer(program, site_a, "Maël", starts_on=start)  # 24 h a week
    for offset in (0, 2, 4):  # 3 x 450 min = 22 h 30 of other sessions in week 1: room for 90 min, not 120
        session(
            site_b, day=monday + timedelta(days=offset), at=time(9, 0), duration_minutes=450
        ).volunteers.add(hours)
    ended = _volunteer(program, site_a, "Jade", starts_on=monday + timedelta(days=2 - 270))  # ends Wednesday
    w1.volunteers.add(keep, window, busy, hours, ended)
    w4.volunteers.add(keep, window, busy, hours)

    client.force_login(world["u"]["staff_a"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            url("recurring_edit", rec),
            _data(rec, weekday=THURSDAY, start_time="15:00", duration_minutes=120, volunteers_needed=4),
            follow=True,
        )
    text = response.content.decode()
    w1.refresh_from_db()
    w4.refresh_from_db()
    assert "2 séances à venir déplacées." in text
    assert "5 places de volontaires libérées" in text and "Planifiez à nouveau" in text
    assert set(w1.volunteers.all()) == {lina, keep}
    assert set(w4.volunteers.all()) == {keep, busy, hours}  # week 4: no clash, hours to spare
    assert list(thursday_b.volunteers.all()) == [busy]  # their other session is not touched
    assert _stats_match(site_a)

    def received(m):
        return [msg for msg in mail.outbox if msg.to == [m.user.email] and "participation" in msg.subject]

    # One message per person, in French, listing their sessions.
    assert not received(lina) and not received(keep)
    for m in (busy, hours, ended):
        (msg,) = received(m)
        assert f"{_local(w1):%d/%m/%Y %H:%M}" in msg.body and "disponibilités" in msg.body
    (msg,) = received(window)
    assert f"{_local(w1):%d/%m/%Y %H:%M}" in msg.body and f"{_local(w4):%d/%m/%Y %H:%M}" in msg.body
    coordinator = world["u"]["coordinator"].email
    (summary,) = [msg for msg in mail.outbox if msg.to == [coordinator]]
    assert "Places de volontaires à pourvoir" in summary.subject
    assert "5 places de volontaires sont à pourvoir" in summary.body
    assert all(str(m) in summary.body for m in (window, busy, hours, ended))
    assert str(keep) not in summary.body
    assert reverse("activities:sessions", args=[program.slug]) in summary.body
    # The volunteers who stay hear of the move, those released only of their release.
    # One e-mail per person (the notification layer), each with its own unsubscribe link.
    moved = [msg for msg in mail.outbox if msg.subject.startswith("Séance hebdomadaire modifiée")]
    assert all(len(msg.to) == 1 for msg in moved)
    moved_to = {msg.to[0] for msg in moved}
    assert lina.user.email in moved_to
    assert window.user.email not in moved_to and ended.user.email not in moved_to


def test_a_change_that_keeps_everyone_frees_no_place(world, django_capture_on_commit_callbacks):
    rec, (w1, *_rest) = world["rec"], world["weeks"]
    with django_capture_on_commit_callbacks(execute=True):
        outcome = recurring_update(recurring=rec, changes={"start_time": time(10, 0)})
    assert outcome.released == [] and list(w1.volunteers.all()) == [world["mission"]]
    assert not [m for m in mail.outbox if "pourvoir" in m.subject]


def test_planner_unavailable_keeps_the_earlier_of_two_clashing_sessions():
    day = datetime(2030, 3, 7, 14, 0)
    volunteer = plan_instance.Volunteer(
        id=1,
        starts_on=date(2030, 1, 1),
        ends_on=date(2030, 12, 31),
        weekly_hours=24,
        availability=(plan_instance.Window(3, 9 * 60, 18 * 60),),
    )
    slots = [
        plan_instance.Slot(id=10, site_id=1, start=day + timedelta(minutes=60), minutes=90, assigned=(1, 2)),
        plan_instance.Slot(id=11, site_id=1, start=day, minutes=90, assigned=(1,)),
    ]
    # Volunteer 2 is not described: nothing is known against them.
    assert planner.unavailable(sites=[plan_instance.Site(id=1)], volunteers=[volunteer], slots=slots) == {
        10: (1,)
    }


# --- site staff add weekly sessions at their own sites ------------------------------------------------


def _new(site, **changes):
    data = {
        "site": site.pk,
        "weekday": 4,
        "start_time": "10:00",
        "duration_minutes": 60,
        "volunteers_needed": 1,
        "starts_on": (timezone.localdate() + timedelta(days=3)).isoformat(),
        "ends_on": "",
    }
    return data | changes


@pytest.mark.parametrize(
    ("who", "site", "code"),
    [
        ("coordinator", "b", 302),
        ("facilitator", "b", 302),
        ("staff_a", "a", 302),
        ("staff_a", "b", 200),  # another site of the program: a form error
        ("staff_b", "a", 200),
        ("volunteer_a", "a", 403),
        ("viewer", "a", 403),
        ("other", "a", 404),
    ],
)
def test_who_adds_a_weekly_session_and_where(client, world, who, site, code):
    program = world["program"]
    home = reverse("activities:sessions", args=[program.slug])
    before = RecurringSession.objects.count()
    client.force_login(world["u"][who])
    response = client.post(home, _new(world[site]))
    assert response.status_code == code
    created = RecurringSession.objects.filter(site=world[site], weekday=4, start_time=time(10, 0))
    assert created.exists() is (code == 302)
    assert RecurringSession.objects.count() == before + (code == 302)
    if code == 200:
        assert "Sélectionnez un choix valide" in response.content.decode()
        assert 'aria-invalid="true"' in response.content.decode()


def test_site_staff_sees_the_add_form_with_their_sites_only(client, world):
    program, site_a, site_b = world["program"], world["a"], world["b"]
    home = reverse("activities:sessions", args=[program.slug])
    client.force_login(world["u"]["staff_a"])
    page = client.get(home).content.decode()
    assert "Ajouter une séance hebdomadaire" in page
    assert f'<option value="{site_a.pk}">{site_a.name}</option>' in page
    assert f"{site_b.name}</option>" not in page
    assert "Planifier un mois" not in page  # planning stays with the coordination
    response = client.post(home, _new(site_a), follow=True)
    assert "Séance hebdomadaire ajoutée." in response.content.decode()
    rec = RecurringSession.objects.get(site=site_a, weekday=4)
    assert url("recurring_edit", rec) in response.content.decode()  # and may change it afterwards
    for forged in ("999999", "abc", ""):
        response = client.post(home, _new(site_a) | {"site": forged})
        assert response.status_code == 200 and 'aria-invalid="true"' in response.content.decode()
    assert RecurringSession.objects.filter(site=site_a, weekday=4).count() == 1
    client.force_login(world["u"]["volunteer_a"])
    assert "Ajouter une séance hebdomadaire" not in client.get(home).content.decode()
