"""The analysis of an evaluation's answers: response rates, distributions, paired before/after changes and
their breakdowns, anonymised quotes. Raw figures only: suppression (terreau.evaluation.suppression) is
applied by terreau.evaluation.report, which is the only caller that shows them.

Efficiency: a fixed handful of queries whatever the number of respondents and items (items, waves,
respondents' attributes, two grouped counts for the rates, one grouped count for the distributions, one
narrow query of numeric answers for the pairs, one bounded query for the quotes). Answers are paired by
respondent and by item CODE, so that a respondent who answered version 1 before and version 2 after is
paired on every question the two versions share. The statistics themselves are terreau.evaluation.stats'.

Only submitted responses count; answers the respondent declined are counted apart and never analysed.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import asdict, dataclass, field, is_dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Count, FloatField, Q
from django.db.models.functions import Cast, Length

from terreau.evaluation.instrument_models import Item
from terreau.evaluation.models import Audience, Evaluation, Indicator, Wave
from terreau.evaluation.response_models import Answer, Respondent, Response

NUMERIC_KINDS = (Item.Kind.LIKERT, Item.Kind.NUMBER, Item.Kind.YES_NO)
QUOTES_MAX = 12
QUOTE_MIN_CHARS = 15
QUOTE_MAX_CHARS = 600
BREAKDOWNS = ("site", "department", "age_band")


def stats_module():
    """terreau.evaluation.stats (written by the statistics part): imported late so that a missing module
    fails clearly where it is needed."""
    from terreau.evaluation import stats

    return stats


def plain(value: Any) -> Any:
    """A statistics result (dataclass, named tuple, dict) as JSON-ready plain data (Decimals as floats)."""
    if is_dataclass(value) and not isinstance(value, type):
        value = asdict(value)
    elif hasattr(value, "_asdict"):
        value = value._asdict()
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, Decimal):
        return float(value)
    return value


@dataclass
class ItemInfo:
    """What the report says of a question: taken from the newest version that has it."""

    audience: str
    code: str
    text: str
    kind: str
    theme: str = ""
    choices: list = field(default_factory=list)
    scale_min: int = 1
    scale_max: int = 5
    scale_min_label: str = ""
    scale_max_label: str = ""
    version: int = 0
    order: int = 0


@dataclass
class Analysis:
    evaluation: Evaluation
    waves: list[Wave]
    items: dict[tuple[str, str], ItemInfo]  # (audience, code) -> item
    rates: list[dict]
    distributions: list[dict]
    paired: list[dict]
    quotes: list[dict]
    respondents: int = 0
    sites: dict[int, str] = field(default_factory=dict)
    computed_at: Any = None  # when the answers were analysed
    stale: bool = False  # answers arrived since: a job is analysing them again


def _items(evaluation: Evaluation) -> tuple[dict[int, tuple[str, str]], dict[tuple[str, str], ItemInfo]]:
    """{item id: (audience, code)} and the newest version of each (audience, code)."""
    by_id: dict[int, tuple[str, str]] = {}
    info: dict[tuple[str, str], ItemInfo] = {}
    rows = Item.objects.filter(instrument__evaluation=evaluation).values_list(
        "pk",
        "instrument__audience",
        "instrument__version",
        "order",
        "code",
        "text",
        "kind",
        "theme",
        "choices",
        "scale_min",
        "scale_max",
        "scale_min_label",
        "scale_max_label",
    )
    for pk, audience, version, order, code, text, kind, theme, choices, lo, hi, lo_label, hi_label in rows:
        by_id[pk] = (audience, code)
        known = info.get((audience, code))
        if known is None or version > known.version:
            info[(audience, code)] = ItemInfo(
                audience=audience,
                code=code,
                text=text,
                kind=kind,
                theme=theme,
                choices=list(choices or []),
                scale_min=lo,
                scale_max=hi,
                scale_min_label=lo_label,
                scale_max_label=hi_label,
                version=version,
                order=order,
            )
    return by_id, info


def _respondents(evaluation: Evaluation) -> dict[int, tuple]:
    """{respondent id: (audience, site id, department code, age band)} in one query."""
    rows = Respondent.objects.filter(evaluation=evaluation).values_list(
        "pk", "audience", "site_id", "site__commune__department_id", "age_band"
    )
    return {pk: (audience, site, dept, band) for pk, audience, site, dept, band in rows}


# --- Response rates ----------------------------------------------------------------------------------------


def response_rates(evaluation: Evaluation, waves: list[Wave]) -> list[dict]:
    """Per wave × audience × site (and per wave × audience over every site, ``site_id`` None): enrolled
    respondents, their submitted responses and the rate; self-registered respondents' responses apart."""
    enrolled: dict[tuple, int] = defaultdict(int)
    for audience, site, n in (
        Respondent.objects.filter(evaluation=evaluation, enrolled=True)
        .order_by()
        .values_list("audience", "site_id")
        .annotate(n=Count("pk"))
    ):
        enrolled[(audience, site)] += n
        if site is not None:  # else the site's row is already the total's
            enrolled[(audience, None)] += n
    submitted: dict[tuple, list[int]] = defaultdict(lambda: [0, 0])
    for wave_id, audience, site, is_enrolled, n in (
        Response.objects.filter(wave__evaluation=evaluation, submitted_at__isnull=False)
        .order_by()
        .values_list("wave_id", "respondent__audience", "respondent__site_id", "respondent__enrolled")
        .annotate(n=Count("pk"))
    ):
        for key in {(wave_id, audience, site), (wave_id, audience, None)}:
            submitted[key][0 if is_enrolled else 1] += n
    audiences = [a for a in evaluation.audiences if a in Audience.values]
    keys = sorted(
        set(enrolled) | {(a, s) for (_w, a, s) in submitted},
        key=lambda k: (audiences.index(k[0]) if k[0] in audiences else 99, k[1] is not None, k[1] or 0),
    )
    rows = []
    for wave in waves:
        for audience, site in keys:
            base = enrolled.get((audience, site), 0)
            answered, self_registered = submitted.get((wave.pk, audience, site), (0, 0))
            rows.append(
                {
                    "wave": wave.kind,
                    "audience": audience,
                    "site_id": site,
                    "enrolled": base,
                    "submitted": answered,
                    "rate": round(100 * answered / base, 1) if base else None,
                    "self_registered": self_registered,
                }
            )
    return rows


