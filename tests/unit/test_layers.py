"""The house's floors (docs/architecture.md): no module imports a floor above its own.

Every import is read from the source (also those inside functions), so a lazy import cannot
hide a loop between floors.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("models", "states", "rules", "intake", "services", "exports", "flows", "cli", "bench", "demo")

ALLOWED: dict[str, set[str]] = {
    "models": {"models"},
    "states": {"states"},
    "rules": {"rules"},
    "intake": {"intake", "rules", "models"},
    "services": {"services", "intake", "rules", "states", "models"},
    "exports": {"exports", "services", "intake", "rules", "states", "models"},
    "flows": {"flows", "services", "intake", "rules", "states", "models"},
    "cli": set(PACKAGES) - {"bench"},
    "bench": set(PACKAGES) - {"cli", "demo"},
    "demo": set(PACKAGES) - {"bench"},
}


def _modules(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


def _imported(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
        elif isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "import_module" and node.args:
            arg = node.args[0]
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                found.add(arg.value)
    return found


@pytest.mark.parametrize("package", PACKAGES)
def test_no_module_imports_a_floor_above_its_own(package: str) -> None:
    upward = []
    for path in _modules(package):
        for name in _imported(path):
            top = name.split(".")[0]
            if top in PACKAGES and top not in ALLOWED[package]:
                upward.append(f"{path.relative_to(ROOT)} imports {name}")
    assert not upward, "\n".join(upward)


def _runtime_imports(path: Path) -> set[str]:
    """Imports outside `if TYPE_CHECKING:` blocks (type names only are not code that runs)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and getattr(node.test, "id", "") == "TYPE_CHECKING":
            node.body = []
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


def test_flows_hold_no_sql() -> None:
    sql = [f"{p.relative_to(ROOT)} imports {n}" for p in _modules("flows") for n in _runtime_imports(p)
           if n.split(".")[0] in ("sqlalchemy", "sqlmodel", "psycopg", "sqlite3")]
    assert not sql, "\n".join(sql)


def test_only_models_reach_behind_sqlmodel_for_a_table() -> None:
    reached = [str(p.relative_to(ROOT)) for package in PACKAGES if package != "models"
               for p in _modules(package) if "__table__" in p.read_text(encoding="utf-8")]
    reached += [str(p.relative_to(ROOT)) for p in (ROOT / "tests").rglob("*.py")
                if p != Path(__file__) and "__table__" in p.read_text(encoding="utf-8")]
    assert not reached, reached


def test_the_checks_see_an_upward_import(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text("def f():\n    from services.nightly import lease\n    import flows.nightly\n", encoding="utf-8")
    assert _imported(module) == {"services.nightly", "flows.nightly"}
