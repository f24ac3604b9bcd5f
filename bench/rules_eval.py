"""Rules-engine throughput: `python -m bench.rules_eval [--claims N]` prints claims/s on one core.

Synthetic claims across the five policies and their kinds, each person with a short history,
evaluated with the demo overrides (so open numbers resolve). A figure, not a test.
"""

from __future__ import annotations

import argparse
import json
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from intake.identity import make_credit_code, make_person_id
from rules.decision import Grant
from rules.engine import evaluate
from rules.overrides import parse_overrides
from rules.packs import load_packs
from rules.record import ClaimRecord

SHAPES: list[tuple[str, str, str, dict[str, object]]] = [
    ("huludao-2019", "211402", "skill_upgrade",
     {"groups": ("enterprise_employee", "unemployment_insured"), "level": "L4"}),
    ("huludao-2019", "211402", "project_training",
     {"payee_type": "institution", "catalog_standard": Decimal("1200.50"), "advance_requested": True}),
    ("heilongjiang-2019", "230102", "enterprise_training",
     {"groups": ("enterprise_employee",), "level": "L3", "urgent": True, "payee_type": "enterprise"}),
    ("heilongjiang-2019", "230102", "work_based_training",
     {"groups": ("poor_labor",), "months": 6, "payee_type": "enterprise"}),
    ("nanxun-2019", "330503", "skill_upgrade", {"groups": ("unemployment_insured",), "level": "L2"}),
    ("nanxun-2019", "330503", "apprenticeship",
     {"apprentice_type": "employee", "apprentice_year": 2, "payee_type": "enterprise"}),
    ("zhumadian-2019", "411702", "work_based_training",
     {"groups": ("hard_to_employ",), "months": 5, "payee_type": "enterprise"}),
    ("ordos-2019", "150602", "enterprise_training",
     {"groups": ("enterprise_employee",), "level": "L5", "payee_type": "enterprise",
      "advance_requested": True}),
]


def synthetic(n: int) -> list[tuple[ClaimRecord, tuple[Grant, ...]]]:
    out = []
    for i in range(n):
        policy, region, kind, extra = SHAPES[i % len(SHAPES)]
        pid = make_person_id(region, date(1980, 1, 1) + timedelta(days=i % 9000), i % 1000)
        fields: dict[str, object] = {"payee_type": "individual", "occupation": f"工种{i % 37}",
                                     "certificate_date": date(2020, 1, 1) + timedelta(days=i % 300)}
        fields.update(extra)
        payee = pid if fields["payee_type"] == "individual" else make_credit_code(i % 500, region)
        claim = ClaimRecord(f"B{i}", policy, kind, pid, "测试", region, date(2020, 11, 1),
                            payee_id=payee, **fields)  # type: ignore[arg-type]
        history = tuple(
            Grant(f"H{i}-{j}", policy, kind, Decimal("1000"), subsidy_year=2020,
                  occupation=f"工种{(i + j + 1) % 37}", level="L5", months=1)
            for j in range(i % 3)
        )
        out.append((claim, history))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--claims", type=int, default=200_000)
    args = parser.parse_args()
    packs = load_packs()
    overrides = parse_overrides(Path(__file__).parent.parent / "rules" / "demo-overrides.yaml")
    work = synthetic(args.claims)
    eligible = 0
    start, cpu_start = time.perf_counter(), time.process_time()
    for claim, history in work:
        eligible += evaluate(claim, history, packs[claim.policy], overrides).eligible
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu_start
    # CPU time is the one-core figure; wall time also counts other processes on a busy machine.
    print(json.dumps({"claims": args.claims, "seconds": round(seconds, 3), "cpu_seconds": round(cpu, 3),
                      "eligible": eligible, "claims_per_s": round(args.claims / cpu),
                      "claims_per_wall_s": round(args.claims / seconds)}))


if __name__ == "__main__":
    main()
