"""`claims init` and `claims diagram`."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import typer

from cli.common import console, err_console, fail
from intake.messages import msg
from models.db import get_engine
from models.schema import MIGRATIONS, current_version, upgrade
from states.diagram import dot, mermaid


def register(app: typer.Typer) -> None:
    app.command("init")(init)
    app.command("diagram")(diagram)


def init() -> None:
    """Create the database schema, or upgrade it to the current version.

    Example: CLAIMS_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test claims init
    """
    from models.db import database_url
    from services.oversight import outside_log

    refused = outside_log.refuse_beside_database(database_url())
    if refused:
        for message in refused:
            err_console.print(f"[red]{msg('cli.error')}[/red] {message}")
        raise typer.Exit(2)
    engine = get_engine()
    applied = upgrade(engine)
    for migration in applied:
        console.print(msg("setup.migration", version=migration.version, name=migration.name))
    console.print(msg("setup.schema", url=engine.url.render_as_string(hide_password=True),
                      version=current_version(engine), latest=MIGRATIONS[-1].version))
    key = outside_log.key_path()
    if key is not None and outside_log.make_key(key):
        console.print(msg("setup.audit_key", key=key, log=outside_log.log_path() or msg("setup.no_audit_log")))


def diagram(
    out: Path = typer.Option(Path("docs/lifecycle"), "--out", help="path without suffix"),
) -> None:
    """Draw the claim lifecycle: OUT.mmd (Mermaid), OUT.dot, and OUT.png / OUT.svg via Graphviz.

    Example: claims diagram --out docs/lifecycle
    """
    out.parent.mkdir(parents=True, exist_ok=True)
    out.with_suffix(".mmd").write_text(mermaid(), encoding="utf-8")
    dot_path = out.with_suffix(".dot")
    dot_path.write_text(dot(), encoding="utf-8")
    written = [out.with_suffix(".mmd"), dot_path]
    if shutil.which("dot") is None:
        console.print(f"[yellow]{msg('setup.no_graphviz')}[/yellow]")
    else:
        for fmt in ("png", "svg"):
            target = out.with_suffix(f".{fmt}")
            done = subprocess.run(["dot", f"-T{fmt}", str(dot_path), "-o", str(target)],
                                  capture_output=True, text=True)
            if done.returncode != 0:
                fail(msg("cli.graphviz_failed", problem=done.stderr.strip()), 3)
            written.append(target)
    for path in written:
        console.print(msg("export.written", path=path))
