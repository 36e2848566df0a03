"""nsl.runtime"""
