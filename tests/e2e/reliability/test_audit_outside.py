"""The anchors outside the database (CLAIMS_AUDIT_LOG, HMAC under CLAIMS_AUDIT_KEY), through the
installed `claims`: init makes the key and refuses key or log beside a SQLite file; audit verify
fails naming a database behind the log, a log that disagrees, and tells a missing log apart."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import delete, func, select

from models.tables import ANCHOR
from tests.conftest import run_claims
from tests.e2e.reliability import scenario
from tests.e2e.reliability.scenario import D0, D1


def test_init_makes_the_key_and_refuses_it_beside_the_database(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'db' / 'claims.db'}"
    (tmp_path / "db").mkdir()
    beside = run_claims("init", db=db, env={"CLAIMS_AUDIT_KEY": str(tmp_path / "db" / "audit.key"),
                                            "CLAIMS_AUDIT_LOG": str(tmp_path / "vault" / "audit.log")})
    assert beside.returncode == 2 and "CLAIMS_AUDIT_KEY" in beside.stderr and "own directory" in beside.stderr
    assert not (tmp_path / "db" / "claims.db").exists() or not (tmp_path / "db" / "audit.key").exists()
    made = run_claims("init", db=db, env={"CLAIMS_AUDIT_KEY": str(tmp_path / "vault" / "audit.key"),
                                          "CLAIMS_AUDIT_LOG": str(tmp_path / "logs" / "audit.log")})
    assert made.returncode == 0, made.stderr
    key = tmp_path / "vault" / "audit.key"
    assert len(key.read_text().strip()) == 64 and key.stat().st_mode & 0o777 == 0o600
    # a state-changing command anchors what it wrote, in the database and in the outside log
    from tests.e2e.test_errors_cli import _claims_file

    env = {"CLAIMS_AUDIT_KEY": str(key), "CLAIMS_AUDIT_LOG": str(tmp_path / "logs" / "audit.log")}
    (tmp_path / "logs").mkdir(exist_ok=True)
    filed = run_claims("import", str(_claims_file(tmp_path / "c.csv")), "--on", "2020-05-06", db=db, env=env)
    assert filed.returncode == 0, filed.stdout + filed.stderr
    assert len((tmp_path / "logs" / "audit.log").read_text(encoding="utf-8").splitlines()) == 1
    assert run_claims("audit", "verify", db=db, env=env).returncode == 0


def test_verify_names_a_database_behind_the_log_a_disagreeing_log_and_a_missing_one(
        db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "vault").mkdir()
    log = tmp_path / "vault" / "audit.log"
    env = {**scenario.night_env(tmp_path / "payments"), "CLAIMS_AUDIT_KEY": str(tmp_path / "vault" / "key"),
           "CLAIMS_AUDIT_LOG": str(log)}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    engine = scenario.build(db_url, tmp_path / "files", claims=40)
    assert run_claims("init", db=db_url, env=env).returncode == 0  # makes the key
    for day in (D0, D1):
        done = run_claims("nightly", "--no-prefect", "--as-of", day.isoformat(), db=db_url, env=env)
        assert done.returncode == 0, done.stderr
    lines = log.read_text(encoding="utf-8").splitlines()
    with engine.connect() as conn:
        anchors = conn.execute(select(func.count()).select_from(ANCHOR)).scalar_one()
    assert len(lines) == anchors == 2
    ok = run_claims("audit", "verify", db=db_url, env=env)
    assert ok.returncode == 0, ok.stdout + ok.stderr

    # the database put back to before the last night (its anchor gone)
    with engine.begin() as conn:
        last = conn.execute(select(func.max(ANCHOR.c.id))).scalar_one()
        conn.execute(delete(ANCHOR).where(ANCHOR.c.id == last))
    behind = run_claims("audit", "verify", db=db_url, env=env)
    assert behind.returncode == 1
    assert f"the database is behind the outside audit log: anchor {last}" in " ".join(behind.stderr.split())

    # a log line edited: its HMAC fails
    entry = json.loads(lines[0])
    entry["anchor"]["digest"] = "0" * 64
    log.write_text("\n".join([json.dumps(entry), *lines[1:]]) + "\n", encoding="utf-8")
    edited = run_claims("audit", "verify", db=db_url, env=env)
    assert edited.returncode == 1 and "fails its HMAC" in " ".join(edited.stderr.split())

    # the log gone: told apart from a disagreeing one
    log.unlink()
    missing = run_claims("audit", "verify", db=db_url, env=env)
    assert missing.returncode == 1
    text = " ".join(missing.stderr.split())
    assert "is missing" in text and "not the same as a log that disagrees" in text and "HMAC" not in text
    engine.dispose()
