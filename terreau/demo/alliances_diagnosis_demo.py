"""The territorial diagnosis the Silver Geek story starts from, on the Poitou-Charentes demo branch
(data/alliances_diagnosis.json): created by the branch's facilitator on departments 16, 17, 79 and 86, its
consultation opened (invitations to demo organisations, their answers, one through the public link), the
shipped sample of fictitious indicators imported, three key issues drafted with their evidence (answers,
indicator values, unmet needs), ranked by the consulted actors (Borda count), chosen and published.

Everything goes through the services of terreau.alliances (services, consultation, indicators), so the
histories, links and counts are the real ones; the diagnosis is flagged is_demo and says so in its title and
presentation, the indicator values name their source as fictitious. The services stamp "now": once the story
is told, its timestamps are moved to the dates of the data file (the year before the demo program starts,
as the 2013 diagnosis preceded the September 2014 program), so that the diagnosis comes before the working
groups, the charter and the program of terreau.demo.alliances_groups_demo.

Called by terreau.demo.loader after the organisations, accounts, needs and program exist, before the groups.
"""

from __future__ import annotations

import io
from datetime import date, datetime, time
from pathlib import Path

from django.db.models import Q
from django.utils import timezone

from terreau.alliances import consultation, indicators, services
from terreau.alliances.diagnosis_queries import territory_needs, territory_values
from terreau.alliances.models import (
    Ballot,
    ConsultationAnswer,
    ConsultationInvitation,
    Diagnosis,
    DiagnosisChange,
    IndicatorImport,
    IndicatorValue,
    KeyIssue,
)
from terreau.demo.records import read
from terreau.directory.models import Membership, Organisation
from terreau.notifications.models import EmailDelivery, Notification
from terreau.programs.models import Program
from terreau.territories.models import Department

_DATA = read("alliances_diagnosis.json")
SAMPLE = Path(indicators.__file__).parent / "data" / _DATA["indicators_file"]
IMPORT_NAME: str = _DATA["indicators_file_label"]
# Addresses without an account the demo writes to (the public-link respondent): their notifications go too.
_BARE_ADDRESSES = [_DATA["public_answer"]["respondent_email"]]


def delete_diagnosis_demo() -> None:
    """Remove the previous demo diagnosis, its demo indicator import (the values it still holds: a later
    real import of the same place and year keeps its own) and the receipts sent to demo addresses. After the
    groups demo (its groups cite the key issues), before the demo organisations and accounts."""
    Diagnosis.objects.filter(is_demo=True).delete()
    runs = IndicatorImport.objects.filter(branch__is_demo=True, file_name=IMPORT_NAME)
    IndicatorValue.objects.filter(imported__in=runs).delete()
    runs.delete()
    Notification.objects.filter(recipient=None, email__in=_BARE_ADDRESSES).delete()
    EmailDelivery.objects.filter(recipient=None, to_email__in=_BARE_ADDRESSES).delete()


def _org(slug: str) -> Organisation | None:
    return Organisation.objects.filter(Q(slug=slug) | Q(slug=f"{slug}-demo"), is_demo=True).first()


def _member(org: Organisation):
    membership = (
        Membership.objects.filter(organisation=org, user__is_active=True)
        .select_related("user")
        .order_by("pk")
        .first()
    )
    return membership.user if membership else None


class _Calendar:
    """The story's days: 'MM-DD' of the data file in the year before the program starts."""

    def __init__(self, program: Program | None, today: date) -> None:
        start = program.starts_on if program is not None and program.starts_on else today
        self.year = start.year - 1

    def day(self, month_day: str) -> date:
        month, day = (int(part) for part in month_day.split("-"))
        return date(self.year, month, day)

    def moment(self, month_day: str, hour: int = 10) -> datetime:
        return timezone.make_aware(datetime.combine(self.day(month_day), time(hour, 0)))


def _sample_without_real_values() -> bytes:
    """The shipped sample (fictitious values), without the rows whose indicator, place and year already
    hold a value imported elsewhere: the demo never overwrites real figures."""
    text = SAMPLE.read_text(encoding="utf-8")
    lines = text.splitlines()
    header = [c.strip().lower() for c in lines[0].split(";")]
    col = {name: i for i, name in enumerate(header)}
    real = set(
        IndicatorValue.objects.exclude(
            imported__branch__is_demo=True, imported__file_name=IMPORT_NAME
        ).values_list("indicator__code", "level", "code", "year")
    )
    kept = [lines[0]]
    for line in lines[1:]:
        cells = [c.strip() for c in line.split(";")]
        if len(cells) < len(header):
            continue
        level = indicators.LEVEL_WORDS.get(cells[col["niveau"]].lower(), "")
        code = "FR" if level == IndicatorValue.Level.FRANCE else cells[col["code"]].upper()
        key = (cells[col["indicateur"]], level, code, int(cells[col["annee"]]))
        if key not in real:
            kept.append(line)
    return ("\n".join(kept) + "\n").encode("utf-8")


def _answer(diagnosis: Diagnosis, spec: dict, *, public: bool) -> ConsultationAnswer | None:
    org = _org(spec["organisation"])
    if org is None:
        return None
    fields = {k: spec[k] for k in ("themes", "issues", "publics", "can_bring", "can_bring_details")}
    if public:
        # The public link, without an account: the respondent types their organisation's name, which the
        # service links to the directory.
        data = {
            **fields,
            "respondent_name": spec["respondent_name"],
            "respondent_email": spec["respondent_email"],
        }
        return consultation.answer_submit(diagnosis=diagnosis, data=data, organisation_name=org.name)
    invitation = ConsultationInvitation.objects.filter(diagnosis=diagnosis, organisation=org).first()
    user = _member(org)
    if invitation is None or user is None:
        return None
    data = {**fields, "respondent_name": user.get_full_name(), "respondent_email": user.email}
    return consultation.answer_submit(diagnosis=diagnosis, data=data, organisation=invitation.organisation)


