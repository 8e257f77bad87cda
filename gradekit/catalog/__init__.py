"""The catalog: problem specs loaded and validated, per-student variants, ``gradekit validate``, the
families' documentation and the starting files written from it.

Imports the layers before it: ``core``, ``sandbox``, ``code``, ``intake``, ``check``.
"""
