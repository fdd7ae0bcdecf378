"""What a diagnosis's pages read: its territory's communes, indicator values and needs, what Terreau already
knows there (needs and offers by theme and place, events, partnerships), the indicator tables with their
references, and the department choropleth. Querysets of the existing apps, filtered to the territory and
passed through terreau.core.access for the person looking."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from django.db.models import Count, Q, QuerySet

from terreau.alliances.models import Diagnosis, Indicator, IndicatorValue
from terreau.core.access import visible
from terreau.directory.models import Direction, NeedOffer, NeedOfferStatus, Theme
from terreau.territories.models import Commune, Department, Epci

LEVELS = 5  # colour classes of the choropleth


def territory_communes(diagnosis: Diagnosis) -> QuerySet[Commune]:
    return Commune.objects.filter(
        Q(department__in=diagnosis.departments.all())
        | Q(epci__in=diagnosis.epcis.all())
        | Q(code__in=diagnosis.communes.values("code"))
    )


def territory_department_codes(diagnosis: Diagnosis) -> list[str]:
    """Departments of the territory: chosen, or holding a chosen commune or EPCI's commune."""
    codes = set(diagnosis.departments.values_list("code", flat=True))
    codes |= set(
        Commune.objects.filter(
            Q(epci__in=diagnosis.epcis.all()) | Q(code__in=diagnosis.communes.values("code"))
        )
        .values_list("department_id", flat=True)
        .distinct()
    )
    return sorted(codes)


def territory_values(diagnosis: Diagnosis) -> QuerySet[IndicatorValue]:
    """Values of the territory's places, plus the regional and national references."""
    departments = territory_department_codes(diagnosis)
    regions = set(Department.objects.filter(code__in=departments).values_list("region_id", flat=True))
    communes = territory_communes(diagnosis)
    epcis = set(diagnosis.epcis.values_list("code", flat=True)) | set(
        communes.exclude(epci=None).values_list("epci_id", flat=True).distinct()
    )
    L = IndicatorValue.Level
    return IndicatorValue.objects.filter(
        Q(level=L.DEPARTMENT, code__in=departments)
        | Q(level=L.EPCI, code__in=epcis)
        | Q(level=L.COMMUNE, code__in=communes.values("code"))
        | Q(level=L.REGION, code__in=regions)
        | Q(level=L.FRANCE)
    ).select_related("indicator")


def territory_needs(diagnosis: Diagnosis) -> QuerySet[NeedOffer]:
    """Needs of the territory's organisations (the unmet ones are the evidence a key issue cites)."""
    return NeedOffer.objects.needs().filter(organisation__commune__in=territory_communes(diagnosis))


def knowledge(diagnosis: Diagnosis, user) -> dict:
    """Needs and offers by theme and by department (met or not), the events and partnerships of the
    territory: what Terreau already knows, as the person looking may see it."""
    from terreau.events.models import Event
    from terreau.partnerships.models import Partnership

    communes = territory_communes(diagnosis)
    items = visible(user, NeedOffer.objects.filter(organisation__commune__in=communes))
    labels = dict(Theme.objects.values_list("code", "label"))
    by_theme: dict[str, dict[str, int]] = defaultdict(lambda: {"needs_open": 0, "needs_met": 0, "offers": 0})
    by_place: dict[str, dict[str, int]] = defaultdict(lambda: {"needs_open": 0, "needs_met": 0, "offers": 0})
    rows = items.values(
        "direction", "status", "theme_id", "organisation__commune__department__name"
    ).annotate(n=Count("pk"))
    for row in rows:
        theme = labels.get(row["theme_id"], "") or "—"
        place = row["organisation__commune__department__name"] or "—"
        if row["direction"] == Direction.NEED:
            if row["status"] == NeedOfferStatus.FULFILLED:
                key = "needs_met"
            elif row["status"] == NeedOfferStatus.WITHDRAWN:
                continue
            else:
                key = "needs_open"
        elif row["status"] == NeedOfferStatus.WITHDRAWN:
            continue
        else:
            key = "offers"
        by_theme[theme][key] += row["n"]
        by_place[place][key] += row["n"]
    unmet = (
        items.needs()
        .active()
        .select_related("organisation", "theme", "organisation__commune")
        .order_by("theme__label", "title")[:50]
    )
    events = (
        visible(user, Event.objects.filter(commune__in=communes))
        .filter(starts_at__date__gte=diagnosis.period_start, starts_at__date__lte=diagnosis.period_end)
        .select_related("commune")
        .order_by("starts_at")
    )
    partnerships = (
        visible(user, Partnership.objects.filter(partners__commune__in=communes))
        .distinct()
        .prefetch_related("partners")
        .order_by("-updated_at")
    )
    return {
        "by_theme": sorted(by_theme.items()),
        "by_place": sorted(by_place.items()),
        "unmet": list(unmet),
        "unmet_count": items.needs().active().count(),
        "events": list(events[:30]),
        "events_count": events.count(),
        "partnerships": list(partnerships[:30]),
        "partnerships_count": partnerships.count(),
    }


def _place_names(values: list[IndicatorValue]) -> dict[tuple[str, str], str]:
    L = IndicatorValue.Level
    codes: dict[str, set[str]] = defaultdict(set)
    for v in values:
        codes[v.level].add(v.code)
    names = {}
    for model, level in ((Commune, L.COMMUNE), (Epci, L.EPCI), (Department, L.DEPARTMENT)):
        for code, name in model.objects.filter(code__in=codes[level]).values_list("code", "name"):
            names[(level, code)] = name
    from terreau.territories.models import Region

    for code, name in Region.objects.filter(code__in=codes[L.REGION]).values_list("code", "name"):
        names[(L.REGION, code)] = name
    return names


