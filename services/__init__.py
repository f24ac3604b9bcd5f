"""The service layer: plain Python over chunks of claims (no Prefect). Flows and the CLI call it."""
