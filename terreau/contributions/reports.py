"""Reports of the ledger (pure queries, no rendering): who gave what, valued, pledged against received, by kind
and by partner, for a program, a partner or a year; and the program's "contributions volontaires en nature"
(accounts 870 volunteering, 871 services in kind, 875 gifts in kind, mapped by terreau.contributions.valuation).

Every report starts from a queryset of contributions the caller has already scoped to the user
(terreau.core.access.visible): it sums only what the user may see. Each summary is two grouped queries, one
on the contributions (count and value), one on their instalments (what arrived), whatever the number of rows.
Cancelled contributions are left out. Individuals who gave are grouped under one row (their names are
personal data kept for their receipts only).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, DecimalField, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from terreau.contributions.models import Contribution, Instalment, Kind
from terreau.contributions.valuation import accounts_by_kind

ZERO = Decimal("0.00")

# The grouping keys of the three reports (lookups on Contribution).
PROGRAM_KEYS = ("donor_id", "donor__name", "kind")
PARTNER_KEYS = ("donor_id", "donor__name", "recipient_id", "recipient__name", "program__name", "kind")
YEAR_KEYS = ("program_id", "program__name", "donor_id", "donor__name", "kind")


@dataclass
class Row:
    keys: dict
    count: int = 0
    pledged: Decimal = ZERO
    received: Decimal = ZERO

    @property
    def outstanding(self) -> Decimal:
        return self.pledged - self.received

    @property
    def kind(self) -> str:
        return self.keys.get("kind", "")

    @property
    def kind_label(self) -> str:
        return str(Kind(self.kind).label) if self.kind in Kind.values else self.kind

    @property
    def donor(self) -> str:
        return self.keys.get("donor__name") or _("Particuliers")

    @property
    def recipient(self) -> str:
        return self.keys.get("recipient__name") or ""

    @property
    def program(self) -> str:
        return self.keys.get("program__name") or _("Hors programme")


@dataclass
class Total:
    label: str
    count: int = 0
    pledged: Decimal = ZERO
    received: Decimal = ZERO
    code: str = ""

    @property
    def outstanding(self) -> Decimal:
        return self.pledged - self.received

    def add(self, row: Row) -> None:
        self.count += row.count
        self.pledged += row.pledged
        self.received += row.received


@dataclass
class Summary:
    rows: list[Row]
    total: Total
    by_kind: list[Total] = field(default_factory=list)
    by_donor: list[Total] = field(default_factory=list)
    accounts: list[Total] = field(default_factory=list)
    money: Total | None = None


def summarise(contributions: QuerySet[Contribution], keys: tuple[str, ...]) -> list[Row]:
    """Contributions grouped by ``keys``: count, value pledged, value received (two grouped queries)."""
    live = contributions.live()
    grouped = live.order_by().values(*keys).annotate(n=Count("pk"), pledged=Sum("value"))
    rows = {
        tuple(item[k] for k in keys): Row(
            keys={k: item[k] for k in keys}, count=item["n"], pledged=item["pledged"] or ZERO
        )
        for item in grouped
    }
    lookups = [f"contribution__{k}" for k in keys]
    arrived = (
        Instalment.objects.filter(contribution__in=live.order_by().values("pk"))
        .order_by()
        .values(*lookups)
        .annotate(total=Sum("amount"))
    )
    for item in arrived:
        row = rows.get(tuple(item[k] for k in lookups))
        if row is not None:
            row.received = item["total"] or ZERO
    return sorted(rows.values(), key=lambda r: tuple("" if v is None else str(v) for v in r.keys.values()))


def _totals(rows: list[Row], key, label) -> list[Total]:
    out: dict = {}
    for row in rows:
        k = key(row)
        if k not in out:
            out[k] = Total(label=label(row))
        out[k].add(row)
    return sorted(out.values(), key=lambda t: (-t.pledged, t.label))


def accounts(rows: list[Row]) -> tuple[list[Total], Total]:
    """The contributions in kind by account (870, 871, 875) in the accounts' order, and money apart."""
    mapping = accounts_by_kind()
    by_code: dict[str, Total] = {}
    for account in sorted({a.code: a for a in mapping.values()}.values(), key=lambda a: a.code):
        by_code[account.code] = Total(label=account.label, code=account.code)
    money = Total(label=_("Contributions financières (produits, hors classe 87)"))
    for row in rows:
        account = mapping.get(row.kind)
        (by_code[account.code] if account is not None else money).add(row)
    return list(by_code.values()), money


def _summary(rows: list[Row]) -> Summary:
    total = Total(label=_("Total"))
    for row in rows:
        total.add(row)
    in_kind, money = accounts(rows)
    return Summary(
        rows=rows,
        total=total,
        by_kind=_totals(rows, lambda r: r.kind, lambda r: r.kind_label),
        by_donor=_totals(rows, lambda r: r.keys.get("donor_id"), lambda r: r.donor),
        accounts=in_kind,
        money=money,
    )


def program_report(contributions: QuerySet[Contribution], program) -> Summary:
    """Who gave what to the program, by partner and kind, and its contributions in kind by account."""
    return _summary(summarise(contributions.filter(program=program), PROGRAM_KEYS))


def partner_report(contributions: QuerySet[Contribution], organisation) -> tuple[Summary, Summary]:
    """What the organisation gave (to whom, for which program) and what it received."""
    rows = summarise(contributions.filter(Q(donor=organisation) | Q(recipient=organisation)), PARTNER_KEYS)
    given = [r for r in rows if r.keys["donor_id"] == organisation.pk]
    received = [r for r in rows if r.keys["recipient_id"] == organisation.pk]
    return _summary(given), _summary(received)


def year_report(contributions: QuerySet[Contribution], year: int) -> Summary:
    """The contributions pledged in the year, by program, partner and kind."""
    return _summary(summarise(contributions.of_year(year), YEAR_KEYS))


def by_program(rows: list[Row]) -> list[Total]:
    return _totals(rows, lambda r: r.keys.get("program_id"), lambda r: r.program)


def detail(contributions: QuerySet[Contribution]) -> QuerySet[Contribution]:
    """One row per live contribution with what arrived (one query, the sum as a sub-query)."""
    arrived = (
        Instalment.objects.filter(contribution=OuterRef("pk"))
        .order_by()
        .values("contribution")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    return (
        contributions.live()
        .select_related("donor", "recipient", "program")
        .annotate(
            received=Coalesce(
                Subquery(arrived, output_field=DecimalField(max_digits=12, decimal_places=2)),
                Value(ZERO),
                output_field=DecimalField(max_digits=12, decimal_places=2),
            )
        )
        .order_by("pledged_on", "pk")
    )
