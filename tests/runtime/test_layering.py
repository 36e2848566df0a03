"""The runtime sees only the IR: no AST, no parser; and importing it stays torch-free."""
import ast
import pathlib
import subprocess
import sys

RUNTIME = pathlib.Path(__file__).resolve().parents[2] / "runtime"


def test_runtime_imports_only_ir_and_diagnostics_from_upstream():
    for path in RUNTIME.rglob("*.py"):
        if "retrieval" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            for name in names:
                if name.startswith("nsl.lang"):
                    assert name == "nsl.lang.diagnostics", f"{path}: imports {name}"
                assert not name.startswith(("nsl.grammar", "lark")), f"{path}: imports {name}"


def test_importing_nsl_and_runtime_errors_does_not_import_torch():
    code = ("import sys, nsl, nsl.runtime, nsl.runtime.errors, nsl.runtime.io;"
            "assert 'torch' not in sys.modules, 'torch imported'")
    subprocess.run([sys.executable, "-c", code], check=True)
