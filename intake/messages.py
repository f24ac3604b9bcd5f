"""One message catalogue for what people read (issue 20): Chinese by default, English with
`claims --lang en` or CLAIMS_LANG=en. Keyed by a stable message id; machine outputs keep codes
and English field names and carry the id as `error_code`.

Every id has a text in every language of LANGS (tests/unit/test_messages.py fails otherwise).
Counts go through `count`: "1 row" / "2 rows" in English, a measure word in Chinese (3行).
"""

from __future__ import annotations

import os
import re
import string
from typing import Any

from rules.facts import FACT_EN

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
    "file.missing": {"en": "there is no file {path}", "zh": "没有文件 {path}"},
    "file.unknown_type": {"en": "{name}: unknown file type {suffix}; use .csv, .xlsx, .xls or .jsonl",
                          "zh": "{name}：不支持的文件类型 {suffix}；请使用 .csv、.xlsx、.xls 或 .jsonl"},
    "file.header_empty": {"en": "{name}: the first row is empty; it must be the header of field names",
                          "zh": "{name}：第一行为空；第一行必须是列名（表头）"},
    "file.header_unnamed": {"en": "{name}: header column {column} has no name",
                            "zh": "{name}：表头第{column}列没有列名"},
    "file.header_twice": {"en": "{name}: the header names column {column} twice",
                          "zh": "{name}：表头中列 {column} 出现了两次"},
    "file.encoding": {"en": "{name}: the text is neither UTF-8 nor GB18030",
                      "zh": "{name}：文件编码既不是 UTF-8 也不是 GB18030"},
    "file.empty_needs_header": {"en": "{name}: the file is empty; it needs a header row",
                                "zh": "{name}：文件为空；至少需要一行表头"},
    "file.damaged": {"en": "{name}: the workbook is damaged ({detail})", "zh": "{name}：工作簿已损坏（{detail}）"},
    "file.not_workbook": {"en": "{name}: not a readable {suffix} workbook ({detail})",
                          "zh": "{name}：不是可读取的 {suffix} 工作簿（{detail}）"},
    "file.sheet_empty": {"en": "{name}: the first sheet is empty; it needs a header row",
                         "zh": "{name}：第一个工作表为空；至少需要一行表头"},
    "file.empty": {"en": "{name}: the file is empty", "zh": "{name}：文件为空"},
    "import.columns": {"en": "row|claim_id|field|message", "zh": "行号|申报编号|字段|说明"},
    "failed.title": {"en": "set aside 待处理", "zh": "搁置待处理的申报"},
    "failed.header": {"en": "policy|claim_id|state|step|reason|since",
                      "zh": "政策|申报编号|状态|环节|原因|搁置日期"},
    "failed.count": {"en": "{claims} set aside", "zh": "共{claims}申报被搁置"},
    "show.set_aside": {"en": "set aside 待处理: {step} — {reason}", "zh": "搁置待处理：{step} — {reason}"},
    "nightly.header": {"en": "step|policy|claims moved|to state|money (yuan)|set aside",
                       "zh": "环节|政策|流转件数|转入状态|金额（元）|搁置件数"},
    "nightly.set_aside": {"en": "{claims} set aside: see `claims failed`",
                          "zh": "{claims}申报被搁置：见 `claims failed`"},
    "nightly.held_for_review": {
        "en": "{claims} set aside by an institution signal wait for a reviewer: claims oversight list",
        "zh": "{claims}申报因机构风险信号被搁置，等待复核：claims oversight list"},
    "nightly.flow_run": {"en": "flow run nightly-{day}: {state}", "zh": "流程运行 nightly-{day}：{state}"},
    "export.posting_written": {"en": "wrote {path}: {claims} in {windows}",
                               "zh": "已写入 {path}：{windows}公示期，共{claims}申报"},
    "export.payments_written": {"en": "wrote {path}: {payments} on {day}, total {amount} yuan ({per_kind})",
                                "zh": "已写入 {path}：{day} 拨付{payments}，合计 {amount} 元（{per_kind}）"},
    "export.none": {"en": "none", "zh": "无"},
    "export.no_payments": {"en": "no payments have business date {day}; check --date",
                           "zh": "业务日 {day} 没有拨付；请检查 --date"},
    "export.written": {"en": "wrote {path}", "zh": "已写入 {path}"},
    "export.written_two": {"en": "wrote {path} and {chart}", "zh": "已写入 {path} 和 {chart}"},
    "export.summary_written": {"en": "{claims} filed {first}..{last}; wrote {path} and {chart}",
                               "zh": "{first} 至 {last} 受理{claims}申报；已写入 {path} 和 {chart}"},
    "import.report_written": {
        "en": "wrote every rejected row to {path}", "zh": "全部未受理的行已写入 {path}",
    },
    "ops.alerts_nowhere": {
        "en": "say where the alerts go: --webhook URL, --email ADDRESS, or both",
        "zh": "请指定告警发往何处：--webhook 网址、--email 邮箱，或两者都给",
    },
    "ops.email_needs_relay": {
        "en": "--email needs {flags} (the bureau's mail relay)",
        "zh": "--email 还需要 {flags}（本局的邮件服务器）",
    },
    "oversight.cleared": {
        "en": "claim {claim_id} ({policy}): cleared {signals}; {state} — it moves on the next night",
        "zh": "申报 {claim_id}（{policy}）：风险信号 {signals} 经复核排除；状态 {state}，下一夜继续办理",
    },
    "oversight.confirmed": {
        "en": "claim {claim_id} ({policy}): confirmed {signals}; {state}{owed}",
        "zh": "申报 {claim_id}（{policy}）：风险信号 {signals} 经复核属实；状态 {state}{owed}",
    },
    "oversight.owed": {"en": ", {amount} to recover", "zh": "，应追回 {amount} 元"},
    "oversight.scan": {
        "en": "oversight: {signals} signals; {held} claims newly set aside for a reviewer",
        "zh": "机构风险信号 {signals} 项；新搁置待复核申报 {held} 件",
    },
    "oversight.not_computed": {
        "en": "not computed (settings oversight: age_min/age_max/surge_ratio not given): {names}",
        "zh": "未计算（未设置 oversight: age_min/age_max/surge_ratio）：{names}",
    },
    "inspect.waived": {
        "en": "on-site check waived for {waived} claims not drawn (one event each, naming the plan and the "
              "seed clause); {kept} with an advance still wait for theirs",
        "zh": "未抽中的 {waived} 件申报免于现场检查（每件一条事件，写明抽查计划与政策条款）；"
              "涉及预支的 {kept} 件仍须现场检查",
    },
    "release.none": {"en": "no claims wait for payment release on {day}", "zh": "{day} 没有等待拨付审批的申报"},
    "release.waiting": {"en": "payment batch of {day} waiting for release", "zh": "{day} 待审批放行的拨付批次"},
    "release.timeout": {"en": "not released within {minutes} min: the batch of {day} stays held (未审批, 暂停拨付)",
                        "zh": "{minutes} 分钟内未审批：{day} 的拨付批次继续暂停拨付（未审批）"},
    "release.item": {"en": "batch {batch} {policy} {count} orders {total}",
                     "zh": "批次 {batch} {policy} {count}笔 {total}元"},
    "release.list_separator": {"en": ", ", "zh": "；"},
    "release.done": {"en": "released by {approver}: {released}", "zh": "已由 {approver} 审批放行：{released}"},
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
MESSAGES.update({
    "cli.error": {"en": "error:", "zh": "错误："},
    "cli.details": {"en": "details: {path} (or run again with --debug)",
                    "zh": "详情：{path}（或加 --debug 重新运行）"},
    "cli.stopped": {"en": "stopped (Ctrl-C); work of this command that was not committed is not kept",
                    "zh": "已中止（Ctrl-C）；本命令尚未提交的工作不保留"},
    "cli.refused": {"en": "refused: {problem}; nothing was recorded",
                    "zh": "已拒绝：{problem}；未记录任何内容"},
    "cli.db_locked": {
        "en": "the database is locked by another process; waited {seconds} s for it. Try again when "
              "that process (another import or a night) has finished.",
        "zh": "数据库被另一进程锁定，已等待 {seconds} 秒。请待该进程（另一次导入或夜间处理）结束后重试。",
    },
    "cli.db_unreachable": {
        "en": "the database cannot be reached or refused the work ({problem}); check "
              "CLAIMS_DATABASE_URL and that the database server runs.",
        "zh": "无法连接数据库或数据库拒绝执行（{problem}）；请检查 CLAIMS_DATABASE_URL 以及数据库服务器是否运行。",
    },
    "cli.fs_refused": {"en": "the file system refused: {problem}", "zh": "文件系统拒绝：{problem}"},
    "cli.unexpected": {"en": "unexpected error ({kind}): {problem}", "zh": "意外错误（{kind}）：{problem}"},
    "cli.actor_name": {"en": "the actor's name (--actor or CLAIMS_ACTOR) {problem}; nothing was recorded",
                       "zh": "操作人姓名（--actor 或 CLAIMS_ACTOR）{problem}；未记录任何内容"},
    "cli.roles_note": {
        "en": "note: no actor list (CLAIMS_ACTORS): roles are not enforced (one name still cannot "
              "both act on a claim and review or release it)",
        "zh": "注意：未配置人员名单（CLAIMS_ACTORS），不校验角色（同一人仍不能既经办又复核或审批同一申报）",
    },
    "cli.anchor_failed": {
        "en": "warning: anchoring the audit log after `claims {command}` failed: {problem}",
        "zh": "提示：`claims {command}` 之后为审计日志加锚点失败：{problem}",
    },
    "cli.not_a_date": {"en": "{value!r} is not a date; write it as YYYY-MM-DD",
                       "zh": "“{value}”不是日期，请写成 YYYY-MM-DD"},
    "cli.named_not_a_date": {"en": "{name} {value!r} is not a date; write it as YYYY-MM-DD",
                             "zh": "{name} “{value}”不是日期，请写成 YYYY-MM-DD"},
    "cli.lang_choice": {"en": "--lang takes zh or en", "zh": "--lang 只能是 zh 或 en"},
    "cli.unknown_policy": {"en": "unknown policy {value!r}; use one of: {choices}",
                           "zh": "未知政策“{value}”；可选：{choices}"},
    "cli.import_busy": {
        "en": "another import of this same file is running; waited {seconds} s for it ({problem})",
        "zh": "同一文件的另一次导入正在进行，已等待 {seconds} 秒（{problem}）；请在其结束后重新导入",
    },
    "amend.summary": {"en": "{file}: {rows} — [green]amended {amended}[/green], unchanged {unchanged}, "
                            "[red]refused {refused}[/red]",
                      "zh": "{file}：{rows} — [green]已更正 {amended}[/green]，无变化 {unchanged}，"
                            "[red]未予更正 {refused}[/red]"},
    "amend.refused_title": {"en": "rows not applied", "zh": "未予更正的行"},
    "cli.nothing_changed": {"en": "{problem}; nothing was changed", "zh": "{problem}；未作任何更改"},
    "cli.template_kind": {"en": "--kind must be one of {choices}", "zh": "--kind 只能是 {choices} 之一"},
    "cli.template_out": {"en": "--out must be a file ending in .xlsx",
                         "zh": "--out 必须是以 .xlsx 结尾的文件"},
    "cli.bank_choice": {"en": "say --confirmed or --failed", "zh": "请指定 --confirmed 或 --failed"},
    "cli.review_choice": {"en": "say --uphold or --dismiss", "zh": "请指定 --uphold 或 --dismiss"},
    "cli.retry_choice": {"en": "give one CLAIM_ID or --all", "zh": "请给出一个申报编号或 --all"},
    "cli.no_sample_rate": {
        "en": "no sampling share: give --rate (e.g. 10%) or set inspection.sample_rate; the seeds "
              "state none, so the product does not assume one",
        "zh": "没有抽查比例：请给出 --rate（如 10%）或设置 inspection.sample_rate；政策文件未规定，系统不代为确定",
    },
    "cli.replay_needs": {"en": "give --pack FILE or --overrides FILE (or both): the amendment to replay",
                         "zh": "请给出 --pack 文件或 --overrides 文件（或两者）：要重放的修订"},
    "cli.lease_wait": {"en": "claims {label} waited {seconds} s for the nightly lease: {problem}",
                       "zh": "claims {label} 等待夜间批处理锁 {seconds} 秒：{problem}"},
    "cli.no_postings": {
        "en": "no claims are on a posting notice in that range: check --policy/--from/--to, or "
              "run `claims nightly --as-of DATE` so assessed claims get posted",
        "zh": "该范围内没有公示的申报：请检查 --policy/--from/--to，"
              "或运行 `claims nightly --as-of 日期` 使已审核的申报进入公示",
    },
    "cli.to_before_from": {"en": "--to is before --from; swap them", "zh": "--to 早于 --from，请对调"},
    "cli.as_of_required": {
        "en": "--as-of is required: the business day to run, YYYY-MM-DD (e.g. claims nightly "
              "--as-of 2020-06-04)",
        "zh": "必须给出 --as-of：要处理的业务日，YYYY-MM-DD（如 claims nightly --as-of 2020-06-04）",
    },
    "cli.hosts_no_prefect": {
        "en": "--hosts runs the night on Prefect workers; it cannot be used with --no-prefect",
        "zh": "--hosts 在 Prefect 工作进程上运行夜间处理，不能与 --no-prefect 同用",
    },
    "cli.hosts_need_server": {
        "en": "--hosts needs the Prefect server the worker hosts poll: set PREFECT_API_URL "
              "(docs/scaling.md)",
        "zh": "--hosts 需要工作主机轮询的 Prefect 服务器：请设置 PREFECT_API_URL（见 docs/scaling.md）",
    },
    "cli.prefect_failed": {
        "en": "Prefect could not run the flow: {problem}. Is the Prefect server at "
              "PREFECT_API_URL running? (`prefect server start`; or run this night without "
              "Prefect: claims nightly --no-prefect)",
        "zh": "Prefect 无法运行流程：{problem}。PREFECT_API_URL 的 Prefect 服务器是否在运行？"
              "`claims nightly --no-prefect` 可不经 Prefect 运行。",
    },
    "cli.prefect_unreachable": {
        "en": "could not reach the Prefect server to create the automations: {problem}",
        "zh": "无法连接 Prefect 服务器建立告警规则：{problem}",
    },
    "cli.graphviz_failed": {"en": "graphviz failed: {problem}", "zh": "graphviz 失败：{problem}"},
    "cli.no_claim_in_file": {"en": "no claim {claim!r} in {file}", "zh": "{file} 中没有申报“{claim}”"},
    "cli.broken": {"en": "broken:", "zh": "损坏："},
    "cli.breach": {"en": "breach:", "zh": "不一致："},
    "cli.claims_break": {"en": "{claims} break an invariant", "zh": "{claims}不满足一致性要求"},
    "cli.demo_failed": {"en": "demo: {problem}", "zh": "演示：{problem}"},
    "cli.lang_option": {"en": "language of messages: zh (default) or en; also CLAIMS_LANG",
                        "zh": "信息语言：zh（默认）或 en；也可设 CLAIMS_LANG"},
    "access.not_listed": {"en": "{name!r} is not on the deployment's list of actors ({path})",
                          "zh": "“{name}”不在本部署的人员名单中（{path}）"},
    "access.wrong_role": {"en": "{name!r} may act as {roles}, not as {role}",
                          "zh": "“{name}”可担任 {roles}，不能担任 {role}"},
    "access.inspector_reviews": {
        "en": "{name!r} inspected claim {claim_id} and cannot review its objection",
        "zh": "“{name}”检查过申报 {claim_id}，不能复核其异议"},
    "access.objector_reviews": {
        "en": "{name!r} objected to claim {claim_id} and cannot review the objection",
        "zh": "“{name}”对申报 {claim_id} 提出了异议，不能复核该异议"},
    "access.handler_reviews": {
        "en": "{name!r} did {done} on claim {claim_id} and cannot review its objection",
        "zh": "“{name}”对申报 {claim_id} 做过 {done}，不能复核其异议"},
    "access.reviewer_recovers": {
        "en": "{name!r} reviewed claim {claim_id}'s objection and cannot mark its recovery",
        "zh": "“{name}”复核过申报 {claim_id} 的异议，不能将其列为追回"},
    "access.handler_approves": {
        "en": "{name!r} imported, inspected, reviewed, loaded inspections or completions of, or amended "
              "claims in this batch and cannot release its payment",
        "zh": "“{name}”导入、检查、复核、导入过检查或结业名册、或更正过本批次中的申报，不能审批放行本批拨付"},
    "lease.held": {
        "en": "another nightly run holds the lease since {since} UTC ({holder}); it lapses at "
              "{until} UTC unless its heartbeat renews it. Wait for that run to finish; a crashed "
              "run's lease is taken over by the next run at once (same host) or after the lapse. "
              "`claims lease show` tells who holds it.",
        "zh": "另一次夜间处理自 {since} UTC 起持有批处理锁（{holder}）；若心跳不续期，将于 {until} UTC 到期。"
              "请等待其结束；崩溃的运行所持的锁由下一次运行立即（同一主机）或到期后接管。"
              "`claims lease show` 可查看持有者。",
    },
    "lease.lapsed": {
        "en": "the nightly lease of {holder} lapsed and another run took it; this run stops before "
              "its next step",
        "zh": "{holder} 的夜间批处理锁已过期并被另一次运行接管；本次运行在下一步之前停止"},
    "lease.taken_over": {
        "en": "this run's nightly lease (generation {generation}) was taken over (now generation "
              "{current}); nothing of this transaction is kept",
        "zh": "本次运行的夜间批处理锁（第 {generation} 代）已被接管（现为第 {current} 代）；本事务的内容不保留"},
    "lease.released_under": {
        "en": "this run's nightly lease (generation {generation}) was taken over (released); "
              "nothing of this transaction is kept",
        "zh": "本次运行的夜间批处理锁（第 {generation} 代）已被释放；本事务的内容不保留"},
})
"""CLI errors and notes, refusals by the actor list, lease messages."""

