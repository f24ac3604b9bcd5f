"""The floor is an honest yardstick: from the same imported claims it writes the same event
reasons, so every claim's hash head equals the product's, the same payment batches (count,
total, hash, file name, line by line), the same releases by the same approver, and the same
payment batch files."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from bench import databases
from bench.floor import Floor
from bench.product import run_lifecycle
from bench.schedule import IMPORT_DAY
from bench.synthetic import generate
from bench.verify import batch_file_differences, differences
from services.access.actors import Actor

CLAIMS = 300


def _heads(engine: Engine) -> dict[int, str]:
    with engine.connect() as conn:
        return {r.id: r.event_head for r in conn.execute(text("SELECT id, event_head FROM claim"))}


def test_floor_and_product_agree_on_hash_heads_reasons_batches_releases_and_files(
        db_url: str, engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from services.importing.filing import import_file

    files = generate(CLAIMS, tmp_path / "input")
    assert import_file(engine, files.claims, actor=Actor("clerk", "clerk"), on=IMPORT_DAY).filed == CLAIMS
    schema = db_url.split("search_path%3D")[1].split("&")[0] if "search_path" in db_url else None
    server = db_url.split("?")[0] if schema else None
    floor = databases.clone_imported(databases.BenchDatabase(db_url, engine, schema), server, tmp_path, "floor")
    monkeypatch.setenv("CLAIMS_PAYMENT_DIR", str(tmp_path / "payments"))
    run_lifecycle(engine, db_url, files, size=100, log=lambda _: None)
    Floor(floor.engine, files, tmp_path / "floor-payments", size=100).run()

    ours, theirs = _heads(engine), _heads(floor.engine)
    assert len(ours) == CLAIMS and all(ours.values())
    assert ours == theirs
    assert len(list((tmp_path / "payments").glob("payments-*.csv"))) >= 2
    assert differences(engine, floor.engine, (tmp_path / "payments", tmp_path / "floor-payments")) == []
    # the floor did the same money work: batches sealed per policy and night, each released by the
    # same distinct approver, every order sent in exactly one batch
    for side in (engine, floor.engine):
        with side.connect() as conn:
            batches = conn.execute(text("SELECT COUNT(*) FROM payment_batch")).scalar_one()
            releases = conn.execute(text("SELECT COUNT(DISTINCT batch_id), MIN(approver), MAX(approver) "
                                         "FROM payment_batch_release WHERE voided_at IS NULL")).one()
            orders = conn.execute(text("SELECT COUNT(*) FROM payment WHERE kind IN ('advance', 'final')"))
            in_batches = conn.execute(text("SELECT COUNT(*) FROM payment_batch_order")).scalar_one()
            assert batches >= 2 and tuple(releases) == (batches, "bench-approver", "bench-approver")
            assert orders.scalar_one() == in_batches
            assert conn.execute(text("SELECT COUNT(*) FROM payment WHERE kind IN ('advance', 'final') "
                                     "AND status <> 'sent'")).scalar_one() == 0

    # and the comparison sees a changed head, reason or batch row
    with floor.engine.begin() as conn:
        conn.execute(text("UPDATE claim SET event_head = 'x' WHERE id = (SELECT MIN(id) FROM claim)"))
        conn.execute(text("UPDATE claim_event SET reason = 'other' WHERE id = (SELECT MIN(id) FROM claim_event)"))
    found = differences(engine, floor.engine)
    assert any("event reasons" in f for f in found) and any("claim row differs" in f for f in found)
    batch = sorted((tmp_path / "floor-payments").glob("payments-*.csv"))[0]
    batch.write_bytes(batch.read_bytes().replace(b".00,", b".01,", 1))
    assert batch_file_differences(tmp_path / "payments", tmp_path / "floor-payments")

    # a floor that drops one release, or seals a batch with another hash, is caught
    with floor.engine.begin() as conn:
        conn.execute(text("DELETE FROM payment_batch_release WHERE id = (SELECT MAX(id) FROM payment_batch_release)"))
    assert any(f.startswith("batch releases") for f in differences(engine, floor.engine))
    with floor.engine.begin() as conn:
        conn.execute(text("UPDATE payment_batch SET hash = 'x' WHERE id = (SELECT MIN(id) FROM payment_batch)"))
    assert any(f.startswith("payment batches") for f in differences(engine, floor.engine))
    databases.drop(floor, server)
