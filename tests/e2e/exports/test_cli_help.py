"""Every export and report command explains itself with an example."""

from __future__ import annotations

import pytest

from tests.conftest import run_claims


@pytest.mark.parametrize("command", [("export", "posting"), ("export", "payments"),
                                     ("export", "rejected"), ("report", "targets"),
                                     ("report", "summary")])
def test_help_has_an_example(command: tuple[str, str], sqlite_url: str) -> None:
    done = run_claims(*command, "--help", db=sqlite_url, env={"COLUMNS": "200"})
    assert done.returncode == 0
    assert f"Example: claims {command[0]} {command[1]}" in done.stdout


def test_unknown_policy_lists_the_ids(sqlite_url: str, tmp_path: object) -> None:
    run_claims("init", db=sqlite_url)
    done = run_claims("report", "targets", "--policy", "hulu", "--year", "2019", "--out",
                      str(tmp_path), db=sqlite_url, env={"COLUMNS": "200"})
    assert done.returncode != 0 and "huludao-2019" in done.stderr
