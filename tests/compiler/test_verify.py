"""The IR verifier: one small invalid module per rule, with the exact message it earns.

Modules are written in the IR's text form (the parser does not verify), on top
of a shared prelude of schemas.
"""
from __future__ import annotations

import pytest

from nsl.compiler import ir
from nsl.compiler.ir_parser import parse_module
from nsl.compiler.verify import check_module, verify_module
from nsl.lang.diagnostics import CompileError, Span

PRELUDE = """\
relation edge(int, int) edb
relation name(int, str) edb
relation vec(int, tensor[4]) input
relation wide(int, tensor[8]) input
relation path(int, int) idb
relation other(int) idb
index docs(dim = 4, quant = int8, metric = cosine)
"""


def messages(text: str) -> list[str]:
    return [d.message for d in verify_module(parse_module(PRELUDE + text))]


def stratum(*ops: str, recursive: bool = False, kind: str = "init", rels: str = "path") -> str:
    """A one-rule stratum 0 computing ``rels``; the rule ``r`` is the given ops."""
    body = "\n".join("    " + op for op in ops)
    flag = " recursive" if recursive else ""
    return f"stratum 0 [{rels}]{flag} {{\n  {kind} rule r {{\n{body}\n  }}\n}}\n"


def expect(text: str, *expected: str) -> None:
    assert messages(text) == list(expected)


OK_INSERT = "insert path (a:int, b:int)"
JOIN_AB = "join edge full (a:int, b:int)"


def test_a_valid_module_has_no_diagnostics():
    expect(stratum(JOIN_AB, "filter (lt a:int b:int):bool", OK_INSERT))


# ---- schemas and facts ----
@pytest.mark.parametrize("text, message", [
    ("relation edge(int) edb\n", "relation edge is declared twice"),
    ("relation r(int) derived\n", "relation r has unknown kind 'derived'; expected one of input, edb, idb"),
    ("relation r(real) edb\n", "relation r has unknown column type 'real'"),
    ("facts nope {\n  (1)\n}\n", "facts for undeclared relation nope"),
    ("facts edge {\n  (1)\n}\n", "fact 0 of edge has 1 values but edge has arity 2"),
    ('facts edge {\n  (1, "x")\n}\n', 'fact 0 of edge: value "x" in column 1 is not of type int'),
    ("facts edge {\n  (1, true)\n}\n", "fact 0 of edge: value true in column 1 is not of type int"),
    ("facts edge {\n  1.5 :: (1, 2)\n}\n", "fact 0 of edge: probability 1.5 is not in [0, 1]"),
    ("facts edge {\n  (1, 2) in group -1\n}\n", "fact 0 of edge: group -1 is not a non-negative integer"),
    ("facts vec {\n  (1, 2.0)\n}\n", "fact 0 of vec: value 2.0 in column 1 is not of type tensor[4]"),
])
def test_schemas_and_facts(text, message):
    expect(text, message)


# ---- strata ----
def test_a_relation_computed_by_two_strata():
    two = ("stratum 0 [path] {\n}\nstratum 1 [path] {\n}\n")
    expect(two, "relation path is computed by two strata, 0 and 1")


def test_a_stratum_computes_only_declared_idb_relations():
    expect("stratum 0 [nope, edge] {\n}\n", "stratum 0 computes undeclared relation nope",
           "stratum 0 computes edge, which is declared edb, not idb")


def test_loop_rules_only_in_recursive_strata():
    expect(stratum(JOIN_AB, OK_INSERT, kind="loop"), "stratum 0 has loop rules but is not recursive")


def test_a_rule_reads_no_later_stratum():
    text = stratum("join other full (a:int)", "insert path (a:int, a:int)") + \
        "stratum 1 [other] {\n}\n"
    expect(text, "in rule r: relation other is computed by a later stratum (1)")


def test_negation_needs_an_earlier_stratum():
    expect(stratum(JOIN_AB, "antijoin path (a:int, _)", OK_INSERT, recursive=True),
           "in rule r: negated relation path must come from an earlier stratum, "
           "not from stratum 0 that reads it")


def test_aggregation_needs_an_earlier_stratum():
    expect(stratum("aggregate (n:int) = count(x) by () {", "  join path full (x:int, _)", "}",
                   "insert path (n:int, n:int)"),
           "in rule r: aggregated relation path must come from an earlier stratum, "
           "not from stratum 0 that reads it")


