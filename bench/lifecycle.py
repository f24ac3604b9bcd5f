"""`python -m bench.lifecycle --claims N [--database-url URL] [--prefect]` — the benchmark.

Generates N synthetic claims (bench.synthetic), imports the CSV into a fresh database (a temp
SQLite file, or a fresh schema on the PostgreSQL server given), copies the imported claims for
the floor, runs the product's lifecycle (rosters, objections, every night until every claim is
settled), runs the floor (bench.floor) on the copy, checks both end states agree, and prints the
figures; the LAST line is the CONTRACT §5 JSON object: wall-clock `ratio`, `cpu_ratio` (this
process's cpu, plus on PostgreSQL the server backends' cpu when /proc shows them) and
`import_ratio` (the import against bench.floor_import's no-checks read + executemany). On
PostgreSQL both databases are ANALYZEd before the nights are timed.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import resource
import shutil
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from bench import databases
from bench.floor import Floor
from bench.floor_import import floor_import
from bench.product import Timings, run_lifecycle
from bench.schedule import IMPORT_DAY
from bench.synthetic import SyntheticFiles, generate
from bench.verify import differences
from bench.writes import WriteMeter
from services.access.actors import Actor
from services.settings import DEFAULT_CHUNK_SIZE

IMPORTER = Actor("bench-clerk", "clerk")


def peak_rss_mb() -> float:
    """Peak resident memory of this process plus the largest child, in MB (Linux: KiB units)."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return round((own + children) / 1024, 1)


def _print_steps(title: str, timings: Timings) -> None:
    print(title)
    for name, seconds in timings.seconds.items():
        claims = timings.claims.get(name, 0)
        rate = f"{claims / seconds:,.0f} claims/s" if seconds > 0 and claims else ""
        print(f"  {name:<24} {seconds:9.2f} s  cpu {timings.cpu.get(name, 0.0):8.2f} s  "
              f"{claims:>10,} moved  {rate}")


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.lifecycle", description=__doc__.splitlines()[0])
    parser.add_argument("--claims", type=int, required=True, help="number of synthetic claims")
    parser.add_argument("--database-url", default=None,
                        help="a PostgreSQL server URL (a fresh schema is used and dropped); default a temp SQLite file")
    parser.add_argument("--chunk-size", type=int, default=DEFAULT_CHUNK_SIZE,
                        help="claims per partition (product setting)")
    parser.add_argument("--prefect", action="store_true",
                        help="run the nights through the nightly Prefect flow (needs PREFECT_API_URL)")
    parser.add_argument("--workdir", type=Path, default=None, help="keep files and databases here")
    parser.add_argument("--seed", type=int, default=20200401)
    return parser.parse_args(argv)


def _children_cpu() -> float:
    """CPU seconds of this process's finished child processes (the import's worker pool)."""
    times = os.times()
    return times.children_user + times.children_system


def _generated_apart(n: int, out_dir: Path, seed: int) -> SyntheticFiles:
    """`generate` in a process of its own: the import then starts in a process holding
    nothing of the generator's, as `claims import` does."""
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        return pool.apply(generate, (n, out_dir), {"seed": seed})


