"""Each night compares the overrides and settings it loads with the last night's: the first
version is the baseline, an unchanged one records nothing, an edit records the new version and
names the entries that changed (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from models.oversight import CONFIG_SEEN
from services.oversight.config_watch import changed_entries, note_changes

OVERRIDES = """policies:
  huludao-2019:
    parameters:
      safety_training.amount: 1000   # the bureau's figure
"""


def test_baseline_then_nothing_then_the_edit(engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "overrides.yaml"
    path.write_text(OVERRIDES, encoding="utf-8")
    monkeypatch.setenv("CLAIMS_LOCAL_OVERRIDES", str(path))
    monkeypatch.delenv("CLAIMS_SETTINGS", raising=False)
    monkeypatch.setenv("CLAIMS_PAYMENT_APPROVAL_REQUIRED", "false")

    first = note_changes(engine, date(2020, 6, 4))
    assert {c.kind for c in first} == {"overrides", "settings"}
    assert all(c.previous is None for c in first)
    assert note_changes(engine, date(2020, 6, 5)) == []

    path.write_text(OVERRIDES.replace("1000", "1200") + "  nanxun-2019:\n    in_force: true\n", encoding="utf-8")
    monkeypatch.setenv("CLAIMS_PAYMENT_APPROVAL_REQUIRED", "true")
    [overrides, settings] = sorted(note_changes(engine, date(2020, 6, 6)), key=lambda c: c.kind)
    assert overrides.previous == first[0].sha256 or overrides.previous == first[1].sha256
    assert overrides.changed == ["policies.huludao-2019.parameters.safety_training.amount",
                                 "policies.nanxun-2019.in_force"]
    assert settings.changed == ["payment_approval_required"]
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(CONFIG_SEEN)).scalar_one() == 4
        days = conn.execute(select(CONFIG_SEEN.c.business_date).order_by(CONFIG_SEEN.c.id)).scalars().all()
    assert days == [date(2020, 6, 4)] * 2 + [date(2020, 6, 6)] * 2


def test_a_comment_only_edit_is_a_new_version_with_no_entry_changed() -> None:
    assert changed_entries(OVERRIDES, OVERRIDES.replace("# the bureau's figure", "")) == []
