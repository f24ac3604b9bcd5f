"""`claims` — vocational-training subsidy claims for a 人社局 and its finance bureau."""

from __future__ import annotations

import os

import typer

from cli import (
    alerts_cmd,
    check_cmd,
    demo_cmd,
    export_cmd,
    filing_cmd,
    funds_cmd,
    inspect_cmd,
    lease_cmd,
    lifecycle_cmd,
    nightly_cmd,
    ops_cmd,
    oversight_cmd,
    reference_cmd,
    replay_cmd,
    rules_cmd,
    setup_cmd,
    template_cmd,
)

app = typer.Typer(
    name="claims",
    help=(
        "Vocational-training subsidy claims (职业技能提升行动补贴): import, rules, the claim "
        "lifecycle, nightly Prefect runs, notices, payment batches and reports.\n\n"
        "The database is CLAIMS_DATABASE_URL (default: sqlite:///claims.db).\n\n"
        "Example: claims init && claims import claims.csv && claims nightly --as-of 2020-06-04"
    ),
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)


@app.callback()
def _options(lang: str | None = typer.Option(
        None, "--lang", help="language of messages: zh (default) or en; also CLAIMS_LANG")) -> None:
    if lang:
        os.environ["CLAIMS_LANG"] = lang


for module in (setup_cmd, filing_cmd, lifecycle_cmd, ops_cmd, rules_cmd, export_cmd, check_cmd,
               demo_cmd, nightly_cmd, lease_cmd, template_cmd, alerts_cmd, inspect_cmd, reference_cmd,
               replay_cmd, funds_cmd, oversight_cmd):
    module.register(app)


def main() -> None:
    from cli.errors import run

    run(app)


if __name__ == "__main__":
    main()
