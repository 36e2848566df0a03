#!/usr/bin/env bash
# The VNNI check of the knn kernels, for a machine whose CPU has AVX-512 VNNI
# or AVX-VNNI (the development VM has neither, so the vpdpbusd kernels have
# only run emulated). It prints the CPU and the variant chosen, runs the JIT
# tests with the CPU's own variant, and measures single queries and batches of
# 64 against faiss (docs/retrieval.md: Benchmark).
#
# For the device machine (Python 3.12, torch/numpy/llvmlite/hypothesis there,
# no lark or faiss, nothing can be fetched there), download the wheels here
# once, into a folder git ignores:
#   echo /.whl/ >> .git/info/exclude
#   python3 -m pip download --no-deps --only-binary=:all: --python-version 3.12 \
#     --implementation cp --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 \
#     --platform manylinux2014_x86_64 -d .whl lark==1.3.1 faiss-cpu==1.15.1
#     (about 20 MB; z3 and prompt_toolkit are not needed for these checks)
# then call the device tool's run with command "bash bench/device_vnni.sh",
# carry [".whl"] and timeout_s 540. Output: stdout and $OUT/vnni.log.
set -o pipefail
log="${OUT:-/tmp}/vnni.log"
{
  if ls .whl/*.whl >/dev/null 2>&1; then
    python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
      --target /tmp/site .whl/*.whl || exit 1
    export PYTHONPATH=/tmp/site
  fi
  python3 -m pip install -q --no-index --no-deps --no-build-isolation --target /tmp/nsl . || exit 1
  export PYTHONPATH="/tmp/nsl${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1
  grep -m1 'model name' /proc/cpuinfo
  grep -o -w 'avx512_vnni\|avx_vnni\|avx512f\|avx512vl' /proc/cpuinfo | sort | uniq -c
  python3 -c "
from nsl.compiler.jit import get_codegen
from nsl.compiler.jit.knn_isa import best_isa, supported_isas
cg = get_codegen()
print('llvm cpu', cg.cpu_name, '| variants', supported_isas(cg.enabled_features),
      '| chosen', best_isa(cg.enabled_features))"
  timeout 180 python3 -m pytest tests/compiler/jit -q -x -p no:cacheprovider -k 'knn' 2>&1 | tail -5
  timeout 300 python3 -m bench knn --sizes 100000,1000000 --dims 128,384 --batches 1,64 \
    --threads 1 --peers nsl,faiss-sq8-direct --min-time 0.5 --clock cpu
} 2>&1 | tee "$log"
