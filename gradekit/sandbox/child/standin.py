# The text of this file is appended to a module (a student's, or the course's solution) after scenario.py and
# runs in the boxed child, never in the parent: no `from __future__`, no relative imports, no gradekit imports,
# and every name starts with `_gk_`.
"""Stand-ins and finite differences for a code problem's scenario (``gradekit/sandbox/child/scenario.py``).

Stand-ins grade each function on its own. In the solution's child, ``_gk_stand_ins(module, names, None)``
wraps the module's functions ``names`` so that every call is recorded: a digest of its arguments and the
value it returned (a method, ``Class.method``, is known by its arguments alone, the instance left out). In the student's child the same call, ``_gk_stand_ins(module, names, table)``, wraps the
student's functions so that a call whose arguments the solution's run met returns the solution's value:
the student's ``train`` that calls their own wrong ``DNNbackward`` is judged with the solution's. The
solution's code never enters the student's child, only its values on this test's inputs. Where the student's
own function returns the same numbers in another layout (a transpose), or something of another structure
that the student's other code expects (a cache of its own), the student's own value is kept.

A value may be a network: an ``nn.Sequential`` of torch.nn's own layers travels as a description (each
layer's class name and constructor values, then the state_dict's arrays, taken when the call returned) and
is built anew from torch.nn by name in the student's child, a fresh network for each call (ECE 449's
``train_torch`` judged on the solution's ``get_DNN()``). Built there by the same constructors in the same
order, it draws from torch's generator as the solution's builder did, so a training that re-draws its
weights afterwards starts where the solution's started. A network stands in without the student's own
builder being called: it has no layout of the student's to keep, and it must not draw from the generator.

``_gk_finite_differences`` reruns the steps up to the loss with each entry of an input moved by ±h: central
differences of whatever forward the steps run in this child.
"""


def _gk_digest(name, args, kwargs):
    import hashlib

    import numpy

    h = hashlib.sha256(name.encode())

    def feed(v, depth=0):
        if depth > 6:
            h.update(b"?")
        elif isinstance(v, (list, tuple)):
            h.update(b"(%d" % len(v))
            for x in v:
                feed(x, depth + 1)
            h.update(b")")
        elif isinstance(v, dict):
            h.update(b"{")
            for k in sorted(v, key=repr):
                h.update(repr(k).encode())
                feed(v[k], depth + 1)
            h.update(b"}")
        elif isinstance(v, (numpy.ndarray, numpy.generic, bool, int, float)):
            a = numpy.asarray(v)
            if a.dtype.kind in "biuf":
                h.update(repr(a.shape).encode())
                h.update(numpy.ascontiguousarray(a, dtype=numpy.float64).tobytes())
            else:
                h.update(repr(v).encode())
        else:
            h.update(repr(type(v)).encode())
            h.update(repr(v)[:200].encode())

    feed(tuple(args))
    feed(dict(kwargs))
    return h.hexdigest()


def _gk_packable(v, depth=0):
    import numpy

    if depth > 5:
        return False
    if v is None:
        return True
    if isinstance(v, (list, tuple)):
        return len(v) <= 100 and all(_gk_packable(x, depth + 1) for x in v)
    if isinstance(v, (bool, int, float, numpy.generic)):
        return True
    return isinstance(v, numpy.ndarray) and v.dtype.kind in "biuf" and v.size <= 100000


def _gk_copy(v):
    import numpy

    if isinstance(v, (list, tuple)):
        return type(v)(_gk_copy(x) for x in v)
    if isinstance(v, numpy.ndarray):
        return v.copy()
    if isinstance(v, _GkNetwork):
        return v.build()
    return v


# the tag a recorded network travels under, first in its tuple: no other recorded value holds a str
_GK_NETWORK_TAG = "_gk_network"


def _gk_record_of(v, depth=0):
    """What the recorder keeps of a value: a copy of it, with each network described (its state as it is now,
    before a later step trains it); None where it cannot travel (then the student's own function runs)."""
    if depth > 5:
        return None
    if isinstance(v, (list, tuple)) and not _gk_is_network(v):
        if len(v) > 100:
            return None
        kept = [_gk_record_of(x, depth + 1) for x in v]
        if any(k is None and x is not None for k, x in zip(kept, v)):
            return None
        return type(v)(kept)
    if _gk_is_network(v):
        return _gk_network_record(v)
    return _gk_copy(v) if _gk_packable(v) else None


def _gk_is_network(v):
    import sys

    torch = sys.modules.get("torch")
    return torch is not None and isinstance(v, torch.nn.Module)


