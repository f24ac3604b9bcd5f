"""`claims demo`: the main job on the embedded default, start to finish."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import typer

from cli.common import console, err_console
from intake.messages import msg


def register(app: typer.Typer) -> None:
    def run_in_process(args: Sequence[str]) -> int:
        result = app(list(args), standalone_mode=False)
        return result if isinstance(result, int) else 0

    def demo(
        out: Path = typer.Option(Path("demo-out"), "--out", help="folder for the database and every output "
                                                                  "(with --claims: the trial CSV, or a folder for it)"),
        prefect: bool = typer.Option(True, "--prefect/--no-prefect",
                                     help="run the nights through Prefect (default) or the plain service layer"),
        claims: int | None = typer.Option(None, "--claims", min=1,
                                          help="only write a trial file of this many synthetic claims (and its "
                                               "inspection, completion and objection files) to --out"),
    ) -> None:
        """Demo claims for all five policies, taken through their whole life on a fresh SQLite database:
        import (with bad rows), advances, inspections, assessment, posting across the National Day
        holiday, objections, payment, a refused bank payment and its retry, completion and settlement,
        a fraud recovery, then the notice, payment batches, rejected list, target reports and summary.

        Example: claims demo --out demo-out

        With --claims N it only writes a trial file for `claims import` (as python -m bench.synthetic).

        Example: claims demo --claims 200 --out trial/claims.csv
        """
        if claims is not None:
            # the benchmark's writer, run as its own module: the product's floors do not import bench
            target = out if out.suffix.lower() == ".csv" else out / "claims.csv"
            raise typer.Exit(subprocess.call([sys.executable, "-m", "bench.synthetic", "--claims", str(claims),
                                              "--out", str(target)]))
        from demo.run import Demo

        failures = Demo(out, run_in_process, prefect=prefect).run()
        if failures:
            for failure in failures:
                err_console.print(f"[red]{msg('cli.demo_failed', problem=failure)}[/red]")
            raise typer.Exit(1)
        console.print(f"[green]{msg('demo.finished', out=out)}[/green]")

    app.command("demo")(demo)
