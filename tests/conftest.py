"""Shared fixtures: a fresh database on SQLite and (when configured) PostgreSQL, and the
installed `claims` command run as a user runs it.

PostgreSQL comes from CLAIMS_TEST_DATABASE_URL; each test gets its own schema. Without the
variable the PostgreSQL variants are skipped, except under CI=true where that is a failure.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text

from models.db import make_engine
from models.schema import upgrade

os.environ["CLAIMS_LANG"] = "en"
"""The suite reads English messages; the translation tests ask for Chinese explicitly."""
PG_URL = os.environ.get("CLAIMS_TEST_DATABASE_URL", "")
IN_CI = os.environ.get("CI", "").lower() == "true"


def _pg_admin_engine() -> Engine:
    url = PG_URL
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return create_engine(url, isolation_level="AUTOCOMMIT")


def _with_search_path(url: str, schema: str) -> str:
    sep = "&" if "?" in url else "?"
    return f"{url}{sep}options=-csearch_path%3D{schema}"


@pytest.fixture(scope="session")
def pg_available() -> bool:
    if not PG_URL:
        if IN_CI:
            pytest.fail("CI=true but CLAIMS_TEST_DATABASE_URL is not set")
        return False
    try:
        with _pg_admin_engine().connect() as conn:
            conn.execute(text("select 1"))
    except Exception as exc:  # pragma: no cover - depends on the machine
        if IN_CI:
            pytest.fail(f"PostgreSQL at CLAIMS_TEST_DATABASE_URL is unreachable: {exc}")
        return False
    return True


@pytest.fixture
def pg_url(pg_available: bool) -> Iterator[str]:
    """A PostgreSQL URL whose search_path is a fresh schema, dropped afterwards."""
    if not pg_available:
        pytest.skip("no PostgreSQL (set CLAIMS_TEST_DATABASE_URL)")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = _pg_admin_engine()
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield _with_search_path(PG_URL, schema)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'claims.db'}"


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Each test using this runs twice: on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'claims.db'}"
    return str(request.getfixturevalue("pg_url"))


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    eng = make_engine(db_url)
    upgrade(eng)
    yield eng
    eng.dispose()


def claims_executable() -> str:
    """The installed console script next to this interpreter (what a user runs)."""
    candidate = Path(sys.executable).parent / "claims"
    if candidate.exists():
        return str(candidate)
    found = shutil.which("claims")
    if not found:
        raise RuntimeError("the `claims` command is not installed (pip install -e .)")
    return found


def run_claims(*args: str, db: str, cwd: Path | None = None, env: dict[str, str] | None = None,
               input_text: str | None = None, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    full_env = dict(os.environ)
    full_env["CLAIMS_DATABASE_URL"] = db
    full_env.setdefault("CLAIMS_ACTOR", "tester")
    if env:
        full_env.update(env)
    return subprocess.run(
        [claims_executable(), *args], cwd=cwd, env=full_env, capture_output=True, text=True,
        timeout=timeout, input=input_text,
    )
