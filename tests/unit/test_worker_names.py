"""A shared night's run key and worker name are refused before any partition is taken when no
work row may hold them (over the column: a worker failing on PostgreSQL after its chunk
committed; an invisible character: two keys that look alike)."""

from __future__ import annotations

import pytest

from services.nightly.leasing import check_names


@pytest.mark.parametrize(("run_key", "worker", "said"), [
    ("n" * 65, "w1", "--run-key: is 65 characters long"),
    ("night-2020-05-06", "w" * 101, "--worker: is 101 characters long"),
    ("night\u200b-2020-05-06", "w1", "U+200B"),
    ("night-2020-05-06", " ", "--worker is empty"),
])
def test_names_no_work_row_may_hold_are_refused(run_key: str, worker: str, said: str) -> None:
    with pytest.raises(ValueError, match=said.replace("+", "\\+")):
        check_names(run_key=run_key, worker=worker)


def test_names_within_their_columns_are_taken() -> None:
    check_names(run_key="n" * 64, worker="host-1")