def _machine_speed() -> float:
    """Seconds this machine takes for a fixed piece of plain Python (10 million additions, best
    of 3): the yardstick for comparing absolute figures such as rows/s between machines, which
    differ by 2x and more on the same 2-core size."""
    best = float("inf")
    for _ in range(3):
        began, total = time.perf_counter(), 0
        for i in range(10_000_000):
            total += i
        best = min(best, time.perf_counter() - began)
    return best


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="claims-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    os.environ["CLAIMS_PAYMENT_DIR"] = str(workdir / "payments")
    server = args.database_url
    print(f"workdir {workdir}; database {'PostgreSQL ' + server.split('@')[-1] if server else 'SQLite'}; "
          f"cpus {os.cpu_count()}; plain Python: 10M additions in {_machine_speed():.2f} s")

    began = time.perf_counter()
    files = _generated_apart(args.claims, workdir / "input", args.seed)
    print(f"generated {files.claims_written:,} claims ({files.advance_claims:,} with advances) "
          f"in {time.perf_counter() - began:.1f} s")

    product = databases.fresh(server, workdir, "product")
    from services.importing.filing import import_file

    speed_before = _machine_speed()

    began, cpu, workers_cpu = time.perf_counter(), time.process_time(), _children_cpu()
    report = import_file(product.engine, files.claims, actor=IMPORTER, on=IMPORT_DAY)
    import_seconds = time.perf_counter() - began
    rows_per_s = files.claims_written / import_seconds
    print(f"import: {files.claims_written:,} rows in {import_seconds:.2f} s = {rows_per_s:,.0f} rows/s "
          f"(cpu: importing process {time.process_time() - cpu:.2f} s, workers "
          f"{_children_cpu() - workers_cpu:.2f} s; filed {report.filed:,}, rejected {report.rejected:,})")
    print(f"  plain Python right before and after the import: 10M additions in {speed_before:.2f} s, "
          f"{_machine_speed():.2f} s (a shared machine's speed varies by 20 % and more within minutes)")
    if report.rejected:
        print(f"warning: {report.rejected} synthetic rows were rejected", file=sys.stderr)

    floor_db = databases.clone_imported(product, server, workdir, "floor")
    floor_rows, floor_import_seconds = floor_import(floor_db.engine, files.claims)
    import_ratio = import_seconds / max(floor_import_seconds, 1e-9)
    print(f"import floor (csv.reader + executemany, no checks, one transaction): {floor_rows:,} rows in "
          f"{floor_import_seconds:.2f} s; import_ratio {import_ratio:.2f}")
    if server:
        for database in (product, floor_db):
            databases.analyze(database)
    product_server, floor_server = databases.ServerCpu(product), databases.ServerCpu(floor_db)

    meter = WriteMeter(product.engine)
    meter.start()
    began, cpu = time.perf_counter(), time.process_time()
    timings = run_lifecycle(product.engine, product.url, files, size=args.chunk_size, prefect=args.prefect,
                            log=lambda line: print("  " + line))
    seconds, product_cpu = time.perf_counter() - began, time.process_time() - cpu
    product_written = meter.stop()
    _print_steps(f"lifecycle: {seconds:.2f} s (cpu of this process {product_cpu:.2f} s) over {timings.nights} nights",
                 timings)
    if args.prefect:
        from bench.product import prefect_fixed_cost

        flow_s, plain_s, flow_cpu = prefect_fixed_cost(product.engine, product.url,
                                                       IMPORT_DAY + timedelta(days=timings.nights), args.chunk_size)
        print(f"Prefect fixed cost per night: {flow_s - plain_s:.2f} s (an empty night: flow {flow_s:.2f} s, of "
              f"which {flow_cpu:.2f} s cpu of this process — the rest is waiting for the server's answers; the same "
              f"steps without Prefect {plain_s:.2f} s; nights of this run through the flow took "
              f"{', '.join(f'{t:.1f}' for t in timings.prefect_nights)} s)")

    floor_meter = WriteMeter(floor_db.engine)
    floor_meter.start()
    began, cpu = time.perf_counter(), time.process_time()
    floor_timings = Floor(floor_db.engine, files, workdir / "floor-payments", size=args.chunk_size).run()
    floor_seconds, floor_cpu = time.perf_counter() - began, time.process_time() - cpu
    floor_written = floor_meter.stop()
    _print_steps(f"floor: {floor_seconds:.2f} s (cpu of this process {floor_cpu:.2f} s) over "
                 f"{floor_timings.nights} nights", floor_timings)
    moved = sum(timings.claims.values())
    print(f"writes over {moved:,} claim moves: {product_written.line('product', moved)}; "
          f"{floor_written.line('floor', moved)}")
    server_cpu, floor_server_cpu = product_server.seconds(), floor_server.seconds()
    cpu_ratio = product_cpu / max(floor_cpu, 1e-9)
    if server_cpu is not None and floor_server_cpu is not None:
        cpu_ratio = (product_cpu + server_cpu) / max(floor_cpu + floor_server_cpu, 1e-9)
        print(f"PostgreSQL server cpu (its backends for these connections): product {server_cpu:.2f} s, "
              f"floor {floor_server_cpu:.2f} s")
    elif server:
        print("PostgreSQL server cpu: not obtainable here (server not on this machine or /proc not readable); "
              "cpu_ratio compares this process's cpu only")
    print(f"cpu of this process: product {product_cpu:.2f} s, floor {floor_cpu:.2f} s; cpu_ratio {cpu_ratio:.2f}"
          f"{' (with the server backends)' if server_cpu is not None and floor_server_cpu is not None else ''}")
    note = (f"; the cpu ratio {cpu_ratio:.2f} is the same comparison without other load"
            if product.schema is None else "")
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cpus (figures are wall-clock{note})")

    problems = differences(product.engine, floor_db.engine, (workdir / "payments", workdir / "floor-payments"),
                           heads=not args.prefect)  # a flow run's id is in its hashes, the floor's is bench-DAY
    for problem in problems:
        print("END STATES DIFFER: " + problem, file=sys.stderr)
    if not problems:
        heads = "hash heads not compared (a flow run's id is hashed into its events)" if args.prefect else "hash heads"
        print(f"end states agree: states, amounts, payments, events and their reasons, {heads}, "
              "payment batches and their releases, batch files")

    figures = {"claims": args.claims, "seconds": round(seconds, 3), "floor_seconds": round(floor_seconds, 3),
               "ratio": round(seconds / floor_seconds, 3), "cpu_seconds": round(product_cpu, 3),
               "floor_cpu_seconds": round(floor_cpu, 3), "cpu_ratio": round(cpu_ratio, 3),
               "import_ratio": round(import_ratio, 3), "import_rows_per_s": round(rows_per_s),
               "import_floor_rows_per_s": round(floor_rows / max(floor_import_seconds, 1e-9)),
               "peak_rss_mb": peak_rss_mb()}
    figures.update(commits=product_written.commits, floor_commits=floor_written.commits)
    figures.update(step_cpu_seconds={k: round(v, 3) for k, v in timings.cpu.items()},
                   floor_step_cpu_seconds={k: round(v, 3) for k, v in floor_timings.cpu.items()})
    if product_written.process_bytes is not None and floor_written.process_bytes is not None:
        figures.update(written_mb=round(product_written.process_bytes / 1e6, 1),
                       floor_written_mb=round(floor_written.process_bytes / 1e6, 1))
    if product_written.wal_bytes is not None and floor_written.wal_bytes is not None:
        figures.update(wal_mb=round(product_written.wal_bytes / 1e6, 1),
                       floor_wal_mb=round(floor_written.wal_bytes / 1e6, 1))
    if server_cpu is not None and floor_server_cpu is not None:
        figures.update(server_cpu_seconds=server_cpu, floor_server_cpu_seconds=floor_server_cpu)
    for database in (product, floor_db):
        databases.drop(database, server)
    if args.workdir is None:
        shutil.rmtree(workdir, ignore_errors=True)
    print(json.dumps(figures))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
