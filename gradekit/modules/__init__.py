"""Module submissions: a student's .py file of functions, graded by property tests in a boxed child.

``spec`` reads a code problem's interface, ``child`` runs the student's file,
``props`` compares outputs and runs hypothesis, ``grade`` turns checks into a
``Report``, ``starter`` writes the file a student starts from.
"""
