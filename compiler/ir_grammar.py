"""The LALR grammar of the IR's text form (kept as a string so no data file ships).

Whitespace and newlines are insignificant; ``//`` starts a comment. A name is a
plain identifier or a backquoted string (``\\`weird name\\```); a literal is an
integer, a float (``1.5``, ``1e-09``, ``nan``, ``inf``, ``-inf``), a
double-quoted string or ``true``/``false``. A name spelled like a keyword
must be backquoted (the printer does it, see ``ir_printer.KEYWORDS``).
"""

IR_GRAMMAR = r"""
start: _item*
_item: relation | index | facts | stratum | outputs | query | provenance

relation: "relation" name "(" types ")" name ["from" STRING] [loc]
index: "index" name "(" index_opts ")" ["from" STRING] [loc]
index_opts: (index_opt ("," index_opt)*)?
index_opt: name "=" (INT | name)
facts: "facts" name [loc] "{" fact_row* "}"
fact_row: [value "::"] "(" values ")" ["in" "group" value] [loc]
stratum: "stratum" INT "[" names "]" [RECURSIVE] "{" rule* "}"
rule: rule_kind "rule" name [loc] "{" _op* "}"
!rule_kind: "init" | "loop"
outputs: "outputs" name ("," name)*
query: "query" name "(" terms ")" [loc]
provenance: "provenance" name ["(" params ")"]
params: (param ("," param)*)?
param: name "=" value

_op: join | antijoin | filter | map | aggregate | neural | knn | weight | check | insert
join: "join" name name "(" terms ")" [loc]
antijoin: "antijoin" name "(" terms ")" [loc]
filter: "filter" expr [loc]
map: "map" name "=" expr [loc]
aggregate: "aggregate" "(" agg_results ")" "=" name "(" names ")" "by" "(" names ")" ["objective" expr] ["types" "(" types ")"] [loc] [alternatives]
agg_results: (agg_result ("," agg_result)*)?
agg_result: name [":" type]
alternatives: block ("or" block)*
block: "{" _op* "}"
neural: "neural" name "(" names ")" "->" name [loc]
knn: "knn" name "(" name "," expr ")" "->" "(" name "," name ")" [loc]
weight: "weight" value [loc]
check: "check" expr "in" domain STRING [loc]
domain: "[" INT "," INT "]" -> range_domain
      | "{" values "}" -> enum_domain
insert: "insert" name "(" exprs ")" [loc]

terms: (term ("," term)*)?
exprs: (expr ("," expr)*)?
names: (name ("," name)*)?
types: (type ("," type)*)?
values: (value ("," value)*)?

?term: expr | WILD -> wild
?expr: name ":" type -> colref
     | value ":" type -> lit
     | "(" name expr ")" ":" type -> unexpr
     | "(" name expr expr ")" ":" type -> binexpr

name: NAME | QUOTED_NAME
type: NAME | QUOTED_NAME | TENSOR_TYPE
value: INT -> int_value
     | FLOAT -> float_value
     | NAN -> nan_value
     | INF -> inf_value
     | NEG_INF -> neg_inf_value
     | STRING -> str_value
     | TRUE -> true_value
     | FALSE -> false_value

loc: "loc" "(" STRING ":" INT ":" INT ":" INT ":" INT ")"

RECURSIVE: "recursive"
WILD: "_"
TRUE: "true"
FALSE: "false"
NAN: "nan"
INF: "inf"
NEG_INF: "-inf"
TENSOR_TYPE.3: /tensor\[[A-Za-z0-9_,?]*\]/
NAME: /[A-Za-z_][A-Za-z0-9_#.]*/
QUOTED_NAME: /`([^`\\\n]|\\.)*`/
STRING: /"([^"\\\n]|\\.)*"/
FLOAT.2: /-?([0-9]+\.[0-9]*([eE][-+]?[0-9]+)?|[0-9]+[eE][-+]?[0-9]+)/
INT: /-?[0-9]+/

COMMENT: /\/\/[^\n]*/
%import common.WS
%ignore WS
%ignore COMMENT
"""
