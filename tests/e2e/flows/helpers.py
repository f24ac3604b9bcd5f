"""Reading back what a flow run left on the Prefect server: its name, artifacts and logs."""

from __future__ import annotations

import time
from typing import Any
from uuid import UUID

from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import (
    ArtifactFilter,
    ArtifactFilterFlowRunId,
    LogFilter,
    LogFilterFlowRunId,
)


def flow_run_name(flow_run_id: UUID) -> str:
    with get_client(sync_client=True) as client:
        return str(client.read_flow_run(flow_run_id).name)


def artifacts(flow_run_id: UUID) -> dict[str, Any]:
    """key -> the artifact's data (the latest one when a key was written more than once)."""
    with get_client(sync_client=True) as client:
        found = client.read_artifacts(artifact_filter=ArtifactFilter(
            flow_run_id=ArtifactFilterFlowRunId(any_=[flow_run_id])))
    ordered = sorted(found, key=lambda a: a.created or 0)
    return {a.key: a for a in ordered if a.key}


def logs(flow_run_id: UUID, *, containing: str, wait: float = 15) -> list[str]:
    """Messages of the run; waits until one contains `containing` (logs arrive in batches)."""
    deadline = time.monotonic() + wait
    while True:
        with get_client(sync_client=True) as client:
            messages = [log.message for log in client.read_logs(log_filter=LogFilter(
                flow_run_id=LogFilterFlowRunId(any_=[flow_run_id])), limit=200)]
        if any(containing in m for m in messages) or time.monotonic() > deadline:
            return messages
        time.sleep(0.5)


def run_tags(flow_run_id: UUID) -> list[str]:
    with get_client(sync_client=True) as client:
        return list(client.read_flow_run(flow_run_id).tags)
