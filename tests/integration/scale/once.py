"""Shared by the multi-worker tests: synthetic claims imported into a PostgreSQL schema, the
benchmark's calendar of nights with its rosters, objections and reviews, and the proof that
each claim moved once per transition, was paid once, and ended as the set-based floor ends."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlalchemy import Engine, text

from bench import databases
from bench.floor import Floor
from bench.product import raise_objections, review_objections, unsettled
from bench.schedule import COMPLETION_DAY, IMPORT_DAY, OBJECTION_DAY, REVIEW_DAY, nights
from bench.synthetic import SyntheticFiles, generate
from bench.verify import differences
from models.db import make_engine
from models.schema import upgrade
from services.access.actors import Actor
from services.oversight.audit import verify


@dataclass
class Backlog:
    url: str
    engine: Engine
    files: SyntheticFiles
    floor: databases.BenchDatabase
    """a copy of the database right after import, for the floor to run on"""
    claims: int


def _server(url: str) -> str:
    return url.split("?")[0]


def _schema(url: str) -> str:
    return url.split("search_path%3D")[1].split("&")[0]


def import_backlog(pg_url: str, workdir: Path, claims: int) -> Backlog:
    """`claims` synthetic claims filed on the import day, copied for the floor, then the
    inspection roster recorded (as the benchmark does)."""
    from intake.readers import read_rows
    from services.importing.filing import import_file
    from services.importing.rosters import record_inspections

    engine = make_engine(pg_url)
    upgrade(engine)
    files = generate(claims, workdir / "input")
    report = import_file(engine, files.claims, actor=Actor("clerk", "clerk"), on=IMPORT_DAY)
    assert report.filed == claims
    floor = databases.clone_imported(databases.BenchDatabase(pg_url, engine, _schema(pg_url)),
                                     _server(pg_url), workdir, "floor")
    # on the first night's date, as the benchmark's product side and the floor record them
    record_inspections(engine, read_rows(files.inspections), actor=Actor("bench-inspector", "inspector"),
                       on=next(iter(nights())))
    return Backlog(pg_url, engine, files, floor, claims)


def run_calendar(backlog: Backlog, run_night: Callable[[date], None]) -> int:
    """Every night of the benchmark's calendar, with the day's rosters, objections and reviews
    recorded before it, until every claim is settled; returns the nights run."""
    from intake.readers import read_rows
    from services.importing.rosters import record_completions

    engine, files = backlog.engine, backlog.files
    ran = 0
    for day in nights():
        if day == COMPLETION_DAY:
            record_completions(engine, read_rows(files.completions), actor=Actor("bench-clerk", "clerk"), on=day)
        if day == OBJECTION_DAY:
            raise_objections(engine, files.objections, day)
        if day == REVIEW_DAY:
            review_objections(engine, files.objections, day)
        run_night(day)
        ran += 1
        if day >= REVIEW_DAY and unsettled(engine) == 0:
            break
    assert unsettled(engine) == 0
    return ran


def scalar(engine: Engine, sql: str) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text(sql)).scalar_one())


def assert_moved_and_paid_once(backlog: Backlog) -> None:
    engine = backlog.engine
    # one event per transition: seq runs 1..event_seq on every claim, no nightly trigger twice
    assert scalar(engine, "SELECT COUNT(*) FROM claim c WHERE c.event_seq <> "
                          "(SELECT COUNT(DISTINCT e.seq) FROM claim_event e WHERE e.claim_pk = c.id) "
                          "OR c.event_seq <> (SELECT COUNT(*) FROM claim_event e WHERE e.claim_pk = c.id)") == 0
    assert scalar(engine, "SELECT COUNT(*) FROM (SELECT claim_pk, \"trigger\" FROM claim_event WHERE \"trigger\" IN "
                          "('pay_advance', 'pass_inspection', 'fail_inspection', 'assess', 'refuse', 'post', "
                          "'close_posting', 'pay') GROUP BY claim_pk, \"trigger\" HAVING COUNT(*) > 1) AS twice") == 0
    # paid once: one advance and one final payment at most per claim, totals as the claims say
    assert scalar(engine, "SELECT COUNT(*) FROM (SELECT claim_pk, kind FROM payment GROUP BY claim_pk, kind "
                          "HAVING COUNT(*) > 1) AS twice") == 0
    assert scalar(engine, "SELECT COUNT(*) - COUNT(DISTINCT idempotency_key) FROM payment") == 0
    assert scalar(engine, "SELECT COALESCE(SUM(amount), 0) FROM payment WHERE kind = 'final'") == scalar(
        engine, "SELECT COALESCE(SUM(amount - advance_paid), 0) FROM claim WHERE state = 'paid'")
    assert scalar(engine, "SELECT COALESCE(SUM(amount), 0) FROM payment WHERE kind = 'advance'") == scalar(
        engine, "SELECT COALESCE(SUM(advance_paid), 0) FROM claim")
    assert scalar(engine, "SELECT COUNT(*) FROM claim WHERE state = 'paid'") > backlog.claims // 2

    # one audit anchor per night that wrote events; the chains are intact
    assert scalar(engine, "SELECT COUNT(*) - COUNT(DISTINCT run_id) FROM audit_anchor") == 0
    assert scalar(engine, "SELECT COUNT(*) FROM audit_anchor") >= 3
    assert verify(engine).intact


FLOOR_APPROVER = "bench-approver"
"""who releases the floor's batches (bench/product.py APPROVER): a product night compared with the
floor releases as them too"""


def assert_floor_agrees(backlog: Backlog, workdir: Path, size: int | None = None,
                        several_workers: bool = False) -> None:
    """The end state is the one plain set-based SQL reaches from the same claims (`size`: the
    product's partition size; its nights must release as the floor's approver, FLOOR_APPROVER)."""
    floor = Floor(backlog.floor.engine, backlog.files, workdir / "floor-payments") if size is None else Floor(
        backlog.floor.engine, backlog.files, workdir / "floor-payments", size=size)
    floor.run()
    # heads left out: these nights ran under run keys of their own (night-DAY, a flow's), which the
    # event hashes cover; tests/integration/scale/test_floor_agrees.py compares heads
    found = differences(backlog.engine, backlog.floor.engine, heads=False, several_workers=several_workers)
    assert found == [], "\n".join(found)
    databases.drop(backlog.floor, _server(backlog.url))
    backlog.engine.dispose()
