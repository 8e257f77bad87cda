"""The child side of a module session: import the student's file, then serve calls.

Run as ``python -I -c <this file's text> REQ_FD RESP_FD FILE MODULE OUTPUT_CAP`` by
``gradekit.code.session``; never imported by the parent. It must not import
gradekit (a meta-path hook refuses it), so no reference is within its reach.
Frames both ways: a 4-byte big-endian header length, a JSON header, then the
raw ``.npy`` bytes the header counts. Values go back as ``.npy`` only
(``allow_pickle=False``), numbers only: objects, object arrays and anything
that could unpickle are refused here and again in the parent.
"""
import io, json, os, struct, sys, types

# Bound once, before the student's code runs, so patching os/json/numpy cannot reroute the protocol.
_REQ = _RESP = _CAP = -1
_FILE = _NAME = ""
_read, _write, _H, _dumps, _loads = os.read, os.write, struct.Struct(">I"), json.dumps, json.loads
_BaseException, _isinstance, _len = BaseException, isinstance, len
import numpy as _np
_save, _load, _ndarray, _asarray = _np.save, _np.load, _np.ndarray, _np.asarray
_MAX = 64 * 2**20


class _NoGradekit:
    @staticmethod
    def find_spec(name, path=None, target=None):
        if name.split(".")[0] == "gradekit":
            raise ModuleNotFoundError("graded code cannot import gradekit", name=name)
        return None


class _Capture(io.TextIOBase):
    """print() is kept up to the cap for the report, the rest dropped."""
    def __init__(self):
        self.parts, self.left = [], _CAP
    def writable(self):
        return True
    def write(self, s):
        s = str(s)
        if self.left > 0:
            self.parts.append(s[: self.left])
            self.left -= _len(self.parts[-1])
        return _len(s)
    def take(self):
        text, self.parts, self.left = "".join(self.parts), [], _CAP
        return text[:4000]


class _Bad(Exception):
    pass


def _exact(n):
    out = b""
    while _len(out) < n:
        chunk = _read(_REQ, n - _len(out))
        if not chunk:
            os._exit(0)  # the parent is gone
        out += chunk
    return out


def _send(header, blobs=()):
    data = b"".join(blobs)
    header["bytes"] = _len(data)
    header["output"] = _out.take()
    head = _dumps(header, allow_nan=False).encode()
    view = memoryview(_H.pack(_len(head)) + head + data)
    while view:
        view = view[_write(_RESP, view):]


def _pack(x, blobs, depth=0):
    if depth > 6:
        raise _Bad("the value is nested too deeply")
    if x is None or _isinstance(x, str):
        return {"json": x if x is None else x[:1000]}
    if _isinstance(x, (tuple, list)):
        if _len(x) > 10000:
            raise _Bad("a list of %d items is too long" % _len(x))
        return {"seq": [_pack(v, blobs, depth + 1) for v in x]}
    torch = sys.modules.get("torch")
    if torch is not None and _isinstance(x, torch.Tensor):
        x = x.detach().cpu().float().numpy() if x.is_floating_point() else x.detach().cpu().numpy()
    if _isinstance(x, _ndarray):
        arr = _np.array(x, subok=False, copy=True)  # plain data: a subclass's overrides are gone
    elif _isinstance(x, (bool, int, float, _np.generic)):
        arr = _asarray(x)
    else:
        kind = type(x)
        raise _Bad("returned an object of type %s.%s, not an array or a number"
                   % (kind.__module__, kind.__qualname__))
    if arr.dtype.kind not in "biuf":
        raise _Bad("returned an array of dtype %s; only numbers can be graded" % arr.dtype)
    if arr.nbytes + sum(_len(b) for b in blobs) > _MAX:
        raise _Bad("returned more than %d MiB of arrays" % (_MAX // 2**20))
    buf = io.BytesIO()
    _save(buf, arr, allow_pickle=False)
    blobs.append(buf.getvalue())
    return {"npy": _len(blobs[-1])}


def _message(e):
    try:
        text = str(e).strip().splitlines()
        return (type(e).__name__ + (": " + text[0] if text else ""))[:300]
    except _BaseException:
        return type(e).__name__


def _failure(e, what):
    if _isinstance(e, SystemExit):
        return {"ok": False, "kind": "exit", "error": "%s called sys.exit(%r)" % (what, e.code)}
    if _isinstance(e, MemoryError):
        return {"ok": False, "kind": "memory", "error": "%s ran out of memory" % what}
    if _isinstance(e, NotImplementedError):
        return {"ok": False, "kind": "not_implemented", "error": "not implemented"}
    return {"ok": False, "kind": "error", "error": "%s raised %s" % (what, _message(e))}


def _serve(argv):
    global _out, _REQ, _RESP, _FILE, _NAME, _CAP
    _REQ, _RESP, _FILE, _NAME, _CAP = int(argv[1]), int(argv[2]), argv[3], argv[4], int(argv[5])
    sys.meta_path.insert(0, _NoGradekit)
    _out = _Capture()
    sys.stdout = sys.stderr = _out
    sys.argv = [_FILE]
    _module = types.ModuleType(_NAME)
    _module.__file__ = _FILE
    sys.modules[_NAME] = _module
    while True:
        (_n,) = _H.unpack(_exact(4))
        _req = _loads(_exact(_n))
        _blobs = []
        for _a in _req.get("args", ()):
            _blobs.append(_exact(_a["npy"]) if "npy" in _a else None)
        if _req["op"] == "import":
            try:
                with open(_FILE, "rb") as _f:
                    exec(compile(_f.read(), _FILE, "exec", dont_inherit=True), _module.__dict__)
                _send({"ok": True})
            except SyntaxError as e:
                _send({"ok": False, "kind": "syntax", "error": "importing the file failed: SyntaxError at line %s: %s"
                       % (e.lineno, e.msg)})
            except _BaseException as e:
                _send(_failure(e, "importing the file"))
            continue
        _name = _req["name"]
        _fn = _module.__dict__.get(_name)
        if not callable(_fn):
            _send({"ok": False, "kind": "missing", "error": "the file defines no function %s" % _name})
            continue
        _args = [_load(io.BytesIO(b), allow_pickle=False) if b is not None else a.get("json")
                 for a, b in zip(_req["args"], _blobs)]
        try:
            _value = _fn(*_args)
        except _BaseException as e:
            _send(_failure(e, _name))
            continue
        try:
            _pieces = []
            _spec = _pack(_value, _pieces)
            _send({"ok": True, "value": _spec}, _pieces)
        except _Bad as e:
            _send({"ok": False, "kind": "data", "error": str(e)})
        except _BaseException as e:
            _send({"ok": False, "kind": "data", "error": "the value cannot be returned: %s" % _message(e)})


if __name__ == "__main__":
    _serve(sys.argv)
