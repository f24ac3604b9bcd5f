"""`python -m bench.scaleout --claims N --workers 1,2,4 --database-url URL` — one night, W worker processes.

Generates N synthetic claims (bench.synthetic), imports them once with the product's import into a
fresh PostgreSQL schema, records the inspection roster on the first night's date (as
bench.lifecycle's first day does), then for each worker count W clones that database
(bench.databases.clone_imported), ANALYZEs it and runs the FIRST business night (2020-05-06: pay
advances, apply inspections, assess, post — every claim moves through several steps) with W
`claims nightly worker` processes started at once under one run key. Only the first night is run:
the later nights need the day's rosters, objections and releases between them and move fewer
claims each.

Per W it prints the wall seconds from the start of the workers to the last one's exit (Python
start-up included), the claims moved (services.nightly.leasing.results), claims/s, the speed-up
over the first W given, the workers' cpu (getrusage of the children), the PostgreSQL server cpu
of their backends (sampled from pg_stat_activity and /proc while they run; only for a server on
this machine), the WAL the server wrote meanwhile (server-wide: other users' writes count too)
and the load average. Each W's end state (claims, events with their hash heads, payments and
their batches) must equal the first W's (bench.verify); the exit status is 1 when it does not.
The LAST line is one JSON object with the figures per W.

Without --database-url it refuses: SQLite has one writer, so more workers cannot be faster there.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Connection, Engine, create_engine, text

from bench import databases
from bench.lifecycle import IMPORTER, _generated_apart
from bench.product import INSPECTOR
from bench.schedule import IMPORT_DAY, nights
from bench.verify import differences
from services.settings import DEFAULT_CHUNK_SIZE

ROOT = Path(__file__).resolve().parents[1]
NIGHT = nights()[0]
RUN_KEY = f"scaleout-{NIGHT}"
"""the same key for every W: the events' hashes cover it, so the hash heads must agree too"""
EXAMPLE = """example:
  python -m bench.scaleout --claims 20000 --workers 1,2,4 \\
      --database-url postgresql://postgres@127.0.0.1:5432/test --chunk-size 5000
"""


@dataclass
class Measured:
    workers: int
    seconds: float
    start_seconds: float
    busy_seconds: float
    tail_seconds: float
    moved: int
    worker_cpu: float
    server_cpu: float | None
    wal_mb: float | None
    peak_backends: int
    load: float
    took: dict[str, int]

    def rate(self) -> float:
        return self.moved / self.seconds if self.seconds > 0 else 0.0


class BackendCpu(threading.Thread):
    """CPU seconds of the server backends whose application_name starts with `tag`: polled from
    pg_stat_activity and /proc/<pid>/stat every `every` seconds while the workers run (a backend
    that ends loses at most its last interval). None when /proc shows none of them (a server on
another machine)."""

    def __init__(self, server_url: str, tag: str, every: float = 0.1) -> None:
        super().__init__(daemon=True)
        self._engine = create_engine(databases._driver_url(server_url), isolation_level="AUTOCOMMIT")
        self._tag, self._every = tag, every
        self._seen: dict[int, float] = {}
        self._done = threading.Event()
        self.peak_backends = 0
        """the most connections the workers held at once"""
        self.missed: set[int] = set()
        """backends listed but gone from /proc before their first reading (connections shorter
        than one interval): not counted"""

    def _sample(self, conn: Connection) -> None:
        rows = conn.execute(text("SELECT pid FROM pg_stat_activity WHERE application_name LIKE :t"),
                            {"t": self._tag + "%"}).scalars()
        listed = set(rows)
        self.peak_backends = max(self.peak_backends, len(listed))
        for pid in listed | set(self._seen):
            cpu = databases.ServerCpu._cpu(int(pid))
            if cpu is not None:
                self._seen[int(pid)] = max(cpu, self._seen.get(int(pid), 0.0))
            elif pid not in self._seen:
                self.missed.add(int(pid))

    def run(self) -> None:
        with self._engine.connect() as conn:
            while not self._done.is_set():
                self._sample(conn)
                self._done.wait(self._every)
            self._sample(conn)

    def seconds(self) -> float | None:
        self._done.set()
        self.join()
        self._engine.dispose()
        if not self._seen:
            return None
        return round(sum(self._seen.values()), 2)


def _wal_lsn(engine: Engine) -> int | None:
    try:
        with engine.connect() as conn:
            return int(conn.execute(text("SELECT pg_current_wal_lsn() - '0/0'::pg_lsn")).scalar_one())
    except Exception:  # e.g. a role that may not read it
        return None


def _phases(engine: Engine, launched: datetime, ended: datetime) -> tuple[float, float, float]:
    """(start, busy, tail) seconds: launch to the first step's publication (Python start-up, schema
    check), publication to the last partition done (the steps), last partition done to the last
    worker's exit (the audit anchor and the outbox, run by one worker). The workers stamp UTC
    from this machine's clock, as `launched` and `ended` are."""
    with engine.connect() as conn:
        first = conn.execute(text("SELECT MIN(published_at) FROM work_step WHERE run_key = :k"),
                             {"k": RUN_KEY}).scalar_one()
        last = conn.execute(text("SELECT MAX(done_at) FROM work_partition WHERE run_key = :k"),
                            {"k": RUN_KEY}).scalar_one()
    if not first or not last:
        return 0.0, 0.0, 0.0

    def between(a: datetime, b: datetime) -> float:
        return round((b - a).total_seconds(), 2)

    return between(launched, first), between(first, last), between(last, ended)


