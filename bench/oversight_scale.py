"""Issue 23's "done when" at scale: N synthetic claims on PostgreSQL, two worker processes per night.

    python -m bench.oversight_scale --db postgresql://postgres@127.0.0.1:5432/bench --claims 100000

Prints, with timings:
1. sampling reproducible: `make_plan` twice with one seed gives the same roster, another seed not;
2. the fund ledger never overspent: budgets for every (policy, 2020, region) of the claims (a bench
   figure, BUDGET_PER_CLAIM yuan per claim filed there — not a policy number), the benchmark's calendar of
   nights each run by two `claims nightly worker` processes sharing the partitions; then per account
   budget >= drawn >= payments sent, and the claims held for the budget;
3. signals: `claims oversight scan` over the backlog after the nights, with the signal generator's
   example settings (age 16-60, ratio 1.5): signals found, claims set aside;
4. replay lists exactly the planted difference: Huludao's L4 amount 2000 -> 1800 in a copy of the
   pack lists exactly the Huludao L4 claims the rules granted 2000, no other.
The database named by --db gets a fresh schema `oversight_scale` (dropped first).
"""

from __future__ import annotations

import argparse
import csv
import os
import subprocess
import sys
import time
from datetime import date
from decimal import Decimal
from pathlib import Path

import yaml
from sqlalchemy import Engine, func, select, text

from bench.product import raise_objections, review_objections, unsettled
from bench.schedule import COMPLETION_DAY, IMPORT_DAY, OBJECTION_DAY, REVIEW_DAY, nights
from bench.synthetic import generate
from models.db import make_engine
from models.oversight import FUND
from models.schema import upgrade
from models.tables import CLAIM, PAYMENT
from services.access.actors import Actor

BUDGET_PER_CLAIM = Decimal("600")
"""the bench's budget per claim filed in a region (about a third of what the synthetic claims are
granted on average), so that budgets run out and hold claims: a bench figure only"""
SCHEMA = "oversight_scale"


def _url(base: str) -> str:
    sep = "&" if "?" in base else "?"
    return f"{base}{sep}options=-csearch_path%3D{SCHEMA}"


def _claims(url: str, env: dict[str, str], *args: str) -> str:
    done = subprocess.run([os.path.join(os.path.dirname(sys.executable), "claims"), *args], env={
        **os.environ, **env, "CLAIMS_DATABASE_URL": url}, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"claims {' '.join(args)} failed:\n{done.stderr[-3000:]}")
    return done.stdout


def _workers(url: str, env: dict[str, str], day: date, chunk: int) -> None:
    procs = [subprocess.Popen(
        [os.path.join(os.path.dirname(sys.executable), "claims"), "nightly", "worker", "--as-of", str(day),
         "--run-key", f"night-{day}", "--worker", f"w{n}", "--chunk-size", str(chunk)],
        env={**os.environ, **env, "CLAIMS_DATABASE_URL": url}, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True) for n in (1, 2)]
    for proc in procs:
        _, err = proc.communicate()
        if proc.returncode != 0:
            raise SystemExit(f"worker failed on {day}:\n{err[-3000:]}")


