"""Code problems, grader side: the interface a student's module must define (``spec``), the session
that calls it in a boxed child, property checks on what it returns, starter files.

Imports ``gradekit.core`` and ``gradekit.sandbox``.
"""
