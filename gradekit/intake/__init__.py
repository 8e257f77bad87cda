"""Reading submissions: answers files (.json, .toml, .py run in the sandbox), notebooks, and a
student's written answer as numbers (arithmetic, pasted reprs, LaTeX).

Imports ``gradekit.core``, ``gradekit.sandbox`` and ``gradekit.code``.
"""
