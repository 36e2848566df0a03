"""Optimise IR text at O3 with llvmlite's new pass manager.

Used to validate LLVM's own optimiser (the property test, the benchmark):
the optimised function must refine — for these inputs, equal — its source.
"""
from __future__ import annotations

from .module_loader import llvm


def optimise_ir(text: str, speed_level: int = 3) -> str:
    """``text`` after the default O``speed_level`` pipeline for the host."""
    binding = llvm()
    module = binding.parse_assembly(text)
    module.verify()
    target = binding.Target.from_default_triple()
    machine = target.create_target_machine(cpu=binding.get_host_cpu_name(),
                                           features=binding.get_host_cpu_features().flatten(),
                                           opt=speed_level)
    module.triple = machine.triple
    module.data_layout = str(machine.target_data)
    tuning = binding.create_pipeline_tuning_options(speed_level=speed_level)
    builder = binding.create_pass_builder(machine, tuning)
    builder.getModulePassManager().run(module, builder)
    module.verify()
    return str(module)
