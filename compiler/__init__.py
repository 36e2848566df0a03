"""nsl.compiler"""
