"""Speed-meeting planning runs as a job the organiser follows on its progress page: the request only starts
it, the solver runs with no transaction nor lock held, the plan is written only if nothing changed meanwhile,
one planning job at a time, failures in French on the progress page."""

from __future__ import annotations

import pytest
from django.urls import reverse

from terreau.core.models import TrackedJob
from terreau.meetings import documents, planner, plans, services
from terreau.meetings.models import Meeting, SpeedMeeting
from tests.factories import BranchFactory, BranchRoleFactory, UserFactory
from tests.meetings.test_speed_meetings import _wish_all, world  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db


def _start(client, world, django_capture_on_commit_callbacks, *, execute=True):  # noqa: F811
    client.force_login(world["organiser"])
    with django_capture_on_commit_callbacks(execute=execute):
        response = client.post(reverse("meetings:plan_run", kwargs={"slug": world["event"].slug}))
    return response


def test_the_view_starts_a_job_and_the_job_writes_the_plan_of_the_planner(
    world,  # noqa: F811
    client,
    django_capture_on_commit_callbacks,
):
    _wish_all(world)
    assert not Meeting.objects.exists()

    response = _start(client, world, django_capture_on_commit_callbacks, execute=False)

    tracked = TrackedJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("core:tracked_job", kwargs={"pk": tracked.pk})
    # The request only queued the work: nothing is planned yet, the page says it is waiting.
    assert not Meeting.objects.exists()
    assert tracked.state == TrackedJob.State.QUEUED
    assert tracked.owner == world["organiser"] and tracked.branch == world["event"].branch
    waiting = client.get(response["Location"]).content.decode()
    assert "en file d&#x27;attente" in waiting or "en file d'attente" in waiting
    planning = client.get(reverse("meetings:planning", kwargs={"slug": world["event"].slug})).content.decode()
    assert "Un calcul du planning est en cours." in planning
    assert "Calculer le planning" not in planning


def test_the_job_completes_with_progress_and_a_link_to_the_plan(
    world,  # noqa: F811
    client,
    django_capture_on_commit_callbacks,
):
    _wish_all(world)
    sm = world["sm"]
    expected = planner.plan_meetings(planner.parse_event(documents.schedule_document(sm)))

    response = _start(client, world, django_capture_on_commit_callbacks)

    tracked = TrackedJob.objects.get()
    sm.refresh_from_db()
    assert tracked.state == TrackedJob.State.DONE
    assert (tracked.done, tracked.total) == (3, 3)
    assert tracked.result_url == reverse("meetings:planning", kwargs={"slug": world["event"].slug})
    assert sm.planning_job_id == tracked.pk
    # The same plan as the planner computes from the same wishes (the small instance is solved exactly).
    assert sm.total_value == pytest.approx(float(expected.total_value))
    assert sm.upper_bound == pytest.approx(float(expected.upper_bound))
    assert sm.meetings.count() == len(expected.meetings)
    assert sm.history.last().note.startswith("Planning calculé")
    page = client.get(response["Location"]).content.decode()
    assert "Traitement terminé." in page and "Planning calculé : " in page
    assert tracked.result_url in page
    # The htmx poll gets the progress fragment only.
    fragment = client.get(response["Location"], headers={"HX-Request": "true"}).content.decode()
    assert fragment.lstrip().startswith('<div id="tracked-job"') and "hx-trigger" not in fragment
    planning = client.get(tracked.result_url).content.decode()
    assert "Recalculer le planning" in planning


def test_progress_is_visible_while_the_job_works(
    world,  # noqa: F811
    client,
    monkeypatch,
    django_capture_on_commit_callbacks,
):
    _wish_all(world)
    seen = []
    solve = plans.plan_solve

    def watching(data, **kwargs):
        # The progress page while the solver runs: written outside the job's work, readable at once.
        page = client.get(reverse("core:tracked_job", kwargs={"pk": TrackedJob.objects.get().pk}))
        seen.append(page.content.decode())
        return solve(data, **kwargs)

    monkeypatch.setattr(plans, "plan_solve", watching)
    _start(client, world, django_capture_on_commit_callbacks)

    assert "Traitement en cours." in seen[0]
    assert "Recherche du meilleur planning" in seen[0]
    assert "1 sur 3 (33" in seen[0]
    assert 'hx-trigger="every 2s"' in seen[0]


def test_another_users_job_page_is_not_found_but_the_branch_staff_see_it(
    world,  # noqa: F811
    client,
    django_capture_on_commit_callbacks,
):
    _wish_all(world)
    _start(client, world, django_capture_on_commit_callbacks)
    url = reverse("core:tracked_job", kwargs={"pk": TrackedJob.objects.get().pk})
    stranger = UserFactory()
    BranchRoleFactory(user=stranger, branch=BranchFactory())
    client.force_login(stranger)
    assert client.get(url).status_code == 404
    colleague = UserFactory()
    BranchRoleFactory(user=colleague, branch=world["event"].branch)
    client.force_login(colleague)
    assert client.get(url).status_code == 200
    client.force_login(world["users"][0])  # a participant
    assert client.get(url).status_code == 404
    client.logout()
    assert client.get(url).status_code == 302


