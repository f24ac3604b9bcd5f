"""Valid identifiers for rules tests (GB 11643 / GB 32100 check characters), from intake's generators."""

from __future__ import annotations

from datetime import date

from intake.identity import make_credit_code, make_person_id


def person_id(region: str, seq: int = 1) -> str:
    return make_person_id(region, date(1990, 3, 7), seq % 1000)


def org_id(seed: int, region: str) -> str:
    return make_credit_code(seed, region)
