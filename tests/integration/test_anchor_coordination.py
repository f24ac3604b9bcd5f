"""With workers on several hosts, only the coordinating run appends anchors, and appends to the
outside log are file-locked: two processes appending at once never interleave a line."""

from __future__ import annotations

import json
import multiprocessing
from datetime import date
from pathlib import Path
from threading import Barrier, Thread

import pytest
from sqlalchemy import Engine, func, select

from models.tables import ANCHOR
from services.access.actors import SYSTEM
from services.nightly.leasing import anchor_once
from services.nightly.moves import plan_move, write_moves
from services.oversight import outside_log
from tests.factories import claim_row, insert_claims

ON = date(2020, 6, 1)


@pytest.fixture
def outside(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "vault").mkdir()
    key, log = tmp_path / "vault" / "key", tmp_path / "vault" / "audit.log"
    outside_log.make_key(key)
    monkeypatch.setenv(outside_log.KEY_ENV, str(key))
    monkeypatch.setenv(outside_log.LOG_ENV, str(log))
    return log


def test_of_four_workers_of_one_night_only_one_anchors(engine: Engine, outside: Path) -> None:
    from models.tables import CLAIM

    with engine.begin() as conn:
        insert_claims(conn, *(claim_row(f"W{i}") for i in range(4)))
    with engine.begin() as conn:
        rows = conn.execute(select(CLAIM)).all()
        write_moves(conn, [plan_move(r, "pass_inspection") for r in rows], actor=SYSTEM, on=ON, run_id="night")
    barrier = Barrier(4)
    won: list[bool] = []

    def worker(n: int) -> None:
        barrier.wait()
        won.append(anchor_once(engine, ON, run_key="night-2020-06-01", worker=f"host{n}:1"))

    threads = [Thread(target=worker, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(won) == [False, False, False, True]
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(ANCHOR)).scalar_one() == 1
    assert len(outside.read_text(encoding="utf-8").splitlines()) == 1
    # a worker that comes late (a retry of the same run) does not anchor again
    assert anchor_once(engine, ON, run_key="night-2020-06-01", worker="host9:1") is False
    assert len(outside.read_text(encoding="utf-8").splitlines()) == 1


def _append_many(start: int) -> None:
    for n in range(start, start + 200):
        outside_log.append({"id": n, "on": "2020-06-01", "run_id": "x" * 2000, "first_event_id": 0,
                            "last_event_id": n, "heads": 1, "digest": f"{n:064d}", "prev_digest": ""})


def test_appends_from_two_processes_at_once_never_interleave(outside: Path) -> None:
    context = multiprocessing.get_context("fork")
    processes = [context.Process(target=_append_many, args=(start,)) for start in (1, 1001)]
    for process in processes:
        process.start()
    for process in processes:
        process.join(60)
        assert process.exitcode == 0
    lines = outside.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 400
    assert all(json.loads(line)["anchor"]["run_id"] == "x" * 2000 for line in lines)
    check = outside_log.read()
    assert check.problems == [] and check.anchors is not None and len(check.anchors) == 400
