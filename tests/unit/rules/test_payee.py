"""Who the seed says is paid (`required_payee_type`), and silence where it says nothing."""

from __future__ import annotations

from datetime import date

import pytest

from rules.packs import load_pack
from rules.payee import payee_conflict, required_payee_type
from rules.record import ClaimRecord
from tests.unit.rules.ids import person_id

HL = "000_024512f998c4ead0.txt"
HJ = "001_ee879c1017401fad.txt 附件1"


def _claim(policy: str, kind: str, payee: str = "individual", **kw: object) -> ClaimRecord:
    pid = person_id("211402")
    return ClaimRecord("P1", policy, kind, pid, "测试", "211402", date(2020, 6, 1), payee, pid, **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("policy", "kind", "extra", "expected"),
    [
        ("huludao-2019", "skill_upgrade", {}, ("individual", f"{HL} 二(一)5")),
        ("huludao-2019", "skill_upgrade", {"enterprise_funded": True}, ("enterprise", f"{HL} 二(一)5")),
        ("huludao-2019", "project_training", {}, ("institution", f"{HL} 二(二)2")),
        ("heilongjiang-2019", "enterprise_training", {}, ("enterprise", f"{HJ} 第17项")),
        ("heilongjiang-2019", "pre_job_training", {}, ("enterprise", f"{HJ} 第18项")),
        ("heilongjiang-2019", "work_based_training", {}, ("enterprise", f"{HJ} 第19项")),
        ("heilongjiang-2019", "living_allowance", {}, ("individual", f"{HJ} 第20项")),
        ("heilongjiang-2019", "employment_service", {}, ("institution", f"{HJ} 第23项")),
        ("heilongjiang-2019", "project_training", {"groups": ("released_prisoner",)}, ("institution", f"{HJ} 第16项")),
        ("zhumadian-2019", "work_based_training", {}, ("enterprise", "003_af086d0a8329b243.txt 二(三)1")),
        ("heilongjiang-2019", "project_training", {"groups": ("college_graduate",)}, None),
        ("ordos-2019", "enterprise_training", {}, None),
        ("nanxun-2019", "apprenticeship", {}, None),
    ],
)
def test_required_payee(policy: str, kind: str, extra: dict[str, object], expected: object) -> None:
    assert required_payee_type(_claim(policy, kind, **extra), load_pack(policy)) == expected


def test_a_contradicting_payee_names_both() -> None:
    message = payee_conflict(_claim("heilongjiang-2019", "enterprise_training"), load_pack("heilongjiang-2019"))
    assert message is not None
    assert "'individual'" in message and "'enterprise'" in message and "第17项" in message
