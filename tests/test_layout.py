"""The package's layout rules: which module may import which, and modules that stay small."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "dedup"
#: The detection stages: pure functions over the records in models.
STAGES = ("normalize", "sketch", "boilerplate", "candidates", "verify", "cluster", "provenance", "align")
#: What the stages may import from dedup.
BELOW_STAGES = ("models", "config", "errors", *STAGES)


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def dedup_imports(path: Path) -> set[str]:
    """The dedup modules ``path`` imports (absolute names, first level below ``dedup``)."""
    package = module_name(path).split(".") if path.name == "__init__.py" else module_name(path).split(".")[:-1]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
                names = [target] if node.module else [f"{target}.{a.name}" for a in node.names]
            else:
                names = [node.module or ""]
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        else:
            continue
        found |= {n.split(".")[1] for n in names if n.startswith("dedup.") and n.count(".") >= 1}
    return found


def modules():
    return sorted(p for p in PACKAGE.rglob("*.py"))


def test_stages_import_nothing_above_them():
    for path in modules():
        top = module_name(path).split(".")[1] if "." in module_name(path) else ""
        if top in STAGES:
            above = dedup_imports(path) - set(BELOW_STAGES)
            assert not above, f"{path.relative_to(PACKAGE)} imports {sorted(above)}"


def test_only_the_cli_and_the_lab_import_the_lab():
    for path in modules():
        top = module_name(path).split(".")[1] if "." in module_name(path) else ""
        if top not in ("eval", "cli"):
            assert "eval" not in dedup_imports(path), f"{path.relative_to(PACKAGE)} imports dedup.eval"


def test_only_the_db_package_speaks_sql():
    for path in modules():
        top = module_name(path).split(".")[1] if "." in module_name(path) else ""
        text = path.read_text(encoding="utf-8")
        if top != "db":
            for keyword in ("SELECT ", "INSERT INTO", "UPDATE ", "DELETE FROM", "CREATE "):
                assert keyword not in text, f"{path.relative_to(PACKAGE)} holds SQL ({keyword.strip()})"


def test_modules_stay_small():
    for path in modules():
        lines = len(path.read_text(encoding="utf-8").splitlines())
        assert lines <= 400, f"{path.relative_to(PACKAGE)} has {lines} lines"
