"""nsl.stdlib"""
