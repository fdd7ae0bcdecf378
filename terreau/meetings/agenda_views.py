"""The organisers' printable agendas: every participant's agenda in one PDF, one page each (to hand out at
the door). Only the people who run the speed-meeting (its branch's staff and named organisers) get it."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse

from terreau.meetings import pdf, services
from terreau.meetings.views import _managed, _speed_meeting


def agendas_by_participant(sm) -> list[tuple]:
    """[(registration, their meetings by round)] for the participants with at least one meeting (one query
    for the meetings)."""
    meetings = list(
        sm.meetings.select_related("a", "b", "a__organisation", "b__organisation").order_by("round")
    )
    by_person: dict[int, list] = {}
    for m in meetings:
        by_person.setdefault(m.a_id, []).append(m)
        by_person.setdefault(m.b_id, []).append(m)
    return [(r, by_person[r.pk]) for r in services.participants(sm) if r.pk in by_person]


@login_required
def all_agendas_pdf(request: HttpRequest, slug: str) -> HttpResponse:
    event = _managed(request, slug)
    sm = _speed_meeting(event)
    if sm is None or sm.planned_at is None:
        raise Http404
    response = HttpResponse(
        pdf.all_agendas_pdf(sm, agendas_by_participant(sm)), content_type="application/pdf"
    )
    response["Content-Disposition"] = f'attachment; filename="agendas-{event.slug}.pdf"'
    return response
