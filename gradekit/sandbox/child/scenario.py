# The text of this file is appended to a module (a student's, or the course's solution) and runs in the boxed
# child, never in the parent: no `from __future__`, no relative imports, no gradekit imports, and every name
# starts with `_gk_`.
"""Run a code problem's scenario: the spec's steps, in order, on the arrays the parent drew.

A generated check (``gradekit.code.generated``) sends the same request to the solution's child and to the
student's: ``_gk_scenario(request, *arrays)``. ``request`` holds

- ``inputs``: the names of the arrays that follow, in order; ``dims``: named sizes (ints);
- ``library``: "numpy" or "torch" (torch imported and seeded too); ``tensors``: the arrays become tensors of
  the same dtype (a torch problem's, unless its functions take numpy arrays);
- ``steps``: the spec's statements, parsed by the parent into plain data: ``targets`` (names, or one
  ``name.attr`` to set) and either ``call`` (a ``path`` such as ``["Linear"]`` or ``["layer", "forward"]``,
  ``args``, ``kwargs``) or ``value``; an argument is ``{"ref": name}`` (with ``attrs``, ``index``),
  ``{"const": value}`` or ``{"op": "+", "-", "*", "/" or "neg", "args": [arguments]}``;
- ``compare``: what to send back, each a path (``["Z"]``, ``["layer", "dLdW"]``);
- ``load``: {name: n}: right after the step that binds ``name``, the last n arrays become its parameters, in
  order (a torch module: the solution's weights in the student's model); ``export``: a name whose parameters
  go back after the compared values; ``seed``: numpy's and torch's seed before the first step;
- ``instead``: {name: other}: the module's function ``other`` runs wherever the steps call ``name`` (in the
  solution's child: a variant of the solution, whose values name a mistake).

Each compared value comes back as ``("ok", value)`` or ``("missing", why)`` (an attribute never set: state not
stored). A failing step raises ``_GkStepError`` naming the step as the spec wrote it; NotImplementedError
passes through, so a starter's untouched body reads as "not implemented".
"""


class _GkStepError(Exception):
    pass


def _gk_scenario(request, *arrays):
    import sys

    import numpy

    module = sys.modules[__name__]
    torch = None
    if request.get("library") == "torch" or request.get("load") or request.get("export"):
        import torch
    seed = int(request.get("seed", 0))
    numpy.random.seed(seed % 2**32)
    if torch is not None:
        torch.manual_seed(seed)
    names = list(request["inputs"])
    loads = dict(request.get("load") or {})
    n_load = sum(int(v) for v in loads.values())
    replay = request.get("replay")
    n_replay = int(replay["arrays"]) if replay else 0
    rest = list(arrays[len(names):])
    data, weights, stored = arrays[:len(names)], rest[:len(rest) - n_replay], rest[len(rest) - n_replay:]
    if len(weights) != n_load:
        raise ValueError("expected %d weight arrays, got %d" % (n_load, len(weights)))
    env = dict(request.get("dims") or {})
    for name, value in zip(names, data):
        env[name] = torch.from_numpy(numpy.array(value)) if request.get("tensors") else value
    gradcheck = request.get("gradcheck")
    initial = {k: _gk_copy(v) for k, v in env.items()} if gradcheck else None
    # the other graded functions: recorded in the solution's child, standing in for the student's (standin.py)
    table = None if not replay else {k: _gk_unflatten(v, stored) for k, v in zip(replay["keys"], replay["values"])}
    records, restore = _gk_stand_ins(module, request.get("stand_in") or [], table)
    put_back = _gk_instead(module, request.get("instead") or {})
    try:
        for step in request["steps"]:
            result = _gk_step(step, env, module)
            _gk_bind(step, result, env)
            for target in step.get("targets") or []:
                if target in loads:
                    count = int(loads.pop(target))
                    _gk_load(env[target], weights[:count], step["text"])
                    weights = weights[count:]
        out = []
        for path in request.get("compare") or []:
            out.append(_gk_fetch(env, path))
        for wrt in (gradcheck or {}).get("wrt", []):
            upto = request["steps"][:int(gradcheck["upto"])]

            def rerun(start, upto=upto):
                numpy.random.seed(seed % 2**32)
                for step in upto:
                    _gk_bind(step, _gk_step(step, start, module), start)
                return start

            try:
                out.append(("ok", _gk_finite_differences(rerun, initial, wrt, gradcheck["loss"],
                                                         float(gradcheck.get("eps", 1e-6)))))
            except (_GkStepError, ValueError, TypeError) as e:
                out.append(("missing", "finite differences of the loss in %s: %s" % (wrt, e)))
    finally:
        put_back()
        restore()
    if request.get("export"):
        out.append(tuple(p.detach() for p in env[request["export"]].parameters()))
    if table is None and request.get("stand_in"):
        out.append(tuple(records))
    return tuple(out)


