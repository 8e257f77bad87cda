"""Grading: one submission against the catalog's solutions, answers or code, into a ``Report``.

Imports the layers below it: ``core``, ``sandbox``, ``code``, ``intake``, ``check``, ``spec``.
"""
