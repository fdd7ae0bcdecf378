"""The evaluation of the Silver Geek demo school year (data/evaluation.json): its framework (three evaluative
questions, output and outcome indicators with targets), the questionnaires of the participants, the host sites'
staff and the volunteers built from the question library, a "before" wave (September-October) and an "after"
wave (May-June), both closed, and a share link for a funder.

Everything goes through the services (terreau.evaluation.services, .instruments, .collect) as the program's
coordinator: the consenting participants are enrolled by ``respondents_enrol_participants``, a few seniors
register themselves, every answer is validated by ``answer_save`` and every questionnaire sent by
``response_submit``. Answers are drawn by a seeded random generator from the data file (a baseline per question,
a modest progress after the sessions, some people missing at the second wave, some questions declined, a few
comments without names), so the demo is the same every time. The services stamp "now": the timestamps are moved
afterwards to the school year's dates (timestamps only). The evaluation and its respondents are flagged is_demo.

Called by terreau.demo.loader once the program, its participants and its volunteers exist.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import OuterRef, Q, Subquery
from django.utils import timezone

from terreau.activities.models import Mission
from terreau.demo.records import read
from terreau.evaluation import collect, instruments, services
from terreau.evaluation.models import (
    Answer,
    Audience,
    CollectionLink,
    Evaluation,
    EvaluationChange,
    Instrument,
    Item,
    Respondent,
    Response,
    ShareLink,
    Wave,
    WaveChange,
)
from terreau.programs.models import Program

_DATA = read("evaluation.json")
SHARE_LABEL: str = _DATA["share_link"]["label"]
AUDIENCES = [Audience.PARTICIPANTS, Audience.SITE_STAFF, Audience.VOLUNTEERS]


def delete_evaluation_demo() -> None:
    """Remove the demo evaluations (before the program, its sites and participants they point to). Answers and
    responses go first: they protect the questions and waves they answer."""
    demo = Evaluation.objects.filter(Q(is_demo=True) | Q(program__is_demo=True))
    Answer.objects.filter(response__respondent__evaluation__in=demo).delete()
    Response.objects.filter(respondent__evaluation__in=demo).delete()
    Instrument.objects.filter(evaluation__in=demo).update(previous=None)
    demo.delete()


class _Calendar:
    """The story's days: 'MM-DD' of the data file in the program's school year (September to August)."""

    def __init__(self, program: Program, today: date) -> None:
        start = program.starts_on or date(today.year if today.month >= 9 else today.year - 1, 9, 1)
        self.year = start.year if start.month >= 8 else start.year - 1

    def day(self, month_day: str) -> date:
        month, day = (int(part) for part in month_day.split("-"))
        return date(self.year if month >= 8 else self.year + 1, month, day)

    def moment(self, month_day: str, hour: int = 10) -> datetime:
        return self.at(self.day(month_day), hour)

    @staticmethod
    def at(day: date, hour: int = 10, minute: int = 0) -> datetime:
        return timezone.make_aware(datetime.combine(day, time(hour, minute)))


@dataclass
class _Person:
    respondent: Respondent | None
    audience: str
    site: Any = None
    mode: str = "assisted"
    levels: dict[str, int] | None = None  # before answers' levels by item code


class _Answers:
    """Draws the answers of one questionnaire from the data file's distributions."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.specs: dict[str, dict] = _DATA["answers"]
        self.comments: dict[str, list[str]] = _DATA["comments"]

    def _draw(self, weights: list[float]) -> int:
        return self.rng.choices(range(len(weights)), weights)[0]

    def _move(self, level: int, spec: dict, top: int) -> int:
        roll = self.rng.random()
        if roll < spec["up"]:
            level += 2 if self.rng.random() < spec.get("up_twice", 0) else 1
        elif roll < spec["up"] + spec["down"]:
            level -= 1
        return max(0, min(top, level))

    def raw(self, item: Item, wave: str, person: _Person, levels: dict[str, int]) -> dict | None:
        """What the respondent answers to ``item`` (None: left empty); ``levels`` collects scale levels."""
        if item.kind == Item.Kind.TEXT:
            share = _DATA["comment_share"].get(person.audience, 0)
            if wave != "after" or self.rng.random() >= share:
                return None
            return {"value": self.rng.choice(self.comments[person.audience])}
        spec = self.specs.get(item.code)
        if spec is None or (wave == "before" and "before" not in spec):
            return None
        if self.rng.random() < _DATA["declined"]:
            return {"declined": True}
        if "after_yes" in spec:
            return {"value": "yes" if self.rng.random() < spec["after_yes"] else "no"}
        if "after_choices" in spec:
            values = [
                c["value"]
                for c, p in zip(item.choices, spec["after_choices"], strict=False)
                if self.rng.random() < p
            ]
            return {"values": values or [item.choices[0]["value"]]}
        if "after_hours" in spec:
            return {"value": str(self.rng.choice(spec["after_hours"]))}
        if "after" in spec:
            level = self._draw(spec["after"])
        else:
            top = len(spec["before"]) - 1
            earlier = (person.levels or {}).get(item.code)
            level = self._draw(spec["before"]) if earlier is None else earlier
            if wave == "after":
                level = self._move(level, spec, top)
        levels[item.code] = level
        if item.kind == Item.Kind.LIKERT:
            return {"value": str(item.scale_min + level)}
        return {"value": item.choices[level]["value"]}


