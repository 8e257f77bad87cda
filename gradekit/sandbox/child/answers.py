"""The program an answers.py runs under, in the sandbox child (read as text, never imported).

It must not import gradekit (the child never sees reference answers) and imports
numpy only if the student's file did. The parent fills in __OUTPUT_CAP__ and
__NO_ANSWERS__ before running it.
"""
import io, json, os, sys, traceback, types

_CAP = __OUTPUT_CAP__  # noqa: F821 - a placeholder: the parent writes the output cap here before the run
_FILE = "answers.py"
_RESULT = os.path.join(os.getcwd(), "result.json")
_dumps, _open, _exit, _walk_tb, _urandom = json.dumps, open, os._exit, traceback.walk_tb, os.urandom
_PART_ENTRIES = 200000  # values one part may hold: twice what the parent reads, so it says its own limit
# the token marks a part that cannot be returned; left: its budget (a type comment: no typing here)
_state = {"token": None, "left": None}  # type: dict[str, str | int | None]


class _Capped(io.TextIOBase):
    """print() reaches the real stream up to the cap, then nowhere."""

    def __init__(self, stream):
        self._stream, self._left = stream, _CAP

    def writable(self):
        return True

    def write(self, s):
        if not isinstance(s, str):
            raise TypeError("write() argument must be str, not %s" % type(s).__name__)
        if self._left > 0:
            chunk = s[: self._left]
            self._left -= len(chunk)
            try:
                self._stream.write(chunk)
            except Exception:
                self._left = 0
        return len(s)

    def flush(self):
        try:
            self._stream.flush()
        except Exception:
            pass


class _NoGradekit:
    @staticmethod
    def find_spec(name, path=None, target=None):
        if name.split(".")[0] == "gradekit":
            raise ModuleNotFoundError("answers files cannot import gradekit", name=name)
        return None


class _Reject(Exception):
    pass


def _where(path):
    return path[0] + "".join("[%s]" % _dumps(k, ensure_ascii=False) for k in path[1:])


def _plain(x, path):
    if len(path) > 33:
        raise _Reject("%s is nested more than 32 levels deep" % _where(path[:3]))
    if x is None or isinstance(x, bool):
        return x
    if isinstance(x, str):
        return str(x)
    if isinstance(x, int):
        return int(x)
    if isinstance(x, float):
        return repr(float(x))  # nan, inf, -inf stay text too
    if isinstance(x, (list, tuple)):
        _spend(len(x), path)
        return [_plain(v, path + [i]) for i, v in enumerate(x)]
    if isinstance(x, dict):
        out = {}
        for k, v in x.items():
            if not isinstance(k, str):
                raise _Reject("%s has the key %r; keys must be strings" % (_where(path), k))
            out[str(k)] = _part(v, path + [k]) if _parts_table(path) else _plain(v, path + [k])
        return out
    fractions = sys.modules.get("fractions")
    if fractions is not None and isinstance(x, fractions.Fraction):
        return str(x)
    torch = sys.modules.get("torch")
    if torch is not None and isinstance(x, torch.Tensor):
        x = x.detach().cpu()
        return _plain((x.float() if x.dtype == torch.bfloat16 else x).numpy(), path)
    np = sys.modules.get("numpy")
    if np is not None:
        if isinstance(x, np.ndarray):
            if x.size > 10**6:
                raise _Reject("%s is an array of %d entries, too large" % (_where(path), x.size))
            if x.ndim == 0:
                return _plain(x[()], path)
            return [_plain(v, path + [i]) for i, v in enumerate(x)]
        if isinstance(x, np.bool_):
            return bool(x)
        if isinstance(x, np.integer):
            return int(x)
        if isinstance(x, np.floating):
            return str(x)  # the shortest text for its precision (float32 too)
    kind = type(x)
    what = ("a function" if callable(x) and not isinstance(x, type) else
            "a complex number" if isinstance(x, complex) or kind.__name__.startswith("complex")
            else "a %s" % kind.__name__ if kind.__module__ == "builtins"
            else "an object of type %s.%s" % (kind.__module__, kind.__qualname__))
    raise _Reject("%s is %s, which is not plain data; use numbers, strings, lists, "
                  "dicts, numpy arrays or tensors" % (_where(path), what))


