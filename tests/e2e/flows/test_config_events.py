"""A night on a real Prefect server that loads other overrides than the last night's tells the
event feed: claims.overrides.changed, with the file's owner as actor and the changed entries."""

from __future__ import annotations

import time
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from prefect.client.orchestration import get_client

from flows.nightly import nightly
from models.db import make_engine
from models.schema import upgrade
from services.nightly.report import database_label

from .test_nightly_flow import FakeSteps, _file_claim

pytestmark = pytest.mark.prefect


def _events(name: str, db_url: str, at_least: int) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    deadline = time.monotonic() + 20
    while len(found) < at_least and time.monotonic() < deadline:
        time.sleep(0.5)
        with get_client(sync_client=True) as client:
            response = client.request("POST", "/events/filter", json={  # type: ignore[arg-type]
                "filter": {"event": {"name": [name]},
                           "any_resource": {"id": [f"claims.database.{database_label(db_url)}"]}},
                "limit": 10})
        found = response.json()["events"]
    return found


def test_an_edited_override_file_shows_in_the_event_feed(prefect_api: str, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    db_url = f"sqlite:///{tmp_path / 'claims.db'}"
    engine = make_engine(db_url)
    upgrade(engine)
    overrides = tmp_path / "overrides.yaml"
    overrides.write_text("policies:\n  nanxun-2019:\n    in_force: false\n", encoding="utf-8")
    monkeypatch.setenv("CLAIMS_LOCAL_OVERRIDES", str(overrides))
    monkeypatch.setenv("CLAIMS_NIGHTLY_RETRY_DELAYS", "0")
    FakeSteps(engine, _file_claim(engine)).install(monkeypatch)
    try:
        assert nightly(as_of=date(2020, 6, 4), database_url=db_url, return_state=True).is_completed()
        overrides.write_text("policies:\n  nanxun-2019:\n    in_force: true\n", encoding="utf-8")
        assert nightly(as_of=date(2020, 6, 5), database_url=db_url, return_state=True).is_completed()
        events = _events("claims.overrides.changed", db_url, 2)
        edit = next(e for e in events if not e["payload"]["first_seen"])
        assert edit["payload"]["as_of"] == "2020-06-05"
        assert edit["payload"]["entries"] == ["policies.nanxun-2019.in_force"]
        assert edit["payload"]["changed"] == 1 and edit["payload"]["actor"]
        assert any(e["payload"]["first_seen"] for e in events)
    finally:
        engine.dispose()