def _gk_layer_config(layer):
    """The constructor values a torch.nn layer keeps (``in_features``, ``kernel_size``, ``negative_slope``), and
    for a constructor argument that names a parameter slot (``bias``) whether the layer has that parameter."""
    import inspect

    try:
        names = list(inspect.signature(type(layer).__init__).parameters)[1:]
    except (TypeError, ValueError):
        names = []
    config = {}
    for name in names:
        if name in vars(layer) and _gk_plain_value(vars(layer)[name]):
            config[name] = vars(layer)[name]
        elif name in layer._parameters:
            config[name] = layer._parameters[name] is not None
    return config


def _gk_plain_value(v):
    return v is None or isinstance(v, (bool, int, float, str)) or (
        isinstance(v, tuple) and len(v) <= 8 and all(isinstance(x, (bool, int, float)) for x in v))


def _gk_network_record(net):
    """``(tag, layers, arrays, training)`` for an ``nn.Sequential`` of torch.nn's own leaf layers that rebuilds
    as itself (the same repr and state shapes; checked here, the generator's state kept); None otherwise."""
    import json

    import torch

    if type(net) is not torch.nn.Sequential or len(net) > 100:
        return None
    layers = []
    for layer in net:
        cls = type(layer)
        # torch.nn's own class, found there by its name: a class of the course's posing as one never travels
        if getattr(torch.nn, cls.__name__, None) is not cls or next(iter(layer.children()), None) is not None:
            return None
        text = json.dumps([cls.__name__, _gk_layer_config(layer)])
        if len(text) > 1000:
            return None
        layers.append(text)
    arrays = tuple(t.detach().cpu().numpy().copy() for t in net.state_dict().values())
    recipe = _GkNetwork(tuple(layers), arrays, net.training)
    try:
        with torch.random.fork_rng(devices=[]):
            rebuilt = recipe.build()
    except Exception:  # noqa: BLE001 - a layer torch.nn cannot rebuild from the values it keeps
        return None
    if repr(rebuilt) != repr(net):
        return None
    return (_GK_NETWORK_TAG, tuple(layers), arrays, bool(net.training))


class _GkNetwork:
    """A network to build anew from its description: torch.nn's layers by name, then the recorded state."""

    def __init__(self, layers, arrays, training):
        self.layers, self.arrays, self.training = tuple(layers), tuple(arrays), bool(training)

    def build(self):
        import json

        import numpy
        import torch

        layers = []
        for text in self.layers:
            name, config = json.loads(text)
            cls = getattr(torch.nn, str(name), None)
            if not (isinstance(cls, type) and issubclass(cls, torch.nn.Module)):
                raise ValueError("torch.nn has no layer %r" % (name,))
            layers.append(cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in config.items()}))
        net = torch.nn.Sequential(*layers)
        state = net.state_dict()
        if len(state) != len(self.arrays) or any(tuple(t.shape) != tuple(a.shape)
                                                 for t, a in zip(state.values(), self.arrays)):
            raise ValueError("the recorded state does not fit the rebuilt network")
        floating = [a.dtype for a in self.arrays if a.dtype.kind == "f"]
        if floating:
            net = net.to(getattr(torch, str(floating[0])))  # a network recorded in float64 comes back so
        net.load_state_dict({k: torch.from_numpy(numpy.array(a, copy=True)) for k, a in zip(state, self.arrays)})
        return net.train(self.training)


def _gk_holds_network(v, depth=0):
    if isinstance(v, _GkNetwork):
        return True
    return depth < 6 and isinstance(v, (list, tuple)) and any(_gk_holds_network(x, depth + 1) for x in v)


def _gk_like(own, recorded, depth=0):
    """("same", the recorded value laid out as the student's own: the same numbers, maybe transposed or
    reshaped), ("other", None): the same structure with other numbers, or ("foreign", None): another structure."""
    import numpy

    if depth > 5:
        return "foreign", None
    if isinstance(recorded, (list, tuple)):
        if not isinstance(own, (list, tuple)) or len(own) != len(recorded):
            return "foreign", None
        pairs = [_gk_like(o, r, depth + 1) for o, r in zip(own, recorded)]
        kinds = [k for k, _ in pairs]
        if "foreign" in kinds or "other" in kinds:
            return ("foreign" if "foreign" in kinds else "other"), None
        return "same", type(own)(v for _, v in pairs)
    if recorded is None or own is None:
        return ("same", None) if own is None and recorded is None else ("foreign", None)
    try:
        o, r = numpy.asarray(own), numpy.asarray(recorded)
    except Exception:  # noqa: BLE001 - the student's value, whatever it is
        return "foreign", None
    if o.dtype.kind not in "biuf" or r.dtype.kind not in "biuf" or o.size != r.size:
        return "foreign", None
    of, rf = o.astype(float), r.astype(float)

    def close(a, b):
        return a.shape == b.shape and bool(numpy.allclose(a, b, rtol=1e-7, atol=1e-12, equal_nan=True))

    if close(of, rf):
        return "same", recorded.copy() if isinstance(recorded, numpy.ndarray) else recorded
    if o.ndim == 2 and close(of.T, rf):
        return "same", numpy.array(r.T)
    if close(of.reshape(rf.shape), rf):
        return "same", numpy.array(r.reshape(o.shape))
    return "other", None


