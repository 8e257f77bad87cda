"""The number reader's former address, kept for family plug-ins whose ``verify`` reads a raw answer with it.

The reader is ``gradekit.core.reader.numbers`` (the answer language, one reader for intake and the checkers).
"""

from gradekit.core.reader.numbers import (AnswerFormatError, Numeric, NumberTooLarge, parse_array, parse_bool,
                                          parse_integer, parse_numeric, parse_shape)

__all__ = ["AnswerFormatError", "Numeric", "NumberTooLarge", "parse_array", "parse_bool", "parse_integer",
           "parse_numeric", "parse_shape"]
