"""Progress against a seed's target table (任务分配表), laid out as the seed lays it out.

Tables come from `rules.targets.target_tables(policy)`. A claim counts for year Y by its
business date (certificate date, else training end, else filing date). A row takes the claims
that match all it names: its region codes (exact district codes; for a province's city table
the first four digits, the city) or its `organizer` (department tables; "人社局" and "市人社局"
are the same department), and its `year`. A row naming neither takes every claim of its years.
A table spanning several years counts from its first year up to the report year; a department
table is the seed's annual task (年度指导任务) and counts the report year alone. Claims that
match no row are shown on their own line, never dropped.

Figures, in 人次 (one claim = one person-time): trainings subsidised = claims assessed eligible
and not since refused; claims paid = claims in state `paid`; money paid = net paid (advances + final
payments − money returned) from services/money/totals.py, as in the quarterly summary.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Protocol

from sqlalchemy import Engine, case, extract, func, select

from models.tables import CLAIM
from services.money.totals import money_totals

ELIGIBLE_STATES: tuple[str, ...] = ("assessed", "publicly_posted", "objected", "approved", "paid",
                                    "payment_failed")
ROW_HEADING = {"district": "地区", "city": "市（地）", "department": "单位名称", "year": "年度",
               "span": "期间"}
UNMATCHED_ZH = "未能归入本表各行的申报"


class TargetRowLike(Protocol):
    @property
    def key(self) -> str: ...
    @property
    def label_zh(self) -> str: ...
    @property
    def target(self) -> int | None: ...
    @property
    def year(self) -> int | None: ...
    @property
    def region_codes(self) -> tuple[str, ...]: ...
    @property
    def organizer(self) -> str | None: ...
    @property
    def source(self) -> str: ...
    @property
    def note(self) -> str | None: ...
    def matches(self, *, region: str | None = None, organizer: str | None = None,
                by_city: bool = False) -> bool: ...


class TargetTableLike(Protocol):
    @property
    def policy(self) -> str: ...
    @property
    def key(self) -> str: ...
    @property
    def title_zh(self) -> str: ...
    @property
    def layout(self) -> str: ...
    @property
    def span(self) -> tuple[int, int]: ...
    @property
    def rows(self) -> Sequence[TargetRowLike]: ...
    @property
    def total(self) -> int | None: ...
    @property
    def source(self) -> str: ...


class NoTargetTable(LookupError):
    pass


def policy_tables(policy: str) -> list[TargetTableLike]:
    """The seed's target tables of `policy` (from rules.targets)."""
    try:
        module = importlib.import_module("rules.targets")
    except ImportError as exc:
        raise NoTargetTable("the target tables (rules/targets.py) are not installed") from exc
    return list(module.target_tables(policy))


def tables_for_year(policy: str, year: int) -> list[TargetTableLike]:
    tables = policy_tables(policy)
    chosen = [t for t in tables if t.span[0] <= year <= t.span[1]]
    if not chosen:
        spans = ", ".join(f"{t.title_zh} {t.span[0]}–{t.span[1]}" for t in tables) or "none"
        raise NoTargetTable(
            f"{policy} has no target table covering {year}; the seed's tables cover: {spans}. "
            "Run again with --year inside one of them."
        )
    return chosen


@dataclass(slots=True)
class Progress:
    label: str
    target: int | None
    subsidised: int = 0
    paid_claims: int = 0
    money: Decimal = Decimal("0.00")
    source: str = ""
    note: str = ""

    @property
    def percent(self) -> Decimal | None:
        if not self.target:
            return None
        return (Decimal(self.subsidised) * 100 / self.target).quantize(
            Decimal("0.1"), rounding=ROUND_HALF_UP)

    def add(self, group: Group) -> None:
        self.subsidised += group.subsidised
        self.paid_claims += group.paid_claims
        self.money += group.money


@dataclass(frozen=True, slots=True)
class Group:
    region: str
    organizer: str | None
    year: int
    subsidised: int
    paid_claims: int
    money: Decimal


@dataclass(slots=True)
class TableProgress:
    table: TargetTableLike
    first_year: int
    last_year: int
    rows: list[Progress]
    unmatched: Progress
    total: Progress


def claim_groups(engine: Engine, policy: str, first_year: int, last_year: int) -> list[Group]:
    """The policy's claims in the years, summed by (region, organizer, year): one query for the
    counts, and the money (net paid) from `services.money.totals.money_totals`, the query every
    money report reads."""
    day = func.coalesce(CLAIM.c.certificate_date, CLAIM.c.training_end, CLAIM.c.filed_on)
    year = extract("year", day)
    scope = (CLAIM.c.policy == policy, day >= date(first_year, 1, 1), day <= date(last_year, 12, 31))
    stmt = (
        select(CLAIM.c.region, CLAIM.c.organizer, year.label("year"),
               func.sum(case((CLAIM.c.state.in_(ELIGIBLE_STATES), 1), else_=0)),
               func.sum(case((CLAIM.c.state == "paid", 1), else_=0)))
        .where(*scope)
        .group_by(CLAIM.c.region, CLAIM.c.organizer, year)
    )
    with engine.connect() as conn:
        counts = {(r[0], r[1], int(r[2])): (int(r[3] or 0), int(r[4] or 0)) for r in conn.execute(stmt).all()}
        money = {(region, organizer, int(y)): t.net for (region, organizer, y), t in money_totals(
            conn, CLAIM.c.region, CLAIM.c.organizer, year.label("year"), where=scope).items()}
    return [Group(region, organizer, y, *counts.get((region, organizer, y), (0, 0)),
                  money.get((region, organizer, y), Decimal("0.00")))
            for region, organizer, y in sorted(set(counts) | set(money), key=str)]


ANNUAL_LAYOUTS = frozenset({"department"})


def _organizers(name: str | None) -> list[str | None]:
    """The ways a claim may spell its department: as given, and with or without 市."""
    if not name:
        return [None]
    name = name.strip()
    return [name, name.removeprefix("市") if name.startswith("市") else "市" + name]


def matches(table: TargetTableLike, row: TargetRowLike, group: Group) -> bool:
    if row.year is not None and row.year != group.year:
        return False
    if not row.region_codes and row.organizer is None:
        return True
    return any(row.matches(region=group.region, organizer=name, by_city=table.layout == "city")
               for name in _organizers(group.organizer))


def counted_years(table: TargetTableLike, year: int) -> tuple[int, int]:
    last = min(year, table.span[1])
    return (last if table.layout in ANNUAL_LAYOUTS else table.span[0]), last


def table_progress(table: TargetTableLike, groups: Sequence[Group], year: int) -> TableProgress:
    first, last = counted_years(table, year)
    rows = [Progress(r.label_zh, r.target, source=r.source, note=r.note or "")
            for r in table.rows]
    unmatched = Progress(UNMATCHED_ZH, None)
    total = Progress("总计", table.total, source=table.source)
    for group in groups:
        if not first <= group.year <= last:
            continue
        total.add(group)
        for spec, progress in zip(table.rows, rows, strict=True):
            if matches(table, spec, group):
                progress.add(group)
                break
        else:
            unmatched.add(group)
    return TableProgress(table, first, last, rows, unmatched, total)


def policy_progress(engine: Engine, policy: str, year: int) -> list[TableProgress]:
    tables = tables_for_year(policy, year)
    first = min(t.span[0] for t in tables)
    last = max(t.span[1] for t in tables)
    groups = claim_groups(engine, policy, first, last)
    return [table_progress(t, groups, year) for t in tables]