def _utc() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _with_application_name(url: str, name: str) -> str:
    return f"{url}{'&' if '?' in url else '?'}application_name={name}"


def run_workers(database: databases.BenchDatabase, server_url: str, workers: int, size: int,
                payments: Path) -> Measured:
    """The night with `workers` `claims nightly worker` processes of the worktree's code, timed."""
    from services.nightly.leasing import results, taken_by

    tag = f"scaleout-{uuid.uuid4().hex[:8]}"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "CLAIMS_PAYMENT_DIR": str(payments)}
    sampler = BackendCpu(server_url, tag)
    wal_before, cpu_before = _wal_lsn(database.engine), _children_cpu()
    sampler.start()
    began, launched = time.perf_counter(), _utc()
    procs = [subprocess.Popen(
        [sys.executable, "-m", "cli.main", "nightly", "worker", "--as-of", str(NIGHT), "--run-key", RUN_KEY,
         "--worker", f"w{n}", "--chunk-size", str(size)],
        cwd=ROOT, env={**env, "CLAIMS_DATABASE_URL": _with_application_name(database.url, f"{tag}-w{n}")},
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for n in range(1, workers + 1)]
    failed = []
    for proc in procs:
        _out, err = proc.communicate()
        if proc.returncode != 0:
            failed.append(err[-2000:])
    seconds, ended = time.perf_counter() - began, _utc()
    server_cpu, worker_cpu = sampler.seconds(), _children_cpu() - cpu_before
    if sampler.missed:
        print(f"  ({len(sampler.missed)} short server backends ended before /proc was read: not in server cpu)")
    wal_after = _wal_lsn(database.engine)
    if failed:
        raise RuntimeError("a worker failed:\n" + "\n".join(failed))
    moved = sum(sum(r.moved.values()) for r in results(database.engine, RUN_KEY).values())
    wal = None if wal_before is None or wal_after is None else round((wal_after - wal_before) / 2**20, 1)
    return Measured(workers, round(seconds, 2), *_phases(database.engine, launched, ended), moved, round(worker_cpu, 2),
                    server_cpu, wal, sampler.peak_backends, round(os.getloadavg()[0], 2),
                    taken_by(database.engine, RUN_KEY))


def table_sizes(database: databases.BenchDatabase) -> list[tuple[str, int, int, int]]:
    """(table, rows, pg_total_relation_size, pg_indexes_size) of every product table holding rows."""
    found = []
    with database.engine.connect() as conn:
        for table in databases._copied_tables():
            rows = int(conn.execute(text(f"SELECT COUNT(*) FROM {table}")).scalar_one())
            name = f"'\"{database.schema}\".{table}'"
            total, indexes = conn.execute(text(f"SELECT pg_total_relation_size({name}), pg_indexes_size({name})")).one()
            if rows:
                found.append((table, rows, int(total), int(indexes)))
    return found


def _print_sizes(title: str, database: databases.BenchDatabase) -> None:
    print(f"{title} (pg_total_relation_size: heap, indexes, TOAST):")
    for table, rows, size, indexes in table_sizes(database):
        print(f"  {table:<24} {rows:>10,} rows {size / 2**20:>9.1f} MB {size / rows:>7.0f} B/row "
              f"(indexes {indexes / rows:.0f})")


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.scaleout", description=__doc__,
                                     epilog=EXAMPLE, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--claims", type=int, required=True, help="number of synthetic claims")
    parser.add_argument("--workers", default="1,2,4",
                        help="worker counts to run, comma-separated (default 1,2,4); speed-up is over the first")
    parser.add_argument("--database-url", default=None,
                        help="a PostgreSQL server URL (fresh schemas are used and dropped); required")
    parser.add_argument("--chunk-size", type=int, default=DEFAULT_CHUNK_SIZE,
                        help=f"claims per partition (default {DEFAULT_CHUNK_SIZE}); a step has about "
                             "claims/chunk-size partitions, so more workers than that have nothing to take")
    parser.add_argument("--workdir", type=Path, default=None, help="keep the generated files here")
    parser.add_argument("--seed", type=int, default=20200401)
    return parser.parse_args(argv)


def _show(runs: list[Measured]) -> None:
    base = runs[0].rate()
    print("moved = claim moves (a claim moving in three steps counts three times); wall = start of the "
          "workers to the last one's exit;\nstart = launch to the first step published (Python start-up), busy = "
          "first step published to last partition done,\ntail = last partition done to last exit (audit anchor, "
          "outbox: one worker); WAL: the whole "
          "server's, other users' writes included;\nconns: the most server connections the workers held at once")
    print(f"{'W':>3} {'wall s':>8} {'start':>6} {'busy s':>7} {'tail':>6} {'moved':>9} {'claims/s':>9} "
          f"{'speed-up':>8} {'worker cpu s':>12} "
          f"{'server cpu s':>12} {'WAL MB':>7} {'conns':>5} {'load':>5}  partitions taken")
    for m in runs:
        server = "-" if m.server_cpu is None else f"{m.server_cpu:.2f}"
        wal = "-" if m.wal_mb is None else f"{m.wal_mb:.0f}"
        print(f"{m.workers:>3} {m.seconds:>8.2f} {m.start_seconds:>6.2f} {m.busy_seconds:>7.2f} "
              f"{m.tail_seconds:>6.2f} {m.moved:>9,} {m.rate():>9,.0f} "
              f"{m.rate() / base:>8.2f} {m.worker_cpu:>12.2f} {server:>12} {wal:>7} {m.peak_backends:>5} "
              f"{m.load:>5.2f}  "
              f"{', '.join(f'{w} {n}' for w, n in sorted(m.took.items()))}")


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    counts = [int(w) for w in args.workers.split(",") if w.strip()]
    server = args.database_url
    if not server or server.startswith("sqlite"):
        print("bench.scaleout needs --database-url postgresql://…: SQLite has one writer, so several "
              "workers cannot share a night faster there", file=sys.stderr)
        return 2
    if not counts or min(counts) < 1:
        print("--workers: give worker counts >= 1, e.g. 1,2,4", file=sys.stderr)
        return 2
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="claims-scaleout-"))
    workdir.mkdir(parents=True, exist_ok=True)
    os.environ["CLAIMS_PAYMENT_DIR"] = str(workdir / "payments-setup")
    print(f"workdir {workdir}; PostgreSQL {server.split('@')[-1]}; cpus {os.cpu_count()}; "
          f"night {NIGHT}; chunk size {args.chunk_size}; load average {os.getloadavg()[0]:.2f}")

    began = time.perf_counter()
    files = _generated_apart(args.claims, workdir / "input", args.seed)
    print(f"generated {files.claims_written:,} claims in {time.perf_counter() - began:.1f} s")
    template = databases.fresh(server, workdir, "scaleout")
    from intake.readers import read_rows
    from services.importing.filing import import_file
    from services.importing.rosters import record_inspections

    began = time.perf_counter()
    report = import_file(template.engine, files.claims, actor=IMPORTER, on=IMPORT_DAY)
    inspections = record_inspections(template.engine, read_rows(files.inspections),
                                     actor=INSPECTOR, on=NIGHT).recorded
    print(f"imported {report.filed:,} claims and recorded {inspections:,} inspections in "
          f"{time.perf_counter() - began:.1f} s")
    _print_sizes("tables after import and the inspection roster", template)

    runs: list[Measured] = []
    first: databases.BenchDatabase | None = None
    clone: databases.BenchDatabase | None = None
    problems: list[str] = []
    try:
        for workers in counts:
            clone = databases.clone_imported(template, server, workdir, f"w{workers}")
            databases.analyze(clone)
            measured = run_workers(clone, server, workers, args.chunk_size, workdir / f"payments-w{workers}")
            runs.append(measured)
            print(f"W={workers}: {measured.seconds:.2f} s, {measured.moved:,} claims moved, "
                  f"load {measured.load:.2f}")
            if first is None:
                first = clone
                _print_sizes(f"tables after the night (W={workers}, before any VACUUM)", clone)
                continue
            found = differences(first.engine, clone.engine, several_workers=True)
            problems += [f"W={workers} against W={counts[0]} (product = W={counts[0]}, floor = W={workers}): {p}"
                         for p in found]
            databases.drop(clone, server)
            clone = None
    finally:  # every schema this run made, also when a worker failed
        for database in {id(d): d for d in (clone, first, template) if d is not None}.values():
            databases.drop(database, server)
        if args.workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)

    _show(runs)
    for problem in problems:  # bench.verify's words: "product" is the first W, "floor" the W named
        print("END STATES DIFFER: " + problem, file=sys.stderr)
    if not problems:
        print(f"end states agree with W={counts[0]}'s: claims, events and hash heads, payments, batches")
    print(f"load average at the end {os.getloadavg()[0]:.2f} on {os.cpu_count()} cpus")
    base = runs[0].rate()
    print(json.dumps({
        "claims": args.claims, "workers": counts, "seconds": [m.seconds for m in runs],
        "start_seconds": [m.start_seconds for m in runs], "busy_seconds": [m.busy_seconds for m in runs],
        "tail_seconds": [m.tail_seconds for m in runs],
        "claims_moved": [m.moved for m in runs], "claims_per_s": [round(m.rate(), 1) for m in runs],
        "speedup": [round(m.rate() / base, 3) for m in runs],
        "worker_cpu_seconds": [m.worker_cpu for m in runs],
        "server_cpu_seconds": [m.server_cpu for m in runs], "wal_mb": [m.wal_mb for m in runs],
        "peak_connections": [m.peak_backends for m in runs],
        "load": [m.load for m in runs], "agree": not problems}))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
