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

    from models.db import busy_seconds
    from services.access.roles import Forbidden
    from services.access.scrub import scrub
    from services.nightly.lease import LeaseHeld, LeaseLost

    first = scrub(str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__)
    if isinstance(exc, Forbidden):  # a refused actor: a check failed, nothing recorded
        return ROWS_FAILED, f"refused: {first}; nothing was recorded"
    if isinstance(exc, LeaseHeld | LeaseLost):
        return ENVIRONMENT, first
    if isinstance(exc, OperationalError) and "locked" in str(exc).lower():
        return ENVIRONMENT, (f"the database is locked by another process; waited {busy_seconds():.0f} s "
                             "for it. Try again when that process (another import or a night) has finished.")
    if isinstance(exc, DBAPIError) and (exc.connection_invalidated or isinstance(exc, OperationalError)):
        return ENVIRONMENT, (f"the database cannot be reached or refused the work ({first}); check "
                             "CLAIMS_DATABASE_URL and that the database server runs.")
    if isinstance(exc, OSError):
        return ENVIRONMENT, f"the file system refused: {first}"
    return ROWS_FAILED, f"unexpected error ({type(exc).__name__}): {first}"


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
    command = next((a for a in argv if not a.startswith("-")), None)
    if command in STATE_CHANGING and not os.environ.get("CLAIMS_ACTORS"):
        print("note: no actor list (CLAIMS_ACTORS): roles are not enforced (one name still cannot both act on "
              "a claim and review or release it)",
              file=sys.stderr)


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
        print(f"warning: anchoring the audit log after `claims {command}` failed: {classify(exc)[1]}",
              file=sys.stderr)


def run(app: Any) -> None:
    """Run the Typer app under the one handler."""
    argv = sys.argv[1:]
    debug = "--debug" in argv or os.environ.get("CLAIMS_DEBUG", "") not in ("", "0")
    if "--debug" in sys.argv:
        sys.argv.remove("--debug")
        argv = sys.argv[1:]
    roles_note(argv)
    try:
        app()
    except SystemExit as done:
        if done.code in (0, 1, None):
            anchor_after(argv)
        raise
    except KeyboardInterrupt:
        print("stopped (Ctrl-C); work of this command that was not committed is not kept", file=sys.stderr)
        sys.exit(130)
    except Exception as exc:
        if debug:
            raise
        code, message = classify(exc)
        where = write_log(exc, argv)
        print(f"error: {message}", file=sys.stderr)
        if where is not None:
            print(f"details: {where} (or run again with --debug)", file=sys.stderr)
        sys.exit(code)
