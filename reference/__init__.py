"""The math behind the catalog.

``families/`` holds one module per exercise family (NumPy): ``solve(params)``
returns the answers and the worked steps from the same numbers.
"""
