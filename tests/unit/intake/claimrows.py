"""Claim rows as an applicant's file holds them: valid ones of every kind, and the bad
variants the import must name."""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable
from datetime import date, timedelta
from pathlib import Path

from intake.identity import make_credit_code, make_person_id
from rules.record import RECORD_FIELDS

Row = dict[str, str]

REGIONS = {"huludao-2019": "211402", "heilongjiang-2019": "230103", "nanxun-2019": "330503",
           "zhumadian-2019": "411702", "ordos-2019": "150602"}


def person(i: int, region: str = "211402") -> str:
    return make_person_id(region, date(1970, 1, 1) + timedelta(days=i % 9000), i % 1000)


def good_row(i: int) -> Row:
    """A valid claim; the kind cycles through all nine, the policy through all five."""
    policy = list(REGIONS)[i % 5]
    region = REGIONS[policy]
    pid = person(i, region)
    org = make_credit_code(i, region)
    base: Row = {"claim_id": f"C{i:06d}", "policy": policy, "person_id": pid,
                 "person_name": "王小明", "region": region, "filed_on": "2020-05-10",
                 "groups": "enterprise_employee"}
    certificate = {"occupation": "电工", "level": "L4", "certificate_date": "2020-04-20",
                   "certificate_no": f"Z{i:08d}"}
    kinds: list[Row] = [
        {"kind": "skill_upgrade", "payee_type": "individual", "payee_id": pid,
         "groups": "unemployment_insured", **certificate},
        {"kind": "enterprise_training", "payee_type": "enterprise", "payee_id": org,
         **certificate},
        {"kind": "pre_job_training", "payee_type": "enterprise", "payee_id": org, **certificate},
        {"kind": "job_transfer_training", "payee_type": "enterprise", "payee_id": org,
         **certificate},
        {"kind": "apprenticeship", "payee_type": "enterprise", "payee_id": org,
         "apprentice_type": "employee", "apprentice_year": "1", **certificate},
        {"kind": "work_based_training", "payee_type": "enterprise", "payee_id": org,
         "months": "3"},
        {"kind": "living_allowance", "payee_type": "individual", "payee_id": pid, "days": "20",
         "groups": "poor_labor"},
        {"kind": "employment_service", "payee_type": "institution", "payee_id": org,
         "employed_on": "2020-05-01", "groups": "poor_labor"},
        {"kind": "project_training", "payee_type": "institution", "payee_id": org,
         "catalog_standard": "1500.00", "groups": "rural_transfer", **certificate},
    ]
    return {**base, **kinds[i % len(kinds)]}


def _set(**values: str) -> Callable[[Row], tuple[Row, str]]:
    field = next(iter(values))
    return lambda row: ({**row, **values}, field)


def _drop(field: str) -> Callable[[Row], tuple[Row, str]]:
    return lambda row: ({k: v for k, v in row.items() if k != field}, field)


def _bad_check_digit(row: Row) -> tuple[Row, str]:
    pid = row["person_id"]
    wrong = "0" if pid[-1] != "0" else "1"
    return {**row, "person_id": pid[:-1] + wrong, "payee_id": row["payee_id"]}, "person_id"


BAD: list[Callable[[Row], tuple[Row, str]]] = [
    _bad_check_digit,
    _set(person_id="211402199002301234"),
    _set(filed_on="2020-02-30"),
    _set(filed_on="10/05/2020"),
    _set(kind="skill_upgrade_x"),
    _set(policy="beijing-2019"),
    _set(region="110101"),
    _set(person_name="=HYPERLINK(\"http://x\")"),
    _set(urgent="maybe"),
    _set(groups="poor_labor;aliens"),
    _drop("person_name"),
    _drop("filed_on"),
]


def bad_row(i: int) -> tuple[Row, str]:
    """An invalid claim and the field the import must name."""
    return BAD[i % len(BAD)](good_row(i))


def write_csv(path: Path, rows: Iterable[Row], encoding: str = "utf-8") -> Path:
    with path.open("w", encoding=encoding, newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(RECORD_FIELDS))
        writer.writeheader()
        for row in rows:
            writer.writerow(row)
    return path


def office_row(i: int) -> Row:
    """`good_row(i)` as a district office writes it (CONTRACT §1a): Chinese column names,
    Chinese labels for the codes, Excel's date forms, 是/否 and a full-width region code."""
    from intake.headers import CLAIM_HEADERS
    from intake.jurisdictions import JURISDICTIONS
    from rules.record import GROUPS, KINDS, LEVELS, PAYEE_TYPES

    row = good_row(i)
    labels = {"policy": {p: JURISDICTIONS[p].name for p in REGIONS}, "kind": KINDS,
              "level": LEVELS, "payee_type": PAYEE_TYPES, "groups": GROUPS}
    out: Row = {}
    for field, value in row.items():
        if field in labels:
            value = labels[field][value]
        elif field in ("filed_on", "certificate_date", "employed_on"):
            y, m, d = (int(part) for part in value.split("-"))
            value = (f"{y}/{m}/{d}", f"{y}年{m}月{d}日", f"{y}-{m}-{d}")[i % 3]
        elif field == "region":
            value = value.translate({ord(c): ord(c) + 0xFEE0 for c in "0123456789"})
        out[CLAIM_HEADERS[field]] = value
    out[CLAIM_HEADERS["urgent"]] = "否"
    return out
