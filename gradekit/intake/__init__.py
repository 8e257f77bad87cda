"""Reading submissions: answers files (.json, .toml, .py run in the sandbox) and notebooks, into plain
data; what a written answer says is read by the answer language, ``gradekit.core.reader``.

Imports ``gradekit.core``, ``gradekit.sandbox`` and ``gradekit.code``.
"""