MESSAGES.update({
    "help.claims": {
        "en": "Vocational-training subsidy claims (职业技能提升行动补贴): import, rules, the claim "
              "lifecycle, nightly Prefect runs, notices, payment batches and reports.",
        "zh": "职业技能提升行动补贴申报：导入、规则、申报流转、夜间批处理、公示、拨付和报表。",
    },
    "help.oversight": {"en": "Claims an institution signal set aside for a reviewer: list them, clear or confirm.",
                       "zh": "机构风险信号搁置待复核的申报：列出、排除或确认。"},
    "help.oversight.list": {"en": "List the claims signals set aside (open, cleared, confirmed or all).",
                            "zh": "列出风险信号搁置的申报（待复核、已排除、已确认或全部）。"},
    "help.oversight.scan": {"en": "Compute the signals now and set aside the claims they point at.",
                            "zh": "立即计算风险信号并搁置其指向的申报。"},
    "help.oversight.clear": {"en": "Clear a claim's signals as reviewer; it moves on the next night.",
                             "zh": "复核排除申报的风险信号；下一夜继续办理。"},
    "help.oversight.confirm": {"en": "Confirm a claim's signals as reviewer; the claim is rejected.",
                               "zh": "复核确认申报的风险信号；申报不予通过。"},
    "help.init": {"en": "Create the database schema, or upgrade it to the current version.",
                  "zh": "建立数据库结构，或升级到当前版本。"},
    "help.diagram": {"en": "Draw the claim lifecycle (Mermaid, Graphviz dot, PNG/SVG).",
                     "zh": "绘制申报流转图（Mermaid、Graphviz dot、PNG/SVG）。"},
    "help.import": {"en": "File the claims of a CSV/XLSX/XLS file; rows that cannot be filed are "
                          "listed with row, field and reason.",
                    "zh": "导入申报文件（CSV/XLSX/XLS）；不能受理的行列出行号、字段和原因。"},
    "help.amend": {"en": "Correct filed claims before assessment.",
                   "zh": "审核前更正已受理的申报。"},
    "help.withdraw": {"en": "Withdraw a claim before assessment (a paid advance becomes money to "
                            "recover).",
                      "zh": "审核前撤回申报（已拨付的预支转为待追回）。"},
    "help.complete": {"en": "Record training completion (结业/证书 roster).",
                      "zh": "登记培训结业（结业/证书名册）。"},
    "help.show": {"en": "Show one claim: state, amount, payments and its history.",
                  "zh": "查看一件申报：状态、金额、拨付和全部经过。"},
    "help.object": {"en": "Record an objection (异议) during the posting window.",
                    "zh": "在公示期内登记异议。"},
    "help.review": {"en": "Resolve an objection as reviewer: uphold or dismiss.",
                    "zh": "复核异议：成立（不予补贴）或不成立（恢复公示）。"},
    "help.recover": {"en": "Mark all money paid on a claim as to be recovered (追回).",
                     "zh": "将一件申报已拨付的资金全部列为待追回。"},
    "help.recovered": {"en": "Record money actually returned (已追回).",
                       "zh": "登记实际追回的资金。"},
    "help.failed": {"en": "List claims the nights set aside, with step and reason.",
                    "zh": "列出夜间处理搁置的申报及其环节和原因。"},
    "help.retry": {"en": "Run again the step a claim was set aside in (administrator).",
                   "zh": "重新执行申报被搁置的环节（系统管理员）。"},
    "help.approve": {"en": "Release the day's payment batch (拨付审批).",
                     "zh": "审批放行当日拨付批次。"},
    "help.reconcile": {"en": "Check money and states claim by claim; totals per policy and day.",
                       "zh": "逐件核对资金与状态；按政策和日期汇总。"},
    "help.demo": {"en": "Demo claims for all five policies through their whole life.",
                  "zh": "演示：五项政策的申报走完全部流程。"},
    "help.template": {"en": "Write a blank import template (.xlsx) with Chinese headers.",
                      "zh": "生成空白导入模板（.xlsx，中文表头）。"},
    "help.bank": {"en": "The bank's statements (银行回单): confirming or failing payments.",
                  "zh": "银行回单：确认或退回拨付。"},
    "help.bank.import": {"en": "Apply a bank statement: settle confirmed payments, fail refused "
                               "ones.",
                         "zh": "导入银行回单：成功的拨付结清，失败的退回待重拨。"},
    "help.bank.resolve": {"en": "Decide a payment two statement lines contradicted.",
                          "zh": "裁定两条回单相互矛盾的拨付。"},
    "help.bank.copy": {"en": "Write a payment batch's file again, marked as a copy (副本).",
                       "zh": "重新生成拨付批次文件，标明“副本”。"},
    "help.rules": {"en": "The seed policies as packs and the rules engine (no database writes).",
                   "zh": "政策规则包与规则引擎（不写数据库）。"},
    "help.rules.evaluate": {"en": "Evaluate every record of a file; one JSON object per record.",
                            "zh": "逐条评估文件中的记录，每条输出一个 JSON 对象。"},
    "help.rules.show": {"en": "Print a policy pack: validity, parameters and seed clauses.",
                        "zh": "显示政策规则包：有效期、参数及政策条款。"},
    "help.rules.explain": {"en": "Explain step by step how one claim was decided.",
                           "zh": "逐步说明一件申报的审核结果。"},
    "help.rules.replay": {"en": "Re-evaluate decided claims under an amended pack; list what "
                                "would change.",
                          "zh": "按修订后的规则重新评估已审核申报，列出会变化的申报。"},
    "help.export": {"en": "Files for the bureau: posting notice, payment batch, rejected list.",
                    "zh": "报送文件：公示名单、拨付清单、不予补贴名单。"},
    "help.export.posting": {"en": "The public posting notice (公示名单), identities masked.",
                            "zh": "公示名单（身份信息脱敏）。"},
    "help.export.payments": {"en": "The day's payment list for the finance bureau (拨付清单).",
                             "zh": "报财政部门的当日拨付清单。"},
    "help.export.rejected": {"en": "Rejected claims and rejected import rows.",
                             "zh": "不予补贴申报和导入未受理数据行。"},
    "help.report": {"en": "Reports: progress against targets, quarterly/annual summary.",
                    "zh": "报表：目标任务进度、季报和年报。"},
    "help.report.targets": {"en": "Progress against the seed's target table.",
                            "zh": "目标任务完成进度。"},
    "help.report.summary": {"en": "The quarterly / annual report (季报、年报).",
                            "zh": "季报、年报。"},
    "help.report.funds": {"en": "Budget, committed, paid, recovered and remaining funds.",
                          "zh": "资金：预算、已承诺、已拨付、已追回和结余。"},
    "help.report.oversight": {"en": "Named risk signals per training body (read-only).",
                              "zh": "各培训机构的风险信号（只读）。"},
    "help.audit": {"en": "The tamper-evident event log.", "zh": "防篡改的事件日志。"},
    "help.audit.verify": {"en": "Check every claim's hash-chained history and the nightly "
                                "anchors.",
                          "zh": "校验每件申报的哈希链记录和夜间锚点。"},
    "help.nightly": {"en": "Run the night of a business day: advances, inspections, assessment, "
                           "postings, payment.",
                     "zh": "执行某一业务日的夜间处理：预支、检查、审核、公示、拨付。"},
    "help.nightly.worker": {"en": "Run one worker of a night that several workers share.",
                            "zh": "运行多机夜间处理中的一个工作进程。"},
    "help.lease": {"en": "The nightly lease (夜间批处理锁): who holds it; an administrator's "
                         "release.",
                   "zh": "夜间批处理锁：谁持有；系统管理员释放。"},
    "help.lease.show": {"en": "Who holds the nightly lease and when it lapses.",
                        "zh": "查看夜间批处理锁的持有者和到期时间。"},
    "help.lease.release": {"en": "Release the nightly lease by hand (administrator only).",
                           "zh": "手工释放夜间批处理锁（仅系统管理员）。"},
    "help.ops": {"en": "Operations on the Prefect server: alerts (告警).",
                 "zh": "Prefect 服务器运维：告警。"},
    "help.ops.setup": {"en": "Create or replace the alert automations on the Prefect server.",
                       "zh": "在 Prefect 服务器上建立或替换告警规则。"},
    "help.ops.release-code": {"en": "Set an approver's personal release code.",
                              "zh": "设置审批人的个人放行码。"},
    "help.inspect": {"en": "On-site inspections (现场检查): `record FILE` (also `claims inspect "
                           "FILE`) records results; `plan` chooses what to inspect.",
                     "zh": "现场检查：`record 文件`（或 `claims inspect 文件`）登记结果；`plan` 制定检查计划。"},
    "help.inspect.record": {"en": "Record on-site inspection results from a roster.",
                            "zh": "按名册登记现场检查结果。"},
    "help.inspect.plan": {"en": "Choose the classes and claims to inspect, each with its reason.",
                          "zh": "选定要检查的班级和申报，并说明原因。"},
    "help.reference": {"en": "Reference extracts the assessment checks claims against.",
                       "zh": "审核比对用的参照数据（证书联网查询、参保记录）。"},
    "help.reference.import": {"en": "Load a reference extract as dated rows.",
                              "zh": "导入参照数据（注明提取日期）。"},
})
"""One-line summaries of the commands (`claims --help`), id help.<command path>."""