def indicator_tables(diagnosis: Diagnosis) -> list[dict]:
    """Per indicator: one row per place of the territory (departments, then EPCIs, then communes), its value,
    year and source, beside the regional and national references of the same year when the files gave them."""
    L = IndicatorValue.Level
    values = list(territory_values(diagnosis).order_by("indicator__label", "level", "code", "-year"))
    names = _place_names(values)
    references: dict[tuple[int, str, int], IndicatorValue] = {}
    for v in values:
        if v.level in (L.REGION, L.FRANCE):
            references[(v.indicator_id, v.level, v.year)] = v
    order = {L.DEPARTMENT: 0, L.EPCI: 1, L.COMMUNE: 2}
    tables: dict[int, dict] = {}
    for v in values:
        if v.level not in order:
            continue
        table = tables.setdefault(v.indicator_id, {"indicator": v.indicator, "rows": []})
        table["rows"].append(
            {
                "value": v,
                "place": names.get((v.level, v.code), v.code),
                "level": v.get_level_display(),
                "region": references.get((v.indicator_id, L.REGION, v.year)),
                "france": references.get((v.indicator_id, L.FRANCE, v.year)),
                "sort": (order[v.level], names.get((v.level, v.code), v.code), -v.year),
            }
        )
    for table in tables.values():
        table["rows"].sort(key=lambda r: r["sort"])
    return sorted(tables.values(), key=lambda t: t["indicator"].label)


def colour_level(value: Decimal, low: Decimal, high: Decimal) -> int:
    """1..LEVELS on a linear scale between the lowest and the highest value shown."""
    if high <= low:
        return 3
    return max(1, min(LEVELS, 1 + int((value - low) / (high - low) * LEVELS)))


def choropleth(diagnosis: Diagnosis, indicator: Indicator | None) -> dict | None:
    """Department values of one indicator (its latest year) for the SVG map, with the legend classes."""
    from terreau.directory import mapping

    shapes = mapping.department_shapes()
    if indicator is None or shapes is None:
        return None
    codes = territory_department_codes(diagnosis)
    values = list(
        IndicatorValue.objects.filter(
            indicator=indicator, level=IndicatorValue.Level.DEPARTMENT, code__in=codes
        ).order_by("code", "-year")
    )
    latest: dict[str, IndicatorValue] = {}
    for v in values:
        latest.setdefault(v.code, v)
    if not latest:
        return None
    low = min(v.value for v in latest.values())
    high = max(v.value for v in latest.values())
    names = dict(Department.objects.filter(code__in=codes).values_list("code", "name"))
    in_territory = set(codes)
    departments = []
    for shape in shapes.shapes:
        if shape.code not in in_territory:
            continue
        value = latest.get(shape.code)
        departments.append(
            {
                "code": shape.code,
                "name": names.get(shape.code, shape.name),
                "path": shape.path,
                "value": value,
                "level": colour_level(value.value, low, high) if value else 0,
            }
        )
    step = (high - low) / LEVELS if high > low else Decimal(0)
    legend = (
        [
            {"level": n, "low": low + step * (n - 1), "high": low + step * n if n < LEVELS else high}
            for n in range(1, LEVELS + 1)
        ]
        if step
        else [{"level": 3, "low": low, "high": high}]
    )
    return {
        "indicator": indicator,
        "departments": departments,
        "view_box": _view_box(departments) or shapes.view_box,
        "legend": legend,
        "years": sorted({v.year for v in latest.values()}),
    }


def _view_box(departments: list[dict]) -> str:
    """A view box framing the territory's departments (from their outlines' absolute points), with a margin."""
    xs: list[float] = []
    ys: list[float] = []
    for d in departments:
        x, y = _path_points(d["path"])
        xs += x
        ys += y
    if not xs:
        return ""
    margin = 8.0
    left, top = min(xs) - margin, min(ys) - margin
    width, height = max(xs) - min(xs) + 2 * margin, max(ys) - min(ys) + 2 * margin
    return f"{left:.1f} {top:.1f} {width:.1f} {height:.1f}"


def _path_points(path: str) -> tuple[list[float], list[float]]:
    """Absolute points of an outline made of m/l (relative) and M/L/z commands, as the package draws them."""
    import re

    tokens = re.findall(r"[MmLlHhVvZz]|-?\d*\.?\d+(?:e-?\d+)?", path)
    xs: list[float] = []
    ys: list[float] = []
    x = y = 0.0
    start = (0.0, 0.0)
    command = "M"
    numbers: list[float] = []

    def flush() -> None:
        nonlocal x, y, command, start
        i = 0
        while i < len(numbers):
            if command in "Hh":
                x = numbers[i] + (x if command == "h" else 0)
                i += 1
            elif command in "Vv":
                y = numbers[i] + (y if command == "v" else 0)
                i += 1
            else:
                if i + 1 >= len(numbers):
                    break
                dx, dy = numbers[i], numbers[i + 1]
                if command.islower():
                    x, y = x + dx, y + dy
                else:
                    x, y = dx, dy
                if command in "Mm" and i == 0:
                    start = (x, y)
                i += 2
                if command == "m":
                    command = "l"
                elif command == "M":
                    command = "L"
            xs.append(x)
            ys.append(y)
        numbers.clear()

    for token in tokens:
        if token.isalpha():
            flush()
            if token in ("Z", "z"):
                x, y = start
            else:
                command = token
        else:
            numbers.append(float(token))
    flush()
    return xs, ys
