"""A student's file as the child runs it: the file, then the child-side helpers a family appends."""

from __future__ import annotations


def append_child_code(source: bytes, *names: str) -> bytes:
    """The student's file, then each named child-side helper (``torch_probe``, ``class_glue``, ...) after a gap:
    the student's line numbers and ``from __future__`` imports stay as written."""
    from gradekit.sandbox.child import source as child_source  # read when code is graded, not when specs load

    out = source.rstrip(b"\\ \t\r\n")
    for name in names:
        out += b"\n\n\n" + child_source(name).encode()
    return out