MESSAGES.update({
    "error.policy_not_in_force": {"en": "the policy is not in force that day ({detail})",
                                  "zh": "该政策当日未生效（{detail}）"},
    "error.missing_parameter": {"en": "a number the policy leaves open has no local value ({detail})",
                                "zh": "政策未规定的参数尚无本地取值（{detail}）"},
    "error.missing_facts": {"en": "the claim lacks facts the rules need ({detail})",
                          "zh": "申报缺少审核所需的信息（{detail}）"},
    "error.advance_not_payable": {"en": "the advance cannot be paid ({detail})",
                                  "zh": "预支无法拨付（{detail}）"},
    "error.advance_not_allowed": {"en": "no advance is allowed here ({detail})",
                                  "zh": "不予预支（{detail}）"},
    "error.advance_refused": {"en": "the advance payment was refused ({detail})",
                              "zh": "预支拨付被拒（{detail}）"},
    "error.payment_refused": {"en": "the payment was refused ({detail})", "zh": "拨付被拒（{detail}）"},
    "error.bank_failed": {"en": "the bank failed the payment ({detail})", "zh": "银行退回拨付（{detail}）"},
    "error.awaiting_release": {"en": "waits for the payment release ({detail})",
                               "zh": "等待拨付审批（{detail}）"},
    "error.invalid_record": {"en": "the record is invalid ({detail})", "zh": "记录有误（{detail}）"},
    "error.payee_conflict": {"en": "the payee does not fit the policy ({detail})",
                             "zh": "收款人与政策规定不符（{detail}）"},
    "error.payee_incomplete": {"en": "no payee name or bank account; amend the payee ({detail})",
                               "zh": "收款人名称或银行账号缺失，请更正收款信息（{detail}）"},
    "error.oversight_signal": {"en": "an institution signal holds it for a reviewer ({detail})",
                               "zh": "机构风险信号搁置，待复核（{detail}）"},
    "error.set_aside": {"en": "set aside ({detail})", "zh": "已搁置（{detail}）"},
})
"""Human text of the machine outputs' error codes (services/error_codes.py, docs/errors.md)."""

