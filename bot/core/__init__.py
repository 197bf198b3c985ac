"""The ground floor: typed values every stage shares, the error tree, config base, clock, retry policy.

It imports nothing of the project; every stage and the shell import from here.
"""