def _gk_step(step, env, module):
    """One step's value; the student's error raised as ``_GkStepError`` naming the step."""
    try:
        result = _gk_do(step, env, module)
    except NotImplementedError:
        raise
    except _GkStepError:
        raise
    except BaseException as e:  # noqa: B036 - the student's error, named by the step it came from
        if isinstance(e, (KeyboardInterrupt, SystemExit, MemoryError)):
            raise
        if isinstance(e, TypeError) and str(e) == "exceptions must derive from BaseException":
            raise NotImplementedError(step["text"]) from None  # a starter's `raise NotImplemented`
        text = str(e).strip().splitlines()
        raise _GkStepError("`%s` raised %s%s" % (step["text"], type(e).__name__,
                                                 ": " + text[0][:200] if text else "")) from None
    if result is NotImplemented:  # a starter's untouched `return NotImplemented`
        raise NotImplementedError(step["text"])
    return result


def _gk_instead(module, swaps):
    """Each function ``name`` of the module replaced by its function ``other``; returns what puts them back."""
    saved = {}
    for name, other in swaps.items():
        replacement = module.__dict__.get(other)
        if not callable(replacement):
            raise _GkStepError("the file defines no function %s to run in place of %s" % (other, name))
        saved[name] = module.__dict__.get(name)
        module.__dict__[name] = replacement

    def put_back():
        for name, fn in saved.items():
            module.__dict__[name] = fn

    return put_back


def _gk_unflatten(skeleton, stored):
    """A recorded value sent back as a skeleton: {"a": i} the i-th array, {"s": [...]} a tuple, {"n": None},
    {"m": {"layers", "state", "training"}} a network to build when it stands in (standin.py's)."""
    if "a" in skeleton:
        return stored[int(skeleton["a"])]
    if "s" in skeleton:
        return tuple(_gk_unflatten(x, stored) for x in skeleton["s"])
    if "m" in skeleton:
        m = skeleton["m"]
        return _GkNetwork(m["layers"], [stored[int(i)] for i in m["state"]], m["training"])  # noqa: F821
    return None


def _gk_value(arg, env):
    if "op" in arg:
        return _gk_arithmetic(arg["op"], [_gk_value(a, env) for a in arg["args"]])
    if "ref" in arg:
        # a name the steps bound, else a class or function of the module (``Net.__new__(Net)``)
        name = arg["ref"]
        if name not in env and name not in globals():
            raise _GkStepError("the file defines no %s" % name)
        value = env[name] if name in env else globals()[name]
        for attr in arg.get("attrs") or []:
            value = getattr(value, attr)
        return value[int(arg["index"])] if "index" in arg else value
    return arg["const"]


def _gk_arithmetic(op, values):
    """A step's arithmetic on the values it names (``(W - layer.W) / lr``: the step a method took)."""
    if op == "neg":
        return -values[0]
    a, b = values
    if op == "+":
        return a + b
    if op == "-":
        return a - b
    if op == "*":
        return a * b
    return a / b


def _gk_do(step, env, module):
    if "value" in step:
        return _gk_value(step["value"], env)
    call = step["call"]
    path = call["path"]
    head = env[path[0]] if path[0] in env else getattr(module, path[0], None)
    if head is None:
        raise _GkStepError("`%s`: the file defines no %s" % (step["text"], path[0]))
    target = head
    for attr in path[1:]:
        if not hasattr(target, attr):
            raise _GkStepError("`%s`: %s has no attribute %s" % (step["text"], ".".join(path[:-1]), attr))
        target = getattr(target, attr)
    args = [_gk_value(a, env) for a in call.get("args", [])]
    kwargs = {k: _gk_value(v, env) for k, v in (call.get("kwargs") or {}).items()}
    return target(*args, **kwargs)


def _gk_bind(step, result, env):
    targets = step.get("targets") or []
    if not targets:
        return
    if len(targets) == 1:
        dest = targets[0]
        if "." in dest:
            obj, _, attr = dest.partition(".")
            setattr(env[obj], attr, result)
        else:
            env[dest] = result
        return
    try:
        values = list(result)
    except TypeError:
        raise _GkStepError("`%s`: returned %s, which cannot be unpacked into %d values"
                           % (step["text"], type(result).__name__, len(targets))) from None
    if len(values) != len(targets):
        raise _GkStepError("`%s`: returned %d values, expected %d" % (step["text"], len(values), len(targets)))
    for name, value in zip(targets, values):
        env[name] = value