MESSAGES.update({
    "row.too_long": {"en": "is {length} characters long; at most {limit} are allowed",
                     "zh": "长度为{length}个字符，最多允许{limit}个"},
    "row.formula": {"en": "{value} looks like a spreadsheet formula; enter the value itself",
                    "zh": "{value} 像是电子表格公式，请填写数值本身"},
    "row.unknown_code": {"en": "{value} is not a known code; use one of {choices}",
                         "zh": "{value} 不是有效代码，可填：{choices}"},
    "row.not_real_date": {"en": "{value} is not a real calendar date", "zh": "{value} 不是真实存在的日期"},
    "row.not_a_date": {"en": "{value} is not a date; write it as YYYY-MM-DD (2020/6/1, 2020-6-1 and "
                             "2020年6月1日 are read too)",
                       "zh": "{value} 不是日期，请写成 YYYY-MM-DD（也可写 2020/6/1、2020-6-1 或 2020年6月1日）"},
    "row.not_yes_no": {"en": "{value} is not yes or no; write true/false, 1/0 or 是/否",
                       "zh": "{value} 不是“是/否”，请填写 是/否、true/false 或 1/0"},
    "row.not_whole": {"en": "{value} is not a whole number", "zh": "{value} 不是整数"},
    "row.out_of_range": {"en": "{number} is out of range; it must be between {low} and {high}",
                         "zh": "{number} 超出范围，应在 {low} 至 {high} 之间"},
    "row.not_money": {"en": "{value} is not an amount in yuan like 1500 or 1500.00",
                      "zh": "{value} 不是以元为单位的金额（如 1500 或 1500.00）"},
    "row.negative": {"en": "{value} is negative; amounts are 0 or more", "zh": "{value} 为负数，金额应不小于0"},
    "row.fen": {"en": "{value} has more than 2 decimal places (fen)", "zh": "{value} 小数超过2位（分）"},
    "row.above_bound": {"en": "{value} yuan is above the sanity bound of {bound} yuan",
                        "zh": "{value} 元超过合理上限 {bound} 元"},
    "row.not_region": {"en": "{value} is not a 6-digit administrative division code",
                       "zh": "{value} 不是6位行政区划代码"},
    "row.required": {"en": "is required and missing", "zh": "为必填项，未填写"},
    "fact.advance_no_class_filing": {"en": "advance_not_payable: no class filing number (class_id 开班备案号)",
                                     "zh": "不能预支：缺少开班备案号（class_id）"},
    "fact.advance_not_organisation": {"en": "advance_not_payable: advances go to an enterprise or institution only",
                                      "zh": "不能预支：预支只拨付给企业或培训机构"},
    "fact.advance_not_allowed": {"en": "advance_not_allowed: the policy provides no advance ({source})",
                                 "zh": "不能预支：该政策未规定预支（{source}）"},
    "row.amend_identify": {"en": "is required to find the claim", "zh": "为查找申报所必需，未填写"},
    "row.amend_no_claim": {"en": "no claim {claim_id} is filed under {policy}",
                           "zh": "政策 {policy} 下没有申报编号为 {claim_id} 的申报"},
    "row.amend_again": {"en": "{claim_id} is corrected again in this file (first at row {first}); put all its "
                              "corrections in one row",
                        "zh": "{claim_id} 在本文件中被再次更正（首次在第{first}行）；同一申报的更正请写在一行"},
    "row.amend_too_late": {"en": "{problem}; claims can be amended only before assessment, and the payee "
                                 "({fields}) also when approved or payment_failed",
                           "zh": "{problem}；申报只能在审核前更正，收款信息（{fields}）在审批通过或拨付失败后也可更正"},
    "row.required_for_kind": {"en": "is required for kind {kind}", "zh": "补贴类别 {kind} 必须填写"},
    "row.required_unless_advance": {
        "en": "is required for kind {kind} (a claim asking for an advance may leave it empty until "
              "completion)",
        "zh": "补贴类别 {kind} 必须填写（申请预支的申报可在结业前暂不填写）"},
})
"""Why an import row was not filed (intake/validate.py). The stored text is the English one;
`localise_stored` gives it in the reader's language (import output, the 导入未受理 sheet)."""

AS_TEXT_EN = ("format the column as Text in Excel (设置单元格格式 → 文本) before typing or pasting "
              "the numbers, or use the template from `claims template`")
AS_TEXT_ZH = ("请先在 Excel 中把该列设为文本（设置单元格格式 → 文本）再输入或粘贴号码，"
              "或使用 `claims template` 生成的模板")

MESSAGES.update({
    "row.id_length": {"en": "must be 18 characters, it has {length}", "zh": "应为18位，实为{length}位"},
    "row.id_digits": {"en": "must be 17 digits followed by a digit or X",
                      "zh": "应为17位数字加1位数字或X"},
    "row.id_birth_unreal": {"en": "its birth date {born} is not a real date",
                            "zh": "出生日期 {born} 不是真实存在的日期"},
    "row.id_birth_early": {"en": "its birth date {born} is before 1900",
                           "zh": "出生日期 {born} 早于1900年"},
    "row.id_check": {"en": "check digit is wrong (GB 11643)", "zh": "校验码错误（GB 11643）"},
    "row.credit_chars": {
        "en": "contains {chars}; only digits and the capital letters A-Y except I, O, S, V, Z are used",
        "zh": "含有字符 {chars}；只能使用数字和大写字母 A-Y（不含 I、O、S、V、Z）"},
    "row.credit_region": {"en": "characters 3-8 must be the 6-digit region code",
                          "zh": "第3至8位应为6位行政区划代码"},
    "row.credit_check": {"en": "check character is wrong (GB 32100)", "zh": "校验码错误（GB 32100）"},
    "row.person_id_bad": {"en": "{problem}: {value}", "zh": "身份证号码有误（{problem}）：{value}"},
    "row.born_after_filing": {"en": "its birth date is after filed_on {filed_on}: {value}",
                              "zh": "出生日期晚于申报日期 {filed_on}：{value}"},
    "row.payee_not_person_id": {
        "en": "is not an identity number (payee_type individual): {problem}: {value}",
        "zh": "不是有效的身份证号码（收款人类型为个人）：{problem}：{value}"},
    "row.payee_not_credit_code": {
        "en": "is not a unified social credit code (payee_type {payee_type}): {problem}: {value}",
        "zh": "不是有效的统一社会信用代码（收款人类型为 {payee_type}）：{problem}：{value}"},
    "row.outside_jurisdiction": {
        "en": "{region} is not in {area}, the area of {policy} (its codes start with {prefix})",
        "zh": "{region} 不在政策 {policy} 的辖区{area}内（该辖区的区划代码以 {prefix} 开头）"},
    "row.advance_individual": {"en": "advances go to organisations only; payee_type is individual",
                               "zh": "预支只拨付给单位，而收款人类型为个人"},
    "row.training_order": {"en": "{end} is before training_start {start}",
                           "zh": "{end} 早于培训开始日期 {start}"},
    "row.payee_rule": {"en": "the policy pays the {required} here ({citation}), the file says {given}",
                       "zh": "政策规定此项补贴拨付给 {required}（{citation}），文件填写的是 {given}"},
    "row.unknown_group": {"en": "{codes} is not a known group code; use {choices}",
                          "zh": "{codes} 不是有效的人员类别代码，可填：{choices}"},
    "row.unknown_groups": {"en": "{codes} are not a known group code; use {choices}",
                           "zh": "{codes} 不是有效的人员类别代码，可填：{choices}"},
    "row.groups_too_long": {"en": "too long; at most {limit} characters", "zh": "过长，最多{limit}个字符"},
    "row.excel_scientific": {
        "en": "{value} is a number Excel shows in scientific notation; the digits after the first 15 "
              "are lost and cannot be recovered. Re-enter it: " + AS_TEXT_EN,
        "zh": "{value} 是 Excel 以科学计数法显示的数字，第15位以后的数字已丢失、无法恢复。请重新录入："
              + AS_TEXT_ZH},
    "row.excel_decimal": {
        "en": "ends in {tail}: Excel stored it as a number and added a decimal part; " + AS_TEXT_EN,
        "zh": "末尾多了 {tail}：Excel 把它存成了数字并加上了小数部分；" + AS_TEXT_ZH},
    "row.not_account": {
        "en": "{value} is not an account number of 8 to 32 digits; if it had leading zeros, Excel "
              "dropped them: " + AS_TEXT_EN,
        "zh": "{value} 不是8至32位数字的账号；如果原号码以0开头，Excel 已把开头的0去掉了：" + AS_TEXT_ZH},
    "row.personal_account": {
        "en": "{value} has {digits} digits; an individual's bank card or social security card (社保卡) "
              "number has 16 to 19 digits (CONTRACT §1 bank_account). If digits are missing, Excel may "
              "have dropped leading zeros: " + AS_TEXT_EN,
        "zh": "{value} 有{digits}位；个人银行卡或社保卡号应为16至19位数字。若位数不足，可能是 Excel 去掉了"
              "开头的0：" + AS_TEXT_ZH},
    "row.extra_cells": {"en": "the row has {filled} filled cells but the header only {columns} columns",
                        "zh": "该行有{filled}个已填单元格，但表头只有{columns}列"},
    "row.control_char": {
        "en": "the row contains the control character U+{code}, which no field may hold (a damaged "
              "or binary file?)",
        "zh": "该行含有控制字符 U+{code}，任何字段都不能含有（文件是否已损坏或不是文本文件？）"},
    "row.hidden_char": {
        "en": "{value} holds a line break, tab or invisible character (U+{code}) that a one-line field may "
              "not hold: retype the value",
        "zh": "{value} 含有换行、制表符或不可见字符（U+{code}），单行字段不能含有：请重新录入该值"},
    "row.cut_off": {
        "en": "the last line has {cells} of the header's {width} cells and no line ending: the file "
              "looks cut off in the middle of this row",
        "zh": "最后一行只有{cells}个单元格（表头有{width}列）且没有换行：文件似乎在这一行中间被截断了"},
    "row.not_csv": {"en": "the row cannot be read as CSV: {detail}", "zh": "该行无法按 CSV 格式读取：{detail}"},
    "row.not_json": {"en": "the line is not valid JSON ({detail})", "zh": "该行不是有效的 JSON（{detail}）"},
    "row.not_json_object": {"en": "the line is not a JSON object {{...}}",
                            "zh": "该行不是 JSON 对象 {{...}}"},
    "row.repeated_same": {
        "en": "{claim_id} appears again in this file (first at row {first}) with the same content; "
              "only the first row counts",
        "zh": "{claim_id} 在本文件中重复出现（首次在第{first}行），内容相同；以第一次出现的行为准"},
    "row.repeated_different": {
        "en": "{claim_id} appears again in this file (first at row {first}) with different content; "
              "only the first row counts",
        "zh": "{claim_id} 在本文件中重复出现（首次在第{first}行），内容不同；以第一次出现的行为准"},
    "row.repeated_changed": {
        "en": "{claim_id} appears again in this file (first at row {first}) with different content "
              "({diff}); only the first row counts",
        "zh": "{claim_id} 在本文件中重复出现（首次在第{first}行），内容不同（{diff}）；以第一次出现的行为准"},
    "row.already_filed": {
        "en": "{claim_id} is already filed under {policy} with different content ({diff}); it was "
              "not changed — correct a filed claim with `claims amend`",
        "zh": "{claim_id} 已在政策 {policy} 下受理，但内容不同（{diff}）；原申报未作更改——"
              "更正已受理的申报请用 `claims amend`"},
    "row.diff": {"en": "{field}: filed {old}, this file {new}", "zh": "{field}：已受理为 {old}，本文件为 {new}"},
    "row.empty": {"en": "empty", "zh": "空"},
})
"""Identity numbers and credit codes (intake/identity.py), cross-field checks, Excel-mangled
numbers, unreadable records (intake/readers.py), repeated and conflicting claims
(services/importing/filing.py). Stored in English like the ids above; `problem`, `diff`, `old`
and `new` are themselves catalogued texts and are translated in their turn."""

