"""nsl.lang"""
