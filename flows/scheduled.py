"""Alias kept for one release: the 02:00 deployment used to run a flow `scheduled-nightly` here
that called the night as a subflow, so the scheduled run carried no artifacts. The deployment
`nightly` now runs the flow `nightly` (flows/nightly.py) itself, which works out its business
date from the run's scheduled start; this name points at the same flow for old entrypoints."""

from __future__ import annotations

from flows.nightly import nightly

scheduled_nightly = nightly
