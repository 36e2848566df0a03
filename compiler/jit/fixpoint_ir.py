"""LLVM IR text of the native fixpoint kernel described by ``fixpoint_spec.Kernel``.

Rule bodies become nested loops (delta scan, index probes) with every variable an SSA
value of the loop body that binds it; loop counters and the per-relation counters are
allocas that ``mem2reg`` promotes. Params and addresses are loaded once at entry.
Inserts dedup against a relation's bitmap; membership tests read its snapshot bitmap,
which the end of each iteration brings up to date from the rows it appended.
Between iterations the count of iterations is compared with the caller's budget
(``P``'s ``limit``), so a call can stop with the state of a finished iteration.
"""
from __future__ import annotations

from nsl.compiler.jit.fixpoint_spec import (Cmp, Emit, Kernel, Member, Probe, Scan, layout,
                                            snapshotted)

_ICMP = {"eq": "eq", "ne": "ne", "lt": "slt", "le": "sle", "gt": "sgt", "ge": "sge"}

BITS_TO_KEYS = """
declare i64 @llvm.cttz.i64(i64, i1)

define i64 @nsl_bits_to_keys(ptr noalias %bits, i64 %nwords, ptr noalias %out) {
entry:
  br label %words
words:
  %i = phi i64 [0, %entry], [%i1, %next]
  %n = phi i64 [0, %entry], [%n2, %next]
  %more = icmp slt i64 %i, %nwords
  br i1 %more, label %load, label %done
load:
  %wp = getelementptr i64, ptr %bits, i64 %i
  %w0 = load i64, ptr %wp
  %base = shl i64 %i, 6
  br label %bits_loop
bits_loop:
  %w = phi i64 [%w0, %load], [%w1, %bit]
  %n1 = phi i64 [%n, %load], [%nn, %bit]
  %any = icmp ne i64 %w, 0
  br i1 %any, label %bit, label %next
bit:
  %tz = call i64 @llvm.cttz.i64(i64 %w, i1 true)
  %key = add i64 %base, %tz
  %op = getelementptr i64, ptr %out, i64 %n1
  store i64 %key, ptr %op
  %nn = add i64 %n1, 1
  %wm = sub i64 %w, 1
  %w1 = and i64 %w, %wm
  br label %bits_loop
next:
  %n2 = phi i64 [%n1, %bits_loop]
  %i1 = add i64 %i, 1
  br label %words
done:
  ret i64 %n
}
"""


