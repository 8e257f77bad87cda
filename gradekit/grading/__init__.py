"""Grading: one submission against the catalog's solutions, answers or code, into a ``Report``.

``grade.py`` is the one place that decides what a file holds. Imports every layer before it,
up to ``output`` (the Report it fills).
"""
