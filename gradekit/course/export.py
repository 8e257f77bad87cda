"""Gradescope's "Export Submissions" folder: who submitted each ``submission_<id>/``, from its metadata.

``submission_metadata.yml`` is YAML as Ruby writes it: symbol-like keys, and the names students
type for themselves (Gradescope's own SIDs and emails beside them)::

    submission_123:
      :submitters:
      - :name: Ada Lovelace
        :sid: '1001'
        :email: ada@x.edu

It is read with a YAML parser (PyYAML's safe loader, bounded in size), never line by line: a name
whose second line reads ``:sid: '1001'`` is a name. A student's identity is the first submitter's
``:sid:``, else ``:email:``, else the submission's id; the name is kept for people to read and
decides nothing.

>>> Submitter(name="Ada", sid="", email="ada@x.edu").identity("submission_1")
'ada@x.edu'
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from gradekit.core.errors import SubmissionError

METADATA = "submission_metadata.yml"
MAX_METADATA_BYTES = 64 * 2**20  # a large class's export with every result in it stays far below


@dataclass(frozen=True)
class Submitter:
    """The first submitter of one submission, as the metadata gives them (empty where it gives nothing)."""

    name: str = ""
    sid: str = ""
    email: str = ""
    submitted: str = ""  # the submission's ``:created_at:``, ISO 8601 ('' when the metadata gives none)

    def identity(self, submission: str) -> str:
        """The student's id: the SID, else the email, else ``submission`` (the folder's name); never the name."""
        return self.sid or self.email or submission


def read_metadata(folder: Path) -> dict[str, Submitter]:
    """``submission_<id>`` -> its first submitter, from ``folder``'s metadata; {} when the folder has none.

    Raises ``SubmissionError`` (the instructor's bad input) for a file over the size bound or not YAML.
    """
    path = folder / METADATA
    if not path.is_file():
        return {}
    with open(path, "rb") as f:
        data = f.read(MAX_METADATA_BYTES + 1)
    if len(data) > MAX_METADATA_BYTES:
        raise SubmissionError(f"{path}: larger than {MAX_METADATA_BYTES / 2**20:g} MiB; "
                              "is this Gradescope's export metadata?")
    tree = _parse(path, data)
    if tree is None:
        return {}
    if not isinstance(tree, dict):
        raise SubmissionError(f"{path}: not a mapping of submissions (found {type(tree).__name__})")
    return {str(key): replace(_first_submitter(entry), submitted=_created_at(entry)) for key, entry in tree.items()}


def _parse(path: Path, data: bytes) -> Any:
    import yaml

    try:
        return yaml.load(data, Loader=_loader())  # a safe loader: plain data only, never objects
    except yaml.YAMLError as e:
        raise SubmissionError(f"{path}: not YAML ({' '.join(str(e).split())[:200]})") from None
    except RecursionError:
        raise SubmissionError(f"{path}: nested too deeply to be Gradescope's export metadata") from None


def _first_submitter(entry: Any) -> Submitter:
    submitters = entry.get(":submitters") if isinstance(entry, dict) else None
    first = submitters[0] if isinstance(submitters, list) and submitters else None
    if not isinstance(first, dict):
        return Submitter()
    return Submitter(**{field: _text(first.get(f":{field}")) for field in ("name", "sid", "email")})


def _created_at(entry: Any) -> str:
    """``:created_at: 2026-12-01 23:59:59.123456 -0800`` as ISO 8601 ('' when absent or not a time)."""
    raw = _text(entry.get(":created_at")) if isinstance(entry, dict) else ""
    m = re.fullmatch(r"(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2})(?:\.\d+)?\s*(Z|[+-]\d{2}:?\d{2})?", raw)
    if m is None:
        return ""
    zone = m[3] or ""
    if zone and zone != "Z" and ":" not in zone:
        zone = f"{zone[:3]}:{zone[3:]}"
    try:
        return datetime.fromisoformat(f"{m[1]}T{m[2]}{zone.replace('Z', '+00:00')}").isoformat()
    except ValueError:
        return ""


def _text(value: Any) -> str:
    """A scalar as text ('' for none); anything else (a list, a mapping) is not a name or an id."""
    return value.strip() if isinstance(value, str) else ""


@functools.cache
def _loader() -> type:
    """PyYAML's safe loader (libyaml's when built with it) where every scalar stays the text it was
    written as (``:sid: 0123`` is "0123", not the octal 83) and Ruby's tags (``!ruby/hash:...``)
    are read as the plain mapping, list or text they tag."""
    import yaml

    base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

    class TextLoader(base):  # type: ignore[misc, valid-type]
        pass

    def as_text(loader: Any, node: Any) -> str:
        return loader.construct_scalar(node)

    def untagged(loader: Any, node: Any) -> Any:
        if isinstance(node, yaml.MappingNode):
            return loader.construct_mapping(node, deep=True)
        if isinstance(node, yaml.SequenceNode):
            return loader.construct_sequence(node, deep=True)
        return loader.construct_scalar(node)

    for tag in ("int", "float", "bool", "timestamp"):
        TextLoader.add_constructor(f"tag:yaml.org,2002:{tag}", as_text)
    TextLoader.add_constructor(None, untagged)  # any tag the safe loader does not know
    return TextLoader
