"""One message catalogue for what people read (issue 20): Chinese by default, English with
`claims --lang en` or CLAIMS_LANG=en. Keyed by a stable message id; machine outputs keep codes
and English field names and carry the id as `error_code`.

Every id has a text in every language of LANGS (tests/unit/test_messages.py fails otherwise).
Counts go through `count`: "1 row" / "2 rows" in English, a measure word in Chinese (3行).
"""

from __future__ import annotations

import os
from typing import Any

LANGS = ("zh", "en")
LANG_ENV = "CLAIMS_LANG"

MESSAGES: dict[str, dict[str, str]] = {
    "import.summary": {
        "en": "{file} (batch {batch}): {rows} — [green]filed {filed}[/green], skipped {skipped} "
              "(already filed, same content), [red]conflicts {conflicts}[/red], "
              "[red]rejected {rejected}[/red]",
        "zh": "{file}（批次 {batch}）：共{rows} — [green]受理 {filed}[/green]，跳过 {skipped}"
              "（已受理且内容相同），[red]冲突 {conflicts}[/red]，[red]未受理 {rejected}[/red]",
    },
    "import.warning": {"en": "warning:", "zh": "提示："},
    "import.nothing_filed": {"en": "{problem}; nothing was filed", "zh": "{problem}；未受理任何一行"},
    "import.unknown_column": {
        "en": "column {column!r} is not a claim field; it was ignored",
        "zh": "列“{column}”不是申报字段，已忽略",
    },
    "import.advance_unpayable": {
        "en": "claim {claim_id} ({policy}) asks for an advance that cannot be paid: {reason}",
        "zh": "申报 {claim_id}（{policy}）申请了预支，但预支无法拨付：{reason}",
    },
    "import.advance_more": {
        "en": "… and {more} more advance requests that cannot be paid (claims failed lists "
              "them after the night)",
        "zh": "……另有{more}申请了无法拨付的预支（夜间处理后 claims failed 列出）",
    },
    "import.rejected_title": {
        "en": "first {shown} of {total} not filed", "zh": "未受理的{total}中的前{shown}",
    },
    "import.report_written": {
        "en": "wrote every rejected row to {path}", "zh": "全部未受理的行已写入 {path}",
    },
    "approve.list_title": {"en": "payment batches waiting for a release", "zh": "待审批拨付批次"},
    "approve.none_waiting": {"en": "no payment batch waits for a release", "zh": "没有待审批的拨付批次"},
    "approve.col_batch": {"en": "batch", "zh": "批次号"},
    "approve.col_policy": {"en": "policy", "zh": "政策"},
    "approve.col_day": {"en": "business day", "zh": "业务日期"},
    "approve.col_count": {"en": "orders", "zh": "笔数"},
    "approve.col_total": {"en": "total (yuan)", "zh": "金额合计（元）"},
    "approve.released": {
        "en": "batch {batch} ({policy}): released by {approver}, {count} orders, {total} yuan; sent as {file}",
        "zh": "批次 {batch}（{policy}）：已由 {approver} 审批放行，{count}笔，{total}元；已发送 {file}",
    },
    "approve.finished": {
        "en": "sent {file}: released earlier, its file had not been written",
        "zh": "已发送 {file}：此前已审批放行，文件尚未写出",
    },
    "approve.already": {
        "en": "batch {batch} ({policy}): already released, {count} orders, {total} yuan",
        "zh": "批次 {batch}（{policy}）：此前已审批放行，{count}笔，{total}元",
    },
}

NOUNS: dict[str, dict[str, tuple[str, str]]] = {
    "row": {"en": ("row", "rows"), "zh": ("行", "行")},
    "claim": {"en": ("claim", "claims"), "zh": ("件", "件")},
    "request": {"en": ("request", "requests"), "zh": ("件", "件")},
}
"""Count words: English singular/plural, Chinese measure word."""


def current_lang() -> str:
    """CLAIMS_LANG (zh or en); Chinese when unset or unknown."""
    lang = os.environ.get(LANG_ENV, "").strip().lower()
    return lang if lang in LANGS else "zh"


def msg(message_id: str, lang: str | None = None, **values: Any) -> str:
    """The text of `message_id` in `lang` (default: current_lang()) with `values` filled in."""
    return MESSAGES[message_id][lang or current_lang()].format(**values)


def count(n: int, noun: str, lang: str | None = None) -> str:
    """`n` with its noun: "1 row", "2 rows"; "2行"."""
    one, many = NOUNS[noun][lang or current_lang()]
    if (lang or current_lang()) == "zh":
        return f"{n}{one}"
    return f"{n} {one if n == 1 else many}"
