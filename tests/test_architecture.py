"""Structural rules from STYLE.md, checked: imports flow one way; heavy imports stay lazy."""
from __future__ import annotations

import ast
import pathlib
import subprocess
import sys

import pytest

from tests.helpers import REPO

# grammar → lang → compiler → runtime → nsl (facade). A layer may import itself and earlier layers.
ORDER = ["grammar", "lang", "compiler", "runtime", "nsl"]
FOLDER_LAYER = {"grammar": "grammar", "lang": "lang", "compiler": "compiler", "runtime": "runtime",
                "stdlib": "runtime", "nsl": "nsl"}
# The runtime sees the IR, never the AST: from lang it may use diagnostics only.
ALLOWED_EXCEPTIONS = {("runtime", "nsl.lang.diagnostics")}


def imported_modules(path: pathlib.Path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module


def layer_of(module: str) -> str | None:
    parts = module.split(".")
    if parts[0] != "nsl":
        return None
    if len(parts) == 1:
        return "nsl"
    return FOLDER_LAYER.get(parts[1], "nsl")


SOURCES = [p for folder in FOLDER_LAYER for p in sorted((pathlib.Path(REPO) / folder).rglob("*.py"))]


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(REPO)))
def test_imports_flow_one_way(path):
    own = FOLDER_LAYER[path.relative_to(REPO).parts[0]]
    for module in imported_modules(path):
        target = layer_of(module)
        if target is None or (own, module) in ALLOWED_EXCEPTIONS:
            continue
        if own == "runtime" and module.startswith("nsl.lang"):
            pytest.fail(f"{path.name} imports {module}: the runtime must not see the AST")
        assert ORDER.index(target) <= ORDER.index(own), f"{path.name} ({own}) imports {module} ({target})"


def test_import_nsl_and_help_stay_light():
    code = ("import sys, nsl, nsl.cli\n"
            "nsl.cli.build_parser().format_help()\n"
            "heavy = [m for m in ('torch', 'z3', 'llvmlite', 'numpy') if m in sys.modules]\n"
            "print(','.join(heavy))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd="/")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == ""


def test_no_source_file_grows_into_a_grab_bag():
    too_long = [str(p.relative_to(REPO)) for p in SOURCES if len(p.read_text().splitlines()) > 600]
    assert not too_long, f"split these by responsibility: {too_long}"