@pytest.mark.parametrize("ops, kind, recursive, rels, message", [
    (["join path delta (a:int, b:int)", OK_INSERT], "init", True, "path",
     "in rule r: delta of path is read outside a loop rule of a recursive stratum"),
    (["join edge delta (a:int, b:int)", OK_INSERT], "loop", True, "path",
     "in rule r: delta of edge is read in stratum 0, which does not compute edge"),
    (["aggregate (n:int) = count(x) by () {", "  join path delta (x:int, _)", "}",
      "insert path (n:int, n:int)"], "loop", True, "path",
     "in rule r: delta of path is read outside a loop rule of a recursive stratum"),
    (["join edge fresh (a:int, b:int)", OK_INSERT], "init", False, "path",
     "in rule r: unknown version 'fresh' of relation edge"),
])
def test_delta_versions(ops, kind, recursive, rels, message):
    messages_ = messages(stratum(*ops, kind=kind, recursive=recursive, rels=rels))
    assert message in messages_


# ---- pipelines ----
@pytest.mark.parametrize("ops, message", [
    (["join nope full (a:int, b:int)", OK_INSERT], "in rule r: relation nope is not declared"),
    (["join edge full (a:int, b:int, c:int)", OK_INSERT],
     "in rule r: join edge with 3 arguments, but edge has arity 2"),
    (["join name full (a:int, b:int)", OK_INSERT],
     "in rule r: argument 1 of name has type int but the column is str"),
    ([JOIN_AB, "join edge full (a:int, 1.5:int)", OK_INSERT],
     "in rule r: literal 1.5 does not have type int"),
    (["filter (lt a:int 1:int):bool", JOIN_AB, OK_INSERT],
     "in rule r: variable a is used before it is bound"),
    ([JOIN_AB, "filter (lt a:float 1.0:float):bool", OK_INSERT],
     "in rule r: variable a has type int but is used as float"),
    ([JOIN_AB, "antijoin edge (a:int, z:int)", OK_INSERT],
     "in rule r: variable z in antijoin edge is not bound"),
    ([JOIN_AB, "map a = 1:int", OK_INSERT], "in rule r: variable a bound by map is already bound"),
    ([JOIN_AB], "in rule r: the rule does not end with an insert"),
    ([JOIN_AB, OK_INSERT, OK_INSERT], "in rule r: insert into path is not the last op of the rule"),
    ([JOIN_AB, "insert other (a:int)"], "in rule r: insert into other, which stratum 0 does not compute"),
    ([JOIN_AB, "insert path (a:int, true:bool)"],
     "in rule r: column 1 of path is int but the insert gives bool"),
    ([JOIN_AB, "weight 1.5", OK_INSERT], "in rule r: weight 1.5 is not a probability in [0, 1]"),
    (["neural net(x) -> y", "insert path (y:int, y:int)"],
     "in rule r: input x of neural net is not bound"),
    ([JOIN_AB, "knn docs(a, 3:int) -> (i, s)", "insert path (i:int, a:int)"],
     "in rule r: vector a of knn docs has type int, not a tensor"),
    (["join vec full (a:int, v:tensor[4])", "knn docs(v, 2.5:float) -> (i, s)",
      "insert path (i:int, a:int)"], "in rule r: k of knn docs has type float, not int"),
    (["join vec full (a:int, v:tensor[4])", "knn memo(v, 2:int) -> (i, s)",
      "insert path (i:int, a:int)"], "in rule r: knn searches undeclared index memo"),
    (["join wide full (a:int, v:tensor[8])", "knn docs(v, 2:int) -> (i, s)",
      "insert path (i:int, a:int)"],
     "in rule r: vector v of knn docs has type tensor[8], but the index holds tensor[4]"),
])
def test_bindings_and_ops(ops, message):
    expect(stratum(*ops), message)


@pytest.mark.parametrize("ops, message", [
    ([JOIN_AB, 'check a:int in [0, 9] "D = 0..9"', "filter (lt a:int 5:int):bool", OK_INSERT],
     "in rule r: a check stands before an op that drops rows; checks come last, before the insert"),
    ([JOIN_AB, 'check a:int in [9, 0] "D = 9..0"', OK_INSERT],
     "in rule r: check range [9, 0] is empty"),
    (["join name full (a:int, s:str)", 'check s:str in [0, 9] "D = 0..9"',
      "insert path (a:int, a:int)"], "in rule r: check of an int range on a str value"),
    ([JOIN_AB, 'check a:int in {"x"} "C = {\\"x\\"}"', OK_INSERT],
     "in rule r: check of int values against ('x',)"),
    ([JOIN_AB, 'check z:int in [0, 9] "D = 0..9"', OK_INSERT],
     "in rule r: variable z is used before it is bound"),
])
def test_checks(ops, message):
    expect(stratum(*ops), message)


