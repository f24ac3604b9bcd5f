"""Screenshots of the Prefect UI for docs/img (not part of CI; needs Debian's `chromium`).

    .venv/bin/python scripts/screenshots.py            # writes docs/img/*.png

Starts its own `prefect server start` on a free port (PREFECT_API_URL set first, as
docs/operations.md says), a SQLite database with 200 synthetic claims, runs one night, one
night refused by a held lease (so an alert fires), creates the alert automations (webhook to a
local receiver) and a paused release-payments run, then photographs: the runs, the night's
artifacts, the release form, the automations and the event feed.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from datetime import date, timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "img"


def _port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _shoot(url: str, name: str) -> None:
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if not browser:
        sys.exit("chromium is missing: apt-get install chromium")
    subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                    "--window-size=1440,900", "--virtual-time-budget=15000",
                    f"--screenshot={OUT / name}", url], check=True, capture_output=True, timeout=120)
    print(f"docs/img/{name} <- {url}")


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="claims-shots-"))
    port = _port()
    ui = f"http://127.0.0.1:{port}"
    env = {**os.environ, "PREFECT_HOME": str(work / "prefect"), "PREFECT_API_URL": f"{ui}/api",
           "CLAIMS_DATABASE_URL": f"sqlite:///{work / 'claims.db'}"}
    os.environ.update(env)
    server = subprocess.Popen([sys.executable, "-m", "prefect", "server", "start", "--port", str(port)],
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(180):
            try:
                urllib.request.urlopen(f"{ui}/api/health", timeout=2)
                break
            except OSError:
                time.sleep(1)
        _scene(ui, work, env)
    finally:
        server.terminate()
        server.wait(30)


def _scene(ui: str, work: Path, env: dict[str, str]) -> None:
    from flows.alerts import AlertWindows, install
    from flows.nightly import nightly
    from flows.release import release_payments
    from models.db import make_engine
    from models.schema import upgrade
    from services.nightly import lease

    class Receiver(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers["Content-Length"]))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *_args: Any) -> None:
            pass

    hook = HTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=hook.serve_forever, daemon=True).start()
    install(f"http://127.0.0.1:{hook.server_address[1]}/hook",
            AlertWindows(late=timedelta(hours=4), missing=timedelta(hours=26)))
    engine = make_engine(env["CLAIMS_DATABASE_URL"])
    upgrade(engine)
    trial = work / "trial" / "claims.csv"
    subprocess.run([sys.executable, "-m", "bench.synthetic", "--claims", "200", "--out", str(trial)],
                   check=True, env=env)
    claims = Path(sys.executable).parent / "claims"
    subprocess.run([str(claims), "import", str(trial)], env=env, check=False)
    state = nightly(as_of=date(2020, 6, 4), return_state=True)
    lease.acquire(engine, "nightly-2020-06-05 on ops-1")
    nightly(as_of=date(2020, 6, 5), return_state=True)
    lease.release(engine, "nightly-2020-06-05 on ops-1")
    os.environ["CLAIMS_PAYMENT_APPROVAL_REQUIRED"] = "true"
    from sqlalchemy import select, update

    from models.tables import CLAIM
    with engine.begin() as conn:  # a scene, not the product: a few claims due for payment
        some = list(conn.execute(select(CLAIM.c.id).limit(12)).scalars())
        conn.execute(update(CLAIM).where(CLAIM.c.id.in_(some)).values(state="approved"))
    threading.Thread(target=lambda: release_payments(on=date(2020, 6, 4), wait_minutes=10,
                                                     return_state=True), daemon=True).start()
    time.sleep(8)
    run_id = state.state_details.flow_run_id
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterName
    with get_client(sync_client=True) as client:
        page = client.read_artifacts()
        night_page = next(a.id for a in page if a.key == "nightly-20200604")
        [paused] = client.read_flow_runs(flow_run_filter=FlowRunFilter(
            name=FlowRunFilterName(any_=["release-payments-2020-06-04"])))
    _shoot(f"{ui}/runs", "runs.png")
    _shoot(f"{ui}/runs/flow-run/{run_id}?tab=Artifacts", "night-artifacts.png")
    _shoot(f"{ui}/artifacts/artifact/{night_page}", "night-page.png")
    _shoot(f"{ui}/runs/flow-run/{paused.id}", "release-form.png")
    _shoot(f"{ui}/automations", "automations.png")
    _shoot(f"{ui}/events", "events.png")
    hook.shutdown()


if __name__ == "__main__":
    main()
