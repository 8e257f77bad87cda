"""What a grade or a key looks like outside: the ``Report`` (a graded submission as data), the
terminal (rich), Gradescope's results.json, answer keys, starter answers files.

Grading fills a Report; these modules only show it. Imports the layers before it: ``core``,
``sandbox``, ``code``, ``intake``, ``check``, ``spec``.
"""
