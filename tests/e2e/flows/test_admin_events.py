"""Admin actions in the Prefect event feed, through the installed CLI: an administrator's lease
release shows with actor and counts on a real server; with a server that never answers the
admin commands still succeed, at the cost of at most the announce timeout each."""

from __future__ import annotations

import socket
import time
from typing import Any

import pytest
from sqlalchemy import Engine

from services.nightly import lease
from services.nightly.report import database_label
from tests.conftest import run_claims

pytestmark = pytest.mark.prefect


def _events(name: str, db_url: str) -> list[dict[str, Any]]:
    from prefect.client.orchestration import get_client

    found: list[dict[str, Any]] = []
    deadline = time.monotonic() + 15  # the server stores events a moment after taking them
    while not found and time.monotonic() < deadline:
        time.sleep(0.5)
        with get_client(sync_client=True) as client:
            response = client.request("POST", "/events/filter", json={  # type: ignore[arg-type]
                "filter": {"event": {"name": [name]},
                           "any_resource": {"id": [f"claims.database.{database_label(db_url)}"]}},
                "limit": 10})
        found = response.json()["events"]
    return found


def test_a_lease_release_shows_who_released_whose_lease(engine: Engine, db_url: str, prefect_api: str) -> None:
    lease.acquire(engine, "nightly-2020-06-04 on ops-1")
    done = run_claims("lease", "release", "--actor", "系统管理员", db=db_url)
    assert done.returncode == 0, done.stderr
    [event] = _events("claims.lease.released", db_url)
    assert event["payload"]["actor"] == "系统管理员"
    assert event["payload"]["holder"] == "nightly-2020-06-04 on ops-1"
    assert event["payload"]["released"] == 1


def test_admin_commands_succeed_when_the_server_never_answers(engine: Engine, db_url: str) -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)  # takes connections, never answers
    env = {"PREFECT_API_URL": f"http://127.0.0.1:{listener.getsockname()[1]}/api"}
    try:
        lease.acquire(engine, "nightly-2020-06-04 on ops-1")
        for args in (("lease", "release", "--actor", "系统管理员"),
                     ("retry", "--all", "--on", "2020-06-02", "--actor", "系统管理员")):
            started = time.monotonic()
            done = run_claims(*args, db=db_url, env=env, timeout=60)
            took = time.monotonic() - started
            assert done.returncode == 0, (args, done.stderr)
            assert "did not take event" in done.stderr, done.stderr
            assert "Traceback" not in done.stderr
            assert took < 30, (args, took)  # the post gives up after ANNOUNCE_TIMEOUT_SECONDS (2 s)
    finally:
        listener.close()