class _Story:
    def __init__(self, program: Program, by, today: date) -> None:
        self.program, self.by = program, by
        self.when = _Calendar(program, today)
        self.rng = random.Random(_DATA["seed"])
        self.answers = _Answers(self.rng)
        self.dated: list[tuple[int, datetime]] = []  # (response id, when it was sent)
        self.items: dict[str, list[Item]] = {}
        self.pending: list[Answer] = []  # validated answers waiting to be written
        self.started: list[Response] = []  # questionnaires waiting to be sent
        self.saved_one: set[tuple[str, str]] = set()

    def framework(self) -> Evaluation:
        when = self.when
        evaluation = services.evaluation_create(
            program=self.program,
            by=self.by,
            title=_DATA["title"] % {"years": f"{when.year}-{when.year + 1}"},
            period_start=when.day(_DATA["period"]["start"]),
            period_end=when.day(_DATA["period"]["end"]),
            audiences=AUDIENCES,
            purpose=_DATA["purpose"],
            method=_DATA["method"],
            limits=_DATA["limits"],
            min_count=_DATA["min_count"],
            is_demo=True,
        )
        questions = [
            services.question_add(evaluation=evaluation, text=t, by=self.by) for t in _DATA["questions"]
        ]
        for spec in _DATA["output_indicators"]:
            services.indicator_add(
                evaluation=evaluation,
                by=self.by,
                kind="output",
                label=spec["label"],
                output_metric=spec["metric"],
                target=spec["target"],
                source=spec["source"],
                question=questions[spec["question"]] if spec["question"] is not None else None,
            )
        for spec in _DATA["outcome_indicators"]:
            services.indicator_add(
                evaluation=evaluation,
                by=self.by,
                kind="outcome",
                label=spec["label"],
                audience=spec["audience"],
                item_code=spec["item"],
                measure=spec["measure"],
                target=spec["target"],
                question=questions[spec["question"]],
            )
        for audience, spec in _DATA["instruments"].items():
            instrument = instruments.instrument_create(
                evaluation=evaluation,
                audience=audience,
                title=spec["title"],
                intro=spec["intro"],
                by=self.by,
                template_keys=spec["templates"],
            )
            self.items[audience] = list(instrument.items.order_by("order", "pk"))
        self.waves = {
            kind: services.wave_add(
                evaluation=evaluation,
                kind=kind,
                opens_on=when.day(spec["opens"]),
                closes_on=when.day(spec["closes"]),
                by=self.by,
            )
            for kind, spec in _DATA["waves"].items()
        }
        return evaluation

    def people(self, evaluation: Evaluation) -> list[_Person]:
        """The enrolled participants (consenting ones, through the service) and volunteers."""
        services.respondents_enrol_participants(evaluation=evaluation, by=self.by)
        paper = _DATA["modes"]["participants_paper"]
        people = [
            _Person(r, Audience.PARTICIPANTS, r.site, "paper" if self.rng.random() < paper else "assisted")
            for r in evaluation.respondents.select_related("site").order_by("site_id", "pk")
        ]
        for mission in Mission.objects.filter(program=self.program).order_by("pk"):
            respondent = services.respondent_create(
                evaluation=evaluation,
                audience=Audience.VOLUNTEERS,
                age_band=Respondent.AgeBand.UNDER_60,
                consent_on=mission.starts_on,
                consent_by="Coordination du programme",
                is_demo=True,
            )
            people.append(_Person(respondent, Audience.VOLUNTEERS, None, "link"))
        return people

    def _sent_at(self, wave: str) -> datetime:
        low, high = (self.when.day(d) for d in _DATA["waves"][wave]["answered"])
        day = low + timedelta(days=self.rng.randrange((high - low).days + 1))
        return self.when.at(day, self.rng.choice([10, 11, 14, 15, 16]), self.rng.choice([0, 15, 30, 45]))

    def answer(
        self, wave_kind: str, person: _Person, *, link=None, code: str = "", age_band: str = ""
    ) -> None:
        wave = self.waves[wave_kind]
        response = collect.response_start(
            wave=wave,
            audience=person.audience,
            mode=person.mode,
            respondent=person.respondent,
            code=code,
            site=person.site,
            link=link,
            by=self.by if person.mode != "link" else None,
            age_band=age_band,
            consent_on=self._sent_at(wave_kind).date() if person.respondent is None and not code else None,
            consent_by="Volontaire Silver Geek" if person.respondent is None and not code else "",
        )
        person.respondent = response.respondent
        levels: dict[str, int] = {}
        first = (wave_kind, person.audience) not in self.saved_one
        for item in self.items[person.audience]:
            raw = self.answers.raw(item, wave_kind, person, levels)
            if raw is None:
                continue
            if first:  # the first questionnaire of each audience and wave: answer by answer, as on a tablet
                collect.answer_save(response=response, item=item, raw=raw)
            else:  # the others: the same validation, written in bulk (the demo loads in a few seconds)
                self.pending.append(Answer(response=response, item=item, **collect.clean_raw(item, raw)))
        self.saved_one.add((wave_kind, person.audience))
        self.started.append(response)
        if wave_kind == "before":
            person.levels = levels
        self.dated.append((response.pk, self._sent_at(wave_kind)))

    def send(self) -> None:
        """Write the pending answers, then send every questionnaire started (response_submit checks that the
        required questions are answered and drops answers that skip logic hides)."""
        Answer.objects.bulk_create(self.pending, batch_size=1000)
        for response in self.started:
            collect.response_submit(response=response)
        self.pending, self.started = [], []

    def collect(self, evaluation: Evaluation, people: list[_Person]) -> None:
        rng, by = self.rng, self.by
        missing_before, missing_after = _DATA["before_missing"], _DATA["after_missing"]
        sites = list(self.program.sites.order_by("pk"))
        bands = ["70_79", "80_89", "80_89", "90_plus"]
        services.wave_open(wave=self.waves["before"], by=by)
        links = {
            audience: services.link_create(wave=self.waves["before"], audience=audience, by=by)
            for audience in (Audience.PARTICIPANTS, Audience.VOLUNTEERS)
        }
        for person in people:
            if rng.random() >= missing_before.get(person.audience, 0):
                self.answer(
                    "before", person, link=links.get(person.audience) if person.mode == "link" else None
                )
        # Seniors who joined in the autumn, registered by a volunteer on the day (codes of their own).
        newcomers = [
            _Person(None, Audience.PARTICIPANTS, sites[(3 * n) % len(sites)], "assisted")
            for n in range(_DATA["self_registered"]["participants"])
        ]
        for person in newcomers:
            self.answer("before", person, age_band=rng.choice(bands))
        self.send()
        services.wave_close(wave=self.waves["before"], by=by)

        services.wave_open(wave=self.waves["after"], by=by)
        after_links = {
            Audience.VOLUNTEERS: services.link_create(
                wave=self.waves["after"], audience=Audience.VOLUNTEERS, by=by
            )
        }
        joined = {id(person) for person in newcomers}
        for person in [*people, *newcomers]:
            if person.levels is None or rng.random() < missing_after.get(person.audience, 0):
                continue
            if id(person) in joined:  # found again by the personal code written on their card
                code, person.respondent = person.respondent.code, None
                self.answer("after", person, code=code.lower().replace("-", " "))
            else:
                self.answer(
                    "after", person, link=after_links.get(person.audience) if person.mode == "link" else None
                )
        for n in range(_DATA["self_registered"]["paper"]):  # paper forms from seniors met in spring only
            self.answer(
                "after",
                _Person(None, Audience.PARTICIPANTS, sites[(5 * n + 1) % len(sites)], "paper"),
                age_band=rng.choice(bands),
            )
        per_site = _DATA["site_staff_per_site"]
        for n, site in enumerate(sites):
            link = services.link_create(
                wave=self.waves["after"], audience=Audience.SITE_STAFF, site=site, by=by
            )
            for _k in range(per_site[n % len(per_site)]):
                self.answer("after", _Person(None, Audience.SITE_STAFF, site, "link"), link=link)
        self.send()
        services.wave_close(wave=self.waves["after"], by=by)
        services.evaluation_move(evaluation=evaluation, to=Evaluation.State.CLOSED, by=by)

    def date_the_story(self, evaluation: Evaluation, share: ShareLink) -> None:
        """Move the timestamps the services wrote ("now") to the school year's dates (timestamps only)."""
        when = self.when
        steps = _DATA["evaluation_steps"]
        created = when.moment(steps["created"], 9)
        closed = when.moment(steps["closed"], 17)
        Evaluation.objects.filter(pk=evaluation.pk).update(created_at=created, updated_at=closed)
        for state, key in (("draft", "created"), ("collecting", "collecting"), ("closed", "closed")):
            EvaluationChange.objects.filter(evaluation=evaluation, to_state=state).update(
                at=when.moment(steps[key], 9 if key != "closed" else 17)
            )
        for kind, wave in self.waves.items():
            spec = _DATA["waves"][kind]
            opened, shut = when.moment(spec["opens"], 8), when.moment(spec["closes"], 18)
            Wave.objects.filter(pk=wave.pk).update(created_at=created, updated_at=shut)
            WaveChange.objects.filter(wave=wave, to_state="planned").update(at=created)
            WaveChange.objects.filter(wave=wave, to_state="open").update(at=opened)
            WaveChange.objects.filter(wave=wave, to_state="closed").update(at=shut)
            CollectionLink.objects.filter(wave=wave).update(created_at=opened, updated_at=opened)
        Instrument.objects.filter(evaluation=evaluation).update(
            created_at=created,
            updated_at=created,
            frozen_at=when.moment(_DATA["waves"]["before"]["opens"], 9),
        )
        rows = Response.objects.in_bulk([pk for pk, _at in self.dated])
        for pk, at in self.dated:
            rows[pk].created_at = rows[pk].updated_at = rows[pk].submitted_at = at
        Response.objects.bulk_update(
            rows.values(), ["created_at", "updated_at", "submitted_at"], batch_size=500
        )
        mine = Q(evaluation=evaluation)
        Respondent.objects.filter(mine, enrolled=True).update(created_at=created, updated_at=created)
        first = (
            Response.objects.filter(respondent=OuterRef("pk")).order_by("submitted_at").values("submitted_at")
        )
        Respondent.objects.filter(mine, enrolled=False).update(
            created_at=Subquery(first[:1]), updated_at=Subquery(first[:1])
        )
        sent = Response.objects.filter(pk=OuterRef("response_id")).values("submitted_at")
        Answer.objects.filter(response__respondent__evaluation=evaluation).update(saved_at=Subquery(sent[:1]))
        shared = when.moment(_DATA["share_link"]["on"], 11)
        ShareLink.objects.filter(pk=share.pk).update(created_at=shared, updated_at=shared)


def load_evaluation_demo(*, program: Program | None, today: date) -> Evaluation | None:
    """The demo program's evaluation, told through the services, then dated to the school year."""
    if program is None or program.coordinator is None or not program.sites.exists():
        return None
    story = _Story(program, program.coordinator, today)
    evaluation = story.framework()
    people = story.people(evaluation)
    story.collect(evaluation, people)
    share = services.share_link_create(evaluation=evaluation, label=SHARE_LABEL, by=story.by)
    story.date_the_story(evaluation, share)
    evaluation.refresh_from_db()
    return evaluation