MESSAGES.update({
    "fact.missing": {"en": "missing_facts: {field}: {problem}", "zh": "缺少审核所需的信息 {field}：{problem}"},
    "fact.level": {"en": FACT_EN["fact.level"],
                   "zh": "{kind} 按证书等级确定补贴标准，请填写证书等级"},
    "fact.apprentice_type": {"en": FACT_EN["fact.apprentice_type"],
                             "zh": "请填写学徒类型：职工学徒或学生学徒"},
    "fact.employed_on": {"en": FACT_EN["fact.employed_on"], "zh": "{kind} 须填写就业（入职）日期"},
    "fact.months": {"en": FACT_EN["fact.months"],
                    "zh": "以工代训按月补贴，请填写月数"},
    "fact.days": {"en": FACT_EN["fact.days"],
                  "zh": "生活费补贴按实际培训天数计发，请填写天数"},
    "fact.actual_allowance": {
        "en": FACT_EN["fact.actual_allowance"],
        "zh": "补贴额为学徒实际的月实习津贴，最高 {ceiling} 元（{source}），请填写"},
    "fact.class_dates": {"en": FACT_EN["fact.class_dates"],
                         "zh": "按天计发的补贴须与培训班起止日期核对，请填写培训起止日期"},
    "fact.payee_incomplete": {
        "en": "payee_incomplete: no {field}; correct it with claims amend (columns claim_id, policy, "
              "{listed}), then the next night pays it",
        "zh": "收款信息不全：缺少 {field}；请用 claims amend 补正（列 claim_id、policy、{listed}），"
              "下一夜即予拨付"},
    "fact.payee_incomplete_both": {
        "en": "payee_incomplete: no payee_name and no bank_account; correct it with claims amend "
              "(columns claim_id, policy, payee_name, bank_account), then the next night pays it",
        "zh": "收款信息不全：缺少收款人名称（payee_name）和银行账号（bank_account）；请用 claims amend 补正"
              "（列 claim_id、policy、payee_name、bank_account），下一夜即予拨付"},
    "fact.class_order": {"en": FACT_EN["fact.class_order"], "zh": "培训结束日期早于开始日期"},
})
"""Facts the rules need and a claim lacks (rules/engine.py ClaimFactsError); the night stores
`missing_facts: FIELD: TEXT` in English and `claims failed`/`claims show` read it through
`localise_stored`."""

MESSAGES.update({
    "artifact.summary": {
        "en": "nightly-{day}: claims moved per step and policy, money by kind and policy (yuan, "
              "numbers), claims set aside and held for release; totals per policy",
        "zh": "nightly-{day}：各环节、各政策流转的申报，按类别和政策的金额（元），搁置和待审批的申报；各政策合计"},
    "artifact.set_aside": {"en": "nightly-{day}: claims set aside (see `claims failed`)",
                           "zh": "nightly-{day}：搁置的申报（见 `claims failed`）"},
    "artifact.postings": {"en": "nightly-{day}: new postings, identities masked",
                          "zh": "nightly-{day}：新公示的申报（身份信息脱敏）"},
    "artifact.week": {"en": "week of {day}: paid, recovered and net per night (yuan)",
                      "zh": "{day} 所在周：每晚已拨付、已追回和净拨付金额（元）"},
    "artifact.night": {"en": "nightly-{day}: the night on one page", "zh": "nightly-{day}：夜间处理一览"},
    "artifact.failed_at": {"en": "failed at {step} ({step_zh})", "zh": "在 {step}（{step_zh}）失败"},
    "artifact.completed": {"en": "completed", "zh": "已完成"},
    "artifact.stopped": {"en": "stopped", "zh": "已中止"},
    "artifact.database": {"en": "Database `{database}` — {outcome}", "zh": "数据库 `{database}` — {outcome}"},
    "artifact.links": {"en": "Artifacts", "zh": "相关产出"},
    "artifact.import": {"en": "import of {file} on {day}", "zh": "{day} 导入 {file}"},
    "artifact.import_rejections": {
        "en": "rows of {file} not filed (all of them: claims export rejected)",
        "zh": "{file} 中未受理的行（全部见 claims export rejected）"},
    "artifact.retry": {"en": "claims retried on {day}", "zh": "{day} 重新处理的申报"},
})
"""Human text of the night's Prefect artifacts (flows/nightly.py, services/nightly/report.py)."""

MESSAGES.update({
    "rejected.claims_sheet": {"en": "rejected claims", "zh": "不予补贴"},
    "rejected.claims_title": {"en": "Rejected claims", "zh": "不予补贴申报名单"},
    "rejected.claims_header": {
        "en": "No.|Claim ID|Policy|Name|ID number|Subsidy kind|State|Reasons|Reason codes|Date",
        "zh": "序号|申报编号|政策|姓名|身份证号码|补贴类别|状态|不予补贴原因|原因代码|日期"},
    "rejected.imports_sheet": {"en": "rejected import rows", "zh": "导入未受理"},
    "rejected.imports_title": {"en": "Import rows not filed", "zh": "导入未受理数据行"},
    "rejected.imports_header": {"en": "No.|File|Row|Claim ID|Type|Field|Message",
                                "zh": "序号|导入文件|行号|申报编号|类型|字段|说明"},
    "rejected.total": {"en": "Total", "zh": "合计"},
})
"""The rejected list's sheets (exports/rejected.py); a header is its columns joined by |."""

MESSAGES.update({
    "roster.missing": {"en": "missing", "zh": "未填写"},
    "roster.no_claim": {"en": "no such claim", "zh": "没有这件申报"},
    "roster.several_policies": {"en": "claim {claim_id} exists under several policies: add a policy column",
                                "zh": "申报 {claim_id} 在多个政策下都有：请加一列 policy（政策）"},
    "roster.state_inspection": {"en": "claim is '{state}'; an inspection is recorded only in {allowed}",
                                "zh": "申报状态为 {state}；现场检查结果只能在以下状态登记：{allowed}"},
    "roster.state_completion": {"en": "claim is '{state}'; completion is recorded only in {allowed}",
                                "zh": "申报状态为 {state}；结业情况只能在以下状态登记：{allowed}"},
    "roster.result": {"en": "{value} must be pass or fail (通过/不通过)",
                      "zh": "{value} 无法识别，应为 通过/不通过（pass/fail）"},
    "roster.no_day": {"en": "missing (or give --on)", "zh": "未填写（或用 --on 给出检查日期）"},
    "roster.level": {"en": "{value} is not a level code ({levels})",
                     "zh": "{value} 不是职业技能等级代码（{levels}）"},
    "roster.certificate_needed": {"en": "needed when the result is pass", "zh": "结果为通过时必须填写"},
    "roster.certificate_late": {"en": "{day} is after the business date {on}", "zh": "{day} 晚于业务日期 {on}"},
    "roster.summary": {"en": "{what}: {recorded} recorded, {unchanged} unchanged, {rejected} rejected",
                       "zh": "{what}：登记 {recorded}，未变 {unchanged}，未能登记 {rejected}"},
    "roster.inspections": {"en": "inspections", "zh": "现场检查"},
    "roster.completions": {"en": "completions", "zh": "结业"},
    "roster.columns": {"en": "row|claim_id|field|message", "zh": "行号|申报编号|字段|说明"},
    "roster.title": {"en": "rejected rows 未能登记的行", "zh": "未能登记的行"},
})
"""Inspection and completion rosters (services/importing/rosters.py): row messages stored in English."""