def _key_issue(diagnosis: Diagnosis, spec: dict, answers: dict[str, ConsultationAnswer], by) -> KeyIssue:
    values = territory_values(diagnosis).filter(indicator__code__in=spec["indicators"])
    wanted = Q(pk__in=[])
    for slug, title in spec["needs"]:
        wanted |= Q(organisation__slug__in=[slug, f"{slug}-demo"], title=title)
    needs = territory_needs(diagnosis).active().filter(wanted, organisation__is_demo=True)
    issue = KeyIssue(
        diagnosis=diagnosis, title=spec["title"], description=spec["description"], themes=spec["themes"]
    )
    return services.key_issue_save(
        key_issue=issue,
        by=by,
        answers=[answers[slug] for slug in spec["answers"] if slug in answers],
        indicator_values=list(values),
        needs=list(needs),
    )


def load_diagnosis_demo(*, branch, facilitator, program: Program | None, today: date) -> Diagnosis | None:
    if facilitator is None:
        return None
    when = _Calendar(program, today)
    timeline, notes = _DATA["timeline"], _DATA["notes"]
    departments = list(Department.objects.filter(code__in=_DATA["departments"]))
    diagnosis = Diagnosis(
        branch=branch,
        title=_DATA["title"],
        summary=_DATA["summary"],
        period_start=when.day(_DATA["period"]["start"]),
        period_end=when.day(_DATA["period"]["end"]),
        is_demo=True,
    )
    services.diagnosis_save(diagnosis=diagnosis, by=facilitator, departments=departments, team=[facilitator])
    indicators.import_indicators(
        io.BytesIO(_sample_without_real_values()), branch=branch, by=facilitator, file_name=IMPORT_NAME
    )
    invited = [org for slug in _DATA["invited"] if (org := _org(slug)) is not None]
    consultation.invite(diagnosis=diagnosis, organisations=invited, by=facilitator)
    services.diagnosis_move(
        diagnosis=diagnosis, to=Diagnosis.State.CONSULTATION, by=facilitator, note=notes["consultation"]
    )
    answers: dict[str, ConsultationAnswer] = {}
    dated: list[tuple[str, str]] = []
    for spec, public in [*((s, False) for s in _DATA["answers"]), (_DATA["public_answer"], True)]:
        answer = _answer(diagnosis, spec, public=public)
        if answer is not None:
            answers[spec["organisation"]] = answer
            dated.append((spec["organisation"], spec["on"]))
    diagnosis = services.diagnosis_move(
        diagnosis=diagnosis, to=Diagnosis.State.ANALYSIS, by=facilitator, note=notes["analysis"]
    )
    # The closing date is recorded once the consultation is over (it could not be opened with a past one).
    diagnosis.consultation_closes_on = when.day(timeline["closes_on"])
    services.diagnosis_save(diagnosis=diagnosis, by=facilitator, departments=departments, team=[facilitator])
    issues = {spec["key"]: _key_issue(diagnosis, spec, answers, facilitator) for spec in _DATA["key_issues"]}
    for ballot in _DATA["ballots"]:
        org = _org(ballot["organisation"])
        if org is None or ballot["organisation"] not in answers:
            continue
        services.ballot_cast(
            diagnosis=diagnosis,
            organisation=org,
            ranking_ids=[issues[key].pk for key in ballot["ranking"]],
            by=_member(org),
        )
    services.key_issues_choose(
        diagnosis=diagnosis, by=facilitator, chosen=[issues[k] for k in _DATA["chosen"]]
    )
    diagnosis = services.diagnosis_publish(diagnosis=diagnosis, by=facilitator, note=notes["published"])
    _date_the_story(diagnosis, when, answers, dated)
    return diagnosis


def _date_the_story(diagnosis: Diagnosis, when: _Calendar, answers: dict, dated: list) -> None:
    """Move the timestamps the services wrote ("now") to the story's dates (timestamps only)."""
    timeline = _DATA["timeline"]
    Diagnosis.objects.filter(pk=diagnosis.pk).update(
        created_at=when.moment(timeline["draft"]),
        updated_at=when.moment(timeline["published"]),
        published_at=when.moment(timeline["published"]),
    )
    for state, key in (("draft", "draft"), ("consultation", "consultation"), ("analysis", "analysis")):
        DiagnosisChange.objects.filter(diagnosis=diagnosis, to_state=state).update(
            at=when.moment(timeline[key])
        )
    DiagnosisChange.objects.filter(diagnosis=diagnosis, to_state="published").update(
        at=when.moment(timeline["published"])
    )
    opened = when.moment(timeline["consultation"])
    ConsultationInvitation.objects.filter(diagnosis=diagnosis).update(
        created_at=when.moment(timeline["draft"], 15), updated_at=opened, sent_at=opened
    )
    for slug, month_day in dated:
        ConsultationAnswer.objects.filter(pk=answers[slug].pk).update(
            created_at=when.moment(month_day), updated_at=when.moment(month_day)
        )
    KeyIssue.objects.filter(diagnosis=diagnosis).update(
        created_at=when.moment(timeline["key_issues"]), updated_at=when.moment(timeline["published"], 9)
    )
    for ballot in _DATA["ballots"]:
        org = _org(ballot["organisation"])
        moment = when.moment(ballot["on"])
        Ballot.objects.filter(diagnosis=diagnosis, organisation=org).update(
            created_at=moment, updated_at=moment
        )
    IndicatorImport.objects.filter(branch=diagnosis.branch, file_name=IMPORT_NAME).update(
        imported_at=when.moment(timeline["indicators"])
    )