# --- Distributions -----------------------------------------------------------------------------------------

SUBMITTED = Q(response__submitted_at__isnull=False)


def _distribution(n: int, options: list[dict]) -> Any:
    """The stats.Distribution that stats.distribution() gives on the answers themselves, built from their
    grouped counts (the answers are counted by the database, not listed one by one)."""
    stats = stats_module()
    counts = {o["value"]: o["count"] for o in options}
    return stats.Distribution(
        n=n, counts=counts, shares={k: (c / n if n else None) for k, c in counts.items()}
    )


def _means_needed(evaluation: Evaluation) -> set[tuple[str, str]]:
    """(audience, code) of the Likert and yes/no items whose mean an indicator reads (one small query)."""
    return set(
        Indicator.objects.filter(evaluation=evaluation, measure=Indicator.Measure.MEAN_AFTER).values_list(
            "audience", "item_code"
        )
    )


def distributions(
    evaluation: Evaluation, waves: list[Wave], by_id: dict[int, tuple[str, str]], info: dict
) -> list[dict]:
    """Per wave × audience × item (text items aside): the counts of each answer (one grouped query); numbers,
    and the items whose mean an indicator reads, are described by stats.describe."""
    means = _means_needed(evaluation)
    counts: dict[tuple, dict] = {}
    rows = (
        Answer.objects.filter(SUBMITTED, response__wave__evaluation=evaluation)
        .exclude(item__kind=Item.Kind.TEXT)
        .order_by()
        .values_list("response__wave_id", "item_id", "declined", "number", "text", "choices")
        .annotate(n=Count("pk"))
    )
    for wave_id, item_id, declined, number, text, choices, n in rows:
        audience, code = by_id[item_id]
        entry = counts.setdefault(
            (wave_id, audience, code), {"declined": 0, "values": defaultdict(int), "raw": [], "numbers": []}
        )
        if declined:
            entry["declined"] += n
            continue
        item = info[(audience, code)]
        entry["n"] = entry.get("n", 0) + n
        if item.kind == Item.Kind.MULTIPLE:
            for value in {str(value) for value in choices or []}:
                entry["values"][value] += n
        elif item.kind == Item.Kind.SINGLE:
            entry["values"][text] += n
        elif number is not None:
            if item.kind == Item.Kind.NUMBER or (audience, code) in means:
                entry["numbers"].extend([number] * n)
            if item.kind != Item.Kind.NUMBER:
                entry["values"][str(int(number))] += n
    stats = stats_module()
    out = []
    wave_kind = {w.pk: w.kind for w in waves}
    for (wave_id, audience, code), entry in counts.items():
        item = info[(audience, code)]
        options = _options(item, entry["values"])
        dist = {
            "wave": wave_kind.get(wave_id, ""),
            "audience": audience,
            "code": code,
            "kind": item.kind,
            "declined": entry["declined"],
            "options": options,
            "distribution": None,
            "describe": stats.describe(entry["numbers"]) if entry["numbers"] else None,
            "n": entry.get("n", 0),
        }
        if item.kind != Item.Kind.NUMBER:
            dist["distribution"] = _distribution(entry.get("n", 0), options)
        out.append(dist)
    order = {w.kind: i for i, w in enumerate(waves)}
    out.sort(key=lambda d: (order.get(d["wave"], 9), d["audience"], info[(d["audience"], d["code"])].order))
    return out


