"""A whole class: batch grading of a folder of submissions, and Gradescope autograder bundles.

Imports every layer before it, up to ``grading``.
"""
