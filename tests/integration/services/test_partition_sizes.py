"""Steps that write their usual moves in SQL hold no claims in Python, so they take partitions
`sql_partition_factor` times `chunk_size` (issue 22: fewer, larger transactions write each page of
the claim table fewer times); the steps that decide in Python keep `chunk_size`."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine

from services.nightly import apply_inspections, assess, close_postings, pay_advances, pay_due, post
from services.nightly.base import Run, person_partitions, writes_in_sql
from services.nightly.runner import run_step
from services.settings import Settings, SettingsError, load_settings
from tests.factories import claim_row, insert_claims

DAY = date(2020, 6, 1)
READY = dict(inspection_result="pass", inspected_on=DAY)


def _inspected_claims(engine: Engine, n: int) -> None:
    with engine.begin() as conn:
        insert_claims(conn, *(claim_row(f"P{i}", person_id=f"21140219900101{i:04d}", payee_id=f"21140219900101{i:04d}",
                                        person_key=i + 1, **READY) for i in range(n)))


def test_the_steps_that_write_in_sql_are_the_four_with_sql_moves() -> None:
    steps = (pay_advances, apply_inspections, assess, post, close_postings, pay_due)
    assert [m.STEP for m in steps if writes_in_sql(m)] == ["apply_inspections", "post", "close_postings", "pay_due"]
    assert all(writes_in_sql(m) == (hasattr(m, "sql_moves") or hasattr(m, "write_in_sql")) for m in steps)


def test_a_step_writing_in_sql_takes_factor_times_the_claims_of_a_step_deciding_in_python(engine: Engine) -> None:
    _inspected_claims(engine, 12)
    run = Run(DAY)
    tripled = Settings(sql_partition_factor=3)
    assert [p.claims for p in person_partitions(engine, apply_inspections, run, 2, tripled)] == [6, 6]
    assert [p.claims for p in person_partitions(engine, apply_inspections, run, 2, Settings(sql_partition_factor=1))] \
        == [2] * 6
    moved = run_step(engine, "apply_inspections", DAY, size=2)
    assert sum(moved.moved.values()) == 12 and moved.chunks == 1  # 2 x the default factor 10: one partition
    assert [p.claims for p in person_partitions(engine, assess, run, 2, tripled)] == [2] * 6


def test_the_factor_is_a_setting_and_refuses_zero(tmp_path: Path) -> None:
    assert load_settings({}).sql_partition_factor == 10
    assert load_settings({"CLAIMS_SQL_PARTITION_FACTOR": "1"}).sql_partition_factor == 1
    settings = tmp_path / "settings.yaml"
    settings.write_text("sql_partition_factor: 4\n", encoding="utf-8")
    assert load_settings({"CLAIMS_SETTINGS": str(settings)}).sql_partition_factor == 4
    with pytest.raises(SettingsError, match="sql_partition_factor: must be at least 1"):
        load_settings({"CLAIMS_SQL_PARTITION_FACTOR": "0"})