def test_checks_may_stand_around_a_weight_before_the_insert():
    expect(stratum(JOIN_AB, 'check a:int in [0, 9] "D = 0..9"', "weight 0.5",
                   'check b:int in {1, 2} "E = {1, 2}"', OK_INSERT))


@pytest.mark.parametrize("decl, message", [
    ("index docs(dim = 4, quant = int8, metric = ip)", "index docs is declared twice"),
    ("index m(dim = 0, quant = int8, metric = ip)",
     "index m has dimension 0; expected a positive integer"),
    ("index m(dim = 4, quant = int4, metric = ip)",
     "index m has unknown quantization 'int4'; expected one of int8"),
    ("index m(dim = 4, quant = int8, metric = hamming)",
     "index m has unknown metric 'hamming'; expected one of ip, cosine, l2"),
    ("index m(dim = 4, quant = int8, metric = l2, rerank = 0)",
     "index m has rerank 0; expected a positive integer"),
])
def test_index_declarations(decl, message):
    expect(decl + "\n", message)


@pytest.mark.parametrize("decl, message", [
    ("index m(dim = 4, quant = int8)", "index m needs option 'metric'"),
    ("index m(dim = 4, dim = 4, quant = int8, metric = ip)", "index option 'dim' is given twice"),
    ("index m(dim = 4, size = 3, quant = int8, metric = ip)",
     "unknown index option 'size' (known: dim, quant, metric, rerank)"),
    ("index m(dim = ip, quant = int8, metric = ip)", "index option 'dim' must be an integer"),
])
def test_index_syntax_errors(decl, message):
    with pytest.raises(CompileError) as info:
        parse_module(decl + "\n")
    assert [d.message for d in info.value.diagnostics] == [message]


# ---- expressions ----
@pytest.mark.parametrize("expr, message", [
    ("(lt a:int b:int):int", "in rule r: expression (lt a:int b:int):int has type bool but is annotated int"),
    ('(add a:int "x":str):int', 'in rule r: add needs numbers, not int and str, in (add a:int "x":str):int'),
    ("(concat a:int b:int):str", "in rule r: concat needs two strs, not int and int, in (concat a:int b:int):str"),
    ("(add a:int 1.5:float):int", "in rule r: expression (add a:int 1.5:float):int has type float but is annotated int"),
    ("(xor a:int b:int):int", "in rule r: unknown binary operator 'xor' in (xor a:int b:int):int"),
    ('(eq a:int "1":str):bool', 'in rule r: eq compares int with str in (eq a:int "1":str):bool'),
    ("(lt true:bool false:bool):bool", "in rule r: lt does not order bools in (lt true:bool false:bool):bool"),
    ('(neg "x":str):str', 'in rule r: neg needs a number, not str, in (neg "x":str):str'),
    ("(sqrt a:int):int", "in rule r: unknown unary operator 'sqrt' in (sqrt a:int):int"),
])
def test_expression_types(expr, message):
    expect(stratum(JOIN_AB, f"map c = {expr}", OK_INSERT), message)


def test_a_filter_condition_is_bool():
    expect(stratum(JOIN_AB, "filter (add a:int 1:int):int", OK_INSERT),
           "in rule r: filter condition has type int, not bool")


# ---- aggregates ----
def aggregate(head: str, *body: str, insert: str = "insert path (a:int, n:int)") -> str:
    lines = [JOIN_AB, head + (" {" if body else "")] + ["  " + op for op in body]
    return stratum(*lines, *(["}"] if body else []), insert, rels="other") \
        .replace("[other]", "[path]")


BODY = "join edge full (a:int, x:int)"


