"""`claims init` creates the schema or upgrades it in order, and running it again changes nothing."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

from sqlalchemy import inspect
from sqlmodel import Session

from models.db import SQLITE_PAGE_BYTES, make_engine
from models.schema import MIGRATIONS, current_version, upgrade
from models.tables import SchemaVersion


def test_an_old_database_is_upgraded_in_order_and_only_once(db_url: str) -> None:
    engine = make_engine(db_url)
    first = MIGRATIONS[0]
    first.apply(engine)
    with Session(engine) as session:
        session.add(SchemaVersion(version=first.version, name=first.name))
        session.commit()
    assert current_version(engine) == 1
    applied = upgrade(engine)
    assert [m.version for m in applied] == [m.version for m in MIGRATIONS[1:]]
    assert current_version(engine) == MIGRATIONS[-1].version
    assert upgrade(engine) == []
    tables = set(inspect(engine).get_table_names())
    assert {"claim", "claim_event", "payment", "payment_release", "work_partition"} <= tables
    assert "ix_claim_claim_id" in {ix["name"] for ix in inspect(engine).get_indexes("claim")}
    engine.dispose()


def test_a_version_4_database_keeps_its_work_rows_and_gains_the_partition_result(db_url: str) -> None:
    from sqlalchemy import text

    engine = make_engine(db_url)
    for migration in MIGRATIONS[:4]:
        migration.apply(engine)
        with Session(engine) as session:
            session.add(SchemaVersion(version=migration.version, name=migration.name))
            session.commit()
    assert current_version(engine) == 4
    assert "result" not in {c["name"] for c in inspect(engine).get_columns("work_partition")}
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO work_partition (run_key, step, lo, hi, claims, status, worker) "
                          "VALUES ('night-1', 'assess', 0, 10, 3, 'done', 'w1')"))
    assert [m.version for m in upgrade(engine)] == [m.version for m in MIGRATIONS[4:]]
    assert current_version(engine) == MIGRATIONS[-1].version
    with engine.connect() as conn:
        row = conn.execute(text("SELECT worker, result FROM work_partition")).one()
    assert tuple(row) == ("w1", None)
    assert upgrade(engine) == []
    engine.dispose()


def test_a_version_5_database_gains_the_months_paid_column_once(db_url: str) -> None:
    from sqlalchemy import text

    engine = make_engine(db_url)
    for migration in MIGRATIONS[:5]:
        migration.apply(engine)
        with Session(engine) as session:
            session.add(SchemaVersion(version=migration.version, name=migration.name))
            session.commit()
    with engine.begin() as conn:  # the claim table as version 5 had it
        conn.execute(text("ALTER TABLE claim DROP COLUMN months_paid"))
    assert "months_paid" not in {c["name"] for c in inspect(engine).get_columns("claim")}
    assert 10 in [m.version for m in upgrade(engine)]
    assert "months_paid" in {c["name"] for c in inspect(engine).get_columns("claim")}
    MIGRATIONS[[m.version for m in MIGRATIONS].index(10)].apply(engine)  # idempotent
    assert upgrade(engine) == []
    engine.dispose()


def test_a_version_61_database_gains_the_later_claim_fields_and_keeps_its_claims(db_url: str) -> None:
    """Migration 90 adds bank_name and apprentice_allowance_actual (rules/record.py LATER_FIELDS)
    to a claim table made without them; a claim filed before keeps its row, both fields empty."""
    from sqlalchemy import select, text

    from models.tables import CLAIM

    engine = make_engine(db_url)
    for migration in [m for m in MIGRATIONS if m.version < 90]:
        migration.apply(engine)
        with Session(engine) as session:
            session.add(SchemaVersion(version=migration.version, name=migration.name))
            session.commit()
    with engine.begin() as conn:  # the claim table as version 61 had it, with one claim
        for column in ("bank_name", "apprentice_allowance_actual"):
            conn.execute(text(f"ALTER TABLE claim DROP COLUMN {column}"))
        conn.execute(text(
            "INSERT INTO claim (claim_id, policy, kind, person_id, person_name, region, filed_on, "
            "payee_type, payee_id, groups, urgent, enterprise_funded, advance_requested, person_key, "
            "content_hash, state, advance_paid, final_paid, recovery_owed, recovered, reasons, "
            "citations, draft, payment_attempt, event_seq, event_head, created_at, updated_at) "
            "VALUES ('C1', 'nanxun-2019', 'apprenticeship', 'P', 'N', '330503', '2020-05-10', "
            "'enterprise', 'E', '', false, false, false, 1, 'h', 'filed', 0, 0, 0, 0, '', '', false, "
            "0, 0, '', '2020-05-10 00:00:00', '2020-05-10 00:00:00')"))
    assert [m.version for m in upgrade(engine)] == [m.version for m in MIGRATIONS if m.version >= 90]
    assert {"bank_name", "apprentice_allowance_actual"} <= {
        c["name"] for c in inspect(engine).get_columns("claim")}
    MIGRATIONS[[m.version for m in MIGRATIONS].index(90)].apply(engine)  # idempotent
    with engine.connect() as conn:
        row = conn.execute(select(CLAIM.c.claim_id, CLAIM.c.bank_name,
                                  CLAIM.c.apprentice_allowance_actual)).one()
    assert tuple(row) == ("C1", None, None)
    assert upgrade(engine) == []
    engine.dispose()


def test_a_version_5_lease_gains_its_holder_and_generation_and_keeps_its_row(db_url: str) -> None:
    from sqlalchemy import text

    engine = make_engine(db_url)
    for migration in MIGRATIONS[:5]:
        migration.apply(engine)
        with Session(engine) as session:
            session.add(SchemaVersion(version=migration.version, name=migration.name))
            session.commit()
    with engine.begin() as conn:  # the lease as versions 1-5 made it
        conn.execute(text("DROP TABLE lease"))
        conn.execute(text("CREATE TABLE lease (name VARCHAR(64) PRIMARY KEY, holder VARCHAR(100) NOT NULL, "
                          "acquired_at TIMESTAMP NOT NULL, expires_at TIMESTAMP NOT NULL)"))
        conn.execute(text("INSERT INTO lease VALUES ('nightly', 'old run', '2020-06-03 01:00:00', "
                          "'2020-06-03 07:00:00')"))
    assert 30 in [m.version for m in upgrade(engine)]
    columns = {c["name"] for c in inspect(engine).get_columns("lease")}
    assert {"host", "pid", "run_id", "generation"} <= columns
    assert inspect(engine).has_table("lease_release")
    with engine.connect() as conn:
        assert tuple(conn.execute(text("SELECT holder, generation FROM lease")).one()) == ("old run", 0)
    assert upgrade(engine) == []
    engine.dispose()


def test_a_version_5_database_gains_the_reference_tables(db_url: str) -> None:
    from models.oversight import REF_CERTIFICATE, REF_INSURANCE

    engine = make_engine(db_url)
    for migration in MIGRATIONS[:5]:
        migration.apply(engine)
        with Session(engine) as session:
            session.add(SchemaVersion(version=migration.version, name=migration.name))
            session.commit()
    REF_CERTIFICATE.drop(engine)  # as a version-5 database made before they existed
    REF_INSURANCE.drop(engine)
    assert "reference_certificate" not in inspect(engine).get_table_names()
    assert 60 in [m.version for m in upgrade(engine)]
    assert {"reference_certificate", "reference_insurance"} <= set(inspect(engine).get_table_names())
    assert upgrade(engine) == []
    engine.dispose()


def test_a_new_sqlite_database_gets_the_product_page_size_and_an_old_one_keeps_its_own(
        tmp_path: Path) -> None:
    old = tmp_path / "old.db"
    with closing(sqlite3.connect(old)) as conn:
        conn.execute("PRAGMA page_size=16384")
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("CREATE TABLE kept (x)")
        conn.execute("INSERT INTO kept VALUES (1)")
        conn.commit()
    for path, size in ((tmp_path / "new.db", SQLITE_PAGE_BYTES), (old, 16384)):
        engine = make_engine(f"sqlite:///{path}")
        upgrade(engine)
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA page_size").scalar_one() == size
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar_one() == "wal"
        engine.dispose()
    with closing(sqlite3.connect(old)) as conn:
        assert conn.execute("SELECT x FROM kept").fetchall() == [(1,)]


def test_a_version_96_database_gains_the_claim_body_index_once_and_keeps_its_claims(db_url: str) -> None:
    from sqlalchemy import select, text

    from models.tables import CLAIM
    from services.oversight.signals import CLAIM_BODY
    from tests.factories import claim_row, insert_claims

    engine = make_engine(db_url)
    for migration in MIGRATIONS:
        if migration.version >= 97:
            break
        migration.apply(engine)
        with Session(engine) as session:
            session.add(SchemaVersion(version=migration.version, name=migration.name))
            session.commit()
    assert current_version(engine) == 96
    with engine.begin() as conn:
        insert_claims(conn, claim_row("B1", organizer="甲"), claim_row("B3", organizer="乙"))
        insert_claims(conn, claim_row("B2", payee_type="institution", payee_id="91211400MA0000000X"),
                      claim_row("B4"))
    assert [m.version for m in upgrade(engine)] == [97, 98, 99, 100]
    next(m for m in MIGRATIONS if m.version == 97).apply(engine)  # idempotent
    assert upgrade(engine) == []
    listing = ("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'claim'"
               if engine.dialect.name == "sqlite" else
               "SELECT indexname FROM pg_indexes WHERE tablename = 'claim' AND schemaname = current_schema()")
    with engine.connect() as conn:
        assert {"ix_claim_body", "ix_claim_posting_window"} <= set(conn.execute(text(listing)).scalars())
        assert sorted(tuple(r) for r in conn.execute(select(CLAIM.c.claim_id, CLAIM_BODY))) == [
            ("B1", "甲"), ("B2", "91211400MA0000000X"), ("B3", "乙"), ("B4", None)]
    engine.dispose()
