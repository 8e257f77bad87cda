"""gradekit: checks machine-learning homework against reference solutions.

>>> import gradekit
>>> report = gradekit.grade("answers.json")        # doctest: +SKIP
>>> report.score, report.max_score                   # doctest: +SKIP
"""

__version__ = "0.1.0"
