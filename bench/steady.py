"""`python -m bench.steady --history H --night M [--database-url URL]` — steady state (CONTRACT §5).

Builds H settled claims of earlier years in bulk (direct inserts of paid skill-upgrade claims with
their amounts: the grants assessment reads; no events, batches or payments are built for them),
a few for most persons of the night's M new claims, the rest for other persons, then imports the night's M synthetic
claims and runs their lifecycle (every night until they are settled). The same night runs over an
empty history in a second database. The ratio is history/empty of the nights' step seconds; the
LAST line is the JSON object (ratio, cpu_ratio, peak MB, times, build time).

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
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, insert, select

from bench import databases
from bench.lifecycle import IMPORTER, peak_rss_mb
from bench.product import Timings, run_lifecycle
from bench.schedule import IMPORT_DAY
from bench.synthetic import generate
from intake.identity import make_person_id
from intake.keys import person_key
from models.tables import CLAIM
from services.settings import DEFAULT_CHUNK_SIZE

HISTORY_YEARS = (2017, 2018, 2019)
HISTORY_AMOUNT = Decimal("1000.00")
"""the amount stored on a history claim: a bench setting (the claims are only read as grants)"""
PER_PERSON = (1, 2, 3)
"""earlier claims of a night's person who has history (drawn from this list): a bench setting"""
PER_PERSON_OTHERS = 2
"""earlier claims of each other person of the history"""
INSERT_ROWS = 10_000
"""history rows per bulk INSERT"""


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
    them each, the rest of H goes to other persons, PER_PERSON_OTHERS each."""
    rng = random.Random(seed)
    i = 0
    for person in persons:
        if rng.random() < share:
            for _ in range(rng.choice(PER_PERSON)):
                if i == h:
                    return
                yield _history_claim(i, person)
                i += 1
    region = persons[0][2] if persons else "211402"
    while i < h:
        p = i // PER_PERSON_OTHERS
        birth = date(1950, 1, 1) + timedelta(days=p // 1000)
        yield _history_claim(i, (make_person_id(region, birth, p % 1000), "往年申领人", region))
        i += 1


def _history_claim(i: int, person: tuple[str, str, str]) -> dict[str, Any]:
    person_id, name, region = person
    certified = date(HISTORY_YEARS[i % len(HISTORY_YEARS)], 1 + i % 12, 1 + i % 28)
    return {
        "claim_id": f"H{i:010d}", "policy": "huludao-2019", "kind": "skill_upgrade",
        "person_id": person_id, "person_name": name, "groups": "enterprise_employee", "region": region,
        "filed_on": certified, "payee_type": "individual", "payee_id": person_id,
        "occupation": f"往年工种{i % 97}", "level": "L4", "certificate_no": f"HIST{i:012d}",
        "certificate_date": certified, "person_key": person_key(person_id),
        "content_hash": f"{i:064d}", "state": "paid", "state_on": certified,
        "amount": HISTORY_AMOUNT, "final_paid": HISTORY_AMOUNT, "citations": "", "reasons": "",
    }


def build_history(engine: Engine, rows: Iterator[dict[str, Any]]) -> int:
    """Bulk INSERTs of INSERT_ROWS rows, one transaction each."""
    written, batch = 0, []
    for row in rows:
        batch.append(row)
        if len(batch) == INSERT_ROWS:
            with engine.begin() as conn:
                conn.execute(insert(CLAIM), batch)
            written, batch = written + len(batch), []
    if batch:
        with engine.begin() as conn:
            conn.execute(insert(CLAIM), batch)
        written += len(batch)
    return written


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
    built = build_history(database.engine, history_rows(history, persons, args.share, args.seed)) if history else 0
    build_seconds = time.perf_counter() - began
    if history:
        print(f"{name}: built {built:,} settled claims of {HISTORY_YEARS[0]}-{HISTORY_YEARS[-1]} "
              f"in {build_seconds:.1f} s")
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
            "import": import_seconds, "states": states}


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
        "history": args.history, "night": args.night,
        "seconds": round(full["seconds"], 3), "empty_seconds": round(empty["seconds"], 3),
        "ratio": round(full["seconds"] / max(empty["seconds"], 1e-9), 3),
        "cpu_ratio": round(full["cpu"] / max(empty["cpu"], 1e-9), 3),
        "assess_ratio": round(full["assess"] / max(empty["assess"], 1e-9), 3),
        "build_seconds": round(full["build"], 1), "peak_rss_mb": peak_rss_mb(),
    }
    if args.workdir is None:
        shutil.rmtree(workdir, ignore_errors=True)
    print(json.dumps(figures))
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
