"""`claims ops setup`'s automations on a real Prefect server each fire into a local webhook: a
night refused by a held lease (night failed, lease held, and — started, never completed — night
late), a night taking over a lease its holder kept past its lapse (lease held), a night that set
claims aside, a bank refusal, and no completed night (night missing)."""

from __future__ import annotations

import json
import threading
import time
from datetime import UTC, date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import pytest
from prefect.client.orchestration import get_client
from sqlalchemy import update

from flows.alerts import PREFIX, AlertWindows, install
from flows.events import announce
from flows.nightly import nightly
from models.db import make_engine
from models.schema import upgrade
from models.tables import LEASE
from services.nightly import lease
from services.nightly.report import database_label

from .test_nightly_flow import FakeSteps, _file_claim

pytestmark = pytest.mark.prefect


def _receiver() -> tuple[HTTPServer, list[dict[str, Any]]]:
    received: list[dict[str, Any]] = []

    class Receiver(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *_args: Any) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, received


def test_each_automation_exists_and_fires(prefect_api: str, tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    db_url = f"sqlite:///{tmp_path / 'claims.db'}"
    engine = make_engine(db_url)
    upgrade(engine)
    server, received = _receiver()
    made = install(f"http://127.0.0.1:{server.server_address[1]}/hook",
                   AlertWindows(late=timedelta(seconds=10), missing=timedelta(seconds=15)))
    try:
        names = {n.removeprefix(PREFIX) for n in made}
        assert names == {"night failed", "night late", "night missing", "set aside", "bank refusals",
                         "lease held"}
        with get_client(sync_client=True) as client:
            assert {a.name for a in client.read_automations()} >= set(made)

        fake = FakeSteps(engine, _file_claim(engine))  # assess sets one claim aside
        fake.install(monkeypatch)
        monkeypatch.setenv("CLAIMS_NIGHTLY_RETRY_DELAYS", "0")
        assert nightly(as_of=date(2020, 6, 4), database_url=db_url, return_state=True).is_completed()
        lease.acquire(engine, "nightly-2020-06-04 on ops-1")
        assert nightly(as_of=date(2020, 6, 5), database_url=db_url, return_state=True).is_failed()
        with engine.begin() as conn:  # its holder never renews it: the lease lapses
            conn.execute(update(LEASE).values(expires_at=datetime.now(UTC) - timedelta(minutes=1)))
        assert nightly(as_of=date(2020, 6, 5), database_url=db_url, return_state=True).is_completed()
        assert announce("claims.bank.refused", "财务李", database_label(db_url), failed=2)

        wanted = {"夜间批处理失败", "夜间批处理未按时完成", "没有完成的夜间批处理", "搁置件超过阈值",
                  "银行退票", "夜间租约被占用"}
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            fired = {w for w in wanted if any(w in str(body.get("subject")) for body in received)}
            if fired == wanted:
                break
            time.sleep(2)
        assert fired == wanted, (wanted - fired, received)
        while time.monotonic() < deadline and not {"claims.lease.held", "claims.lease.lapsed"} <= {
                e for b in received if "夜间租约被占用" in b["subject"]
                for e in ("claims.lease.held", "claims.lease.lapsed") if e in b["text"]}:
            time.sleep(2)
        lease_alerts = " ".join(b["text"] for b in received if "夜间租约被占用" in b["subject"])
        assert "claims.lease.held" in lease_alerts and "claims.lease.lapsed" in lease_alerts, lease_alerts
        assert "nightly-2020-06-04 on ops-1" in lease_alerts  # the holder that kept it past its lapse
    finally:
        server.shutdown()
        with get_client(sync_client=True) as client:
            for automation_id in made.values():
                client.delete_automation(automation_id)
        engine.dispose()
