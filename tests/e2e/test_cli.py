"""nslc as a user runs it: exit codes, output formats, diagnostics, never a traceback."""
from __future__ import annotations

import json
import os
import pathlib
import subprocess
import sys

from tests.helpers import REPO, nslc

TC = """edge(1, 2). edge(2, 3). edge(3, 4).
path(a, b) :- edge(a, b).
path(a, c) :- path(a, b), edge(b, c).
"""


def write(tmp_path: pathlib.Path, name: str, text: str) -> str:
    (tmp_path / name).write_text(text)
    return name


def test_run_prints_every_derived_relation_as_facts(tmp_path):
    proc = nslc("run", write(tmp_path, "tc.nsl", TC), cwd=str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == [
        "// path: 6 facts", "path(1, 2).", "path(1, 3).", "path(1, 4).",
        "path(2, 3).", "path(2, 4).", "path(3, 4)."]


def test_run_json_follows_the_contract(tmp_path):
    proc = nslc("run", write(tmp_path, "tc.nsl", TC + "query path(1, x).\n"), "--json", cwd=str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data == {"relations": {"path": [{"args": [1, 2]}, {"args": [1, 3]}, {"args": [1, 4]}]},
                    "verdicts": []}


def test_query_option_adds_a_relation(tmp_path):
    proc = nslc("run", write(tmp_path, "tc.nsl", TC + "query path(3, x).\n"), "--json",
                "--query", "edge", cwd=str(tmp_path))
    data = json.loads(proc.stdout)["relations"]
    assert data["path"] == [{"args": [3, 4]}]
    assert [r["args"] for r in data["edge"]] == [[1, 2], [2, 3], [3, 4]]


def test_facts_option_loads_an_input_relation(tmp_path):
    write(tmp_path, "p.nsl", 'input knows(a: str, b: str)\nfriend(a, b) :- knows(a, b).\n'
                             'friend(a, b) :- knows(b, a).\n')
    write(tmp_path, "k.tsv", "ann\tbob\nbob\tcid\n")
    proc = nslc("run", "p.nsl", "--facts", "knows=k.tsv", "--json", cwd=str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    rows = [r["args"] for r in json.loads(proc.stdout)["relations"]["friend"]]
    assert rows == [["ann", "bob"], ["bob", "ann"], ["bob", "cid"], ["cid", "bob"]]


def test_bad_fact_file_row_is_reported_at_its_position(tmp_path):
    write(tmp_path, "p.nsl", "input n(x: int)\nm(x) :- n(x).\n")
    write(tmp_path, "n.csv", "1\ntwo\n")
    proc = nslc("run", "p.nsl", "--facts", "n=n.csv", cwd=str(tmp_path))
    assert proc.returncode == 1
    assert proc.stderr.startswith("n.csv:2:1: error:")
    assert "two" in proc.stderr and "^" in proc.stderr and "Traceback" not in proc.stderr


def test_missing_input_file_named_in_program(tmp_path):
    write(tmp_path, "p.nsl", 'input n(x: int) from "nope.csv"\nm(x) :- n(x).\n')
    proc = nslc("run", "p.nsl", cwd=str(tmp_path))
    assert proc.returncode == 1
    assert proc.stderr.startswith("p.nsl:1:1: error: fact file")
    assert "nope.csv" in proc.stderr


def test_missing_program_file():
    proc = nslc("run", "does-not-exist.nsl")
    assert proc.returncode == 1
    assert proc.stderr.strip() == "does-not-exist.nsl: error: no such file"


def test_usage_errors_exit_2(tmp_path):
    assert nslc().returncode == 2
    assert nslc("run").returncode == 2
    assert nslc("compile", "x.nsl", "--emit", "bogus").returncode == 2
    proc = nslc("run", write(tmp_path, "tc.nsl", TC), "--facts", "nonsense", cwd=str(tmp_path))
    assert proc.returncode == 2 and "REL=PATH" in proc.stderr
    proc = nslc("run", "tc.nsl", "--facts", "pathh=x.csv", cwd=str(tmp_path))
    assert proc.returncode == 2 and "did you mean 'path'" in proc.stderr


def test_check_reports_ok_and_errors(tmp_path):
    ok = nslc("check", write(tmp_path, "tc.nsl", TC), cwd=str(tmp_path))
    assert ok.returncode == 0 and "ok" in ok.stdout
    bad = nslc("check", write(tmp_path, "bad.nsl", TC + "q(x) :- pth(x, _).\n"), cwd=str(tmp_path))
    assert bad.returncode == 1
    assert bad.stderr.startswith("bad.nsl:4:9: error: unknown relation 'pth'; did you mean 'path'?")


def test_check_reads_input_files_and_indexes_as_run_does(tmp_path):
    """`check` reports what `run` would reject about the data, without running rules."""
    write(tmp_path, "c.nsl", 'input e(a: int, b: int) from "e.csv"\n'
                             'index m(dim = 2, quant = int8, metric = ip) from "m.npy"\n'
                             'p(x) :- e(x, _).\n')
    missing = nslc("check", "c.nsl", cwd=str(tmp_path))
    assert missing.returncode == 1
    assert missing.stderr.startswith("c.nsl:1:1: error: fact file 'e.csv' does not exist"), missing.stderr
    (tmp_path / "e.csv").write_text("1,2\n3,x\n")
    bad = nslc("check", "c.nsl", cwd=str(tmp_path))
    assert bad.returncode == 1 and bad.stderr.startswith("e.csv:2:3: error: expected an int"), bad.stderr
    (tmp_path / "e.csv").write_text("1,2\n")
    no_index = nslc("check", "c.nsl", cwd=str(tmp_path))
    assert no_index.stderr.startswith("c.nsl:2:1: error: index file 'm.npy' does not exist"), no_index.stderr
    import numpy as np
    np.save(tmp_path / "m.npy", np.eye(2, dtype=np.float32))
    ok = nslc("check", "c.nsl", cwd=str(tmp_path))
    assert ok.returncode == 0 and ok.stdout.startswith("c.nsl: ok"), ok.stderr


def test_compile_emits_ast_and_ir(tmp_path):
    name = write(tmp_path, "tc.nsl", TC)
    ast = nslc("compile", name, "--emit", "ast", cwd=str(tmp_path))
    assert ast.returncode == 0 and "Rule(" in ast.stdout and "@2:1" in ast.stdout
    ir = nslc("compile", name, "--emit", "ir", "--verify", cwd=str(tmp_path))
    assert ir.returncode == 0, ir.stderr
    assert "stratum" in ir.stdout and "delta" in ir.stdout
    unopt = nslc("compile", name, "--emit", "ir", "--no-opt", cwd=str(tmp_path))
    assert "delta" not in unopt.stdout
    after = nslc("compile", name, "--print-after", "semi_naive", cwd=str(tmp_path))
    assert "after semi_naive" in after.stderr and after.stdout == ir.stdout  # stdout: one module
    for wrong in (["--emit", "ast"], ["--emit", "llvm"], ["--no-opt"]):
        refused = nslc("compile", name, "--print-after", "semi_naive", *wrong, cwd=str(tmp_path))
        assert refused.returncode == 2 and "--print-after" in refused.stderr, refused.stderr
    bogus = nslc("compile", name, "--emit", "ast", "--print-after", "bogus", cwd=str(tmp_path))
    assert bogus.returncode == 2 and "--print-after" in bogus.stderr


def test_constructs_of_later_versions_check_but_do_not_run(tmp_path):
    text = TC + "constraint acyclic: forall a: not path(a, a).\nprove add_comm: forall x: int, y: int: x + y == y + x.\n"
    name = write(tmp_path, "later.nsl", text)
    assert nslc("check", name, cwd=str(tmp_path)).returncode == 0
    proc = nslc("run", name, cwd=str(tmp_path))
    assert proc.returncode == 1
    lines = proc.stderr.splitlines()
    assert lines[0] == "later.nsl:4:1: error: constraints cannot run yet in this version of nslc"
    assert any(line.startswith("later.nsl:5:1: error: provers (`prove`) cannot run yet") for line in lines)


def test_fmt_check_and_in_place(tmp_path):
    name = write(tmp_path, "messy.nsl", "edge(1,2).   path(a,b):-edge(a,b).\n")
    assert nslc("fmt", name, "--check", cwd=str(tmp_path)).returncode == 1
    assert nslc("fmt", name, "-i", cwd=str(tmp_path)).returncode == 0
    assert nslc("fmt", name, "--check", cwd=str(tmp_path)).returncode == 0
    assert "path(a, b) :- edge(a, b)." in (tmp_path / name).read_text()


def test_examples_run_from_the_repository_root():
    proc = nslc("run", "examples/graph/flights.nsl", cwd=REPO)
    assert proc.returncode == 0, proc.stderr
    assert 'stranded("SFO").' in proc.stdout


def test_check_ir_statement_options_are_checked(tmp_path):
    name = write(tmp_path, "c.nsl", 'check_ir p { reference: 3, candidat: "b.ll", unroll: -1 }\n')
    proc = nslc("check", name, cwd=str(tmp_path))
    assert proc.returncode == 1
    assert "c.nsl:1:25: error: check_ir option 'reference' must be a string" in proc.stderr
    assert "unknown check_ir option 'candidat'" in proc.stderr
    assert "check_ir option 'unroll' must be a non-negative integer" in proc.stderr


def test_check_ir_statement_with_a_missing_file(tmp_path):
    name = write(tmp_path, "c.nsl", 'check_ir p { reference: "nope.srctgt.ll" }\n')
    proc = nslc("run", name, cwd=str(tmp_path))
    assert proc.returncode == 1
    assert proc.stderr.startswith("c.nsl:1:25: error: no such file")


def test_singleton_variable_is_a_warning_not_an_error(tmp_path):
    name = write(tmp_path, "w.nsl", "e(1, 2).\np(x) :- e(x, y).\nq(x) :- e(x, _z).\n")
    proc = nslc("check", name, cwd=str(tmp_path))
    assert proc.returncode == 0
    assert proc.stderr == ("w.nsl:2:14: warning: variable 'y' occurs only once in this rule; "
                           "write `_` if any value will do\np(x) :- e(x, y).\n             ^\n")


def test_provenance_option(tmp_path):
    name = write(tmp_path, "tc.nsl", TC)
    assert nslc("run", name, "--provenance", "bool", cwd=str(tmp_path)).returncode == 0
    unknown = nslc("run", name, "--provenance", "bogus", cwd=str(tmp_path))
    assert unknown.returncode == 2 and "unknown provenance 'bogus' (known: bool, minmax" in unknown.stderr
    later = nslc("run", name, "--provenance", "exact", cwd=str(tmp_path))
    assert later.returncode == 1 and "provenance 'exact' cannot run yet" in later.stderr


def test_a_bad_kernel_variant_setting_is_a_one_line_error():
    # NSL_KNN_ISA names the scan kernels to run; a name that does not exist, or a
    # variant this CPU cannot run, is the user's setting, not a bug in nslc
    env = dict(os.environ, NSL_KNN_ISA="bogus")
    proc = subprocess.run([sys.executable, "-m", "nsl", "run", "examples/retrieval/retrieval.nsl"],
                          capture_output=True, text=True, cwd=REPO, env=env, timeout=120)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.startswith("nslc: error: NSL_KNN_ISA=bogus: no kernel variant is named 'bogus'")
    assert "internal error" not in proc.stderr and "Traceback" not in proc.stderr
