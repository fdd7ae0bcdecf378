"""The evaluation's answers as a spreadsheet, pseudonymised (not anonymised: the respondent's code links a
person's answers together, and the team that handed out the codes can tell who holds one): one row per answer,
with the respondent's code, audience, site, age band, wave, the question's code and the value (« oui » / « non »
for a yes/no question). No name, no contact, no participant link; free-text answers go through the report's
anonymisation (e-mail addresses, phone numbers, names...).

Rows are read through terreau.core.access.visible on Answer: only the program's coordinators and evaluators
(and superusers) get any; the view refuses the others before reaching here.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from terreau.core.access import visible
from terreau.core.tabular import Sheet
from terreau.evaluation.analysis import anonymise
from terreau.evaluation.instrument_models import Item
from terreau.evaluation.models import Audience, Evaluation, Wave
from terreau.evaluation.response_models import Answer, Respondent

HEADER = (
    gettext_lazy("Code du répondant"),
    gettext_lazy("Public"),
    gettext_lazy("Site"),
    gettext_lazy("Tranche d'âge"),
    gettext_lazy("Vague"),
    gettext_lazy("Version du questionnaire"),
    gettext_lazy("Code de la question"),
    gettext_lazy("Valeur"),
    gettext_lazy("Sans réponse (refus)"),
)


def _value(kind: str, number: Decimal | None, text: str, choices: list) -> object:
    if kind == Item.Kind.TEXT:
        return anonymise(text) if text else ""
    if kind == Item.Kind.MULTIPLE:
        return " | ".join(str(c) for c in choices or [])
    if kind == Item.Kind.SINGLE:
        return text
    if number is None:
        return None
    if kind == Item.Kind.YES_NO:  # stored as 1 / 0 for the statistics; read as words in the spreadsheet
        return _("oui") if number else _("non")
    return int(number) if number == number.to_integral() else number


def answer_rows(*, evaluation: Evaluation, user) -> Iterator[list]:
    audiences = dict(Audience.choices)
    waves = dict(Wave.Kind.choices)
    bands = dict(Respondent.AgeBand.choices)
    rows = (
        visible(user, Answer.objects.filter(response__respondent__evaluation=evaluation))
        .filter(response__submitted_at__isnull=False)
        .order_by("response__respondent__code", "response__wave__opens_on", "item__order", "pk")
        .values_list(
            "response__respondent__code",
            "response__respondent__audience",
            "response__respondent__site__name",
            "response__respondent__age_band",
            "response__wave__kind",
            "response__instrument__version",
            "item__code",
            "item__kind",
            "number",
            "text",
            "choices",
            "declined",
        )
    )
    for (
        code,
        audience,
        site,
        band,
        wave,
        version,
        item,
        kind,
        number,
        text,
        choices,
        declined,
    ) in rows.iterator(chunk_size=2000):
        yield [
            code,
            str(audiences.get(audience, audience)),
            site or "",
            str(bands.get(band, band)),
            str(waves.get(wave, wave)),
            version,
            item,
            None if declined else _value(kind, number, text, choices),
            _("oui") if declined else "",
        ]


def answers_sheet(*, evaluation: Evaluation, user) -> Sheet:
    return Sheet(
        title=_("Réponses"),
        header=[str(h) for h in HEADER],
        rows=answer_rows(evaluation=evaluation, user=user),
    )
