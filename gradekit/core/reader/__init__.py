"""The answer language: one reader for what students write, used by intake and the checkers alike.

Numbers with the digits written, arithmetic and closed forms, shapes, lists and LaTeX matrices
(``numbers``), formulas and relations in declared symbols (``lexer``, ``bars``, ``parser``, ``nodes``,
``shapes``), every one read under the bounds of ``bounds`` (docs/bounds.md, "The answer language");
``arith`` gives a formula of numbers its exact value with sympy. Nothing is evaluated with ``eval``.
A refusal is an ``UnreadableAnswer`` that says where and why.

Imports only ``gradekit.core``: every layer above may read an answer.
"""
