"""The seeds' target tables (人次), exactly as each seed gives them, for the reports.

Rows map to claims by region (Huludao: the district's codes; Heilongjiang: the city, by the
first four digits of the claim's region) or by `organizer` (Ordos's departments).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from rules.packs import load_pack

Layout = Literal["district", "city", "department", "year", "span"]


@dataclass(frozen=True, slots=True)
class TargetRow:
    key: str
    label_zh: str
    target: int
    year: int | None
    region_codes: tuple[str, ...]
    organizer: str | None
    source: str
    note: str = ""

    def matches(
        self, *, region: str | None = None, organizer: str | None = None, by_city: bool = False
    ) -> bool:
        """Whether a claim with this region / organizer counts toward this row; `by_city`
        (a province's table kept by city) matches a district by its city's first 4 digits."""
        if self.organizer is not None:
            return organizer is not None and organizer.strip() == self.organizer
        if region is None:
            return False
        if by_city:
            return any(region[:4] == code[:4] for code in self.region_codes)
        return region in self.region_codes


@dataclass(frozen=True, slots=True)
class TargetTable:
    policy: str
    key: str
    title_zh: str
    layout: Layout
    span: tuple[int, int]
    rows: tuple[TargetRow, ...]
    total: int
    source: str

    def row_for(self, *, region: str | None = None, organizer: str | None = None) -> TargetRow | None:
        for row in self.rows:
            if row.matches(region=region, organizer=organizer, by_city=self.layout == "city"):
                return row
        return None


def target_tables(policy: str) -> list[TargetTable]:
    pack = load_pack(policy)
    return [
        TargetTable(
            policy=policy,
            key=t.key,
            title_zh=t.title_zh,
            layout=t.layout,
            span=(t.span[0], t.span[1]),
            rows=tuple(
                TargetRow(r.key, r.label_zh, r.target, r.year, tuple(r.region_codes), r.organizer,
                          r.source, r.note)
                for r in t.rows
            ),
            total=t.total,
            source=t.source,
        )
        for t in pack.spec.targets
    ]
