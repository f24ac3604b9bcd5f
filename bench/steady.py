"""`python -m bench.steady --history H --night M [--database-url URL]` — steady state (CONTRACT §5).

Builds H settled claims of earlier years in bulk (direct inserts of paid skill-upgrade claims with
their amounts: the grants assessment reads; no events, batches or payments are built for them),
a few for most persons of the night's M new claims, the rest for other persons (on PostgreSQL by
set-based INSERT … SELECT FROM generate_series, see `build_history`), then imports the night's M synthetic
claims and runs their lifecycle (every night until they are settled). The same night runs over an
empty history in a second database. The ratio is history/empty of the nights' step seconds; the
LAST line is the JSON object (ratio, cpu_ratio, peak MB, times, build time, database size after the
build).

The share of the night's persons with history (--share), their 1-3 earlier claims, the other
persons' 2 each and the years the history lies in
are benchmark settings, not policy numbers. History certificates lie in 2017-2019 under
occupations of their own, so they count toward no 2020 cap and change no decision of the night:
both runs must end in the same states, which the benchmark checks.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, func, insert, select, text

from bench import databases
from bench.lifecycle import IMPORTER, peak_rss_mb
from bench.product import Timings, run_lifecycle
from bench.schedule import IMPORT_DAY
from bench.synthetic import generate
from intake.identity import id_check_digit, make_person_id
from intake.keys import PERSON_KEY_BITS, person_key
from models.money import to_fen
from models.tables import CLAIM
from services.nightly.moves import execute_many
from services.settings import DEFAULT_CHUNK_SIZE

HISTORY_YEARS = (2017, 2018, 2019)
HISTORY_AMOUNT = Decimal("1000.00")
"""the amount stored on a history claim: a bench setting (the claims are only read as grants)"""
PER_PERSON = (1, 2, 3)
"""earlier claims of a night's person who has history (drawn from this list): a bench setting"""
PER_PERSON_OTHERS = 2
"""earlier claims of each other person of the history"""
OTHERS_NAME = "往年申领人"
OTHERS_BORN = date(1950, 1, 1)
"""the other persons' first birth date (person p is born p // 1000 days later)"""
NIGHT_BORN = date(1970, 1, 1)
"""the synthetic night's first birth date (bench/synthetic.py): the others are born before it"""
OCCUPATION_PREFIX = "往年工种"
OCCUPATIONS = 97
"""history occupations 往年工种0 … 往年工种96: none of the night's"""
SQL_CHUNK_ROWS = 1_000_000
"""the other persons' history rows per INSERT … SELECT transaction (PostgreSQL)"""
PYTHON_CHUNK_ROWS = 50_000
"""the other persons' history rows per executemany transaction (SQLite)"""


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.steady", description=__doc__.splitlines()[0])
    parser.add_argument("--history", type=int, required=True, help="settled claims of earlier years")
    parser.add_argument("--night", type=int, required=True, help="new claims of the night")
    parser.add_argument("--share", type=float, default=0.8,
                        help="share of the night's persons who have history (1-3 earlier claims each)")
    parser.add_argument("--database-url", default=None, help="a PostgreSQL server URL; default temp SQLite files")
    parser.add_argument("--chunk-size", type=int, default=DEFAULT_CHUNK_SIZE)
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--seed", type=int, default=20200401)
    return parser.parse_args(argv)


def night_persons(claims_csv: Path) -> list[tuple[str, str, str]]:
    """(person_id, name, region) of the night's persons, in file order, each once."""
    seen: dict[str, tuple[str, str, str]] = {}
    with claims_csv.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            seen.setdefault(row["person_id"], (row["person_id"], row["person_name"], row["region"]))
    return list(seen.values())


