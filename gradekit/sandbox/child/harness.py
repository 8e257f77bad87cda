"""The child side of a module session: import the student's file, then serve calls.

Run as ``python -I -c <this file's text> REQ_FD RESP_FD FILE MODULE OUTPUT_CAP`` by
``gradekit.code.session``; never imported by the parent. It must not import
gradekit (a meta-path hook refuses it), so no reference is within its reach.
Frames both ways: a 4-byte big-endian header length, a JSON header, then the
raw ``.npy`` bytes the header counts. Values go back as ``.npy`` only
(``allow_pickle=False``), numbers only: objects, object arrays and anything
that could unpickle are refused here and again in the parent.

What in-process student code can and cannot do to this channel. The student's
module runs in this interpreter, so it can always reach anything here: walk the
frames up to ``_serve``, read memory with ctypes, or simply write to every
descriptor it can find in /proc/self/fd. Nothing in this file can stop that;
what it does is keep the channel out of every *namespace* the student's code is
given (no module globals: the descriptors and ``send`` live in closures made
before the student's file is imported, ``import __main__`` finds none of them),
move the descriptors to high numbers with close-on-exec (a program the student
starts does not inherit them), and stamp every reply with the session's nonce,
which arrives in the first request (never in argv or the environment), and the
request's sequence number. The parent therefore trusts a reply for nothing but
that one call's return value — which a student can forge anyway by returning
it — and validates every reply's framing strictly: a malformed or forged reply is
the student's failure for that call, never a grader error and never "no answer".
"""
import io, json, os, struct, sys, types

# Bound once, before the student's code runs, so patching os/json/numpy cannot reroute the protocol.
_CAP = -1
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


def _high(fd):
    """``fd`` moved to a high number, close-on-exec, the original closed: not 3 or 4 for a guess."""
    import resource
    soft = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    top = 4096 if soft == resource.RLIM_INFINITY else min(soft, 4096)
    for target in range(top - 1, fd, -1):
        try:
            os.fstat(target)
        except OSError:  # free
            os.dup2(fd, target, inheritable=False)
            os.close(fd)
            return target
    os.set_inheritable(fd, False)
    return fd


def _channel(req, resp):
    """(receive, send) over the two pipes, closed over their descriptors: no name anyone can rebind.

    ``send(header, blobs, stamp)`` writes one reply; ``stamp`` is the (nonce, seq) of the request it answers.
    """
    def exact(n):
        out = b""
        while _len(out) < n:
            chunk = _read(req, n - _len(out))
            if not chunk:
                os._exit(0)  # the parent is gone
            out += chunk
        return out

    def receive():
        (n,) = _H.unpack(exact(4))
        header = _loads(exact(n))
        blobs = [exact(a["npy"]) if "npy" in a else None for a in header.get("args", ())]
        return header, blobs

    def send(header, blobs, stamp):
        data = b"".join(blobs)
        header["bytes"] = _len(data)
        header["output"] = _out.take()
        header["nonce"], header["seq"] = stamp
        head = _dumps(header, allow_nan=False).encode()
        view = memoryview(_H.pack(_len(head)) + head + data)
        while view:
            view = view[_write(resp, view):]

    return receive, send


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
    global _out, _FILE, _NAME, _CAP
    receive, send = _channel(_high(int(argv[1])), _high(int(argv[2])))
    _FILE, _NAME, _CAP = argv[3], argv[4], int(argv[5])
    sys.meta_path.insert(0, _NoGradekit)
    _out = _Capture()
    sys.stdout = sys.stderr = _out
    sys.argv = [_FILE]
    module = types.ModuleType(_NAME)
    module.__file__ = _FILE
    sys.modules[_NAME] = module
    nonce = None
    while True:
        req, blobs = receive()
        if nonce is None:
            nonce = req["nonce"]  # the first request, read before any of the student's code runs
        stamp = (nonce, req["seq"])
        if req["op"] == "import":
            try:
                with open(_FILE, "rb") as f:
                    exec(compile(f.read(), _FILE, "exec", dont_inherit=True), module.__dict__)
                send({"ok": True}, (), stamp)
            except SyntaxError as e:
                send({"ok": False, "kind": "syntax", "error": "importing the file failed: SyntaxError at line %s: %s"
                      % (e.lineno, e.msg)}, (), stamp)
            except _BaseException as e:
                send(_failure(e, "importing the file"), (), stamp)
            continue
        name = req["name"]
        fn = module.__dict__.get(name)
        if not callable(fn):
            send({"ok": False, "kind": "missing", "error": "the file defines no function %s" % name}, (), stamp)
            continue
        args = [_load(io.BytesIO(b), allow_pickle=False) if b is not None else a.get("json")
                for a, b in zip(req["args"], blobs)]
        try:
            value = fn(*args)
        except _BaseException as e:
            send(_failure(e, name), (), stamp)
            continue
        try:
            pieces = []
            spec = _pack(value, pieces)
            send({"ok": True, "value": spec}, pieces, stamp)
        except _Bad as e:
            send({"ok": False, "kind": "data", "error": str(e)}, (), stamp)
        except _BaseException as e:
            send({"ok": False, "kind": "data", "error": "the value cannot be returned: %s" % _message(e)}, (), stamp)


if __name__ == "__main__":
    _serve(sys.argv)
