"""IR text of the differential-testing kernels.

Each side (reference, candidate) is compiled in its own library together with
map loops that call it over a chunk of inputs, so LLVM inlines and vectorises
the function into the loop but can never see both sides at once and fold the
comparison away. A driver library loops over chunks, calling both sides
through function pointers and counting differing outputs with a vectorised
loop; it stores the chunk start in ``progress`` first, so that when a side
crashes the parent knows which chunk to search.
"""
from __future__ import annotations

from dataclasses import dataclass


def storage_bits(width: int) -> int:
    """Bits used to store one value of ``width`` bits in an output buffer."""
    for bits in (8, 16, 32, 64):
        if width <= bits:
            return bits
    raise ValueError(f"i{width} is wider than 64 bits")


@dataclass(frozen=True)
class Signature:
    """Integer widths of the parameters and of the result (0 for void)."""
    params: tuple[int, ...]
    ret: int

    @property
    def out_bits(self) -> int:
        return storage_bits(max(self.ret, 1))

    def sweep_offsets(self) -> list[int]:
        """Bit offset of each argument inside the sweep counter."""
        offsets, at = [], 0
        for width in self.params:
            offsets.append(at)
            at += width
        return offsets


def _decl(name: str, sig: Signature) -> str:
    ret = f"i{sig.ret}" if sig.ret else "void"
    return f"declare {ret} @{name}({', '.join(f'i{w}' for w in sig.params)})"


def _call_and_store(name: str, sig: Signature, args: list[str], out_ptr: str, volatile: bool,
                    target: str = "__nsl_target") -> str:
    ret = f"i{sig.ret}" if sig.ret else "void"
    if volatile:  # locate: an opaque indirect call, see side_wrapper_ir
        head = f"  %fp = load volatile ptr, ptr @{target}\n"
        return head + _call_and_store("%fp", sig, args, out_ptr, False).replace(
            "store ", "store volatile ", 1).replace("@%fp", "%fp")
    call_args = ", ".join(f"i{w} {a}" for w, a in zip(sig.params, args))
    out_t = f"i{sig.out_bits}"
    if not sig.ret:
        return (f"  call void @{name}({call_args})\n"
                f"  store {'volatile ' if volatile else ''}{out_t} 0, ptr {out_ptr}\n")
    lines = f"  %r = call {ret} @{name}({call_args})\n"
    value = "%r"
    if sig.ret != sig.out_bits:
        lines += f"  %rz = zext {ret} %r to {out_t}\n"
        value = "%rz"
    return lines + f"  store {'volatile ' if volatile else ''}{out_t} {value}, ptr {out_ptr}\n"


def _narrow(value: str, name: str, width: int) -> str:
    if width == 64:  # trunc i64 to i64 is invalid IR
        return f"  {name} = or i64 {value}, 0\n"
    return f"  {name} = trunc i64 {value} to i{width}\n"


def _sweep_args(sig: Signature) -> tuple[str, list[str]]:
    lines, args = "", []
    for k, (width, offset) in enumerate(zip(sig.params, sig.sweep_offsets())):
        lines += f"  %s{k} = lshr i64 %c, {min(offset, 63)}\n" + _narrow(f"%s{k}", f"%a{k}", width)
        args.append(f"%a{k}")
    return lines, args


def _vector_args(sig: Signature) -> tuple[str, list[str]]:
    lines, args = "", []
    for k, width in enumerate(sig.params):
        lines += (f"  %cp{k} = getelementptr ptr, ptr %cols, i64 {k}\n"
                  f"  %col{k} = load ptr, ptr %cp{k}\n"
                  f"  %ep{k} = getelementptr i64, ptr %col{k}, i64 %c\n"
                  f"  %e{k} = load i64, ptr %ep{k}\n" + _narrow(f"%e{k}", f"%a{k}", width))
        args.append(f"%a{k}")
    return lines, args


def _loop(fn_name: str, params: str, body: str) -> str:
    return f"""define void @{fn_name}({params}, i64 %lo, i64 %n, ptr %out) {{
entry:
  %empty = icmp eq i64 %n, 0
  br i1 %empty, label %exit, label %loop
loop:
  %i = phi i64 [ 0, %entry ], [ %i1, %loop ]
  %c = add i64 %lo, %i
{body}  %i1 = add i64 %i, 1
  %done = icmp eq i64 %i1, %n
  br i1 %done, label %exit, label %loop
exit:
  ret void
}}
"""


