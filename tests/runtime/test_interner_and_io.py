"""String interning and facts files (CSV / TSV / JSONL) with positioned errors."""
import pytest
import torch

from nsl.runtime import FactFileError, Interner, load_facts


def test_interner_round_trip_ranks_and_concat():
    it = Interner()
    ids = it.intern_many(["b", "a", "b", ""])
    assert ids[0] == ids[2] and len(set(ids.tolist())) == 3
    assert it.decode(ids).tolist() == ["b", "a", "b", ""]
    (r,) = it.ranks(ids)
    assert r.tolist() == [2, 1, 2, 0]
    cat = it.concat(ids, torch.flip(ids, [0]))
    assert it.decode(cat).tolist() == ["b", "ab", "ba", "b"]
    assert all(type(s) is str for s in it.decode(cat).tolist())
    assert it.intern("a") == ids[1]


def _write(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(text)
    return p


def test_csv_tsv_jsonl(tmp_path):
    types = ("int", "str", "float", "bool")
    csv = _write(tmp_path, "f.csv", '1,alice,0.5,true\n\n-2,"b, ""q""",3,false\n')
    assert load_facts(csv, types) == [(1, "alice", 0.5, True), (-2, 'b, "q"', 3.0, False)]
    tsv = _write(tmp_path, "f.tsv", "1\ta b\t1e3\t1\n")
    assert load_facts(tsv, types) == [(1, "a b", 1000.0, True)]
    jl = _write(tmp_path, "f.jsonl", '[1, "x", 2, false]\n{"a": 3, "b": "y", "c": 0.5, "d": true}\n')
    assert load_facts(jl, types) == [(1, "x", 2.0, False), (3, "y", 0.5, True)]


@pytest.mark.parametrize("name,text,line,col,needle", [
    ("bad.csv", "1,2\n3,x\n", 2, 3, "expected an int"),
    ("bad.csv", "1,2\n3\n", 2, 2, "expected 2 values"),
    ("bad.csv", "1,2,3\n", 1, 5, "expected 2 values"),
    ("bad.csv", '1,"2\n', 1, 3, "unterminated"),
    ("bad.tsv", "1\t2.5\n", 1, 3, "expected an int"),
    ("bad.jsonl", "[1, 2]\n[1, \"2\"]\n", 2, 5, "expected int"),
    ("bad.jsonl", "[1, 2\n", 1, 6, "expected"),
    ("bad.jsonl", "[1, true]\n", 1, 5, "expected int"),
    ("bad.jsonl", "7\n", 1, 1, "JSON array"),
])
def test_bad_rows_raise_positioned_errors(tmp_path, name, text, line, col, needle):
    path = _write(tmp_path, name, text)
    with pytest.raises(FactFileError) as err:
        load_facts(path, ("int", "int"))
    e = err.value
    assert (e.line, e.col) == (line, col) and needle in e.message, str(e)
    assert str(e).startswith(f"{path}:{line}:{col}: error:")


def test_missing_file(tmp_path):
    with pytest.raises(FactFileError):
        load_facts(tmp_path / "nope.csv", ("int",))


def test_input_relation_loaded_from_its_source(tmp_path):
    from nsl.compiler import ir
    from nsl.runtime import execute
    p = _write(tmp_path, "people.csv", "ann\nbob\n")
    mod = ir.Module((ir.Relation("person", ("str",), "input", source=str(p)),), (), (), ("person",))
    assert execute(mod).rows("person") == [("ann",), ("bob",)]