def _scalar(engine: Engine, sql: str) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text(sql)).scalar_one() or 0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", required=True, help="a PostgreSQL database URL")
    parser.add_argument("--claims", type=int, default=2000)
    parser.add_argument("--workdir", type=Path, default=Path("oversight-scale"))
    parser.add_argument("--chunk-size", type=int, default=2000)
    args = parser.parse_args()
    work = args.workdir
    work.mkdir(parents=True, exist_ok=True)
    admin = make_engine(args.db)
    with admin.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
        conn.execute(text(f"CREATE SCHEMA {SCHEMA}"))
    admin.dispose()
    url = _url(args.db)
    engine = make_engine(url)
    upgrade(engine)
    started = time.perf_counter()

    from intake.readers import read_rows
    from services.importing.filing import import_file
    from services.importing.rosters import record_completions, record_inspections
    from services.oversight.sampling import make_plan, roster_rows

    files = generate(args.claims, work / "input")
    report = import_file(engine, files.claims, actor=Actor("clerk", "clerk"), on=IMPORT_DAY)
    print(f"imported {report.filed} claims in {time.perf_counter() - started:.0f} s")

    t = time.perf_counter()
    with engine.connect() as conn:
        first = roster_rows(make_plan(conn, on=IMPORT_DAY, rate=Decimal("0.05"), seed="scale"))
        again = roster_rows(make_plan(conn, on=IMPORT_DAY, rate=Decimal("0.05"), seed="scale"))
        other = roster_rows(make_plan(conn, on=IMPORT_DAY, rate=Decimal("0.05"), seed="other"))
    print(f"1. sampling at 5%: {len(first)} claims drawn; same seed same roster: {first == again}; "
          f"another seed differs: {first != other} ({(time.perf_counter() - t) / 3:.1f} s per plan)")

    with engine.connect() as conn:
        regions = conn.execute(select(CLAIM.c.policy, CLAIM.c.region, func.count())
                               .group_by(CLAIM.c.policy, CLAIM.c.region)).all()
    funds: dict[str, dict[int, dict[str, str]]] = {}
    for policy, region, n in regions:
        funds.setdefault(policy, {}).setdefault(2020, {})[region] = str(BUDGET_PER_CLAIM * n)
    settings = work / "settings.yaml"
    settings.write_text(yaml.safe_dump({"funds": funds}, allow_unicode=True), encoding="utf-8")
    env = {"CLAIMS_SETTINGS": str(settings.resolve()), "CLAIMS_PAYMENT_DIR": str((work / "payments").resolve()),
           "CLAIMS_PAYMENT_APPROVAL_REQUIRED": "false"}
    os.environ.update(env)

    t = time.perf_counter()
    record_inspections(engine, read_rows(files.inspections), actor=Actor("bench-inspector", "inspector"),
                       on=IMPORT_DAY)
    ran = 0
    for day in nights():
        if day == COMPLETION_DAY:
            record_completions(engine, read_rows(files.completions), actor=Actor("bench-clerk", "clerk"), on=day)
        if day == OBJECTION_DAY:
            raise_objections(engine, files.objections, day)
        if day == REVIEW_DAY:
            review_objections(engine, files.objections, day)
        _workers(url, env, day, args.chunk_size)
        ran += 1
        left = unsettled(engine)
        held = _scalar(engine, "SELECT COUNT(*) FROM claim WHERE state = 'approved' "
                               "AND set_aside_reason LIKE 'fund budget%'")
        signalled = _scalar(engine, "SELECT COUNT(DISTINCT claim_pk) FROM signal_hold WHERE status = 'open'")
        if day > REVIEW_DAY and left <= held + signalled:
            break
    print(f"2. {ran} nights, two workers each, in {time.perf_counter() - t:.0f} s")
    with engine.connect() as conn:
        accounts = conn.execute(select(FUND.c.policy, FUND.c.year, FUND.c.region, FUND.c.budget, FUND.c.drawn)).all()
        sent = {(p, y, r): Decimal(a) for p, y, r, a in conn.execute(
            select(CLAIM.c.policy, func.extract("year", PAYMENT.c.business_date), CLAIM.c.region,
                   func.sum(PAYMENT.c.amount))
            .join(CLAIM, CLAIM.c.id == PAYMENT.c.claim_pk)
            .where(PAYMENT.c.status == "sent", PAYMENT.c.kind.in_(("advance", "final")))
            .group_by(CLAIM.c.policy, func.extract("year", PAYMENT.c.business_date), CLAIM.c.region))}
    sent = {(p, int(y), r): a for (p, y, r), a in sent.items()}
    over = [a for a in accounts if a.drawn > a.budget or sent.get((a.policy, a.year, a.region), Decimal(0)) > a.drawn]
    budget = sum((a.budget for a in accounts), Decimal(0))
    drawn = sum((a.drawn for a in accounts), Decimal(0))
    paid = sum(sent.values(), Decimal(0))
    print(f"   {len(accounts)} fund accounts: budget {budget:,.2f}, drawn {drawn:,.2f}, payments sent {paid:,.2f}; "
          f"accounts overspent: {len(over)}; claims held for the budget: {held}; held by a signal: {signalled}; "
          f"unsettled otherwise: {left - held - signalled}")

    t = time.perf_counter()
    scan_settings = work / "settings-signals.yaml"  # the signal generator's example settings, for the scan
    scan_settings.write_text(yaml.safe_dump({"funds": funds, "oversight": {
        "age_min": 16, "age_max": 60, "surge_ratio": "1.5"}}, allow_unicode=True), encoding="utf-8")
    out = _claims(url, {**env, "CLAIMS_SETTINGS": str(scan_settings.resolve())}, "oversight", "scan", "--on", str(day))
    print(f"3. signals: {out.strip()} ({time.perf_counter() - t:.0f} s)")

    pack = work / "huludao-2019.yaml"
    source = (Path(__file__).resolve().parents[1] / "rules" / "packs" / "huludao-2019.yaml").read_text(encoding="utf-8")
    pack.write_text(source.replace("{kind: fixed, value: 2000,", "{kind: fixed, value: 1800,", 1), encoding="utf-8")
    t = time.perf_counter()
    _claims(url, env, "rules", "replay", "--pack", str(pack), "--out", str(work / "replay.csv"))
    with (work / "replay.csv").open(encoding="utf-8-sig") as fh:
        next(fh)  # the title line
        listed = {r["申领编号"]: r["差额(元)"] for r in csv.DictReader(fh) if r["申领编号"] not in ("", "合计")}
    from services.oversight.replay import DECIDED

    with engine.connect() as conn:
        decided = dict(conn.execute(select(CLAIM.c.claim_id, CLAIM.c.amount).where(
            CLAIM.c.policy == "huludao-2019", CLAIM.c.level == "L4", CLAIM.c.state.in_(DECIDED))).all())
    granted = {c for c, amount in decided.items() if amount == Decimal("2000")}  # the rules granted 2000
    others = set(listed) - granted  # refused at night, granted by a re-evaluation today (see docs)
    print(f"4. replay (Huludao L4 2000 -> 1800): {len(listed)} listed; every granted Huludao L4 claim listed "
          f"({len(granted)}): {granted <= set(listed)}; only Huludao L4 claims listed: {set(listed) <= set(decided)}; "
          f"every difference -200.00: {set(listed.values()) <= {'-200.00'}}; listed beyond the granted: "
          f"{len(others)} (refused at night, which a re-evaluation today grants) ({time.perf_counter() - t:.0f} s)")
    print(f"total {time.perf_counter() - started:.0f} s")
    engine.dispose()


if __name__ == "__main__":
    main()
