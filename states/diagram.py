"""The lifecycle table drawn: Mermaid text (for Markdown) and Graphviz DOT (for PNG/SVG)."""

from __future__ import annotations

from collections import defaultdict

from states.lifecycle import STATE_ZH, STATES, TRANSITIONS, TRIGGER_ZH

_GUARD_ZH = {"has_advance": "已预支", "completion_ready": "结业信息齐全"}


def _edges() -> dict[tuple[str, str], list[str]]:
    edges: dict[tuple[str, str], list[str]] = defaultdict(list)
    for t in TRANSITIONS:
        sources = [t["source"]] if isinstance(t["source"], str) else t["source"]
        for source in sources:
            dest = t["dest"] or source
            label = t["trigger"]
            if "conditions" in t:
                label += f" [{t['conditions']}]"
            if "unless" in t:
                label += f" [not {t['unless']}]"
            edges[(source, dest)].append(label)
    return edges


def mermaid() -> str:
    lines = ["stateDiagram-v2", "    [*] --> filed"]
    for code, zh, _ in STATES:
        lines.append(f'    state "{code}<br/>{zh}" as {code}')
    for (source, dest), labels in _edges().items():
        lines.append(f"    {source} --> {dest}: {', '.join(labels)}")
    for final in ("paid", "rejected", "withdrawn", "recovered"):
        lines.append(f"    {final} --> [*]")
    return "\n".join(lines) + "\n"


def dot(font: str = "WenQuanYi Micro Hei") -> str:
    out = [
        "digraph lifecycle {",
        "  rankdir=LR;",
        f'  graph [fontname="{font}", label="职业培训补贴申领生命周期 claim lifecycle", labelloc=t];',
        f'  node [shape=box, style="rounded,filled", fillcolor="#eef5ff", fontname="{font}"];',
        f'  edge [fontname="{font}", fontsize=9];',
    ]
    for code, zh, _ in STATES:
        color = "#e8f7e8" if code in ("paid", "recovered") else (
            "#fdecea" if code in ("rejected", "withdrawn", "recovery_due") else "#eef5ff")
        out.append(f'  {code} [label="{code}\\n{zh}", fillcolor="{color}"];')
    for (source, dest), labels in _edges().items():
        text = "\\n".join(f"{lbl} {TRIGGER_ZH.get(lbl.split(' ')[0], '')}" for lbl in labels)
        out.append(f'  {source} -> {dest} [label="{text}"];')
    out.append("}")
    return "\n".join(out) + "\n"


def state_label(code: str) -> str:
    return f"{STATE_ZH.get(code, code)}（{code}）"
