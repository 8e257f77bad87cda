"""What went wrong in one call into a student's module: ``gradekit.code.session.CallResult.kind``.

Its own small module, so a family that reads a call's kind does not import the session (and the sandbox)
until it grades code: checking a file of numbers loads the module families but never runs a child.

>>> CallKind("timeout") is CallKind.TIMEOUT, f"{CallKind.NOT_IMPLEMENTED}"
(True, 'not_implemented')
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["CallKind"]


class CallKind(StrEnum):
    """What went wrong in one call (``CallResult.kind``); ``OK`` when nothing did.

    The harness in the child (``gradekit/sandbox/child/harness.py``, which imports nothing of gradekit) sends
    ``NOT_IMPLEMENTED`` to ``DATA`` as plain strings (``session.CHILD_KINDS``), which the parent makes members;
    the parent names ``TIMEOUT`` to ``IMPORT`` itself (and ``DATA`` for a reply it cannot unpack). ``SYNTAX``
    never reaches a caller: a file that cannot be imported is ``IMPORT``, for every call of its session.
    """

    OK = ""
    """The call returned (``ok`` is true): no failure to name."""
    NOT_IMPLEMENTED = "not_implemented"
    """The function raised NotImplementedError: the starter's stub, left as it was."""
    ERROR = "error"
    """The function (or the file's import) raised an exception."""
    EXIT = "exit"
    """The function (or the import) called sys.exit."""
    MEMORY = "memory"
    """The function (or the import) ran out of the child's memory (MemoryError)."""
    MISSING = "missing"
    """The file defines no function of that name."""
    SYNTAX = "syntax"
    """The file does not parse (sent for the import; the caller sees ``IMPORT``)."""
    DATA = "data"
    """The function returned something that cannot be sent back or read: not arrays, tuples, str or None."""
    TIMEOUT = "timeout"
    """The call spent its CPU budget, waited too long without computing, or its check's time was spent."""
    CRASH = "crash"
    """The child died during the call (a signal, os._exit, the kernel's memory killer)."""
    GARBLED = "garbled"
    """The reply was malformed or forged: the student's code wrote to the grader's channel."""
    IMPORT = "import"
    """Importing the file failed (any of the above during the import): every call of the session fails so."""
