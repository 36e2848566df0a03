"""Small pieces of hand-written LLVM IR text shared by the kernel generators."""
from __future__ import annotations


def counted_loop(label: str, var: str, first: str, entry: str, latch: str, bound,
                 body: str, done: str, phis: tuple[str, ...] = ()) -> str:
    """The head block ``label`` of ``for (var = first; var < bound; )`` (signed
    i64): entered from block ``entry``, re-entered from block ``latch`` with
    ``%{var}_next``, branching to ``body`` or ``done``; ``phis``: more phi
    instructions of the head (loop-carried values)."""
    return "".join([f"{label}:\n",
                    f"  %{var} = phi i64 [{first}, %{entry}], [%{var}_next, %{latch}]\n",
                    *(f"  {phi}\n" for phi in phis),
                    f"  %{var}_more = icmp slt i64 %{var}, {bound}\n",
                    f"  br i1 %{var}_more, label %{body}, label %{done}\n"])
