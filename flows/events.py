"""Admin actions in the Prefect UI's event feed: `announce` posts one event (who did what, with
counts) to the Prefect server, best effort.

The CLI stays the way to act; the event is only a trace. With no PREFECT_API_URL there is no
server to tell (nothing is sent, no ephemeral server is started); with one that is down or slow
the post gives up after ANNOUNCE_TIMEOUT_SECONDS and the command goes on, saying nothing worse
than a warning on stderr.
"""

from __future__ import annotations

import base64
import json
import os
import sys
import urllib.request
from dataclasses import asdict, is_dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from uuid import uuid4

ANNOUNCE_TIMEOUT_SECONDS = 2.0
"""the longest an admin command waits for the Prefect server to take its event"""

RESOURCE = "claims.database"


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value.quantize(Decimal("0.01")))
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_plain(v) for v in value]
    if isinstance(value, int | float | str | bool) or value is None:
        return value
    return str(value)


def counts_of(report: Any) -> dict[str, Any]:
    """The numbers of a service's report (a dataclass): its int/Decimal/str fields, lists as counts."""
    if not is_dataclass(report) or isinstance(report, type):
        return {}
    found: dict[str, Any] = {}
    for name, value in asdict(report).items():
        if isinstance(value, list | tuple | set | dict):
            found[name] = len(value)
        elif isinstance(value, bool | int | Decimal | str | date):
            found[name] = _plain(value)
    return found


def event_body(event: str, actor: str, database: str, **details: Any) -> dict[str, Any]:
    return {
        "id": str(uuid4()),
        "occurred": datetime.now(UTC).isoformat(),
        "event": event,
        "resource": {"prefect.resource.id": f"{RESOURCE}.{database}",
                     "prefect.resource.name": database},
        "related": [{"prefect.resource.id": f"claims.actor.{actor}",
                     "prefect.resource.role": "actor", "prefect.resource.name": actor}],
        "payload": {"actor": actor, **_plain(details)},
    }


def announce(event: str, actor: str, database: str, **details: Any) -> bool:
    """Post `event` (e.g. claims.bank.imported) by `actor` with `details` (counts); True when the
    server took it. Never raises, never waits longer than ANNOUNCE_TIMEOUT_SECONDS."""
    api = os.environ.get("PREFECT_API_URL", "").rstrip("/")
    if not api:
        return False
    request = urllib.request.Request(
        f"{api}/events", method="POST",
        data=json.dumps([event_body(event, actor, database, **details)], ensure_ascii=False).encode(),
        headers={"Content-Type": "application/json"})
    auth = os.environ.get("PREFECT_API_AUTH_STRING")
    if auth:
        request.add_header("Authorization", "Basic " + base64.b64encode(auth.encode()).decode())
    try:
        with urllib.request.urlopen(request, timeout=ANNOUNCE_TIMEOUT_SECONDS) as response:
            return bool(200 <= response.status < 300)
    except Exception as exc:  # best effort: the command's work is done either way
        print(f"note: the Prefect server did not take event {event} ({type(exc).__name__}); "
              "the action itself is recorded in the database", file=sys.stderr)
        return False
