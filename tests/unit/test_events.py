"""Admin actions are posted to the Prefect server as events, best effort: a server that is down
or never answers costs the command at most the announce timeout, and no server means no post."""

from __future__ import annotations

import json
import socket
import threading
import time
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import pytest

from flows import events
from flows.events import announce


def test_an_unreachable_server_neither_fails_nor_waits(monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.setenv("PREFECT_API_URL", f"http://127.0.0.1:{port}/api")  # nothing listens
    started = time.monotonic()
    assert announce("claims.bank.imported", "财务李", "db:sqlite/claims.db", confirmed=3) is False
    assert time.monotonic() - started < events.ANNOUNCE_TIMEOUT_SECONDS + 1


def test_a_server_that_never_answers_costs_at_most_the_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)  # accepts the connection, never answers
    monkeypatch.setattr(events, "ANNOUNCE_TIMEOUT_SECONDS", 0.5)
    monkeypatch.setenv("PREFECT_API_URL", f"http://127.0.0.1:{listener.getsockname()[1]}/api")
    try:
        started = time.monotonic()
        assert announce("claims.retry.ran", "系统管理员", "db:sqlite/claims.db") is False
        assert time.monotonic() - started < 2
    finally:
        listener.close()


def test_no_server_configured_means_nothing_is_sent(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    assert announce("claims.retry.ran", "系统管理员", "db:sqlite/claims.db") is False


def test_the_event_names_actor_and_counts(monkeypatch: pytest.MonkeyPatch) -> None:
    received: list[Any] = []

    class Receiver(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            received.append((self.path, json.loads(self.rfile.read(int(self.headers["Content-Length"])))))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *_args: Any) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.handle_request, daemon=True).start()
    monkeypatch.setenv("PREFECT_API_URL", f"http://127.0.0.1:{server.server_address[1]}/api/")
    try:
        assert announce("claims.payments.released", "赵审批", "db:postgresql/claims",
                        releases=[{"policy": "huludao-2019", "claims": 2, "amount": Decimal("4000")}])
    finally:
        server.server_close()
    [(path, [event])] = received
    assert path == "/api/events"
    assert event["event"] == "claims.payments.released"
    assert event["resource"]["prefect.resource.id"] == "claims.database.db:postgresql/claims"
    assert event["payload"] == {"actor": "赵审批", "releases": [
        {"policy": "huludao-2019", "claims": 2, "amount": "4000.00"}]}
    assert event["related"][0]["prefect.resource.name"] == "赵审批"
