"""No full identity number or bank account in notices, logs, Prefect artifact texts, `claims show
--json` or the nightly's output; exports neutralise spreadsheet formulas."""

from __future__ import annotations

import csv
import json
import logging
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import Engine, select

from services.nightly.report import postings_markdown, set_aside_rows, summary_rows
from services.nightly.runner import run_night
from tests.conftest import run_claims
from tests.e2e.reliability import scenario
from tests.e2e.reliability.scenario import CLAIM, D0, D1


def _secrets(engine: Engine) -> set[str]:
    with engine.connect() as conn:
        rows = conn.execute(select(CLAIM.c.person_id, CLAIM.c.bank_account)).all()
    return {r.person_id for r in rows} | {r.bank_account for r in rows if r.bank_account}


def _leaks(text: str, secrets: set[str]) -> list[str]:
    return sorted(s for s in secrets if s in text)


@pytest.mark.slow
def test_nothing_shows_a_full_identity_number_or_account(db_url: str, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch,
                                                         caplog: pytest.LogCaptureFixture) -> None:
    env = scenario.night_env(tmp_path / "payments")
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    engine = scenario.build(db_url, tmp_path / "files", claims=60)
    secrets = _secrets(engine)
    assert any(len(s) == 18 for s in secrets) and any(len(s) > 12 and len(s) != 18 for s in secrets), \
        "the data must hold identity numbers and bank accounts to look for"
    texts: dict[str, str] = {}
    with caplog.at_level(logging.DEBUG):
        results = run_night(engine, D0, run_id="privacy")
    texts["logs"] = caplog.text
    texts["artifact: summary"] = json.dumps(summary_rows(results), ensure_ascii=False)
    texts["artifact: set aside"] = json.dumps(set_aside_rows(results), ensure_ascii=False)
    texts["artifact: postings"] = postings_markdown(engine, D0)
    night = run_claims("nightly", "--as-of", D1.isoformat(), "--no-prefect", db=db_url, env=env)
    assert night.returncode == 0, night.stderr
    texts["claims nightly"] = night.stdout + night.stderr
    with engine.connect() as conn:
        some = list(conn.execute(select(CLAIM.c.claim_id).order_by(CLAIM.c.id).limit(8)).scalars())
    for claim_id in some:
        shown = run_claims("show", claim_id, "--json", db=db_url)
        assert shown.returncode == 0, shown.stderr
        texts[f"claims show {claim_id}"] = shown.stdout
    for suffix in (".csv", ".xlsx"):
        notice = tmp_path / f"notice{suffix}"
        done = run_claims("export", "posting", "--out", str(notice), db=db_url)
        assert done.returncode == 0, done.stderr
        texts[f"notice{suffix}"] = _file_text(notice)
    failed = run_claims("failed", "--json", db=db_url)
    texts["claims failed"] = failed.stdout + failed.stderr
    leaks = {where: _leaks(text, secrets) for where, text in texts.items()}
    assert not any(leaks.values()), {k: v[:3] for k, v in leaks.items() if v}
    assert "****" in texts["notice.csv"]  # the notice does show identities, masked


def _file_text(path: Path) -> str:
    if path.suffix == ".xlsx":
        book = load_workbook(path, read_only=True)
        return "\n".join(" ".join(str(c) for c in row if c is not None)
                         for sheet in book.worksheets for row in sheet.iter_rows(values_only=True))
    return path.read_text(encoding="utf-8-sig")


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_exports_neutralise_formulas_in_names(db_url: str, tmp_path: Path, suffix: str) -> None:
    from tests.unit.intake.claimrows import good_row

    assert run_claims("init", db=db_url).returncode == 0
    path = tmp_path / "claims.csv"
    rows = [{**good_row(0), "claim_id": "X1", "person_name": '=HYPERLINK("http://evil.example","点我")'},
            {**good_row(1), "claim_id": "X2", "payee_name": "+cmd|' /C calc'!A0"},
            {**good_row(2), "claim_id": "X3", "person_name": "@SUM(1+1)"}]
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=sorted({k for r in rows for k in r}))
        writer.writeheader()
        writer.writerows(rows)
    assert run_claims("import", str(path), db=db_url).returncode == 1  # formulas are refused at import
    out = tmp_path / f"rejected{suffix}"
    done = run_claims("export", "rejected", "--out", str(out), db=db_url)
    assert done.returncode == 0, done.stderr
    if suffix == ".csv":
        with out.open(encoding="utf-8-sig", newline="") as handle:
            cells = [c for row in csv.reader(handle) for c in row]
    else:
        book = load_workbook(out)
        cells = [str(c.value) for sheet in book.worksheets for row in sheet.iter_rows() for c in row
                 if c.value is not None]
        assert not any(c.data_type == "f" for sheet in book.worksheets for row in sheet.iter_rows() for c in row)
    formulas = [c for c in cells if "HYPERLINK" in c or "cmd|" in c or "@SUM" in c]
    assert formulas, "the rejected rows' raw content is listed"
    assert all(not c.startswith(("=", "+", "-", "@")) for c in formulas), formulas