def _gk_fetch(env, path):
    if path[0] not in env:
        return ("missing", "%s was never bound" % path[0])
    value = env[path[0]]
    for i, attr in enumerate(path[1:], 1):
        if not hasattr(value, attr):
            return ("missing", "%s has no attribute %s" % (".".join(path[:i]), attr))
        value = getattr(value, attr)
    if value is None:
        return ("missing", "%s is None" % ".".join(path))
    return ("ok", value)


def _gk_load(obj, arrays, text):
    """The arrays as ``obj``'s parameters, in order; a mismatch says where the architectures part."""
    import torch

    params = list(obj.parameters())
    if len(params) != len(arrays):
        raise _GkStepError("`%s`: the model has %d parameter tensors, the solution's %d"
                           % (text, len(params), len(arrays)))
    with torch.no_grad():
        for i, (p, a) in enumerate(zip(params, arrays)):
            if tuple(p.shape) != tuple(a.shape):
                raise _GkStepError("`%s`: parameter %d has shape %s, the solution's %s"
                                   % (text, i + 1, tuple(p.shape), tuple(a.shape)))
            p.copy_(torch.from_numpy(a).to(p.dtype))


def _gk_structure(request):
    """A torch module built by the steps, as plain data: one line per layer with weights (its type and its
    parameters' shapes), then the parameter count and the output shape on ``request["input"]``."""
    import sys

    import torch

    module = sys.modules[__name__]
    env = dict(request.get("dims") or {})
    for step in request["steps"]:
        _gk_bind(step, _gk_do(step, env, module), env)
    model = env[request["model"]]
    layers = []
    for name, sub in model.named_modules():
        if list(sub.children()) or not list(sub.parameters(recurse=False)):
            continue  # containers, and layers without weights (nn.ReLU or F.relu, nn.Flatten or .view: alike)
        shapes = ",".join("x".join(str(int(d)) for d in p.shape) for p in sub.parameters(recurse=False))
        layers.append("%s(%s)" % (type(sub).__name__, shapes))
    count = sum(int(p.numel()) for p in model.parameters())
    shape = "-"
    if request.get("input"):
        torch.manual_seed(0)
        x = torch.randn(*[int(d) for d in request["input"]])
        try:
            with torch.no_grad():
                y = model(x)
            shape = "x".join(str(int(d)) for d in y.shape)
        except BaseException as e:  # noqa: B036 - structure is graded even when forward fails
            if isinstance(e, (KeyboardInterrupt, SystemExit, MemoryError)):
                raise
            shape = "!%s: %s" % (type(e).__name__, str(e).strip().splitlines()[0][:150] if str(e).strip() else "")
    return (tuple(layers), float(count), shape)


def _gk_described(request):
    """A torch module built by the steps, described as torch_probe's ``_gk_describe`` does (appended before
    this file for torch problems): the layers its forward runs on ``request["input"]`` with their output
    shapes, the parameter count and output shape, and, where the forward raises, the module it raised in
    and the layers the model defines. JSON bytes as uint8."""
    import json
    import sys

    import numpy

    module = sys.modules[__name__]
    env = dict(request.get("dims") or {})
    for step in request["steps"]:
        try:
            with _gk_mode(None, None):  # noqa: F821 - torch_probe's: a tensor over its size limit is refused
                result = _gk_do(step, env, module)
        except NotImplementedError:
            raise
        except _GkStepError:
            raise
        except Exception as e:  # the student's error, named by the step it came from
            if isinstance(e, MemoryError) and "per tensor" not in str(e):
                raise  # memory truly out; a tensor the guard refused is named by its step
            if isinstance(e, TypeError) and str(e) == "exceptions must derive from BaseException":
                raise NotImplementedError(step["text"]) from None
            text = str(e).strip().splitlines()
            raise _GkStepError("`%s` raised %s%s" % (step["text"], type(e).__name__,
                                                     ": " + text[0][:200] if text else "")) from None
        _gk_bind(step, result, env)
    described = _gk_describe(env[request["model"]], [int(d) for d in request["input"]],  # noqa: F821
                             tolerant=True)
    return numpy.frombuffer(json.dumps(described).encode(), dtype=numpy.uint8)
