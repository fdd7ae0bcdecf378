"""The genesis of Silver Geek on the Poitou-Charentes demo branch (data/alliances_groups.json): three working
groups around the key issues of the demo diagnosis (or without key issues when the branch has none), the merge
of "Bien vieillir" and "Inclusion numérique" into the collective, its charter approved by each partner, and the
demo program linked to it as the program it launched. Everything is flagged is_demo and goes through the
services (terreau.alliances.groups and .charter), so the histories and provenances are the real ones.

Called by terreau.demo.loader once the organisations, accounts (the partners' contacts who approve the charter
are in data/people.json), the diagnosis demo (if any) and the program exist.
"""

from __future__ import annotations

from datetime import date, timedelta

from django.db.models import Q

from terreau.alliances import charter as charter_services
from terreau.alliances import groups, merge
from terreau.alliances.charter_models import Charter
from terreau.alliances.group_models import GroupMerge, WorkingGroup
from terreau.alliances.models import Diagnosis, KeyIssue
from terreau.core.french import fold_key
from terreau.demo.records import read
from terreau.directory.models import Membership, Organisation
from terreau.programs.models import Program
from terreau.territories.models import Department

_DATA = read("alliances_groups.json")


def delete_groups_demo() -> None:
    """Remove the previous genesis (before the demo organisations and the program it points to)."""
    Charter.objects.filter(is_demo=True).delete()
    GroupMerge.objects.filter(result__is_demo=True).delete()
    demo = WorkingGroup.objects.filter(is_demo=True)
    demo.filter(state=WorkingGroup.State.MERGED).delete()
    demo.delete()


def _org(slug: str) -> Organisation | None:
    return Organisation.objects.filter(Q(slug=slug) | Q(slug=f"{slug}-demo"), is_demo=True).first()


def _key_issue(branch, words: list[str]) -> list[KeyIssue]:
    diagnosis = Diagnosis.objects.filter(branch=branch, is_demo=True).order_by("-period_end").first()
    if diagnosis is None:
        return []
    for issue in diagnosis.key_issues.order_by("pk"):
        title = fold_key(issue.title)
        if any(fold_key(w) in title for w in words):
            return [issue]
    return []


def _group(spec: dict, *, branch, by, start: date) -> WorkingGroup | None:
    lead = _org(spec["lead"])
    if lead is None:
        return None
    group = groups.group_create(
        branch=branch,
        name=spec["name"],
        purpose=spec["purpose"],
        key_issues=_key_issue(branch, spec["issue_words"]),
        lead=lead,
        by=by,
        is_demo=True,
    )
    for slug in spec["members"]:
        org = _org(slug)
        if org is not None:
            groups.member_add(group=group, organisation=org, by=by)
    for pledge in spec["pledges"]:
        org = _org(pledge["organisation"])
        if org is not None and group.members.filter(organisation=org).exists():
            groups.pledge_save(
                group=group, organisation=org, kind=pledge["kind"], description=pledge["description"], by=by
            )
    for decision in spec["decisions"]:
        day = start - timedelta(days=30 * decision["months_before"])
        groups.decision_add(group=group, text=decision["text"], decided_on=day, by=by)
    for task in spec["tasks"]:
        due = start - timedelta(days=30 * task["months_before"])
        created = groups.task_add(group=group, title=task["title"], due_on=due, by=by)
        if task["state"] != "todo":
            groups.task_move(task=created, to=task["state"], by=by)
    return group


def load_groups_demo(*, branch, facilitator, program: Program | None) -> Charter | None:
    start = program.starts_on if program is not None and program.starts_on else date.today()
    made = {spec["key"]: _group(spec, branch=branch, by=facilitator, start=start) for spec in _DATA["groups"]}
    union = _DATA["merge"]
    sources = [made[key] for key in union["sources"] if made.get(key) is not None]
    if len(sources) < 2:
        return None
    collective = merge.group_merge(
        sources=sources, name=union["name"], reason=union["reason"], by=facilitator
    )
    spec = _DATA["charter"]
    charter = charter_services.charter_create(
        group=collective, title=spec["title"], by=facilitator, is_demo=True
    )
    partners = [
        {"organisation": org, "roles": p["roles"], "note": p["note"]}
        for p in spec["partners"]
        if (org := _org(p["organisation"])) is not None
    ]
    data = {
        **{
            k: spec[k]
            for k in ("purpose", "publics", "publics_details", "resources", "budget_lines", "governance")
        },
        "departments": list(Department.objects.filter(code__in=spec["departments"])),
        "key_issues": list(collective.key_issues.all()),
        "starts_on": start,
    }
    version = charter_services.charter_version_create(
        charter=charter, data=data, partners=partners, by=facilitator
    )
    charter_services.charter_submit(version=version, by=facilitator)
    for partner in partners:
        member = Membership.objects.filter(organisation=partner["organisation"], user__is_active=True).first()
        if member is not None:
            charter_services.charter_approve(
                version=version, organisation=partner["organisation"], by=member.user
            )
    version.refresh_from_db()
    if program is not None and version.state == version.State.APPROVED:
        charter_services.launch_program(charter=charter, by=facilitator, program=program)
    return charter
