"""``--emit ast``: spans of statements spliced in by ``import`` name their file."""
from __future__ import annotations

import nsl
from nsl.lang.ast_dump import dump


def test_imported_statements_show_their_file_and_local_ones_do_not():
    program = nsl.compile("import std.graph\nedge(1, 2).\n")
    lines = dump(program.ast).splitlines()
    imported = [line for line in lines if "Rule(" in line and "@<std.graph>:" in line]
    assert imported, "std.graph's rules carry its name"
    local = [line for line in lines if line.strip().startswith("Rule(") and "@<std.graph>" not in line]
    assert [line.split("@")[1] for line in local] == ["2:1"]  # edge(1, 2). in the program's own file
