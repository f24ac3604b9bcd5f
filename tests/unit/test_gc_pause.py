"""services/gc_pause.py: the collector is held inside the block and given back as it was."""

from __future__ import annotations

import gc

import pytest

from services.gc_pause import gc_paused


def test_the_collector_is_held_inside_and_runs_again_after_even_on_error() -> None:
    assert gc.isenabled()
    with gc_paused():
        assert not gc.isenabled()
        with gc_paused():  # nested: the inner block does not give it back early
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()
    with pytest.raises(RuntimeError), gc_paused():
        raise RuntimeError("a chunk that fails")
    assert gc.isenabled()


def test_a_collector_held_by_the_caller_stays_held() -> None:
    gc.disable()
    try:
        with gc_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_overlapping_pauses_of_two_threads_leave_the_collector_running() -> None:
    """The collector is the process's: chunks of a flow running in two threads overlap their pauses
    in any order, and it runs again once both are done."""
    first, second = gc_paused(), gc_paused()
    first.__enter__()
    second.__enter__()
    first.__exit__(None, None, None)  # the first chunk ends while the second still runs
    second.__exit__(None, None, None)
    assert gc.isenabled()
