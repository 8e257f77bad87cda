"""What a grade or a key looks like outside: the terminal (rich), Gradescope's results.json, answer
keys, starter answers files.

Imports the layers below it, up to ``grading``.
"""
