"""nsl.grammar: the LALR grammar of NSL (``nsl.lark``), shipped as package data."""
