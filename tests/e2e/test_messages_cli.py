"""Messages in the reader's language through the installed `claims` (issue 20): Chinese by
default, English with --lang en or CLAIMS_LANG=en — help summaries and CLI errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import run_claims

GROUPS = ("bank", "export", "report", "audit", "lease")


def test_help_summaries_are_chinese_by_default_and_english_on_request(sqlite_url: str) -> None:
    chinese = run_claims("--help", db=sqlite_url, env={"CLAIMS_LANG": "zh", "COLUMNS": "120"})
    assert chinese.returncode == 0
    assert "导入申报文件" in chinese.stdout and "列出夜间处理搁置的申报" in chinese.stdout
    english = run_claims("--lang", "en", "--help", db=sqlite_url,
                         env={"CLAIMS_LANG": "zh", "COLUMNS": "120"})
    assert "File the claims of a CSV/XLSX/XLS file" in english.stdout
    assert "导入申报文件" not in english.stdout
    sub = run_claims("--lang=en", "export", "--help", db=sqlite_url, env={"CLAIMS_LANG": "zh"})
    assert "The public posting notice" in sub.stdout and "公示名单（身份信息脱敏）" not in sub.stdout
    assert "note: no actor list" not in sub.stderr  # no roles note for help


@pytest.mark.parametrize("group", GROUPS)
def test_every_group_command_has_an_example(group: str, sqlite_url: str) -> None:
    done = run_claims(group, "--help", db=sqlite_url, env={"COLUMNS": "200"})
    assert done.returncode == 0 and f"Example: claims {group} " in done.stdout, done.stdout


def test_cli_errors_in_both_languages_with_their_exit_codes(sqlite_url: str) -> None:
    assert run_claims("init", db=sqlite_url).returncode == 0
    zh = run_claims("nightly", db=sqlite_url, env={"CLAIMS_LANG": "zh"})
    assert zh.returncode == 2 and "错误：" in zh.stderr and "必须给出 --as-of" in zh.stderr, zh.stderr
    en = run_claims("--lang", "en", "nightly", db=sqlite_url, env={"CLAIMS_LANG": "zh"})
    assert en.returncode == 2 and "error: --as-of is required" in en.stderr, en.stderr
    review = run_claims("review", "C1", "--reason", "x", db=sqlite_url, env={"CLAIMS_LANG": "zh"})
    assert review.returncode == 2 and "请指定 --uphold 或 --dismiss" in review.stderr, review.stderr
    date = run_claims("export", "posting", "--from", "2020-13-01", "--out", "x.xlsx",
                      db=sqlite_url, env={"CLAIMS_LANG": "zh"})
    assert date.returncode == 2 and "不是日期" in date.stderr, date.stderr


def test_a_refusal_by_the_actor_list_reads_in_chinese(sqlite_url: str, tmp_path: Path) -> None:
    actors = tmp_path / "actors.yaml"
    actors.write_text("王经办: [clerk]\n", encoding="utf-8")
    assert run_claims("init", db=sqlite_url).returncode == 0
    done = run_claims("lease", "release", "--actor", "王经办", db=sqlite_url,
                      env={"CLAIMS_LANG": "zh", "CLAIMS_ACTORS": str(actors)})
    assert done.returncode == 1, done.stderr
    assert "“王经办”可担任 clerk，不能担任 admin" in done.stderr, done.stderr
