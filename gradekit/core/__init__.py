"""The core: the plain records that flow through gradekit, its errors, the family registry and what a
family uses to validate and describe its params.

Imports nothing else of gradekit: every other layer may import it.
"""