def _spend(n, path):
    if _state["left"] is not None:
        _state["left"] -= n
        if _state["left"] < 0:
            raise _Reject("%s holds more than %d values, too many to read" % (_where(path[:3]), _PART_ENTRIES))


def _parts_table(path):
    """ANSWERS["q3.2"], ANSWERS[0]["answers"] or ANSWERS["answers"]: a problem's {part: answer}."""
    return _state["left"] is None and path[0] == "ANSWERS" and (
        (len(path) == 2 and isinstance(path[1], str)) or (len(path) == 3 and path[2] == "answers"))


def _part(x, path):
    """One answer (ANSWERS[problem][part]): what cannot be returned costs only this part, marked with
    the token and the reason, never the whole file."""
    _state["left"] = _PART_ENTRIES
    try:
        return _plain(x, path)
    except _Reject as e:
        return {_state["token"]: str(e)}
    except RecursionError:
        return {_state["token"]: "%s is nested too deeply" % _where(path)}
    finally:
        _state["left"] = None


def _finish(payload):
    for out in (sys.stdout, sys.stderr):
        out.flush()
    try:
        data = _dumps(payload, ensure_ascii=False, allow_nan=False)
        with _open(_RESULT, "w", encoding="utf-8") as f:
            f.write(data)
    except Exception as e:
        # EFBIG: the result file met the file-size limit, so what ANSWERS holds is too much to hand back
        why = ("they are too large to hand back" if isinstance(e, OSError) and e.errno == 27 else
               type(e).__name__)
        with _open(_RESULT, "w", encoding="utf-8") as f:
            f.write(_dumps({"ok": False, "kind": "result", "error": "the answers cannot be returned (%s)" % why}))
    _exit(0)


def _fail(kind, error, line=None):
    _finish({"ok": False, "kind": kind, "error": error, "line": line})


def _line(tb):
    line = None
    for frame, lineno in _walk_tb(tb):
        if frame.f_code.co_filename == _FILE:
            line = lineno
    return line


sys.stdout, sys.stderr = _Capped(sys.stdout), _Capped(sys.stderr)
sys.meta_path.insert(0, _NoGradekit)
sys.argv = [_FILE]
_module = types.ModuleType("answers")
_module.__file__ = _FILE
sys.modules["answers"] = _module
_g = _module.__dict__
try:
    with _open(_FILE, "rb") as _f:
        exec(compile(_f.read(), _FILE, "exec", dont_inherit=True), _g)
except SystemExit as e:
    if e.code not in (None, 0):
        _fail("exit", "called sys.exit(%r)" % (e.code,))
    if "ANSWERS" not in _g:
        _fail("exit", "called sys.exit(%r) before setting ANSWERS" % (e.code,))
except MemoryError as e:
    _fail("memory", "ran out of memory", _line(e.__traceback__))
except BaseException as e:
    try:
        text = str(e).strip().splitlines()
        message = type(e).__name__ + (": " + text[0] if text else "")
    except BaseException:
        message = type(e).__name__
    line = _line(e.__traceback__)
    _fail("error", ("line %d: " % line if line else "") + message[:300])

if "ANSWERS" not in _g:
    _fail("missing", "__NO_ANSWERS__")
_state["token"] = "unreadable:" + _urandom(12).hex()  # drawn after the student's code ran: it cannot forge one
try:
    _finish({"ok": True, "unreadable": _state["token"], "answers": _plain(_g["ANSWERS"], ["ANSWERS"]),
             "assignment": _plain(_g.get("ASSIGNMENT"), ["ASSIGNMENT"]),
             "student": _plain(_g.get("STUDENT"), ["STUDENT"])})
except _Reject as e:
    _fail("data", str(e))
except MemoryError:
    _fail("memory", "ran out of memory")
except RecursionError:
    _fail("data", "ANSWERS is nested too deeply")
except Exception as e:
    _fail("data", "ANSWERS cannot be read: %s: %s" % (type(e).__name__, e))