def history_rows(h: int, persons: list[tuple[str, str, str]], share: float, seed: int) -> Iterator[dict[str, Any]]:
    """H paid claims of earlier years: `share` of the night's persons get 1 to PER_PERSON[-1] of
    them each, the rest of H goes to other persons, PER_PERSON_OTHERS each. The reference shape:
    `build_history` writes exactly these rows (the others' part set-based on PostgreSQL)."""
    night = night_history(h, persons, share, seed)
    yield from night
    region = other_region(persons)
    for i in range(len(night), h):
        yield _history_claim(i, (other_person_id(i, region), OTHERS_NAME, region))


def night_history(h: int, persons: list[tuple[str, str, str]], share: float, seed: int) -> list[dict[str, Any]]:
    """The first rows of the history: those of the night's persons who have history (at most h)."""
    rng = random.Random(seed)
    rows: list[dict[str, Any]] = []
    for person in persons:
        if rng.random() < share:
            for _ in range(rng.choice(PER_PERSON)):
                if len(rows) == h:
                    return rows
                rows.append(_history_claim(len(rows), person))
    return rows


def other_region(persons: list[tuple[str, str, str]]) -> str:
    return persons[0][2] if persons else "211402"


def other_person_id(i: int, region: str) -> str:
    """The person of history row i beyond the night's persons: person p = i // PER_PERSON_OTHERS,
    born OTHERS_BORN + p // 1000 days, sequence p % 1000 (a valid identity number; the synthetic
    night's persons are born 1970 or later, bench/synthetic.py: `build_history` refuses an H whose
    others would be))."""
    p = i // PER_PERSON_OTHERS
    return make_person_id(region, OTHERS_BORN + timedelta(days=p // 1000), p % 1000)


def _history_claim(i: int, person: tuple[str, str, str]) -> dict[str, Any]:
    person_id, name, region = person
    certified = date(HISTORY_YEARS[i % len(HISTORY_YEARS)], 1 + i % 12, 1 + i % 28)
    return {
        "claim_id": f"H{i:010d}", "policy": "huludao-2019", "kind": "skill_upgrade",
        "person_id": person_id, "person_name": name, "groups": "enterprise_employee", "region": region,
        "filed_on": certified, "payee_type": "individual", "payee_id": person_id,
        "occupation": f"{OCCUPATION_PREFIX}{i % OCCUPATIONS}", "level": "L4", "certificate_no": f"HIST{i:012d}",
        "certificate_date": certified, "person_key": person_key(person_id),
        "content_hash": f"{i:064d}", "state": "paid", "state_on": certified,
        "amount": HISTORY_AMOUNT, "final_paid": HISTORY_AMOUNT, "citations": "", "reasons": "",
    }


def build_history(database: databases.BenchDatabase, h: int, persons: list[tuple[str, str, str]],
                  share: float, seed: int, log: Callable[[str], None] = print) -> int:
    """Writes `history_rows(h, persons, share, seed)`: the night persons' rows from Python by one
    executemany of plain tuples; the other persons' rows set-based on PostgreSQL
    (`INSERT … SELECT … FROM generate_series`, SQL_CHUNK_ROWS a transaction), from Python in
    PYTHON_CHUNK_ROWS tuples a transaction on SQLite. The product's indexes stay in place."""
    last_born = OTHERS_BORN + timedelta(days=max(h - 1, 0) // PER_PERSON_OTHERS // 1000)
    if last_born >= NIGHT_BORN:
        raise ValueError(f"H = {h:,} would give other persons birth dates up to {last_born}, among the night's")
    night = night_history(h, persons, share, seed)
    with database.engine.begin() as conn:
        execute_many(conn, insert(CLAIM), night)
    if database.schema is None:
        _others_python(database.engine, len(night), h, other_region(persons), log)
    else:
        _others_sql(database, len(night), h, other_region(persons), log)
    return h  # night_history stops at h rows


def _progress(log: Callable[[str], None], done: int, total: int, began: float) -> None:
    seconds = time.perf_counter() - began
    log(f"  history: {done:,} of {total:,} other persons' rows in {seconds:.1f} s "
        f"({done / max(seconds, 1e-9):,.0f} rows/s)")


def _others_python(engine: Engine, first: int, h: int, region: str, log: Callable[[str], None]) -> None:
    """Rows of `_history_claim`, the person ids as `other_person_id` builds them (its birth date
    text once per 1,000 persons: make_person_id's strftime is most of a row's Python cost)."""
    began = time.perf_counter()
    born: dict[int, str] = {}
    for start in range(first, h, PYTHON_CHUNK_ROWS):
        stop = min(start + PYTHON_CHUNK_ROWS, h)
        rows = []
        for i in range(start, stop):
            p = i // PER_PERSON_OTHERS
            day = born.get(p // 1000)
            if day is None:
                day = born[p // 1000] = f"{region}{OTHERS_BORN + timedelta(days=p // 1000):%Y%m%d}"
            body = f"{day}{p % 1000:03d}"
            rows.append(_history_claim(i, (body + id_check_digit(body), OTHERS_NAME, region)))
        with engine.begin() as conn:
            execute_many(conn, insert(CLAIM), rows)
        if (stop - first) % SQL_CHUNK_ROWS == 0 or stop == h:
            _progress(log, stop - first, h - first, began)


def _check_digit_sql(body: str) -> str:
    """GB 11643's check character of the 17-digit text expression `body`, as intake.identity's
    id_check_digit computes it: digit k (1-17) weighted by 2^(18-k) mod 11, the sum mod 11 indexing
    '10X98765432'."""
    terms = " + ".join(f"substr({body}, {k}, 1)::int * {pow(2, 18 - k, 11)}" for k in range(1, 18))
    return f"substr('10X98765432', ({terms}) % 11 + 1, 1)"


_PGCRYPTO = "pgcrypto"


def _pgcrypto_schema(database: databases.BenchDatabase) -> str | None:
    """The schema of pgcrypto's digest() (PostgreSQL has no built-in sha1): where it is installed,
    or else installed into this bench schema (dropped with it); None when it cannot be had."""
    with database.engine.begin() as conn:
        found = conn.execute(text("SELECT extnamespace::regnamespace::text FROM pg_extension WHERE extname = :n"),
                             {"n": _PGCRYPTO}).scalar_one_or_none()
        if found is not None:  # installed by another bench run or test into its schema, it may go any time
            transient = found.strip('"').startswith(("bench_", "t_")) and found.strip('"') != database.schema
            return None if transient else str(found)
        available = conn.execute(text("SELECT 1 FROM pg_available_extensions WHERE name = :n"),
                                 {"n": _PGCRYPTO}).scalar_one_or_none()
    if available is None:
        return None
    try:
        with database.engine.begin() as conn:
            conn.execute(text(f'CREATE EXTENSION {_PGCRYPTO} SCHEMA "{database.schema}"'))
    except Exception:  # no privilege, or another run installed it meanwhile: keys from Python
        return None
    return f'"{database.schema}"'


def _others_sql(database: databases.BenchDatabase, first: int, h: int, region: str,
                log: Callable[[str], None]) -> None:
    """The others' rows computed in SQL, column for column as `_history_claim` of
    (other_person_id(i), OTHERS_NAME, region). person_key is the product's: the first 4 bytes of
    sha1(person_id) big-endian & (2^PERSON_KEY_BITS - 1), by pgcrypto's digest(); without
    pgcrypto the keys come from intake.keys.person_key in Python through a temp table (one row
    per person). `OFFSET 0` keeps the planner from inlining `body` and `pid` into every use
    (17 to_char calls a check digit, three digests a row: three times the statement's cost)."""
    if first >= h:
        return
    crypto = _pgcrypto_schema(database)
    assert region.isdigit() and len(region) == 6
    body = (f"'{region}' || to_char(DATE '{OTHERS_BORN.isoformat()}' + (i / {PER_PERSON_OTHERS} / 1000)::int, "
            f"'YYYYMMDD') || lpad((i / {PER_PERSON_OTHERS} % 1000)::text, 3, '0')")
    mask = (1 << PERSON_KEY_BITS) - 1
    if crypto is not None:
        key = f"(('x' || encode(substr({crypto}.digest(pid, 'sha1'), 1, 4), 'hex'))::bit(32)::bigint & {mask})::int"
        source = ""
    else:
        key = "k.person_key"
        source = f" JOIN history_key AS k ON k.p = r.i / {PER_PERSON_OTHERS}"
    years = ", ".join(str(y) for y in HISTORY_YEARS)
    fen = to_fen(HISTORY_AMOUNT)
    statement = text(f"""
        INSERT INTO claim (claim_id, policy, kind, person_id, person_name, groups, region, filed_on, payee_type,
            payee_id, occupation, level, urgent, certificate_no, certificate_date, enterprise_funded,
            advance_requested, person_key, content_hash, state, state_on, amount, advance_paid, final_paid,
            recovery_owed, recovered, reasons, citations, draft, payment_attempt, event_seq, event_head,
            created_at, updated_at)
        SELECT 'H' || lpad(r.i::text, 10, '0'), 'huludao-2019', 'skill_upgrade', r.pid, :name,
            'enterprise_employee', '{region}', r.certified, 'individual', r.pid,
            :occupation || (r.i % {OCCUPATIONS})::text, 'L4', false, 'HIST' || lpad(r.i::text, 12, '0'),
            r.certified, false, false, {key}, lpad(r.i::text, 64, '0'), 'paid', r.certified, {fen}, 0, {fen},
            0, 0, '', '', false, 0, 0, '', now(), now()
        FROM (SELECT b.i, b.body || {_check_digit_sql("b.body")} AS pid,
                     make_date((ARRAY[{years}])[1 + (b.i % {len(HISTORY_YEARS)})::int], 1 + (b.i % 12)::int,
                               1 + (b.i % 28)::int) AS certified
              FROM (SELECT i, {body} AS body FROM generate_series(CAST(:first AS bigint),
                                                                  CAST(:last AS bigint)) AS i
                    OFFSET 0) AS b
              OFFSET 0) AS r{source}
    """)
    began = time.perf_counter()
    for start in range(first, h, SQL_CHUNK_ROWS):
        stop = min(start + SQL_CHUNK_ROWS, h)
        with database.engine.begin() as conn:
            if crypto is None:
                _python_keys(conn, start, stop, region)
            conn.execute(statement, {"name": OTHERS_NAME, "occupation": OCCUPATION_PREFIX,
                                     "first": start, "last": stop - 1})
        _progress(log, stop - first, h - first, began)


def _python_keys(conn: Connection, start: int, stop: int, region: str) -> None:
    """history_key(p, person_key) for the persons of rows start..stop-1, keys by intake.keys."""
    conn.execute(text("CREATE TEMP TABLE IF NOT EXISTS history_key (p bigint PRIMARY KEY, person_key int) "
                      "ON COMMIT DELETE ROWS"))
    persons = range(start // PER_PERSON_OTHERS, (stop - 1) // PER_PERSON_OTHERS + 1)
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    with cursor.copy("COPY history_key (p, person_key) FROM STDIN") as copy:
        for p in persons:
            copy.write_row((p, person_key(other_person_id(p * PER_PERSON_OTHERS, region))))


def database_mb(database: databases.BenchDatabase) -> float:
    """The claim table with its indexes (PostgreSQL), the database file (SQLite), in MB."""
    if database.schema is not None:
        with database.engine.connect() as conn:
            size = int(conn.execute(text("SELECT pg_total_relation_size('claim')")).scalar_one())
    else:
        path = Path(database.url.removeprefix("sqlite:///"))
        size = sum(p.stat().st_size for p in (path, Path(f"{path}-wal")) if p.exists())
    return round(size / 1e6, 1)


def _states(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        rows = conn.execute(select(CLAIM.c.state, func.count()).where(~CLAIM.c.claim_id.startswith("H0"))
                            .group_by(CLAIM.c.state)).all()
    return {r[0]: int(r[1]) for r in rows}


def _run(name: str, args: argparse.Namespace, workdir: Path, files: Any, history: int,
         persons: list[tuple[str, str, str]]) -> dict[str, Any]:
    from services.importing.filing import import_file

    database = databases.fresh(args.database_url, workdir, name)
    began = time.perf_counter()
    built = build_history(database, history, persons, args.share, args.seed) if history else 0
    build_seconds = time.perf_counter() - began
    size_mb = database_mb(database)
    if history:
        print(f"{name}: built {built:,} settled claims of {HISTORY_YEARS[0]}-{HISTORY_YEARS[-1]} "
              f"in {build_seconds:.1f} s ({built / max(build_seconds, 1e-9):,.0f} rows/s); "
              f"{'claim table with indexes' if database.schema else 'database file'} {size_mb:,.1f} MB")
    os.environ["CLAIMS_PAYMENT_DIR"] = str(workdir / f"payments-{name}")
    began = time.perf_counter()
    report = import_file(database.engine, files.claims, actor=IMPORTER, on=IMPORT_DAY)
    import_seconds = time.perf_counter() - began
    databases.analyze(database)  # both runs alike, after their import, before the nights
    cpu = time.process_time()
    timings: Timings = run_lifecycle(database.engine, database.url, files, size=args.chunk_size, log=lambda _: None)
    cpu = time.process_time() - cpu
    seconds = sum(timings.seconds.values())
    print(f"{name}: import {report.filed:,} claims {import_seconds:.2f} s; lifecycle {seconds:.2f} s "
          f"(cpu of this process {cpu:.2f} s) over {timings.nights} nights; assess {timings.seconds['assess']:.2f} s")
    print("  " + ", ".join(f"{step} {secs:.2f}" for step, secs in timings.seconds.items()))
    states = _states(database.engine)
    databases.drop(database, args.database_url)
    return {"seconds": seconds, "cpu": cpu, "assess": timings.seconds["assess"], "build": build_seconds,
            "database_mb": size_mb, "import": import_seconds, "states": states}


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="claims-steady-"))
    workdir.mkdir(parents=True, exist_ok=True)
    print(f"workdir {workdir}; database "
          f"{'PostgreSQL ' + args.database_url.split('@')[-1] if args.database_url else 'SQLite'}; "
          f"history {args.history:,}, night {args.night:,}")
    files = generate(args.night, workdir / "input", seed=args.seed)
    persons = night_persons(files.claims)
    empty = _run("empty", args, workdir, files, 0, persons)
    full = _run("history", args, workdir, files, args.history, persons)
    same = empty["states"] == full["states"]
    if not same:
        print(f"END STATES DIFFER: empty {empty['states']} history {full['states']}", file=sys.stderr)
    figures = {
        "history": args.history, "night_claims": args.night, "night": args.night,  # CONTRACT §5 names first
        "seconds": round(full["seconds"], 3), "empty_history_seconds": round(empty["seconds"], 3),
        "empty_seconds": round(empty["seconds"], 3),
        "ratio": round(full["seconds"] / max(empty["seconds"], 1e-9), 3),
        "cpu_ratio": round(full["cpu"] / max(empty["cpu"], 1e-9), 3),
        "assess_ratio": round(full["assess"] / max(empty["assess"], 1e-9), 3),
        "build_seconds": round(full["build"], 1), "database_mb": full["database_mb"], "peak_rss_mb": peak_rss_mb(),
    }
    if args.workdir is None:
        shutil.rmtree(workdir, ignore_errors=True)
    print(json.dumps(figures))
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