class _Gen:
    def __init__(self, k: Kernel):
        self.k, self.lay = k, layout(k)
        self.body: list[str] = []
        self.allocas: list[str] = []
        self.n = 0

    def tmp(self, hint="t") -> str:
        self.n += 1
        return f"%{hint}{self.n}"

    def label(self, hint="L") -> str:
        self.n += 1
        return f"{hint}{self.n}"

    def emit(self, *lines):
        self.body.extend(lines)

    def open(self, label):
        self.body.append(f"{label}:")

    def param(self, key) -> str:
        return f"%P{self.lay['P'][key]}"

    def addr(self, key) -> str:
        return f"%A{self.lay['A'][key]}"

    def operand(self, env, o) -> str:
        return env[o[1]] if o[0] == "var" else self.param(("lit", o[1]))

    def load(self, base, index, hint="v") -> str:
        ptr, val = self.tmp("p"), self.tmp(hint)
        self.emit(f"  {ptr} = getelementptr i64, ptr {base}, i64 {index}",
                  f"  {val} = load i64, ptr {ptr}")
        return val

    # ---- packing: key = Σ (v - lo) * stride; ``ok`` false when some v is out of range --
    def pack(self, values, kind, owner, checked):
        key, ok = None, None
        for c, v in enumerate(values):
            d = self.tmp("d")
            self.emit(f"  {d} = sub i64 {v}, {self.param((kind, owner, 'lo', c))}")
            if checked:
                w, inside = f"%W_{kind}{owner}_{c}", self.tmp("in")
                self.emit(f"  {inside} = icmp ule i64 {d}, {w}")
                if ok is None:
                    ok = inside
                else:
                    both = self.tmp("ok")
                    self.emit(f"  {both} = and i1 {ok}, {inside}")
                    ok = both
            term = self.tmp("m")
            self.emit(f"  {term} = mul i64 {d}, {self.param((kind, owner, 'stride', c))}")
            if key is None:
                key = term
            else:
                s = self.tmp("k")
                self.emit(f"  {s} = add i64 {key}, {term}")
                key = s
        return ("0" if key is None else key), ok

    # ---- rule bodies: code for ops[i:], every path ends in ``br label %cont`` ------------
    def ops(self, ops, i, env, cont):
        op = ops[i]
        if isinstance(op, Scan):
            self.scan(ops, i, env, cont)
        elif isinstance(op, Probe):
            self.probe(ops, i, env, cont)
        elif isinstance(op, Member):
            key, ok = self.pack([self.operand(env, a) for a in op.args], "rel", op.rel, True)
            hit = self.bit_test(op.rel, key, ok, "snap")[0]
            go = self.label("mem")
            if op.anti:
                self.emit(f"  br i1 {hit}, label %{cont}, label %{go}")
            else:
                self.emit(f"  br i1 {hit}, label %{go}, label %{cont}")
            self.open(go)
            self.ops(ops, i + 1, env, cont)
        elif isinstance(op, Cmp):
            c, go = self.tmp("c"), self.label("cmp")
            self.emit(f"  {c} = icmp {_ICMP[op.op]} i64 {self.operand(env, op.left)}, "
                      f"{self.operand(env, op.right)}",
                      f"  br i1 {c}, label %{go}, label %{cont}")
            self.open(go)
            self.ops(ops, i + 1, env, cont)
        elif isinstance(op, Emit):
            self.insert(op, env, cont)
        else:
            raise TypeError(f"unknown kernel op {op!r}")

    def loop(self, start, end, hint):
        """Open a counted loop; returns (index value, latch label, exit label)."""
        var = f"%{hint}.i{self.n}"
        self.allocas.append(f"  {var} = alloca i64")
        head, body, latch, done = (self.label(hint + "_h"), self.label(hint + "_b"),
                                   self.label(hint + "_l"), self.label(hint + "_x"))
        self.emit(f"  store i64 {start}, ptr {var}", f"  br label %{head}")
        self.open(head)
        j, more = self.tmp("j"), self.tmp("more")
        self.emit(f"  {j} = load i64, ptr {var}", f"  {more} = icmp slt i64 {j}, {end}",
                  f"  br i1 {more}, label %{body}, label %{done}")
        self.open(body)
        return j, latch, done, var, head

    def close(self, j, latch, done, var, head, cont):
        self.open(latch)
        j1 = self.tmp("j")
        self.emit(f"  {j1} = add i64 {j}, 1", f"  store i64 {j1}, ptr {var}", f"  br label %{head}")
        self.open(done)
        self.emit(f"  br label %{cont}")

    def scan(self, ops, i, env, cont):
        op = ops[i]
        start, end = self.tmp("ds"), self.tmp("de")
        self.emit(f"  {start} = load i64, ptr %ds_{op.rel}", f"  {end} = load i64, ptr %de_{op.rel}")
        j, latch, done, var, head = self.loop(start, end, "scan")
        env = dict(env)
        cols = {}
        for c in sorted({c for c, _ in op.binds} | {c for c, _ in op.checks}):
            cols[c] = self.load(self.addr(("rel", op.rel, "col", c)), j)
        for c, v in op.binds:
            env[v] = cols[c]
        for c, o in op.checks:
            ok, go = self.tmp("c"), self.label("chk")
            self.emit(f"  {ok} = icmp eq i64 {cols[c]}, {self.operand(env, o)}",
                      f"  br i1 {ok}, label %{go}, label %{latch}")
            self.open(go)
        self.ops(ops, i + 1, env, latch)
        self.close(j, latch, done, var, head, cont)

    def probe(self, ops, i, env, cont):
        op = ops[i]
        key, ok = self.pack([self.operand(env, o) for o in op.keys], "idx", op.index, True)
        off = self.addr(("idx", op.index, "off"))
        found = self.label("pf")
        miss = cont if not op.anti else self.label("pmiss")
        if ok is not None:
            self.emit(f"  br i1 {ok}, label %{found}, label %{miss}")
            self.open(found)
        lo = self.load(off, key, "lo")
        k1 = self.tmp("k")
        self.emit(f"  {k1} = add i64 {key}, 1")
        hi = self.load(off, k1, "hi")
        if op.anti or not op.binds:
            some, go = self.tmp("some"), self.label("pgo")
            self.emit(f"  {some} = icmp slt i64 {lo}, {hi}")
            if op.anti:
                self.emit(f"  br i1 {some}, label %{cont}, label %{miss}")
                go = miss
            else:
                self.emit(f"  br i1 {some}, label %{go}, label %{cont}")
            self.open(go)
            self.ops(ops, i + 1, env, cont)
            return
        j, latch, done, var, head = self.loop(lo, hi, "probe")
        env = dict(env)
        for c, v in op.binds:
            env[v] = self.load(self.addr(("idx", op.index, "col", c)), j)
        self.ops(ops, i + 1, env, latch)
        self.close(j, latch, done, var, head, cont)

    def bit_test(self, rel, key, ok, bitmap="bits"):
        bits = self.addr(("rel", rel, bitmap))
        if ok is not None:  # out of range: test bit 0 and force "absent"
            safe = self.tmp("key")
            self.emit(f"  {safe} = select i1 {ok}, i64 {key}, i64 0")
            key = safe
        widx, wptr, word, sh, mask, t, hit = (self.tmp(h) for h in
                                             ("wi", "wp", "w", "sh", "mk", "t", "hit"))
        self.emit(f"  {widx} = lshr i64 {key}, 6", f"  {wptr} = getelementptr i64, ptr {bits}, i64 {widx}",
                  f"  {word} = load i64, ptr {wptr}", f"  {sh} = and i64 {key}, 63",
                  f"  {mask} = shl i64 1, {sh}", f"  {t} = and i64 {word}, {mask}",
                  f"  {hit} = icmp ne i64 {t}, 0")
        if ok is not None:
            both = self.tmp("hit")
            self.emit(f"  {both} = and i1 {hit}, {ok}")
            hit = both
        return hit, wptr, word, mask

    def insert(self, op: Emit, env, cont):
        values = [self.operand(env, a) for a in op.args]
        key, _ = self.pack(values, "rel", op.rel, False)
        hit, wptr, word, mask = self.bit_test(op.rel, key, None)
        new, room = self.label("new"), self.label("room")
        self.emit(f"  br i1 {hit}, label %{cont}, label %{new}")
        self.open(new)
        c, full = self.tmp("cnt"), self.tmp("full")
        self.emit(f"  {c} = load i64, ptr %cnt_{op.rel}", f"  {full} = icmp eq i64 {c}, %cap_{op.rel}",
                  f"  br i1 {full}, label %ovf_{op.rel}, label %{room}")
        self.open(room)
        w1 = self.tmp("w")
        self.emit(f"  {w1} = or i64 {word}, {mask}", f"  store i64 {w1}, ptr {wptr}")
        for col, v in enumerate(values):
            p = self.tmp("p")
            self.emit(f"  {p} = getelementptr i64, ptr {self.addr(('rel', op.rel, 'col', col))}, i64 {c}",
                      f"  store i64 {v}, ptr {p}")
        c1 = self.tmp("cnt")
        self.emit(f"  {c1} = add i64 {c}, 1", f"  store i64 {c1}, ptr %cnt_{op.rel}",
                  f"  br label %{cont}")

    def snapshot(self, r, cont):
        """Set the snapshot bits of relation ``r``'s rows appended this iteration, then
        ``br label %cont``: a loop over the new rows, so its cost is the delta's size."""
        start, end = self.tmp("ns"), self.tmp("ne")
        self.emit(f"  {start} = load i64, ptr %de_{r}", f"  {end} = load i64, ptr %cnt_{r}")
        j, latch, done, var, head = self.loop(start, end, "snap")
        values = [self.load(self.addr(("rel", r, "col", c)), j) for c in range(self.k.rels[r])]
        key, _ = self.pack(values, "rel", r, False)
        _, wptr, word, mask = self.bit_test(r, key, None, "snap")
        w1 = self.tmp("w")
        self.emit(f"  {w1} = or i64 {word}, {mask}", f"  store i64 {w1}, ptr {wptr}",
                  f"  br label %{latch}")
        self.close(j, latch, done, var, head, cont)

    # ---- the function -------------------------------------------------------------------
    def function(self) -> str:
        k, lay = self.k, self.lay
        head = ["define i64 @nsl_fixpoint(ptr noalias %P, ptr noalias %A, ptr noalias %S) {",
                "entry:"]
        for slot in range(lay["nP"]):
            head += [f"  %Pp{slot} = getelementptr i64, ptr %P, i64 {slot}",
                     f"  %P{slot} = load i64, ptr %Pp{slot}"]
        for slot in range(lay["nA"]):
            head += [f"  %Ap{slot} = getelementptr i64, ptr %A, i64 {slot}",
                     f"  %Ai{slot} = load i64, ptr %Ap{slot}",
                     f"  %A{slot} = inttoptr i64 %Ai{slot} to ptr"]
        for kind, owners in (("rel", k.rels), ("idx", [n for n, _ in k.indexes])):
            for o, n in enumerate(owners):
                for c in range(n):
                    lo, hi = lay["P"][(kind, o, "lo", c)], lay["P"][(kind, o, "hi", c)]
                    head.append(f"  %W_{kind}{o}_{c} = sub i64 %P{hi}, %P{lo}")
        state = []
        for r in range(len(k.rels)):
            for f, short in (("count", "cnt"), ("dstart", "ds"), ("dend", "de")):
                slot = lay["S"][("rel", r, f)]
                head += [f"  %{short}_{r} = alloca i64", f"  %Sp_{short}{r} = getelementptr i64, ptr %S, i64 {slot}",
                         f"  %S_{short}{r} = load i64, ptr %Sp_{short}{r}",
                         f"  store i64 %S_{short}{r}, ptr %{short}_{r}"]
                state.append((short, r))
            cap = lay["S"][("rel", r, "cap")]
            head += [f"  %Sp_cap{r} = getelementptr i64, ptr %S, i64 {cap}",
                     f"  %cap_{r} = load i64, ptr %Sp_cap{r}"]
        it = lay["S"]["iterations"]
        head += ["  %iters = alloca i64", f"  %Sp_it = getelementptr i64, ptr %S, i64 {it}",
                 "  %S_it = load i64, ptr %Sp_it", "  store i64 %S_it, ptr %iters"]
        self.emit("  br label %iter", "iter:")
        for n, rule in enumerate(k.rules):
            nxt = f"rule{n + 1}"
            self.ops(rule, 0, {}, nxt)
            self.open(nxt)
        # only now may the iteration's rows be seen by Member tests (Jacobi iterations)
        for r in sorted(snapshotted(k)):
            nxt = self.label("snapped")
            self.snapshot(r, nxt)
            self.open(nxt)
        changed = "false"
        for r in range(len(k.rels)):
            de, c, ch = self.tmp("de"), self.tmp("c"), self.tmp("ch")
            self.emit(f"  {de} = load i64, ptr %de_{r}", f"  {c} = load i64, ptr %cnt_{r}",
                      f"  store i64 {de}, ptr %ds_{r}", f"  store i64 {c}, ptr %de_{r}",
                      f"  {ch} = icmp ne i64 {c}, {de}")
            if changed != "false":
                both = self.tmp("ch")
                self.emit(f"  {both} = or i1 {changed}, {ch}")
                ch = both
            changed = ch
        # the budget is checked between whole iterations, so stopping loses nothing
        self.emit("  %it0 = load i64, ptr %iters", "  %it1 = add i64 %it0, 1",
                  "  store i64 %it1, ptr %iters", f"  br i1 {changed}, label %more, label %done",
                  "more:", f"  %spent = icmp sge i64 %it1, {self.param('limit')}",
                  "  br i1 %spent, label %budget, label %iter")
        exits = [("done", 0), ("budget", -1)] + [(f"ovf_{r}", r + 1) for r in range(len(k.rels))]
        for name, code in exits:
            self.open(name)
            for short, r in state:
                v = self.tmp("s")
                self.emit(f"  {v} = load i64, ptr %{short}_{r}", f"  store i64 {v}, ptr %Sp_{short}{r}")
            v = self.tmp("s")
            self.emit(f"  {v} = load i64, ptr %iters", f"  store i64 {v}, ptr %Sp_it",
                      f"  ret i64 {code}")
        return "\n".join(head + self.allocas + self.body + ["}"]) + "\n"


def kernel_ir(k: Kernel) -> str:
    """The IR text (without target header) of ``nsl_fixpoint`` and ``nsl_bits_to_keys``."""
    return _Gen(k).function() + BITS_TO_KEYS
