"""`claims rules evaluate | show | explain` run as a user runs them (the installed command)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from tests.conftest import run_claims
from tests.unit.rules.ids import org_id, person_id

WORKER = person_id("211402", 7)
BASE = {
    "policy": "huludao-2019", "kind": "skill_upgrade", "person_id": WORKER, "person_name": "张三",
    "region": "211402", "filed_on": "2020-06-01", "payee_type": "individual", "payee_id": WORKER,
    "groups": "enterprise_employee", "insured_months": "12", "occupation": "电工", "level": "L4",
    "certificate_date": "2020-05-10",
}


def _jsonl(tmp_path: Path, rows: list[dict[str, str]]) -> Path:
    path = tmp_path / "claims.jsonl"
    path.write_text("".join(json.dumps(BASE | r, ensure_ascii=False) + "\n" for r in rows), "utf-8")
    return path


def _lines(stdout: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in stdout.splitlines() if line.strip()]


def test_evaluate_prints_one_object_per_record_in_order(tmp_path: Path, sqlite_url: str) -> None:
    path = _jsonl(tmp_path, [
        {"claim_id": "G001"},
        {"claim_id": "G002", "level": "L5", "occupation": "焊工"},
        {"claim_id": "G003", "level": "L3", "occupation": "车工"},
        {"claim_id": "G011", "level": "L2", "occupation": "钳工"},
        {"claim_id": "G012", "level": "L4"},
    ])
    result = run_claims("rules", "evaluate", str(path), db=sqlite_url)
    assert result.returncode == 0, result.stderr
    out = _lines(result.stdout)
    assert [o["claim_id"] for o in out] == ["G001", "G002", "G003", "G011", "G012"]
    assert out[0] == {
        "claim_id": "G001", "eligible": True, "amount": "2000.00", "payee_type": "individual",
        "advance_amount": None, "reasons": [],
        "citations": ["000_024512f998c4ead0.txt 二(一)5", "000_024512f998c4ead0.txt 五(十四)"],
        "draft": False,
    }
    assert out[3]["eligible"] is False and out[3]["amount"] == "0.00"
    assert out[3]["reasons"] == ["annual_limit"]
    assert "000_024512f998c4ead0.txt 四(十)" in out[3]["citations"]  # type: ignore[operator]


def test_earlier_lines_count_only_when_eligible(tmp_path: Path, sqlite_url: str) -> None:
    path = _jsonl(tmp_path, [
        {"claim_id": "A1", "certificate_date": "2019-07-30"},
        {"claim_id": "A2"},
        {"claim_id": "A3", "certificate_no": "X1", "occupation": "焊工"},
    ])
    out = _lines(run_claims("rules", "evaluate", str(path), db=sqlite_url).stdout)
    assert out[0]["reasons"] == ["outside_policy_period"]
    assert out[1]["eligible"] is True
    assert out[2]["eligible"] is True


def test_invalid_records_give_errors_and_a_nonzero_exit(tmp_path: Path, sqlite_url: str) -> None:
    path = _jsonl(tmp_path, [
        {"claim_id": "G001"},
        {"claim_id": "G900", "person_id": WORKER[:-1] + ("0" if WORKER[-1] != "0" else "1")},
        {"claim_id": "G901", "enterprise_funded": "true"},
        {"claim_id": "G002", "level": "L5"},
    ])
    result = run_claims("rules", "evaluate", str(path), db=sqlite_url)
    assert result.returncode != 0
    out = _lines(result.stdout)
    assert [o["claim_id"] for o in out] == ["G001", "G900", "G901", "G002"]
    assert "person_id" in str(out[1]["error"]) and "check digit" in str(out[1]["error"])
    assert "enterprise" in str(out[2]["error"]) and "individual" in str(out[2]["error"])
    assert out[3]["eligible"] is True
    assert (out[1]["error_code"], out[2]["error_code"]) == ("invalid_record", "invalid_record")
    chinese = run_claims("--lang", "zh", "rules", "evaluate", str(path), db=sqlite_url)
    assert _lines(chinese.stdout) == out  # machine output: the same in either language


def test_missing_parameter_is_named_in_error(tmp_path: Path, sqlite_url: str) -> None:
    employer = org_id(3, "411702")
    path = _jsonl(tmp_path, [{
        "claim_id": "Z1", "policy": "zhumadian-2019", "kind": "enterprise_training", "region": "411702",
        "person_id": person_id("411702", 3), "payee_type": "enterprise", "payee_id": employer,
    }])
    result = run_claims("rules", "evaluate", str(path), db=sqlite_url)
    out = _lines(result.stdout)[0]
    assert out["eligible"] is False and out["reasons"] == ["missing_parameter"]
    assert out["draft"] is True
    assert "zhumadian-2019: enterprise_training.amount.L4" in str(out["error"])
    assert out["error_code"] == "missing_parameter"


def test_a_bound_and_a_local_override_show_in_the_output(tmp_path: Path, sqlite_url: str) -> None:
    employer = org_id(5, "211402")
    rows = [{"claim_id": "B1", "enterprise_funded": "true", "payee_type": "enterprise",
             "payee_id": employer, "advance_requested": "true"}]
    path = _jsonl(tmp_path, rows)
    out = _lines(run_claims("rules", "evaluate", str(path), db=sqlite_url).stdout)[0]
    assert out["advance_amount"] == "1000.00"
    assert any("advance.rate: took the maximum 0.5" in b for b in out["bounds"])  # type: ignore[union-attr]
    local = tmp_path / "local.yaml"
    local.write_text("policies:\n  huludao-2019:\n    parameters:\n      advance.rate: 0.25\n", "utf-8")
    out = _lines(run_claims("rules", "evaluate", str(path), db=sqlite_url,
                            env={"CLAIMS_LOCAL_OVERRIDES": str(local)}).stdout)[0]
    assert out["advance_amount"] == "500.00"
    assert out["local"] == ["advance.rate: local 0.25"]


def test_a_bad_override_file_stops_with_its_key(tmp_path: Path, sqlite_url: str) -> None:
    local = tmp_path / "local.yaml"
    local.write_text("policies:\n  huludao-2019:\n    parameters:\n      advance.rate: 0.9\n", "utf-8")
    path = _jsonl(tmp_path, [{"claim_id": "G001"}])
    result = run_claims("rules", "evaluate", str(path), "--overrides", str(local), db=sqlite_url)
    assert result.returncode == 2
    assert "advance.rate" in result.stderr and "maximum" in result.stderr


def test_csv_files_evaluate_the_same(tmp_path: Path, sqlite_url: str) -> None:
    path = tmp_path / "claims.csv"
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=["claim_id", *BASE])
        writer.writeheader()
        writer.writerow({"claim_id": "C1", **BASE, "level": "L1"})
    out = _lines(run_claims("rules", "evaluate", str(path), db=sqlite_url).stdout)
    assert out[0]["amount"] == "5000.00"


def test_unreadable_file(tmp_path: Path, sqlite_url: str) -> None:
    result = run_claims("rules", "evaluate", str(tmp_path / "nope.csv"), db=sqlite_url)
    assert result.returncode == 2 and "nope.csv" in result.stderr


def test_show_prints_the_pack(sqlite_url: str) -> None:
    result = run_claims("rules", "show", "zhumadian-2019", db=sqlite_url, env={"COLUMNS": "250"})
    assert result.returncode == 0, result.stderr
    text = result.stdout
    for words in ("驻马店市职业技能提升行动方案", "DRAFT", "not stated in the source", "200",
                  "003_af086d0a8329b243.txt 二(三)1", "work_based_training.monthly_amount",
                  "250000", "150000", "不得重复享受"):
        assert words in text, words
    assert run_claims("rules", "show", "nowhere-2019", db=sqlite_url).returncode == 2


def test_explain_walks_through_the_amount(tmp_path: Path, sqlite_url: str) -> None:
    path = _jsonl(tmp_path, [{
        "claim_id": "W1", "policy": "heilongjiang-2019", "kind": "work_based_training",
        "region": "230102", "person_id": person_id("230102", 9), "groups": "poor_labor",
        "payee_type": "enterprise", "payee_id": org_id(9, "230102"), "months": "4",
        "level": "", "certificate_date": "", "training_end": "2020-04-30",
    }])
    result = run_claims("rules", "explain", str(path), "--claim", "W1", db=sqlite_url,
                        env={"COLUMNS": "200"})
    assert result.returncode == 0, result.stderr
    assert "work_based_training.monthly_amount = 500" in result.stdout
    assert "500 × 4 months = 2000.00" in result.stdout
    assert "001_ee879c1017401fad.txt 附件1 第19项" in result.stdout
    missing = run_claims("rules", "explain", str(path), "--claim", "W9", db=sqlite_url)
    assert missing.returncode == 1 and "W9" in missing.stderr


def test_months_beyond_the_cap_are_paid_to_the_cap_and_explain_names_the_grants(
    tmp_path: Path, sqlite_url: str
) -> None:
    """附件1 第19项 最长不超过6个月: 4 months, then 4 more (2 paid, capped), then 1 (nothing left)."""
    work = {"policy": "heilongjiang-2019", "kind": "work_based_training", "region": "230102",
            "person_id": person_id("230102", 9), "groups": "poor_labor", "payee_type": "enterprise",
            "payee_id": org_id(9, "230102"), "level": "", "certificate_date": ""}
    path = _jsonl(tmp_path, [work | {"claim_id": "W1", "months": "4", "training_end": "2020-04-30"},
                             work | {"claim_id": "W2", "months": "4", "training_end": "2020-08-31"},
                             work | {"claim_id": "W3", "months": "1", "training_end": "2020-09-30"}])
    out = _lines(run_claims("rules", "evaluate", str(path), db=sqlite_url).stdout)
    assert [(o["eligible"], o["amount"]) for o in out] == [(True, "2000.00"), (True, "1000.00"), (False, "0.00")]
    assert out[1]["notes"] == ["capped"] and out[1]["counted_grants"] == ["W1"]
    assert "claimed 4 months, paid 2" in out[1]["capped"][0]  # type: ignore[index]
    assert out[2]["reasons"] == ["term_limit"] and out[2]["counted_grants"] == ["W1", "W2"]
    result = run_claims("rules", "explain", str(path), "--claim", "W2", db=sqlite_url,
                        env={"COLUMNS": "200"})
    assert result.returncode == 0, result.stderr
    assert "500 × 2 months (capped from 4) = 1000.00" in result.stdout
    assert "earlier grants counted toward a cap or limit: W1" in result.stdout


def test_help_has_examples(sqlite_url: str) -> None:
    for command in ("evaluate", "show", "explain"):
        result = run_claims("rules", command, "--help", db=sqlite_url)
        assert result.returncode == 0 and "Example" in result.stdout


def test_a_student_apprentice_is_paid_the_actual_allowance_up_to_3000(tmp_path: Path, sqlite_url: str) -> None:
    """Nanxun 四(一)2 学生学徒补贴金额一般按学徒月实习津贴标准确定，每人每年不高于3000元: 2999.99 paid as
    claimed, 3000.01 paid 3000 (capped), none given is a missing fact (reason missing_facts)."""
    local = tmp_path / "local.yaml"  # the draft's start (自印发之日起) as the deployment confirms it
    local.write_text("policies:\n  nanxun-2019:\n    in_force_from: 2019-01-01\n", "utf-8")
    student = {"policy": "nanxun-2019", "kind": "apprenticeship", "region": "330503",
               "groups": "", "insured_months": "", "apprentice_type": "student", "apprentice_year": "1",
               "payee_type": "enterprise", "payee_id": org_id(3, "330503"), "certificate_date": "2020-07-01"}
    path = _jsonl(tmp_path, [
        student | {"claim_id": "S1", "person_id": person_id("330503", 1), "apprentice_allowance_actual": "2999.99"},
        student | {"claim_id": "S2", "person_id": person_id("330503", 2), "apprentice_allowance_actual": "3000.01"},
        student | {"claim_id": "S3", "person_id": person_id("330503", 3)},
    ])
    result = run_claims("rules", "evaluate", str(path), "--overrides", str(local), db=sqlite_url)
    assert result.returncode == 1, result.stderr  # S3 lacks a fact
    out = _lines(result.stdout)
    assert [(o["eligible"], o["amount"]) for o in out] == [(True, "2999.99"), (True, "3000.00"), (False, "0.00")]
    assert "notes" not in out[0]  # the ceiling capped nothing and is not paid as a bound taken
    assert not any("apprenticeship.student.amount" in b for b in out[0]["bounds"])  # type: ignore[union-attr]
    assert out[1]["notes"] == ["capped"]
    assert "claimed 3000.01 yuan, paid 3000.00" in out[1]["capped"][0]  # type: ignore[index]
    assert out[2]["reasons"] == ["missing_facts"] and out[2]["missing_facts"] == ["apprentice_allowance_actual"]
    assert "002_726346298f4f3b50.txt 四(一)2" in str(out[2]["error"])
    shown = run_claims("rules", "explain", str(path), "--claim", "S2", "--overrides", str(local),
                       db=sqlite_url, env={"COLUMNS": "250"})
    assert shown.returncode == 0, shown.stderr
    assert "apprentice_allowance_actual = 3000.01" in shown.stdout and "claimed" in shown.stdout
    assert "the lesser of the claimed apprentice_allowance_actual 3000.01 and the ceiling 3000" in shown.stdout