MESSAGES.update({
    "bank.no_reference": {"en": "reference: missing", "zh": "reference（付款编号）：未填写"},
    "bank.unknown_reference": {"en": "unknown reference: no payment of this product carries it",
                               "zh": "付款编号不认识：本系统没有这个编号的付款"},
    "bank.status": {"en": "status: {value} must be confirmed or failed",
                    "zh": "status（状态）：{value} 无法识别，应为 confirmed（已到账）或 failed（退回）"},
    "bank.unreadable": {"en": "amount {amount} or date {day} cannot be read",
                        "zh": "金额 {amount} 或日期 {day} 无法读取"},
    "bank.amount_mismatch": {"en": "amount mismatch: the bank says {amount}, the payment is {expected}",
                             "zh": "金额不符：银行为 {amount}，拨付为 {expected}"},
    "bank.not_sent_kind": {"en": "payment {reference} is a {kind}, not money sent",
                           "zh": "付款 {reference} 是 {kind}，不是拨出的款项"},
    "bank.never_sent": {"en": "payment {reference} was never sent (it is {status}): the bank cannot have it",
                        "zh": "付款 {reference} 从未发出（状态 {status}）：银行不可能有这笔"},
    "bank.conflict": {
        "en": "conflict: the bank said {before} before and now {now}; nothing changed until an "
              "administrator decides: claims bank resolve {reference} --confirmed|--failed",
        "zh": "冲突：银行此前为 {before}，现在为 {now}；在管理员决定前不作任何更改："
              "claims bank resolve {reference} --confirmed|--failed"},
    "bank.needs_admin": {
        "en": "claim {claim_id} is '{state}': the failure needs an administrator; nothing was changed",
        "zh": "申报 {claim_id} 状态为 {state}：这笔退回须由管理员处理；未作任何更改"},
    "ops.bank_summary": {
        "en": "bank statement: {confirmed} confirmed, {failed} failed, {unchanged} unchanged, "
              "{problems} not applied",
        "zh": "银行对账单：到账 {confirmed}，退回 {failed}，未变 {unchanged}，未处理 {problems}"},
    "ops.retry_waiting": {"en": "claims waiting for a payment retry: {claims}",
                          "zh": "等待重新拨付的申报：{claims}"},
    "ops.returns_summary": {
        "en": "returns: {recorded} recorded, {unchanged} already recorded, {settled} claims recovered "
              "in full, {problems} rejected",
        "zh": "追回款：登记 {recorded}，此前已登记 {unchanged}，全额追回的申报 {settled} 件，未能登记 {problems}"},
    "ops.problems_columns": {"en": "row|claim / reference|problem", "zh": "行号|申报编号/付款编号|问题"},
    "ops.problems_title": {"en": "not applied 未处理的行", "zh": "未处理的行"},
})
"""Bank statements and returns (services/money/payments.py, recovery.py; cli/ops_cmd.py)."""

MESSAGES.update({
    "returns.not_amount": {"en": "{value} is not an amount in yuan", "zh": "{value} 不是以元为单位的金额"},
    "returns.amount_form": {"en": "{value} must be positive with at most 2 decimals",
                            "zh": "{value} 应为正数，最多2位小数"},
    "returns.not_date": {"en": "{value} is not a date (YYYY-MM-DD)", "zh": "{value} 不是日期（YYYY-MM-DD）"},
    "returns.several_policies": {"en": "claim exists under several policies: add policy",
                                 "zh": "该申报在多个政策下都有：请加一列 policy（政策）"},
    "returns.wrong_state": {"en": "claim is '{state}'; returns are recorded in recovery_due",
                            "zh": "申报状态为 {state}；追回款只在 recovery_due（待追回）状态登记"},
    "returns.too_much": {"en": "{amount} is more than the {owed} still owed",
                         "zh": "{amount} 元超过尚欠的 {owed} 元"},
})
"""Returns of recovered money (services/money/recovery.py): row messages stored in English."""

MESSAGES.update({
    "reference.not_date": {"en": "{what}: {value} is not a date (YYYY-MM-DD)",
                           "zh": "{what}：{value} 不是日期（YYYY-MM-DD）"},
    "reference.no_person_id": {"en": "身份证号 missing", "zh": "身份证号未填写"},
    "reference.no_certificate": {"en": "证书编号 missing", "zh": "证书编号未填写"},
    "reference.not_months": {"en": "参保月数: {value} is not a whole number of months",
                             "zh": "参保月数：{value} 不是整月数"},
    "refcli.summary": {
        "en": "{kind} extract of {day}: {rows} rows — added {added}, unchanged {unchanged}, rejected {rejected}",
        "zh": "{day} 的{kind}数据：共 {rows} 行 — 新增 {added}，未变 {unchanged}，未导入 {rejected}"},
    "refcli.certificates": {"en": "certificates", "zh": "职业资格证书"},
    "refcli.insurance": {"en": "insurance", "zh": "参保"},
    "refcli.row": {"en": "  row {number}: {problem}", "zh": "  第{number}行：{problem}"},
})
"""Reference extracts (services/oversight/reference.py, cli/reference_cmd.py); problems stored in English."""

_EV_EN = "claim {claim_id} ({policy}) event #{seq} (id {event})"
_EV_ZH = "申报 {claim_id}（{policy}）第{seq}条事件（id {event}）"
MESSAGES.update({
    "audit.orphans": {"en": "{events} events belong to no claim", "zh": "{events} 条事件不属于任何申报"},
    "audit.anchor_events": {
        "en": "anchor {anchor} of {on}: the events it covers (ids {first}..{last}) were changed, added or removed",
        "zh": "{on} 的锚点 {anchor}：其覆盖的事件（id {first}..{last}）被修改、增加或删除"},
    "audit.anchor_both": {
        "en": "anchor {anchor} of {on}: the events it covers (ids {first}..{last}) or payment rows "
              "(ids {pay_first}..{pay_last}) were changed, added or removed",
        "zh": "{on} 的锚点 {anchor}：其覆盖的事件（id {first}..{last}）或拨付记录"
              "（id {pay_first}..{pay_last}）被修改、增加或删除"},
    "audit.seq_gap": {"en": _EV_EN + ": expected #{expected}: an event was deleted or inserted",
                       "zh": _EV_ZH + "：应为第{expected}条：有事件被删除或插入"},
    "audit.not_following": {"en": _EV_EN + ": does not follow the previous event (inserted or reordered)",
                             "zh": _EV_ZH + "：与上一条事件衔接不上（被插入或调换顺序）"},
    "audit.unknown_hash": {"en": _EV_EN + ": unknown hash format {version}",
                           "zh": _EV_ZH + "：未知的哈希格式 {version}"},
    "audit.event_changed": {
        "en": _EV_EN + ": its content (or the money it recorded) was changed after it was written",
        "zh": _EV_ZH + "：写入后其内容（或所记金额）被修改"},
    "audit.from_state": {"en": _EV_EN + ": starts in '{from_state}' but the claim was '{prev_state}'",
                          "zh": _EV_ZH + "：起始状态为 {from_state}，但申报当时为 {prev_state}"},
    "audit.log_ends": {
        "en": "claim {claim_id} ({policy}): the log ends at #{length} but the claim says #{seq}: "
              "events were deleted or the claim was changed without an event",
        "zh": "申报 {claim_id}（{policy}）：流转记录止于第{length}条，但申报记为第{seq}条："
              "有事件被删除，或申报被修改而未留事件"},
    "audit.state_differs": {
        "en": "claim {claim_id} ({policy}): state '{state}' differs from its last event ('{last}')",
        "zh": "申报 {claim_id}（{policy}）：状态 {state} 与最后一条事件（{last}）不一致"},
    "audit.money_changed": {"en": "claim {claim_id} ({policy}): money changed without an event: {diff}",
                             "zh": "申报 {claim_id}（{policy}）：金额被修改而未留事件：{diff}"},
    "audit.money_field": {"en": "{field} is {value} but event #{seq} recorded {recorded}",
                           "zh": "{field} 现为 {value}，但第{seq}条事件记为 {recorded}"},
    "audit.payment_no_hash": {
        "en": "claim {claim_id} ({policy}) payment id {payment} ({kind} #{attempt}, now {amount} to "
              "{payee_type} {payee}) has no hash (written outside the product)",
        "zh": "申报 {claim_id}（{policy}）拨付记录 id {payment}（{kind} 第{attempt}次，现为 {amount} 元付给 "
              "{payee_type} {payee}）没有哈希（系统之外写入）"},
    "audit.payment_changed": {
        "en": "claim {claim_id} ({policy}) payment id {payment} ({kind} #{attempt}, now {amount} to "
              "{payee_type} {payee}) was changed after it was written (amount, payee or key)",
        "zh": "申报 {claim_id}（{policy}）拨付记录 id {payment}（{kind} 第{attempt}次，现为 {amount} 元付给 "
              "{payee_type} {payee}）写入后被修改（金额、收款人或键）"},
    "audit.payment_batch": {
        "en": "claim {claim_id} ({policy}) payment id {payment} ({kind} #{attempt}) notes batch {noted} but "
              "payment_batch_order holds it in {sealed}: the order's batch mark was changed by hand",
        "zh": "申报 {claim_id}（{policy}）拨付记录 id {payment}（{kind} 第{attempt}次）标注批次 {noted}，"
              "但批次明细（payment_batch_order）记其在 {sealed}：批次标注被手工改动"},
    "audit.paid_mismatch": {
        "en": "claim {claim_id} ({policy}): {column} is {paid} but its {kind} payment rows add up to {rowed}",
        "zh": "申报 {claim_id}（{policy}）：{column} 为 {paid}，但其 {kind} 拨付记录合计为 {rowed}"},
    "audit.checked": {"en": "checked {claims} claims, {events} events, {payments} payments, {anchors} anchors",
                       "zh": "已核对申报 {claims} 件、事件 {events} 条、拨付 {payments} 笔、锚点 {anchors} 个"},
    "audit.intact": {"en": "the event log is intact 流转记录完整", "zh": "流转记录完整"},
})
"""`claims audit verify` (services/oversight/audit.py): problems stored in English."""

