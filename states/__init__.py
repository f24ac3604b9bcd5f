"""The claim lifecycle: one declarative table and one shared transitions Machine."""

from states.lifecycle import (
    MACHINE,
    STATES,
    TRANSITIONS,
    IllegalTransition,
    Subject,
    fire,
    next_state,
)

__all__ = [
    "MACHINE",
    "STATES",
    "TRANSITIONS",
    "IllegalTransition",
    "Subject",
    "fire",
    "next_state",
]
