"""Text a student controls, made safe for where people read it: a terminal, a log, a spreadsheet.

A student writes exception messages, what a crashing child last printed, notebook lines, file
names and the display name a Gradescope export carries. In a terminal (or a log later ``cat``),
an escape sequence in such text is obeyed, not shown: OSC 0 retitles the window, OSC 8 hides a
link, CSI 2K erases the line and draws a fake green total over it; bidi overrides reorder what
the reader sees. In a spreadsheet, a cell that starts with ``=`` is a formula. So every such
string is shown through ``printable`` (each control character written as a visible escape), cells
go through ``spreadsheet_cell``, and a name is ``shortened`` for display (never for identity).

>>> printable("boom\\x1b]0;owned\\x07")
'boom\\\\x1b]0;owned\\\\x07'
>>> spreadsheet_cell('=HYPERLINK("http://x")')
'\\'=HYPERLINK("http://x")'
"""

from __future__ import annotations

import re
from typing import Any

# C0 controls, DEL and C1 controls (0x9b is a one-byte CSI to many terminals); the bidi embeddings,
# overrides and isolates; the marks, separators and zero-width characters that move or hide text.
_FORMATTING = "\u061c\u200b-\u200f\u2028\u2029\u202a-\u202e\u2060-\u2069\ufeff"
_ONE_LINE = re.compile(f"[\x00-\x1f\x7f-\x9f{_FORMATTING}]")
_BLOCK = re.compile(f"[\x00-\x08\x0b-\x1f\x7f-\x9f{_FORMATTING}]")  # newline and tab kept
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}

# OWASP's CSV injection rule: a cell a spreadsheet would read as a formula starts with one of these.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
DISPLAY_CHARS = 80  # a name longer than this is shortened where people read it


def _escape(match: re.Match[str]) -> str:
    ch = match.group()
    code = ord(ch)
    return _NAMED.get(ch) or (f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")


def printable(text: Any, *, multiline: bool = False) -> str:
    """``text`` with every control, bidi and invisible formatting character written as its escape.

    One line stays one line (``\\n`` shown as ``\\n``), so a message cannot forge the line below
    it; ``multiline=True`` keeps newlines and tabs, for blocks shown as blocks.

    >>> printable("a\\u202eb\\nc"), printable("a\\nb\\tc", multiline=True)
    ('a\\\\u202eb\\\\nc', 'a\\nb\\tc')
    """
    return (_BLOCK if multiline else _ONE_LINE).sub(_escape, str(text))


def spreadsheet_cell(value: Any) -> Any:
    """A CSV cell no spreadsheet runs: text that starts like a formula gets a leading ``'``; numbers as they are.

    Text that is quotes then a formula (``'=x``) gets one too, so ``spreadsheet_text`` can tell the quote
    added from one the text had: ``'=x`` and ``=x`` stay two cells.

    >>> spreadsheet_cell("-2+3"), spreadsheet_cell(-2), spreadsheet_cell("ada"), spreadsheet_cell("'=x")
    ("'-2+3", -2, 'ada', "''=x")
    """
    if not isinstance(value, str):
        return value
    if value.lstrip("'").startswith(FORMULA_STARTS):
        value = "'" + value
    return printable(value)


def spreadsheet_text(cell: str) -> str:
    """The text ``spreadsheet_cell`` wrote as ``cell``: the quote it added taken off, any other quote kept.

    A file gradekit writes and reads back (manual.csv) gives back exactly the ids it was given.

    >>> spreadsheet_text("'-2+3"), spreadsheet_text("'bob"), spreadsheet_text("''=x")
    ('-2+3', "'bob", "'=x")
    """
    added = cell.startswith("'") and cell.lstrip("'").startswith(FORMULA_STARTS)
    return cell[1:] if added else cell


def shortened(text: str, limit: int = DISPLAY_CHARS) -> str:
    """``text`` cut to ``limit`` characters with an ellipsis, for display only.

    >>> shortened("A" * 100, 10)
    'AAAAAAAAA…'
    """
    return text if len(text) <= limit else text[: limit - 1] + "…"