@pytest.mark.parametrize("text, message", [
    (aggregate("aggregate (n:int) = median(x) by (a)", BODY),
     "in rule r: aggregate median: unknown aggregate op; expected one of count, sum, min, max, "
     "argmin, argmax, exists, not_exists"),
    (aggregate("aggregate (n, m) = count(x) by (a)", BODY), "in rule r: aggregate count: 2 results; count gives 1"),
    (aggregate("aggregate (n:int) = count(x) by (k)", "join edge full (k:int, x:int)"),
     "in rule r: aggregate count: key k is not bound in the outer table"),
    (aggregate("aggregate (n:int) = argmax(x) by (a)", BODY), "in rule r: aggregate argmax: argmax needs an objective"),
    (aggregate("aggregate (n:int) = count(x) by (a) objective x:int", BODY),
     "in rule r: aggregate count: count takes no objective"),
    (aggregate("aggregate (n:int) = sum() by (a)", BODY),
     "in rule r: aggregate sum: sum needs at least one variable"),
    (aggregate("aggregate (n:int) = sum(s) by (a)", 'join name full (a:int, s:str)'),
     "in rule r: aggregate sum: sum over s of type str"),
    (aggregate("aggregate (n:float) = max(x) by (a)", BODY),
     "in rule r: aggregate max: result n has type int but is declared float"),
    (aggregate("aggregate (n:int) = count(y) by (a)", BODY),
     "in rule r: aggregate count: variable y is not bound by alternative 1 of the body"),
    (aggregate("aggregate (n:int) = count() by (a)"), "in rule r: aggregate count: the aggregate has no body"),
    (aggregate("aggregate (n:int) = argmax(x) by (a) objective (concat s:str s:str):str", BODY,
               'join name full (a:int, s:str)'),
     "in rule r: aggregate argmax: objective has type str, not a number"),
    (aggregate("aggregate (n:int) = count(x) by (a)", BODY, "insert path (a:int, x:int)"),
     "in rule r: insert into path inside an aggregate body"),
    (aggregate("aggregate (a:int) = count(x) by (a)", BODY, insert="insert path (a:int, a:int)"),
     "in rule r: variable a bound by aggregate count is already bound"),
])
def test_aggregates(text, message):
    assert message in messages(text)


def test_aggregate_alternatives_agree_on_variable_types():
    text = aggregate("aggregate (n:int) = count(x) by (a)", BODY, "} or {", 'map x = "s":str')
    assert messages(text) == ["in rule r: aggregate count: variable x is int in one alternative "
                              "and str in another"]


def test_aggregate_result_count_follows_the_op():
    text = aggregate("aggregate (n) = exists(x) by (a)", BODY, insert="insert path (a:int, a:int)")
    assert messages(text) == ["in rule r: aggregate exists: 1 results; exists gives 0"]
    argmin = aggregate("aggregate (n) = argmin(x) by (a) objective x:int", BODY)
    assert messages(argmin) == []


# ---- outputs, queries, provenance ----
@pytest.mark.parametrize("text, message", [
    ("outputs nope\n", "output nope is not a declared relation"),
    ("query nope (_)\n", "query of undeclared relation nope"),
    ("query edge (_)\n", "query of edge has 1 arguments but edge has arity 2"),
    ('query edge (1:int, "x":str)\n', "query of edge: argument 1 has type str but the column is int"),
    ("query edge (x:int, x:float)\n", "query of edge: variable x has type int but is used as float"),
])
def test_outputs_and_queries(text, message):
    assert message in messages(text)


def test_provenance_shape():
    module = ir.Module((), (), (), (), (), ("bool", ("k", 5)))
    assert [d.message for d in verify_module(module)] == [
        "provenance ('bool', ('k', 5)) is not (name, ((key, value), ...))"]


# ---- diagnostics carry spans; check_module raises ----
def test_diagnostics_point_at_the_op_origin():
    span = Span("prog.nsl", 7, 3, 7, 20)
    rule = ir.Rule("r", (ir.Filter(ir.ColRef("z", "bool"), span),
                         ir.Insert("other", (ir.Lit(1, "int"),))), Span("prog.nsl", 6, 1, 8, 1))
    module = ir.Module((ir.Relation("other", ("int",), "idb"),), (),
                       (ir.Stratum(("other",), False, (rule,)),), ())
    [diagnostic] = verify_module(module)
    assert diagnostic.span == span
    assert diagnostic.render().startswith("prog.nsl:7:3: error: in rule r: variable z is used")


def test_check_module_raises_every_diagnostic():
    module = parse_module(PRELUDE + "outputs a, b\n")
    with pytest.raises(CompileError) as info:
        check_module(module)
    assert len(info.value.diagnostics) == 2
    ok = parse_module(PRELUDE)
    assert check_module(ok) is ok
