"""The uninterrupted run every drill compares with."""

from __future__ import annotations

import pytest

from tests.e2e.reliability import scenario
from tests.e2e.reliability.scenario import NIGHTS, Snapshot


@pytest.fixture(scope="session")
def reference(tmp_path_factory: pytest.TempPathFactory) -> Snapshot:
    """Both nights run once, without interruption, on SQLite."""
    tmp = tmp_path_factory.mktemp("reference")
    with pytest.MonkeyPatch.context() as mp:
        for name, value in scenario.night_env(tmp / "payments").items():
            mp.setenv(name, value)
        engine = scenario.build(f"sqlite:///{tmp / 'reference.db'}", tmp / "files")
        for day in NIGHTS:
            scenario.night(engine, day, "reference")
        snap = scenario.snapshot(engine)
        engine.dispose()
    states = {value[0] for value in snap.claims.values()}
    assert states == {"paid", "rejected"}, states
    assert any(key[2] == "advance" for key in snap.payments) and any(key[2] == "final" for key in snap.payments)
    return snap
