"""Where the flows find the step functions: services.nightly.STEPS (plain Python)."""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import cast

from services.nightly.steps import ChunkFn, PartitionFn

Registry = Mapping[str, tuple[PartitionFn, ChunkFn]]


def steps() -> Registry:
    return cast(Registry, importlib.import_module("services.nightly.runner").STEPS)
