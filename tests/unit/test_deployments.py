"""prefect.yaml names flows that exist, and the scheduled run works on the right business day."""

from __future__ import annotations

import importlib
from datetime import UTC, date, datetime
from pathlib import Path

import yaml
from prefect import Flow

from flows.nightly_worker import nightly_worker
from flows.settings import WORKER_DEPLOYMENT, WORKER_QUEUE
from services.nightly.business_day import day_just_ended

ROOT = Path(__file__).resolve().parents[2]


def _load() -> dict:  # type: ignore[type-arg]
    return yaml.safe_load((ROOT / "prefect.yaml").read_text(encoding="utf-8"))


def test_every_deployment_names_a_flow_on_the_process_pool() -> None:
    deployments = {d["name"]: d for d in _load()["deployments"]}
    assert set(deployments) >= {"nightly", "import-file", "retry-failed"}
    for name, deployment in deployments.items():
        path, _, attribute = deployment["entrypoint"].partition(":")
        module = importlib.import_module(path.removesuffix(".py").replace("/", "."))
        assert isinstance(getattr(module, attribute), Flow), name
        assert deployment["work_pool"]["name"] == "claims-process", name
    assert deployments["nightly"]["schedules"] == [
        {"cron": "0 2 * * *", "timezone": "Asia/Shanghai", "active": True}]
    assert deployments["nightly"]["entrypoint"] == "flows/nightly.py:nightly"


def test_deployment_and_flow_names_match_and_claim_changing_deployments_run_one_at_a_time() -> None:
    deployments = {d["name"]: d for d in _load()["deployments"]}
    for name, deployment in deployments.items():
        path, _, attribute = deployment["entrypoint"].partition(":")
        flow = getattr(importlib.import_module(path.removesuffix(".py").replace("/", ".")), attribute)
        if name != "nightly-for-date":  # the alias of `nightly`, kept one release
            assert flow.name == name, (name, flow.name)
        if name != "nightly-worker":  # N at once by design, one per host
            assert deployment["concurrency_limit"] == 1, name
    assert deployments["nightly-for-date"]["entrypoint"] == deployments["nightly"]["entrypoint"]


def test_the_nightly_deployments_take_hosts_and_the_worker_deployment_is_the_one_they_start() -> None:
    deployments = {d["name"]: d for d in _load()["deployments"]}
    for name in ("nightly", "nightly-for-date"):
        assert deployments[name]["parameters"] == {"hosts": 0}, name
        path, _, attribute = deployments[name]["entrypoint"].partition(":")
        module = importlib.import_module(path.removesuffix(".py").replace("/", "."))
        assert "hosts" in getattr(module, attribute).parameters.properties, name
    flow_name, _, deployment_name = WORKER_DEPLOYMENT.partition("/")
    worker = deployments[deployment_name]
    assert worker["entrypoint"] == "flows/nightly_worker.py:nightly_worker"
    assert worker["work_pool"]["work_queue_name"] == WORKER_QUEUE
    assert "schedules" not in worker
    assert nightly_worker.name == flow_name
    assert set(nightly_worker.parameters.required) == {"as_of", "run_key", "size"}


def test_the_two_oclock_run_and_its_late_retry_work_on_the_day_that_ended() -> None:
    two_am_shanghai = datetime(2020, 6, 4, 18, 0, tzinfo=UTC)  # 2020-06-05 02:00 +08:00
    assert day_just_ended(two_am_shanghai) == date(2020, 6, 4)
    assert day_just_ended(datetime(2020, 6, 5, 1, 0, tzinfo=UTC)) == date(2020, 6, 4)  # 09:00
    assert day_just_ended(datetime(2020, 6, 4, 15, 59, tzinfo=UTC)) == date(2020, 6, 3)  # 23:59
