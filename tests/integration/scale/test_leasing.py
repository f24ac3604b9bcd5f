"""Partition leases: each partition of a step is run exactly once however many workers share it."""

from __future__ import annotations

import threading
from datetime import date
from decimal import Decimal

from sqlalchemy import Column, Engine, Integer, MetaData, String, Table, insert, select

from models.db import make_engine
from models.schema import upgrade
from services.nightly import leasing
from services.nightly.steps import Partition, StepResult

LOG_META = MetaData()
RAN = Table("lease_test_ran", LOG_META, Column("lo", Integer), Column("worker", String(20)))
AS_OF = date(2020, 5, 6)


def _fake_steps(engine: Engine, worker: str, parts: int) -> leasing.Steps:
    def partitions(_engine: Engine, _as_of: date, size: int) -> list[Partition]:
        return [Partition("pay_advances", k * size, (k + 1) * size, size) for k in range(parts)]

    def chunk(eng: Engine, part: Partition, _as_of: date, _run: str | None) -> StepResult:
        with eng.begin() as conn:
            conn.execute(insert(RAN).values(lo=part.lo, worker=worker))
        result = StepResult(part.step, claims_seen=part.claims, chunks=1)
        result.moved[("huludao-2019", "advance_paid")] += 2
        result.money[("huludao-2019", "advance")] = Decimal("0.10")
        result.set_aside.append(("huludao-2019", f"C{part.lo}", "no policy number"))
        return result

    fake = (partitions, chunk)
    return {step: fake for step in ("pay_advances", "apply_inspections")}


def test_two_workers_share_partitions_once(db_url: str) -> None:
    setup = make_engine(db_url)
    LOG_META.create_all(setup)
    upgrade(setup)
    results: dict[str, StepResult] = {}
    errors: list[BaseException] = []

    def work(name: str) -> None:
        engine = make_engine(db_url)
        try:
            results[name] = leasing.run_step(engine, "pay_advances", AS_OF, run_key="night-1",
                                             worker=name, size=10, steps=_fake_steps(engine, name, 40),
                                             poll=0.01)
        except BaseException as exc:  # surfaced below
            errors.append(exc)
        finally:
            engine.dispose()

    threads = [threading.Thread(target=work, args=(f"w{i}",)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    with setup.connect() as conn:
        ran = conn.execute(select(RAN.c.lo)).scalars().all()
    assert sorted(ran) == [k * 10 for k in range(40)]
    assert sum(r.chunks for r in results.values()) == 40
    assert leasing.unfinished(setup, "night-1", "pay_advances") == 0
    # what the partitions did is kept in the database: the same totals as the workers returned
    kept = leasing.results(setup, "night-1")
    assert set(kept) == {"pay_advances"}
    total = kept["pay_advances"]
    assert (total.chunks, total.claims_seen) == (40, 400)
    assert total.moved == {("huludao-2019", "advance_paid"): 80}
    assert total.money == {("huludao-2019", "advance"): Decimal("4.00")}
    assert sorted(c for _, c, _ in total.set_aside) == sorted(f"C{k * 10}" for k in range(40))
    assert sum(leasing.taken_by(setup, "night-1").values()) == 40
    assert leasing.progress(setup, "night-1") == {"pay_advances": (40, 40)}
    setup.dispose()


def test_a_step_result_survives_its_json_unchanged() -> None:
    result = StepResult("pay_due", claims_seen=7, chunks=1)
    result.moved[("heilongjiang-2019", "paid")] = 5
    result.money[("heilongjiang-2019", "final")] = Decimal("1234.56")
    result.set_aside.append(("heilongjiang-2019", "H-1", "付款被拒: 账户已销户"))
    back = leasing.load_result("pay_due", leasing.dump_result(result))
    assert back == result


def test_a_finished_run_key_is_not_run_again_but_a_new_key_is(sqlite_url: str) -> None:
    engine = make_engine(sqlite_url)
    LOG_META.create_all(engine)
    upgrade(engine)
    steps = _fake_steps(engine, "w", 3)
    first = leasing.run_step(engine, "pay_advances", AS_OF, run_key="a", worker="w", size=5, steps=steps)
    again = leasing.run_step(engine, "pay_advances", AS_OF, run_key="a", worker="w", size=5, steps=steps)
    other = leasing.run_step(engine, "pay_advances", AS_OF, run_key="b", worker="w", size=5, steps=steps)
    assert (first.chunks, again.chunks, other.chunks) == (3, 0, 3)
    with engine.connect() as conn:
        assert len(conn.execute(select(RAN.c.lo)).all()) == 6


def test_a_failed_partition_stays_pending_for_another_worker(db_url: str) -> None:
    engine = make_engine(db_url)
    LOG_META.create_all(engine)
    upgrade(engine)
    good = _fake_steps(engine, "good", 2)
    partitions, chunk = good["pay_advances"]

    def failing(eng: Engine, part: Partition, as_of: date, run: str | None) -> StepResult:
        if part.lo == 0:
            raise RuntimeError("database went away")
        return chunk(eng, part, as_of, run)

    bad: leasing.Steps = {"pay_advances": (partitions, failing)}
    try:
        leasing.run_step(engine, "pay_advances", AS_OF, run_key="k", worker="bad", size=5, steps=bad)
    except RuntimeError:
        pass
    else:  # pragma: no cover
        raise AssertionError("the failing chunk should raise")
    assert leasing.unfinished(engine, "k", "pay_advances") == 2
    if engine.dialect.name == "sqlite":  # a dead single writer's claim is released by hand there
        return
    done = leasing.run_step(engine, "pay_advances", AS_OF, run_key="k", worker="good", size=5, steps=good)
    assert done.chunks == 2
    assert leasing.unfinished(engine, "k", "pay_advances") == 0