def _gk_stand_ins(module, names, table):
    """Wrap ``names`` in ``module``: recording (table None) or standing in (table: {digest: value}).
    Returns (records, restore): the list the recorder fills, and a function that puts the originals back."""
    records = []
    saved = {}
    depth = [0]  # calls inside a recorded call (DNNforward's relu) are not recorded: the outer value stands in
    absent = object()
    for name in names:
        if "." in name:  # a method of a class: ``Net._relu``
            undo = _gk_stand_in_method(module, name, records, table, depth)
            if undo is not None:
                saved[name] = undo
            continue
        fn = module.__dict__.get(name, absent)
        if fn is absent and table is not None:
            fn = None  # a helper the file lacks (the starter's pre-filled loss): the solution's values only
        elif not callable(fn) or isinstance(fn, type):
            continue
        saved[name] = fn
        module.__dict__[name] = _gk_wrapped(name, fn, records, table, depth)

    def restore():
        for name, fn in saved.items():
            if "." in name:
                fn()  # a method's own undo
            elif fn is None:
                module.__dict__.pop(name, None)
            else:
                module.__dict__[name] = fn

    return records, restore


def _gk_stand_in_method(module, name, records, table, depth):
    """Wrap the method ``Class.method`` of the module's class as ``_gk_wrapped`` wraps a function: a call is
    known by its arguments, the instance left out (its identity differs between the children; the method runs
    on the student's own instance, whose state it may change). Returns what puts the class back, or None."""
    import inspect

    cls_name, _, method = name.partition(".")
    cls = module.__dict__.get(cls_name)
    if not isinstance(cls, type):
        return None
    absent = object()
    fn = cls.__dict__.get(method, absent)
    if fn is absent and table is not None:
        fn = None  # a helper the student's class lacks: the solution's values only
    elif not inspect.isfunction(fn):
        return None  # a static, class or inherited method: left as it is

    def stand_in(self, *args, **kwargs):
        own = None if fn is None else (lambda *a, **k: fn(self, *a, **k))
        return _gk_wrapped(name, own, records, table, depth)(*args, **kwargs)

    setattr(cls, method, stand_in)

    def undo():
        if fn is None:
            delattr(cls, method)
        else:
            setattr(cls, method, fn)

    return undo


def _gk_wrapped(name, fn, records, table, depth):
    if table is None:
        def recorder(*args, **kwargs):
            if depth[0]:
                return fn(*args, **kwargs)
            key = _gk_digest(name, args, kwargs)
            depth[0] += 1
            try:
                value = fn(*args, **kwargs)
            finally:
                depth[0] -= 1
            if len(records) < 3000:  # the reply's header stays under its 1 MiB
                kept = _gk_record_of(value)
                if kept is not None or value is None:
                    records.append((key, kept))
            return value

        return recorder

    def stand_in(*args, **kwargs):
        key = _gk_digest(name, args, kwargs)
        if key not in table:
            if fn is None:
                raise NameError("name %r is not defined" % name)
            return fn(*args, **kwargs)  # arguments the solution's run never met: the student's own
        recorded = table[key]
        if fn is None or _gk_holds_network(recorded):
            return _gk_copy(recorded)
        try:
            own = fn(*_gk_copy(args), **_gk_copy(kwargs))
        except KeyboardInterrupt:
            raise
        except BaseException:  # noqa: B036 - the student's function fails (or exits) where the solution's stands in
            return _gk_copy(recorded)
        if own is NotImplemented:
            return _gk_copy(recorded)
        kind, laid_out = _gk_like(own, recorded)
        # the solution's numbers in the student's own layout; the student's own value where its structure is
        # one the rest of the student's code expects and the solution's is not
        return laid_out if kind == "same" else own if kind == "foreign" else _gk_copy(recorded)

    return stand_in


def _gk_finite_differences(run, env, wrt, loss, eps):
    """Central differences of the scalar ``loss`` that ``run(env)`` binds, in each entry of ``env[wrt]``."""
    import numpy

    base = numpy.array(env[wrt], dtype=numpy.float64)
    out = numpy.zeros_like(base)
    for idx in numpy.ndindex(base.shape):
        h = eps * max(1.0, float(numpy.fabs(base[idx])))
        values = []
        for sign in (1.0, -1.0):
            moved = base.copy()
            moved[idx] += sign * h
            start = {k: _gk_copy(v) for k, v in env.items()}  # a step may change its inputs in place
            start[wrt] = moved
            values.append(float(numpy.asarray(run(start)[loss]).reshape(())))
        out[idx] = (values[0] - values[1]) / (2 * h)
    return out
