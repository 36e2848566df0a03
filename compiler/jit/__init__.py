"""nsl.compiler.jit: llvmlite code generation for hot loops (see README.md).

``codegen`` holds the per-process target machine and the ``Library`` objects;
``knn_*`` modules generate the quantized-scan kernels. Nothing here imports
llvmlite at module import time.
"""
from nsl.compiler.jit.codegen import Codegen, Library, get_codegen, llvm_available

__all__ = ["Codegen", "Library", "get_codegen", "llvm_available"]
