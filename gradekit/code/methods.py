"""The parent's side of ``class_glue``: append it to a student's file, call one method, write a class's starter.

Handout classes (cs37300-hw4's ``PyTorchANN``, ``PyTorchCNN``) are graded
method by method by the family ``module.torch_handout``, with these three pieces.

>>> print(class_stub("class Net:", "A net.", [{"name": "Net.f", "signature": "Net.f(x)", "doc": "f."}]))
class Net:
    \"\"\"A net.\"\"\"
<BLANKLINE>
    def f(self, x):
        \"\"\"f.
        \"\"\"
        raise NotImplementedError
<BLANKLINE>
"""

from __future__ import annotations

import dataclasses
from typing import Any, Mapping, Sequence

from gradekit.code.session import CallResult
from gradekit.code.wrap import append_child_code

__all__ = ["wrap_source", "call_method", "class_stub", "class_stubs"]

# what a failing request ran, in the student's words
_WHAT = {"attributes": "__init__", "fit": "train/predict"}
_GLUE_RAISED = "_gk_method raised "


def wrap_source(source: bytes) -> bytes:
    """The student's file with ``class_glue`` appended (a module spec's ``wrap_source``)."""
    return append_child_code(source, "class_glue")


def call_method(session, cls: str, op: str, ctor: Sequence[Any], weights: Sequence[Any] = (), data: Sequence[Any] = (),
                timeout: float = 20.0, *, retry: bool = False, **kw: Any) -> CallResult:
    """``op`` on a fresh ``cls(*ctor)`` in the child, holding ``weights``; its failure names the student's method.

    ``timeout`` is CPU seconds (see ``ModuleSession.call``); ``retry`` runs a call over it once more before
    the overrun counts (a time budget that costs points).
    """
    request = {"class": cls, "args": list(ctor), "op": op, "weights": len(weights), "kw": kw}
    if op == "attributes":
        request["names"] = kw.pop("names")
    r = session.call("_gk_method", request, *weights, *data, timeout=timeout, retry=retry)
    if not r.ok and r.message.startswith(_GLUE_RAISED):
        what = f"{cls}.{kw.get('method') or _WHAT.get(op, op)}"
        r = dataclasses.replace(r, message=f"{what} raised {r.message[len(_GLUE_RAISED):]}")
    return r


def class_stub(header: str, doc: str, callables: Sequence[Mapping[str, Any]], init_first: str = "",
               tail: Sequence[str] = ()) -> str:
    """A class's starter: each ``Class.method`` callable as a method with its docstring, ``raise NotImplementedError``.

    ``init_first`` is a line ``__init__`` runs before raising (``super().__init__()``); ``tail`` are lines
    added at the end (a method the handout supplies). Callables named by the class alone (the overall
    test) are not methods and are skipped.
    """
    lines = [header, f'    """{doc}"""', ""]
    for c in callables:
        _, _, method = c["name"].partition(".")
        if not method:
            continue
        sig = c["signature"]
        args = sig[sig.index("(") + 1: -1].strip()
        text = str(c.get("doc", "")).strip().replace('"""', "'''").replace("\n", "\n        ")
        body = ([init_first] if method == "__init__" and init_first else []) + ["raise NotImplementedError"]
        lines += [f"    def {method}(self{', ' + args if args else ''}):", f'        """{text}', '        """',
                  *(f"        {b}" for b in body), ""]
    lines += list(tail)
    return "\n".join(lines).rstrip() + "\n"


def class_stubs(callables: Sequence[Mapping[str, Any]], stub: str) -> dict[str, str]:
    """The ``stubs`` a module spec carries: the whole class under the first callable, "" for the rest."""
    names = [c["name"] for c in callables]
    return {name: (stub if i == 0 else "") for i, name in enumerate(names)}