def test_one_planning_job_at_a_time(world, client, django_capture_on_commit_callbacks):  # noqa: F811
    _wish_all(world)
    _start(client, world, django_capture_on_commit_callbacks, execute=False)

    again = _start(client, world, django_capture_on_commit_callbacks)

    assert again["Location"] == reverse("meetings:planning", kwargs={"slug": world["event"].slug})
    assert TrackedJob.objects.count() == 1
    page = client.get(again["Location"]).content.decode()
    assert "Un calcul du planning est déjà en cours" in page
    # Once it is over, planning again is possible.
    TrackedJob.objects.update(state=TrackedJob.State.DONE)
    _start(client, world, django_capture_on_commit_callbacks)
    assert TrackedJob.objects.count() == 2
    assert SpeedMeeting.objects.get().meetings.exists()


def test_a_change_during_solving_is_planned_again(
    world,  # noqa: F811
    client,
    monkeypatch,
    django_capture_on_commit_callbacks,
):
    _wish_all(world)
    sm = world["sm"]
    solve = plans.plan_solve
    calls = []
    a0, c0 = world["assos"][0], world["companies"][0]

    def changing_once(data, **kwargs):
        calls.append(data.fingerprint)
        if len(calls) == 1:  # someone changes a wish while the first solve runs
            services.wishes_save(sm=sm, source=c0, levels={a0.pk: "no"})
        return solve(data, **kwargs)

    monkeypatch.setattr(plans, "plan_solve", changing_once)
    _start(client, world, django_capture_on_commit_callbacks)

    assert len(calls) == 2 and calls[0] != calls[1]
    assert TrackedJob.objects.get().state == TrackedJob.State.DONE
    # The stored plan is the one computed from the new wishes: the vetoed pair does not meet.
    pairs = {frozenset((m.a_id, m.b_id)) for m in sm.meetings.all()}
    assert pairs and frozenset((a0.pk, c0.pk)) not in pairs


def test_a_speed_meeting_that_keeps_changing_fails_in_french(
    world,  # noqa: F811
    client,
    monkeypatch,
    django_capture_on_commit_callbacks,
):
    _wish_all(world)
    sm = world["sm"]
    solve = plans.plan_solve
    levels = iter(["must", "like", "must", "like"])

    def always_changing(data, **kwargs):
        services.wishes_save(sm=sm, source=world["assos"][1], levels={world["companies"][1].pk: next(levels)})
        return solve(data, **kwargs)

    monkeypatch.setattr(plans, "plan_solve", always_changing)
    response = _start(client, world, django_capture_on_commit_callbacks)

    tracked = TrackedJob.objects.get()
    assert tracked.state == TrackedJob.State.FAILED
    assert "ont changé pendant le calcul" in tracked.error
    assert not sm.meetings.exists()
    page = client.get(response["Location"]).content.decode()
    assert "Le traitement n&#x27;a pas abouti." in page or "Le traitement n'a pas abouti." in page
    assert "ont changé pendant le calcul" in page


def test_a_final_plan_published_while_the_job_waited_is_kept(
    world,  # noqa: F811
    client,
    django_capture_on_commit_callbacks,
):
    _wish_all(world)
    sm = world["sm"]
    plans.plan_run(sm=sm)
    plans.plan_publish(sm=sm, final=False, notify=False)
    before = set(sm.meetings.values_list("pk", flat=True))
    _start(client, world, django_capture_on_commit_callbacks, execute=False)
    plans.plan_publish(sm=sm, final=True, notify=False)

    from terreau.meetings import tasks

    tracked = TrackedJob.objects.get()
    tasks.plan.func(speed_meeting_id=sm.pk, user_id=None, tracked_id=str(tracked.pk))

    tracked.refresh_from_db()
    assert tracked.state == TrackedJob.State.FAILED
    assert "Le planning définitif est publié" in tracked.error
    assert set(sm.meetings.values_list("pk", flat=True)) == before


def test_the_synchronous_service_refuses_a_plan_whose_input_changed(world, monkeypatch):  # noqa: F811
    _wish_all(world)
    sm = world["sm"]
    solve = plans.plan_solve

    def changing(data, **kwargs):
        services.wishes_save(sm=sm, source=world["assos"][1], levels={world["companies"][1].pk: "must"})
        return solve(data, **kwargs)

    monkeypatch.setattr(plans, "plan_solve", changing)
    with pytest.raises(plans.ValidationError, match="ont changé pendant le calcul"):
        plans.plan_run(sm=sm)
    assert not sm.meetings.exists()