MESSAGES.update({
    "outside.missing": {
        "en": "the outside audit log {path} ({env}) is missing: it was deleted or moved, or this is not the host "
              "that keeps it (this is not the same as a log that disagrees)",
        "zh": "外部审计日志 {path}（{env}）不见了：被删除或移走，或本机不是保存它的主机"
              "（这与日志内容不一致不是一回事）"},
    "outside.not_record": {"en": "line {number} of the outside audit log {path} is not an anchor record",
                           "zh": "外部审计日志 {path} 第{number}行不是锚点记录"},
    "outside.hmac": {"en": "line {number} of the outside audit log {path} fails its HMAC: it was edited, "
                           "or {env} is not the key it was written with",
                     "zh": "外部审计日志 {path} 第{number}行 HMAC 校验不通过：被修改过，或 {env} 不是写入时的密钥"},
    "outside.behind": {
        "en": "the database is behind the outside audit log: anchor {anchor} of {on} (events up to id {last}) "
              "is in the log but not in the database (restored from an older copy, rolled back, or the anchor "
              "was deleted)",
        "zh": "数据库落后于外部审计日志：{on} 的锚点 {anchor}（事件至 id {last}）在日志中，但不在数据库中"
              "（从旧备份恢复、回滚，或锚点被删除）"},
    "outside.differs": {
        "en": "anchor {anchor} of {on} differs from the outside audit log (database digest {ours}…, log {theirs}…)",
        "zh": "{on} 的锚点 {anchor} 与外部审计日志不一致（数据库摘要 {ours}…，日志 {theirs}…）"},
    "outside.not_logged": {
        "en": "{anchors} anchors of the database are not in the outside audit log (ids {ids}): written without "
              "{env}, or the log was cut",
        "zh": "数据库中有 {anchors} 个锚点不在外部审计日志中（id {ids}）：写入时未设 {env}，或日志被截断"},
    "outbox.file_missing": {"en": "batch {batch}'s file is missing (deleted?)",
                            "zh": "批次 {batch} 的文件不见了（被删除？）"},
    "outbox.not_order": {"en": "line {number} ({key}) is not an order of batch {batch} as the database holds it",
                         "zh": "第{number}行（{key}）与数据库中批次 {batch} 的拨付指令不符"},
    "outbox.twice": {"en": "line {number}: order {key} is also in {other}",
                     "zh": "第{number}行：拨付指令 {key} 也在 {other} 中"},
    "outbox.totals": {"en": "{rows} rows, {total} yuan; batch {batch} holds {batch_rows} rows, {batch_total} yuan",
                      "zh": "{rows} 行，{total} 元；批次 {batch} 为 {batch_rows} 行，{batch_total} 元"},
    "outbox.unowned": {"en": "a payments file no batch of the database owns",
                       "zh": "数据库中没有任何批次对应的拨付文件"},
})
"""The outside audit log (services/oversight/outside_log.py) and batch files read back (services/money/outbox.py)."""

MESSAGES.update({
    "ops.objection_recorded": {"en": "claim {claim_id} ({policy}): objection recorded, {state}",
                               "zh": "申报 {claim_id}（{policy}）：异议已登记，状态 {state}"},
    "ops.reviewed": {"en": "claim {claim_id} ({policy}): {state}{owed}",
                     "zh": "申报 {claim_id}（{policy}）：异议已复核，状态 {state}{owed}"},
    "ops.review_owed": {"en": ", {amount} to recover", "zh": "，应追回 {amount} 元"},
    "ops.recovery_demanded": {"en": "claim {claim_id} ({policy}): {state}, {amount} to recover",
                              "zh": "申报 {claim_id}（{policy}）：状态 {state}，应追回 {amount} 元"},
    "ops.retried": {"en": "retried {chosen} claims: {moved} moved, {still} still set aside",
                    "zh": "已重新处理 {chosen} 件申报：流转 {moved} 件，仍搁置 {still} 件"},
    "ops.still_set_aside": {"en": "  {policy} {claim_id}: {step} — {reason}",
                            "zh": "  {policy} {claim_id}：{step} — {reason}"},
    "withdraw.done": {"en": "claim {claim_id} withdrawn: now {state}",
                      "zh": "申报 {claim_id} 已撤回，现状态 {state}"},
})
"""What a clerk, reviewer or administrator is told after an objection, a review, a recovery, a
retry or a withdrawal (cli/ops_cmd.py, cli/filing_cmd.py)."""

MESSAGES.update({
    "reconcile.totals_title": {"en": "money per policy and day 分政策分日资金", "zh": "分政策分日资金"},
    "reconcile.totals_header": {
        "en": "policy 政策|day 业务日期|advance 预支|final 清算拨付|failed 失败|recovery owed 应追回|"
              "recovery received 已追回",
        "zh": "政策|业务日期|预支|清算拨付|拨付失败|应追回|已追回"},
    "reconcile.checked": {
        "en": "checked {claims} claims ({states}) and {payments} payments; recovery outstanding {outstanding}",
        "zh": "已核对申报 {claims} 件（{states}）、拨付 {payments} 笔；尚待追回 {outstanding} 元"},
    "reconcile.none": {"en": "none", "zh": "无"},
    "reconcile.holds": {"en": "money and states reconcile 资金与状态一致", "zh": "资金与状态一致"},
    "reconcile.breach": {"en": "{policy} claim {claim_id} ({state}) {check}: {message}",
                         "zh": "{policy} 申报 {claim_id}（{state}）{check}：{message}"},
})
"""`claims reconcile` (cli/check_cmd.py): the totals table, the summary and each breaking claim's line."""

MESSAGES.update({
    "breach.columns": {"en": "{column} is {value} but its payment rows add up to {rows}",
                       "zh": "{column} 为 {value}，但其拨付记录合计为 {rows}"},
    "breach.live_twice": {
        "en": "{n} {kind} payments are live (pending, sent or confirmed); at most one may be",
        "zh": "有效的 {kind} 拨付（待发、已发或已到账）有 {n} 笔；最多只能有一笔"},
    "breach.attempt_twice": {"en": "{n} {kind} payments carry attempt {attempt}",
                             "zh": "{kind} 拨付中有 {n} 笔同为第 {attempt} 次尝试"},
    "breach.unknown_state": {"en": "'{state}' is not a lifecycle state", "zh": "{state} 不是申报流程中的状态"},
    "breach.no_event": {"en": "no event #{seq} records how the claim came to '{state}'",
                        "zh": "没有第 {seq} 条事件记录申报如何进入状态 {state}"},
    "breach.event_differs": {"en": "state '{state}' but its last event (#{seq}) moved it to '{last}'",
                             "zh": "状态为 {state}，但最后一条事件（第 {seq} 条）将其转入 {last}"},
    "breach.received_more": {"en": "received {received} back, more than the {owed} owed",
                             "zh": "已收回 {received} 元，超过应追回的 {owed} 元"},
    "breach.paid": {"en": "paid claim: {out} out and {owed} owed back, assessed {amount}",
                    "zh": "已拨付的申报：拨出 {out} 元，应追回 {owed} 元，核定金额 {amount} 元"},
    # longer than breach.paid ("no amount" against "{amount}"), so localise_stored tries it first
    "breach.paid_unassessed": {"en": "paid claim: {out} out and {owed} owed back, assessed no amount",
                               "zh": "已拨付的申报：拨出 {out} 元，应追回 {owed} 元，但没有核定金额"},
    "breach.in_progress": {
        "en": "still in progress but {final} final paid and {owed} owed back (only an advance may be out)",
        "zh": "申报仍在办理中，但已清算拨付 {final} 元、应追回 {owed} 元（办理中只能拨出预支）"},
    "breach.advance_differs": {"en": "advance out {out} differs from its advance {advance}",
                               "zh": "已拨出的预支 {out} 元与其预支金额 {advance} 元不符"},
    "breach.nothing_out": {"en": "{state} claim with {out} out and {owed} owed back",
                           "zh": "状态为 {state} 的申报仍拨出 {out} 元、应追回 {owed} 元"},
    "breach.kept": {"en": "{out} out less {owed} owed back leaves {left}; the claim may keep {kept}",
                    "zh": "拨出 {out} 元减去应追回的 {owed} 元后余 {left} 元；该申报只可保留 {kept} 元"},
    "breach.recovered_short": {"en": "recovered, but {received} of {owed} came back",
                               "zh": "状态为已追回，但应追回的 {owed} 元中只收回 {received} 元"},
    "breach.all_back": {"en": "all {owed} came back but the claim still waits in recovery_due",
                        "zh": "应追回的 {owed} 元已全部收回，但申报仍处于 recovery_due（待追回）"},
    "breach.certificate_twice": {"en": "certificate {certificate} backs several grants: {holders}",
                                 "zh": "证书 {certificate} 被多件申报用于享受补贴：{holders}"},
})
"""Why a claim breaks an invariant (services/oversight/reconcile.py): the report (and --json) keeps
the English text; `claims reconcile` shows it in the reader's language."""

MESSAGES.update({
    "lease.free": {"en": "the nightly lease is free (无人持有)", "zh": "夜间批处理锁空闲，无人持有"},
    "lease.shown_held": {"en": "nightly lease held: {holder}", "zh": "夜间批处理锁由 {holder} 持有"},
    "lease.shown_lapsed": {"en": "nightly lease lapsed: {holder}", "zh": "夜间批处理锁已过期（持有者 {holder}）"},
    "lease.where": {"en": "  host {host}, pid {pid}, flow run {run_id}, generation {generation}",
                    "zh": "  主机 {host}，进程号 {pid}，流程运行 {run_id}，第 {generation} 代"},
    "lease.times": {"en": "  since {since} UTC, lapses at {until} UTC unless its heartbeat renews it",
                    "zh": "  自 {since} UTC 起持有；若心跳不续期，于 {until} UTC 到期"},
    "lease.nothing_released": {"en": "the nightly lease is free: nothing released",
                               "zh": "夜间批处理锁空闲，无需释放"},
    "lease.released": {"en": "released the nightly lease of {holder} (generation {generation}) as {actor}",
                       "zh": "已由 {actor} 释放 {holder} 持有的夜间批处理锁（第 {generation} 代）"},
})
"""`claims lease show` / `claims lease release` (cli/lease_cmd.py)."""

MESSAGES.update({
    "ops.copy_written": {"en": "副本 written: {path}", "zh": "副本已写入：{path}"},
    "bank.resolved_stays": {"en": "{reference} stays {status}", "zh": "付款 {reference} 维持 {status} 不变"},
    "bank.resolved_failed": {"en": "{reference} failed: claim {claim_id} waits for a retry",
                             "zh": "付款 {reference} 已改为失败：申报 {claim_id} 等待重新拨付"},
    "ops.resolve_not_admin": {"en": "{name} is {role}: only an administrator resolves a bank conflict",
                              "zh": "{name} 的角色是 {role}：银行回单冲突只能由管理员处理"},
    "ops.resolve_choice": {"en": "decide --confirmed or --failed", "zh": "请决定 --confirmed 或 --failed"},
    "ops.resolve_no_payment": {"en": "no payment carries reference {reference}",
                               "zh": "没有付款编号为 {reference} 的拨付"},
    "ops.resolve_paid_again": {
        "en": "{reference} was failed and claim {claim_id} is '{state}': confirming it here could pay it "
              "twice; record the return of the second payment (claims recovered) instead",
        "zh": "付款 {reference} 已失败，申报 {claim_id} 现为 {state}：在此确认可能造成重复拨付；"
              "请改为登记第二笔款项的退回（claims recovered）"},
})
"""`claims bank copy` and `claims bank resolve` (cli/bank_cmd.py, services/money/payments.py
`resolve_conflict`): the outcome is returned in English (bank.resolved_*) and shown through
`localise_stored`; the refusals are raised through `explained`."""

