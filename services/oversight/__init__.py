"""Oversight: the audit chain and anchors, reconciliation, fraud checks, the set-aside list and retries."""
