"""Versioned schema path: `claims init` applies every migration not yet recorded."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Engine, inspect, text
from sqlmodel import Session, SQLModel, select

import models.tables  # registers the tables on SQLModel.metadata
from models.tables import SchemaVersion


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    apply: Callable[[Engine], None]


def _initial(engine: Engine) -> None:
    SQLModel.metadata.create_all(engine)


def _index_claim_id(engine: Engine) -> None:
    # lookups by the applicant's reference alone (inspect/complete/object files) scanned the table
    with engine.begin() as conn:
        conn.execute(text("CREATE INDEX IF NOT EXISTS ix_claim_claim_id ON claim (claim_id)"))


def _payment_release(engine: Engine) -> None:
    models.tables.PaymentRelease.__table__.create(engine, checkfirst=True)  # type: ignore[attr-defined]


def _work_leases(engine: Engine) -> None:
    from services.leasing import ensure_tables

    ensure_tables(engine)


MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "initial schema", _initial),
    Migration(2, "index claim.claim_id", _index_claim_id),
    Migration(3, "payment releases by an approver", _payment_release),
    Migration(4, "work partitions shared by several workers", _work_leases),
)


def applied_versions(engine: Engine) -> set[int]:
    if not inspect(engine).has_table("schema_version"):
        return set()
    with Session(engine) as session:
        return set(session.exec(select(SchemaVersion.version)).all())


def upgrade(engine: Engine) -> list[Migration]:
    """Apply pending migrations in order; returns the ones applied (none when current)."""
    done = applied_versions(engine)
    applied: list[Migration] = []
    for migration in MIGRATIONS:
        if migration.version in done:
            continue
        migration.apply(engine)
        with Session(engine) as session:
            session.add(SchemaVersion(version=migration.version, name=migration.name))
            session.commit()
        applied.append(migration)
    return applied


def current_version(engine: Engine) -> int:
    return max(applied_versions(engine), default=0)


def require_current(engine: Engine) -> None:
    latest = MIGRATIONS[-1].version
    if current_version(engine) < latest:
        raise RuntimeError(
            f"the database schema is at version {current_version(engine)}, the product needs "
            f"{latest}: run `claims init` first"
        )
