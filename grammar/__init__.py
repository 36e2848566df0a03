"""nsl.grammar"""
