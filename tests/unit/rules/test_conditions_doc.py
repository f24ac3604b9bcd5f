"""docs/rules.md lists every claim kind of every policy pack, with the kind's own clause, in its
table of conditions (issue 19: every condition per policy with its clause)."""

from __future__ import annotations

import re
from pathlib import Path

from rules.packs import load_packs

DOC = Path(__file__).resolve().parents[3] / "docs" / "rules.md"


def test_every_kind_of_every_pack_has_a_row_citing_its_clause() -> None:
    rows = [line for line in DOC.read_text("utf-8").splitlines() if re.match(r"\| [a-z]+-2019 \|", line)]
    missing = []
    for policy, pack in load_packs().items():
        for kind, spec in pack.spec.kinds.items():
            clause = spec.source.split(" ", 1)[1]
            if not any(row.startswith(f"| {policy} |") and kind in row.split("|")[2] and clause in row
                       for row in rows):
                missing.append(f"{policy} {kind} ({clause})")
    assert not missing, "docs/rules.md has no condition row for:\n" + "\n".join(missing)
