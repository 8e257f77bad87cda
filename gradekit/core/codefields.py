"""The words of a code problem's spec (a ``[code]`` table beside the course's starter and solution), known to
the catalog without loading the code layer: an answers check stays as light as before.

The family that grades such a spec is the engine's ``code`` (``gradekit.code.generated``).
"""

CODE_FAMILY = "code"
CODE_FIELDS = frozenset({"file", "starter", "solution", "library", "inputs_as", "dims", "inputs", "batch", "cases",
                         "edges", "timeout", "preamble"})
# the options of a part of a code problem, beside those of every function part (rtol, atol, timeout, partial)
TEST_OPTIONS = frozenset({"steps", "compare", "load", "structure", "factors", "train", "stand_in", "gradcheck", "edges",
                          "fit", "variants"})
MAX_CODE_FILE_BYTES = 2**20  # a starter or a solution: the course's own files