def _options(item: ItemInfo, values: dict[str, int]) -> list[dict]:
    """Every possible answer of the item, in the questionnaire's order, with its count (zeros included)."""
    if item.kind == Item.Kind.LIKERT:
        points = [str(v) for v in range(item.scale_min, item.scale_max + 1)]
        labels = {str(item.scale_min): item.scale_min_label, str(item.scale_max): item.scale_max_label}
        return [
            {"value": p, "label": f"{p} – {labels[p]}" if labels.get(p) else p, "count": values.get(p, 0)}
            for p in points
        ]
    if item.kind == Item.Kind.YES_NO:
        return [
            {"value": "1", "label": "Oui", "count": values.get("1", 0)},
            {"value": "0", "label": "Non", "count": values.get("0", 0)},
        ]
    if item.kind in (Item.Kind.SINGLE, Item.Kind.MULTIPLE):
        known = [
            {"value": str(c.get("value")), "label": str(c.get("label") or c.get("value")), "count": 0}
            for c in item.choices
            if isinstance(c, dict)
        ]
        for option in known:
            option["count"] = values.get(option["value"], 0)
        # An answer to a choice that a newer version removed is still counted, under its value.
        seen = {o["value"] for o in known}
        known += [{"value": v, "label": v, "count": n} for v, n in sorted(values.items()) if v not in seen]
        return known
    return []


# --- Paired before / after ---------------------------------------------------------------------------------


def _paired_values(
    evaluation: Evaluation, before: Wave, after: Wave, by_id: dict[int, tuple[str, str]], info: dict
) -> dict[tuple[str, str], dict[int, list]]:
    """{(audience, code): {respondent id: [before, after]}} for respondents who answered both (one query)."""
    numeric = [pk for pk, key in by_id.items() if info[key].kind in NUMERIC_KINDS]
    both = Response.objects.filter(wave=after, submitted_at__isnull=False).order_by().values("respondent_id")
    rows = (
        Answer.objects.filter(
            SUBMITTED,
            response__wave__in=[before, after],
            response__respondent_id__in=both,
            item_id__in=numeric,
            declined=False,
            number__isnull=False,
        )
        .order_by()
        .values_list("response__wave_id", "response__respondent_id", "item_id", Cast("number", FloatField()))
    )
    pairs: dict[tuple[str, str], dict[int, list]] = defaultdict(dict)
    slot = {before.pk: 0, after.pk: 1}
    for wave_id, respondent, item_id, number in rows:
        pair = pairs[by_id[item_id]].setdefault(respondent, [None, None])
        pair[slot[wave_id]] = number
    return {
        key: {r: p for r, p in values.items() if p[0] is not None and p[1] is not None}
        for key, values in pairs.items()
    }


def paired_stat(values: list[list[float]], item: ItemInfo) -> Any:
    """stats.paired on [before, after] pairs of the same respondents (a stats.Paired, not suppressed)."""
    before = [b for b, _a in values]
    after = [a for _b, a in values]
    return stats_module().paired(before, after, scale=str(item.kind))


