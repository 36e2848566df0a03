"""Wrong arguments to the library raise the documented errors with a clear message, never a
bare TypeError/KeyError from inside; and the public objects describe themselves."""
from __future__ import annotations

import os
import pickle

import pytest

import nsl

REACH = "input edge(a: int, b: int)\npath(a, b) :- edge(a, b).\n"
WITH_UNUSED = "edge(1, 2). edge(2, 3).\nunused(x) :- edge(x, _).\nquery edge(1, x).\n"


def test_usage_error_is_public_and_documented():
    assert nsl.UsageError is nsl.lang.diagnostics.UsageError
    assert {"compile", "Program", "Result", "CompileError", "UsageError", "VectorIndex",
            "RetrievalError", "CorruptIndexError"} <= set(dir(nsl))
    with pytest.raises(nsl.UsageError, match="unknown relation 'nope'"):
        nsl.compile(REACH).run(queries=["nope"])


@pytest.mark.parametrize("queries, message", [
    ([1], "queries must be relation names \\(str\\), not int 1"),
    (5, "queries must be relation names \\(a list of str\\), not int 5"),
])
def test_queries_that_are_not_names(queries, message):
    with pytest.raises(nsl.UsageError, match=message):
        nsl.compile(REACH).run(facts={"edge": [(1, 2)]}, queries=queries)


def test_one_query_may_be_given_as_a_str():
    result = nsl.compile(WITH_UNUSED).run(queries="unused")
    assert list(result.relations) == ["edge", "unused"]
    assert result["unused"] == [(1,), (2,)]


def test_max_iterations_true_is_refused():
    with pytest.raises(nsl.UsageError, match="max_iterations must be a positive integer, not True"):
        nsl.compile(REACH).run(facts={"edge": [(1, 2)]}, max_iterations=True)


def test_provenance_must_be_a_name():
    with pytest.raises(nsl.UsageError, match="provenance must be a name"):
        nsl.compile(REACH).run(facts={"edge": [(1, 2)]}, provenance=["bool"])


@pytest.mark.parametrize("columns, label", [({"a": 1, "b": 2}, "'a'"), ({0: 1, 1: [2]}, "'a'")])
def test_a_dict_of_single_values_is_a_compile_error(columns, label):
    with pytest.raises(nsl.CompileError, match=f"column {label} of relation 'edge' must be a "
                                               "sequence of values .*not int 1"):
        nsl.compile(REACH).run(facts={"edge": columns})


def test_a_dict_of_columns_still_works():
    result = nsl.compile(REACH).run(facts={"edge": {"a": [1, 2], "b": [2, 3]}})
    assert result["path"] == [(1, 2), (2, 3)]


@pytest.mark.parametrize("rel, message", [
    ("unused", "relation 'unused' was not computed by this run .*queries="),
    ("edg", "unknown relation 'edg'; did you mean 'edge'\\?"),
    ("nope", "unknown relation 'nope'"),
])
def test_asking_a_result_for_a_relation_it_does_not_hold(rel, message):
    result = nsl.compile(WITH_UNUSED).run()
    for read in (result.rows, result.size, result.tensors, result.__getitem__):
        with pytest.raises(nsl.UsageError, match=message):
            read(rel)


def test_results_do_not_share_storage_with_the_caller():
    result = nsl.compile(WITH_UNUSED).run()
    result.tensors("edge")[0][0] = 1000
    result["edge"].append((9, 9))
    assert result.rows("edge") == [(1, 2)] and result.size("edge") == 2


def test_compile_refuses_what_is_neither_text_nor_path():
    for source in (None, b"edge(1,2).", 3):
        with pytest.raises(TypeError, match=f"not {type(source).__name__}"):
            nsl.compile(source)


def test_a_one_line_program_ending_in_nsl_is_a_program():
    assert nsl.compile("edge(1,2). // see graph.nsl").run()["edge"] == [(1, 2)]
    with pytest.raises(nsl.CompileError, match="nope.nsl: error: no such file"):
        nsl.compile("nope.nsl")


def test_a_path_with_a_nul_is_no_such_file():
    with pytest.raises(nsl.CompileError, match=r"a\\0b.nsl: error: no such file \(a path cannot hold"):
        nsl.compile("a\0b.nsl")


def test_program_and_result_describe_themselves(tmp_path):
    (tmp_path / "g.nsl").write_text(WITH_UNUSED)
    program = nsl.compile(tmp_path / "g.nsl")
    assert repr(program) == f"<nsl.Program {str(tmp_path / 'g.nsl')!r}: 2 relations, outputs: edge>"
    result = program.run()
    assert repr(result) == "<nsl.Result (bool): edge (2 facts)>"
    assert repr(result.relations) == "{'edge': ...}"
    result["edge"]
    assert repr(result.relations) == "{'edge': [1 rows]}"
    assert pickle.loads(pickle.dumps(result))["edge"] == [(1, 2)]


def test_vector_index_open_on_a_missing_path_names_it(tmp_path):
    missing = os.fspath(tmp_path / "nope.idx")
    with pytest.raises(FileNotFoundError, match="no such index") as info:
        nsl.VectorIndex.open(missing)
    assert info.value.filename == missing