MESSAGES.update({
    "funds.unlimited": {
        "en": "未设专账预算，拨付不受预算限制 — no fund budget configured (funds: in CLAIMS_SETTINGS): "
              "payments are not limited by a budget",
        "zh": "未设专账预算（CLAIMS_SETTINGS 中没有 funds:），拨付不受预算限制"},
    "funds.written": {"en": "funds {year}: {lines} lines written to {out}",
                      "zh": "{year} 年度专账资金：{lines} 行已写入 {out}"},
    "oversight.report_written": {"en": "oversight: {signals} signals at {bodies} bodies; written to {out}",
                                 "zh": "机构风险信号 {signals} 项，涉及 {bodies} 家机构；已写入 {out}"},
    "oversight.holds_title": {"en": "signal holds ({status})", "zh": "因风险信号搁置的申报（{status}）"},
    "oversight.holds_count": {"en": "{claims} claim signals ({status})",
                              "zh": "共 {claims} 条申报风险信号（{status}）"},
    "ops.automation_made": {"en": "{name}: {automation_id}", "zh": "{name}：{automation_id}"},
    "ops.release_code_stored": {"en": "release code of {actor} stored (hashed) in {path}",
                                "zh": "{actor} 的个人放行码已加密（哈希）保存到 {path}"},
    "show.header": {"en": "[bold]{claim_id}[/bold] ({policy}, {kind}) — {state_zh} \\[{state}]  amount {amount}",
                    "zh": "[bold]{claim_id}[/bold]（{policy}，{kind}）— {state_zh}（{state}）  金额 {amount}"},
    "show.reasons": {"en": "reasons: {reasons}", "zh": "不予补贴原因：{reasons}"},
    "show.advance_problem": {"en": "advance 预支: {reason}", "zh": "预支：{reason}"},
    "nightly.worker_step": {"en": "{name} {step}: {chunks} partitions, {seen} claims seen, {moved} moved",
                            "zh": "{name} {step}：{chunks} 个分区，读取申报 {seen} 件，流转 {moved} 件"},
    "nightly.moved": {"en": "{moved} moved", "zh": "流转 {moved} 件"},
    "nightly.step_failed": {"en": "failed", "zh": "失败"},
    "nightly.last_partition": {"en": "{claims} claims in the last partition", "zh": "最近一个分区 {claims} 件申报"},
    "nightly.embedded_server": {
        "en": "No PREFECT_API_URL: starting Prefect's embedded server (20-30 s); see docs/operations.md "
              "for a standing server.",
        "zh": "未设置 PREFECT_API_URL：正在启动 Prefect 内置服务器（约20-30秒）；常驻服务器的配置见 "
              "docs/operations.md。"},
    "setup.migration": {"en": "applied migration {version}: {name}", "zh": "已执行数据库迁移 {version}：{name}"},
    "setup.schema": {"en": "database {url} is at schema version {version} (latest {latest})",
                     "zh": "数据库 {url} 的结构版本为 {version}（最新为 {latest}）"},
    "setup.audit_key": {
        "en": "made the audit key {key} (mode 0600): keep it, and the audit log {log}, away from the database",
        "zh": "已生成审计密钥 {key}（权限 0600）：请妥善保管，并将它和审计日志 {log} 存放在数据库所在位置之外"},
    "setup.no_audit_log": {"en": "(CLAIMS_AUDIT_LOG not set)", "zh": "（未设置 CLAIMS_AUDIT_LOG）"},
    "setup.no_graphviz": {
        "en": "Graphviz `dot` is not installed (apt-get install graphviz): wrote Mermaid and DOT only",
        "zh": "未安装 Graphviz `dot`（apt-get install graphviz）：只写出了 Mermaid 和 DOT 文件"},
    "demo.finished": {"en": "demo finished: everything it made is in {out}/",
                      "zh": "演示完成：生成的全部文件都在 {out}/ 中"},
    "replay.summary": {
        "en": "replay: {claims} claims would change; amount {before} -> {after}; top-up {top_up}, "
              "recovery {recover}; written to {out}",
        "zh": "政策调整重新测算：{claims} 件申报将发生变化；金额 {before} -> {after}；应补发 {top_up}，"
              "应追回 {recover}；已写入 {out}"},
    "inspect.plan": {
        "en": "inspection plan {day} rate {rate} seed {seed}: {picked} of {waiting} waiting claims in "
              "{random_classes} of {classes} classes drawn at random; written to {out}",
        "zh": "现场检查抽查计划 {day}（比例 {rate}，种子 {seed}）：待检查申报 {waiting} 件中抽中 {picked} 件，"
              "有待检查申报的 {classes} 个班级中随机抽取 {random_classes} 个；已写入 {out}"},
    "inspect.reason_count": {"en": "  {reason} {reason_zh}: {count}", "zh": "  {reason_zh}（{reason}）：{count}"},
    "inspect.chart": {"en": "chart: {chart}", "zh": "图表：{chart}"},
    "export.target_progress": {"en": "{title}: {subsidised} of {target} ({percent})",
                               "zh": "{title}：已完成 {subsidised}，目标 {target}（{percent}）"},
    "export.target_not_stated": {"en": "target not stated", "zh": "未定目标"},
})
"""What the report, setup and tool commands print (cli/funds_cmd.py, oversight_cmd.py, alerts_cmd.py,
lifecycle_cmd.py `claims show`, nightly_cmd.py, setup_cmd.py, demo_cmd.py, replay_cmd.py,
inspect_cmd.py, export_cmd.py)."""

NOUNS: dict[str, dict[str, tuple[str, str]]] = {
    "row": {"en": ("row", "rows"), "zh": ("行", "行")},
    "claim": {"en": ("claim", "claims"), "zh": ("件", "件")},
    "request": {"en": ("request", "requests"), "zh": ("件", "件")},
    "payment": {"en": ("payment", "payments"), "zh": ("笔", "笔")},
    "person": {"en": ("person", "people"), "zh": ("人", "人")},
    "problem": {"en": ("problem", "problems"), "zh": ("项", "项")},
    "window": {"en": ("posting window", "posting windows"), "zh": ("个", "个")},
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


def explained(exc_type: type[Exception], message_id: str, **values: Any) -> Exception:
    """An exception whose text is catalogued: `str()` is the English text (logs, tests), and
    `explain()` gives it in the reader's language."""
    exc = exc_type(msg(message_id, "en", **values))
    exc.message_id = message_id  # type: ignore[attr-defined]
    exc.message_values = values  # type: ignore[attr-defined]
    return exc


def explain(exc: BaseException) -> str:
    """An exception's text in the current language when it was raised through `explained`,
    else its own text (first line)."""
    message_id = getattr(exc, "message_id", None)
    if message_id in MESSAGES:
        return msg(message_id, **getattr(exc, "message_values", {}))
    return str(exc)


_STORED_PREFIXES = ("row.", "fact.", "roster.", "bank.", "returns.", "reference.", "audit.", "outside.",
                    "outbox.", "breach.")
_STORED_IDS = tuple(m for m in MESSAGES if m.startswith(_STORED_PREFIXES))
"""Templates of texts stored in English and shown in the reader's language (`localise_stored`)."""
_PATTERNS: list[tuple[str, re.Pattern[str]]] = []


_NUMBERS = frozenset({"length", "first", "cells", "width", "columns", "filled", "digits"})
"""Placeholders that always hold a whole number (so a template cannot swallow what follows)."""
_WHOLE = r"\d+"
_CODES = frozenset({"kind", "field", "payee_type", "required", "given", "policy", "status"})
"""Placeholders that always hold a code or field name (huludao-2019, skill_upgrade, person_id, confirmed)."""
_CODE = r"[a-z][a-z0-9_\-]*"


def _pattern(template: str) -> re.Pattern[str]:
    parts = []
    for literal, name, _spec, _conv in string.Formatter().parse(template):
        parts.append(re.escape(literal))
        if name:
            parts.append(f"(?P<{name}>{_WHOLE if name in _NUMBERS else _CODE if name in _CODES else '.+?'})")
    return re.compile("".join(parts) + r"\Z", re.S)


def localise_stored(text: str, lang: str | None = None) -> str:
    """A row message or missing fact stored in English (`row.*`, `fact.*` ids) in `lang`; any
    other text as it is."""
    lang = lang or current_lang()
    if lang == "en":
        return text
    found = _localised(text, lang)
    return text if found is None else found


_NESTED = frozenset({"problem", "old", "new"})
"""Placeholders that hold a catalogued text themselves (translated in turn)."""
_NEEDS_NESTED = frozenset({"row.person_id_bad"})
"""Templates too general to trust unless their `problem` is a catalogued text."""


def _localised(text: str, lang: str, depth: int = 0) -> str | None:
    if not _PATTERNS:
        longest_first = sorted(_STORED_IDS, key=lambda m: -len(MESSAGES[m]["en"]))
        _PATTERNS.extend((m, _pattern(MESSAGES[m]["en"])) for m in longest_first)
    for message_id, pattern in _PATTERNS:
        found = pattern.match(text)
        if not found:
            continue
        values = found.groupdict()
        if depth < 3:
            for name in _NESTED & set(values):
                inner = _localised(values[name], lang, depth + 1)
                if inner is None and message_id in _NEEDS_NESTED:
                    break
                values[name] = values[name] if inner is None else inner
            else:
                if "diff" in values:
                    values["diff"] = "；".join(_localised(part, lang, depth + 1) or part
                                              for part in values["diff"].split("; "))
                return msg(message_id, lang, **values)
            continue
        if message_id in _NEEDS_NESTED:
            continue
        return msg(message_id, lang, **values)
    return None
