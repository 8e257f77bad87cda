"""Built-in family modules; every module here defines ``FAMILIES`` (see gradekit.core.families)."""
