"""Checkers: one per part kind, each ``check(expected, raw, ctx) -> Outcome``.

A checker never recomputes the math: it gets the family's exact answer for the
part, the student's raw answer, and the context (the part's options, the
family's mistakes for this part, the student's other answers for cross-part
properties). It says where and by how much an answer is wrong.

``kinds.py`` declares every part kind once (its options and its checker, imported on
first use); ``context.py`` is what a checker is handed; ``expr/`` judges formulas (equal on
drawn instances, proved, or a named edit of the reference). What an answer says is read by
``gradekit.core.reader``, the one reader of the answer language. Imports ``gradekit.core`` only:
never ``gradekit.intake``.
"""
