"""nsl.stdlib: standard-library `.nsl` modules (``import std.graph``) and neural builders."""