def side_wrapper_ir(function: str, sig: Signature, kind: str, locate: bool,
                    suffix: str = "") -> str:
    """The map (or locate) loop around ``@function``, linked into its module.

    ``kind`` is ``sweep`` (inputs decoded from a counter) or ``vec`` (inputs
    read from columns). ``__nsl_map(…, lo, n, out)`` writes f(input lo+i) to
    out[i]; ``__nsl_locate`` calls f one input at a time after a volatile
    store of the input's index to out[0], so a crash leaves the culprit's
    index behind. Only one loop is emitted: compile time is the worker's cost.
    """
    out_t = f"i{sig.out_bits}"
    args_lines, args = _sweep_args(sig) if kind == "sweep" else _vector_args(sig)
    params = "ptr %unused" if kind == "sweep" else "ptr %cols"
    if locate:
        # The callee is reached through a volatile pointer: inlined, a trapping
        # udiv could be hoisted above the index store (UB may travel in time).
        body = ("  store volatile i64 %c, ptr %out\n  %op = getelementptr i64, ptr %out, i64 1\n"
                + _call_and_store(function, sig, args, "%op", True, f"__nsl_target{suffix}"))
        return (_decl(function, sig) + f"\n@__nsl_target{suffix} = global ptr @{function}\n"
                + _loop(f"__nsl_locate{suffix}", params, args_lines + body))
    body = (f"  %op = getelementptr {out_t}, ptr %out, i64 %i\n"
            + _call_and_store(function, sig, args, "%op", False))
    return _decl(function, sig) + "\n" + _loop(f"__nsl_map{suffix}", params, args_lines + body)


def driver_ir(sig: Signature) -> str:
    """The chunk loop: both sides through pointers, differences counted."""
    t = f"i{sig.out_bits}"
    return f"""define i64 @__nsl_count_diff(ptr noalias %a, ptr noalias %b, i64 %n) {{
entry:
  br label %loop
loop:
  %i = phi i64 [ 0, %entry ], [ %i1, %loop ]
  %acc = phi i64 [ 0, %entry ], [ %acc1, %loop ]
  %pa = getelementptr {t}, ptr %a, i64 %i
  %pb = getelementptr {t}, ptr %b, i64 %i
  %va = load {t}, ptr %pa
  %vb = load {t}, ptr %pb
  %ne = icmp ne {t} %va, %vb
  %d = zext i1 %ne to i64
  %acc1 = add i64 %acc, %d
  %i1 = add i64 %i, 1
  %done = icmp uge i64 %i1, %n
  br i1 %done, label %exit, label %loop
exit:
  ret i64 %acc1
}}

; Runs [lo, hi) in chunks; returns the start of the first chunk holding a
; difference, or hi. progress[0] holds the chunk being run.
define i64 @__nsl_drive(ptr %ref_map, ptr %cand_map, ptr %cols, i64 %lo, i64 %hi,
                        i64 %chunk, ptr %buf_a, ptr %buf_b, ptr %progress) {{
entry:
  %none = icmp uge i64 %lo, %hi
  br i1 %none, label %exit_all, label %loop
loop:
  %at = phi i64 [ %lo, %entry ], [ %next, %same ]
  store volatile i64 %at, ptr %progress
  %left = sub i64 %hi, %at
  %small = icmp ult i64 %left, %chunk
  %n = select i1 %small, i64 %left, i64 %chunk
  call void %ref_map(ptr %cols, i64 %at, i64 %n, ptr %buf_a)
  call void %cand_map(ptr %cols, i64 %at, i64 %n, ptr %buf_b)
  %diff = call i64 @__nsl_count_diff(ptr %buf_a, ptr %buf_b, i64 %n)
  %found = icmp ne i64 %diff, 0
  br i1 %found, label %exit_found, label %same
same:
  %next = add i64 %at, %n
  %end = icmp uge i64 %next, %hi
  br i1 %end, label %exit_all, label %loop
exit_found:
  ret i64 %at
exit_all:
  ret i64 %hi
}}
"""
