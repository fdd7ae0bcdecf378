"""Printable speed-meeting documents: a participant's agenda, every participant's agenda (one page each)
and the table plan (one page per round) for the organisers, drawn with terreau.core.pdf, which escapes every name."""

from __future__ import annotations

from django.utils import formats, timezone
from django.utils.translation import gettext as _

from terreau.core import dates
from terreau.core.pdf import PageBreak, Spacer, build, cm, para, table


def _hm(value) -> str:
    return formats.time_format(timezone.localtime(value), "H:i")


def _who(registration) -> str:
    label = registration.organisation_label
    return registration.name + (f" — {label}" if label else "")


def _agenda_story(sm, registration, meetings) -> list:
    """One participant's agenda: title, event, name, then their meetings (time, round, table, with whom)."""
    event = sm.event
    story = [
        para(_("Mes rendez-vous"), "Title"),
        para(f"{event.title} — {dates.date_format(timezone.localtime(sm.start), 'l j F Y')}", "Heading2"),
        para(_who(registration)),
        Spacer(1, 0.5 * cm),
    ]
    if sm.state != sm.State.FINAL:
        story.append(para(_("Planning provisoire : il peut encore changer."), "Italic"))
    rows = [[_("Heure"), _("Tour"), _("Table"), _("Avec")]]
    for m in meetings:
        rows.append(
            [
                f"{_hm(sm.round_starts_at(m.round))}–{_hm(sm.round_ends_at(m.round))}",
                m.round + 1,
                m.table,
                _who(m.other(registration)),
            ]
        )
    if meetings:
        story.append(table(rows, widths=[0.18, 0.09, 0.09, 0.64]))
    else:
        story.append(para(_("Aucun rendez-vous planifié.")))
    return story


def agenda_pdf(sm, registration, meetings) -> bytes:
    return build(
        _agenda_story(sm, registration, meetings), title=_("Mes rendez-vous"), author=sm.event.branch.name
    )


def all_agendas_pdf(sm, agendas) -> bytes:
    """Every participant's agenda, one page each: ``agendas`` is [(registration, their meetings by round)]."""
    story: list = []
    for registration, meetings in agendas:
        if story:
            story.append(PageBreak())
        story.extend(_agenda_story(sm, registration, meetings))
    if not story:
        story.append(para(_("Aucun rendez-vous planifié.")))
    return build(story, title=_("Agendas de tous les participants"), author=sm.event.branch.name)


def table_plan_pdf(sm, meetings) -> bytes:
    """One page per round: table, the two participants."""
    event = sm.event
    by_round: dict[int, list] = {}
    for m in meetings:
        by_round.setdefault(m.round, []).append(m)
    story: list = []
    for r in range(sm.rounds):
        if story:
            story.append(PageBreak())
        story.append(para(event.title, "Heading2"))
        story.append(
            para(
                _("Tour %(round)s — %(start)s à %(end)s")
                % {"round": r + 1, "start": _hm(sm.round_starts_at(r)), "end": _hm(sm.round_ends_at(r))},
                "Title",
            )
        )
        rows = [[_("Table"), _("Participant"), _("Participant")]]
        for m in sorted(by_round.get(r, []), key=lambda m: m.table):
            rows.append([m.table, _who(m.a), _who(m.b)])
        if len(rows) > 1:
            story.append(table(rows, widths=[0.12, 0.44, 0.44]))
        else:
            story.append(para(_("Aucun rendez-vous à ce tour.")))
    return build(story, title=_("Plan de table"), author=event.branch.name)
