"""The `claims` command's one top-level handler: no traceback reaches a user.

Exit codes (documented in docs/operations.md):

- 0 — done;
- 1 — rows or checks failed (a file's rows refused, a refused actor, a failed audit check, or an
  unexpected error of the product itself);
- 2 — usage (unknown option, bad date, schema not current);
- 3 — environment: the database is locked or cannot be reached, the nightly lease is held, the
  file system refused.

An unexpected error prints one sentence and the path of the log that holds the details (the
traceback, identity numbers masked): CLAIMS_LOG_DIR, default ~/.claims (or the temporary
directory when that cannot be written). `claims --debug ...` (or CLAIMS_DEBUG=1) shows the
traceback instead.
"""

from __future__ import annotations

import os
import sys
import tempfile
import traceback
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROWS_FAILED = 1
USAGE = 2
ENVIRONMENT = 3

STATE_CHANGING = frozenset({"import", "inspect", "complete", "amend", "withdraw", "object", "review",
                            "approve", "bank", "recover", "recovered", "retry", "lease", "nightly"})
"""the commands the actor list binds (`claims <command> ...`)"""


def classify(exc: BaseException) -> tuple[int, str]:
    """(exit code, one plain sentence) for an error that reached the top."""
    from sqlalchemy.exc import DBAPIError, OperationalError

    from intake.messages import explain, localise_stored, msg
    from models.db import busy_seconds
    from services.access.actors import ActorNameError
    from services.access.roles import Forbidden
    from services.access.scrub import scrub
    from services.nightly.lease import LeaseHeld, LeaseLost

    text = explain(exc).strip()
    first = scrub(text.splitlines()[0] if text else type(exc).__name__)
    if isinstance(exc, ActorNameError):
        return USAGE, msg("cli.actor_name", problem=localise_stored(exc.problem))
    if isinstance(exc, Forbidden):  # a refused actor: a check failed, nothing recorded
        return ROWS_FAILED, msg("cli.refused", problem=first)
    if isinstance(exc, LeaseHeld | LeaseLost):
        return ENVIRONMENT, first
    if isinstance(exc, OperationalError) and "locked" in str(exc).lower():
        return ENVIRONMENT, msg("cli.db_locked", seconds=f"{busy_seconds():.0f}")
    if isinstance(exc, DBAPIError) and (exc.connection_invalidated or isinstance(exc, OperationalError)):
        return ENVIRONMENT, msg("cli.db_unreachable", problem=first)
    if isinstance(exc, OSError):
        return ENVIRONMENT, msg("cli.fs_refused", problem=first)
    return ROWS_FAILED, msg("cli.unexpected", kind=type(exc).__name__, problem=first)


def log_dir() -> Path:
    configured = os.environ.get("CLAIMS_LOG_DIR")
    return Path(configured) if configured else Path.home() / ".claims"


def write_log(exc: BaseException, argv: list[str]) -> Path | None:
    from services.access.scrub import scrub

    text = "".join(traceback.format_exception(exc))
    entry = (f"--- {datetime.now(UTC):%Y-%m-%d %H:%M:%S} UTC pid {os.getpid()}: claims "
             f"{scrub(' '.join(argv))}\n{scrub(text)}\n")
    for folder in (log_dir(), Path(tempfile.gettempdir())):
        try:
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / "claims-errors.log"
            with path.open("a", encoding="utf-8") as handle:
                handle.write(entry)
            return path
        except OSError:
            continue
    return None


def roles_note(argv: list[str]) -> None:
    """Once per state-changing command without an actor list: roles are not enforced."""
    from intake.messages import msg

    command = next((a for a in argv if not a.startswith("-")), None)
    if command in STATE_CHANGING and not os.environ.get("CLAIMS_ACTORS") and "--help" not in argv:
        print(msg("cli.roles_note"), file=sys.stderr)


def anchor_after(argv: list[str]) -> None:
    """After a state-changing command (the night anchors itself): anchor the events it wrote, in
    the database and in the outside log. A failure here is reported, never raised over the
    command's own outcome."""
    command = next((a for a in argv if not a.startswith("-")), None)
    if command not in STATE_CHANGING or command in ("nightly", "lease"):
        return
    try:
        from cli.common import business_date
        from models.db import get_engine
        from models.schema import applied_versions
        from services.oversight.audit import write_anchor

        engine = get_engine()
        if applied_versions(engine):
            # one anchor per invocation: its own run id (command, time, process)
            stamp = f"{datetime.now(UTC):%Y%m%dT%H%M%S.%f} pid {os.getpid()}"
            write_anchor(engine, business_date(None), f"claims {command} {stamp}")
    except Exception as exc:  # the command itself is done; the next anchor covers its events
        from intake.messages import msg

        print(msg("cli.anchor_failed", command=command, problem=classify(exc)[1]), file=sys.stderr)


def language_from(argv: list[str]) -> None:
    """`claims --lang en ...`: set CLAIMS_LANG before any help or message is made (the group's
    own --lang option is parsed after a subcommand's help is already printed)."""
    for i, arg in enumerate(argv):
        value = arg.removeprefix("--lang=") if arg.startswith("--lang=") else (
            argv[i + 1] if arg == "--lang" and i + 1 < len(argv) else None)
        if value:
            os.environ["CLAIMS_LANG"] = value
            return


def run(app: Any) -> None:
    """Run the Typer app under the one handler, its help summaries in the reader's language."""
    import typer.main

    from cli.help_text import localise
    from intake.messages import msg

    argv = sys.argv[1:]
    language_from(argv)
    debug = "--debug" in argv or os.environ.get("CLAIMS_DEBUG", "") not in ("", "0")
    if "--debug" in sys.argv:
        sys.argv.remove("--debug")
        argv = sys.argv[1:]
    roles_note(argv)
    try:
        command = typer.main.get_command(app)
        localise(command)
        command()
    except SystemExit as done:
        if done.code in (0, 1, None):
            anchor_after(argv)
        raise
    except KeyboardInterrupt:
        print(msg("cli.stopped"), file=sys.stderr)
        sys.exit(130)
    except Exception as exc:
        if debug:
            raise
        code, message = classify(exc)
        where = write_log(exc, argv)
        print(f"{msg('cli.error')} {message}", file=sys.stderr)
        if where is not None:
            print(msg("cli.details", path=where), file=sys.stderr)
        sys.exit(code)
