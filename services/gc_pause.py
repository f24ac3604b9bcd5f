"""Python's cyclic garbage collector held while a chunk's bulk work runs.

A chunk holds thousands of rows, decisions and moves at once. Every 700 allocations the collector
walks the youngest objects, and every so often all of them: at 100k claims its walks over the
chunk's live rows were 6 % of a night's cpu (docs/performance.md). The chunk's objects hold no
cycles worth a collection — reference counting frees them when the chunk ends — so the collector
is held while the chunk runs and given back after it; what cycles remain are collected then, as
before. The collector is the process's: where a flow runs chunks in threads, their pauses overlap,
and it runs again once the chunk that found it running ends (tests/unit/test_gc_pause.py).
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def gc_paused() -> Iterator[None]:
    """Hold the cyclic collector inside the block; it runs again after it if it ran before (nesting-safe)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