def paired(
    evaluation: Evaluation,
    waves: list[Wave],
    by_id: dict[int, tuple[str, str]],
    info: dict,
    respondents: dict[int, tuple],
) -> list[dict]:
    """Per audience × numeric item answered in both waves: stats.paired on the same respondents, and the
    same by site, department and age band (raw groups: suppression comes later)."""
    kinds = {w.kind: w for w in waves}
    before, after = kinds.get(Wave.Kind.BEFORE), kinds.get(Wave.Kind.AFTER)
    if before is None or after is None:
        return []
    out = []
    for key, by_respondent in _paired_values(evaluation, before, after, by_id, info).items():
        if not by_respondent:
            continue
        item = info[key]
        groups: dict[str, dict[Any, list]] = {name: defaultdict(list) for name in BREAKDOWNS}
        for respondent, pair in by_respondent.items():
            _audience, site, dept, band = respondents.get(respondent, (None, None, None, None))
            groups["site"][site].append(pair)
            groups["department"][dept].append(pair)
            groups["age_band"][band].append(pair)
        out.append(
            {
                "audience": key[0],
                "code": key[1],
                "kind": item.kind,
                "n": len(by_respondent),
                "result": paired_stat(list(by_respondent.values()), item),
                "breakdowns": {
                    name: [
                        {"key": k, "n": len(v), "result": paired_stat(v, item)}
                        for k, v in sorted(groups[name].items(), key=lambda kv: str(kv[0]))
                    ]
                    for name in BREAKDOWNS
                },
            }
        )
    out.sort(key=lambda d: (d["audience"], info[(d["audience"], d["code"])].order))
    return out


# --- Quotes ------------------------------------------------------------------------------------------------

EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)
PHONE = re.compile(r"(?:\+|00)?\d(?:[\s.\-/]?\d){7,}")
DIGITS = re.compile(r"\d{2,}")  # ages, house numbers, years
URL = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
# A capitalised word that does not start a sentence is likely a name (a person, a street, a residence).
NAME = re.compile(r"(?<![.!?…«\n]\s)(?<!^)(?<=\s)[A-ZÀ-ÖØ-Þ][a-zà-öø-ÿ'’-]+")
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def anonymise(text: str) -> str:
    """The text without what could identify someone: e-mail addresses, web addresses, phone numbers,
    numbers of 3 digits or more, capitalised words inside a sentence (names)."""
    text = CONTROL.sub("", text).strip()
    text = EMAIL.sub("[courriel]", text)
    text = URL.sub("[lien]", text)
    text = PHONE.sub("[téléphone]", text)
    text = DIGITS.sub("[nombre]", text)
    text = NAME.sub("[nom]", text)
    return re.sub(r"\s+", " ", text)


def quotes(evaluation: Evaluation, by_id: dict[int, tuple[str, str]], info: dict) -> list[dict]:
    """Up to QUOTES_MAX anonymised answers to free-text questions (one bounded query)."""
    text_items = [pk for pk, key in by_id.items() if info[key].kind == Item.Kind.TEXT]
    if not text_items:
        return []
    rows = (
        Answer.objects.filter(
            SUBMITTED,
            response__wave__evaluation=evaluation,
            item_id__in=text_items,
            declined=False,
        )
        .annotate(length=Length("text"))
        .filter(length__gte=QUOTE_MIN_CHARS, length__lte=QUOTE_MAX_CHARS)
        .order_by("-response__wave__opens_on", "pk")
        .values_list("item_id", "response__wave__kind", "text")[: QUOTES_MAX * 4]
    )
    # How many people answered each question in each wave: a quote is shown only among at least the minimum
    # count of answers to its own question (terreau.evaluation.report), or it would point at its author.
    answered = {
        (item_id, wave_kind): n
        for item_id, wave_kind, n in Answer.objects.filter(
            SUBMITTED, response__wave__evaluation=evaluation, item_id__in=text_items, declined=False
        )
        .exclude(text="")
        .order_by()
        .values_list("item_id", "response__wave__kind")
        .annotate(n=Count("pk"))
    }
    out, seen = [], set()
    for item_id, wave_kind, text in rows:
        clean = anonymise(text)
        if clean.lower() in seen:
            continue
        seen.add(clean.lower())
        audience, code = by_id[item_id]
        n = answered.get((item_id, wave_kind), 0)
        out.append({"audience": audience, "code": code, "wave": wave_kind, "text": clean, "n": n})
        if len(out) >= QUOTES_MAX:
            break
    return out


# --- Everything --------------------------------------------------------------------------------------------


def analyse(*, evaluation: Evaluation) -> Analysis:
    waves = list(Wave.objects.filter(evaluation=evaluation).order_by("opens_on", "pk"))
    by_id, info = _items(evaluation)
    respondents = _respondents(evaluation)
    return Analysis(
        evaluation=evaluation,
        waves=waves,
        items=info,
        rates=response_rates(evaluation, waves),
        distributions=distributions(evaluation, waves, by_id, info),
        paired=paired(evaluation, waves, by_id, info, respondents),
        quotes=quotes(evaluation, by_id, info),
        respondents=len(respondents),
    )
