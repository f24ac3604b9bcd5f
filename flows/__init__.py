"""Prefect flows: thin orchestration over the service layer (services.nightly, services.importing.filing,
services.oversight.failures). A flow orders the steps, fans partitions out to tasks and publishes what
operations staff see (run names, artifacts, logs); the work itself is plain Python elsewhere."""
