# Appended, after torch_probe (whose _gk_failure it uses), to a student's ece449-a2 task2 file, and to a torch
# code problem's module before ``training`` (which uses its CPU guard and step counter); runs in the boxed child. Same rules as torch_probe: no `from __future__`, no relative imports, no module-level torch
# import, every name starts with `_gk_`.
"""Run a student's training function on a network built here, and send back plain arrays.

``_gk_train_torch`` hands ``train_torch`` task 1's 3-2-1 network with the
parent's initial weights, as the template's run notebook does, and returns the trained weights and the
weight lists it returned. ``_gk_cpu_only`` keeps ``.cuda()`` on the CPU while a
training function runs, ``_gk_step_counter`` counts the optimizer steps that move a
net's parameters, ``_gk_swapped_forwards`` names the forwards a function set on a
net's modules (``training``'s ``_gk_train`` uses all three). When the student's function fails, the
reply is one line (a str) naming it.

>>> W, K = numpy.ones((2, 3)), numpy.ones(2)                       # doctest: +SKIP
>>> _gk_train_torch(X, y, W, K, 0.1, 3, 5)                         # doctest: +SKIP
(array(2×3), array(2,), array([0.41, 0.22, 0.19]))
"""


def _gk_student(name):
    import sys

    target = getattr(sys.modules[__name__], name, None)
    return target if callable(target) else None


def _gk_run(name, make_args):
    """``name(*make_args())``, or the str a failure becomes; NotImplementedError goes to the harness as is."""
    fn = _gk_student(name)
    if fn is None:
        return None, "the file defines no function %s" % name
    try:
        return fn(*make_args()), None
    except NotImplementedError:
        raise
    except BaseException as e:  # noqa: B036 - SystemExit from student code is a failure like any other
        if isinstance(e, KeyboardInterrupt):
            raise
        return None, _gk_cuda_failure(name, e) or _gk_failure(name, e)["error"]  # noqa: F821 - torch_probe's


def _gk_weight_lists(value, model, n):
    """task 2's (W_list, K_list) as float64 arrays (n, 2, 3) and (n, 2) with a flag array [aliased], or a str.

    aliased: every entry is a view of the net's own weights (the template's pre-filled
    ``net[0].weight.detach().numpy()`` is one), so each holds the final weights."""
    import numpy

    if not isinstance(value, (tuple, list)) or len(value) != 2:
        what = "None" if value is None else "a " + type(value).__name__
        return "returned %s, expected (W_list, K_list) as the template's pre-filled lines build them" % what
    try:
        Ws = [numpy.asarray(w, dtype=numpy.float64).reshape(2, 3) for w in value[0]]
        Ks = [numpy.asarray(k, dtype=numpy.float64).reshape(2) for k in value[1]]
    except (TypeError, ValueError) as e:
        return "returned (W_list, K_list) whose entries are not 2×3 and 2-element arrays (%s)" % e
    if len(Ws) != n or len(Ks) != n:
        return "returned lists of %d and %d entries, expected one per epoch (%d)" % (len(Ws), len(Ks), n)
    live = model[0].weight.detach().numpy()
    aliased = all(isinstance(w, numpy.ndarray) and numpy.shares_memory(w, live) for w in value[0])
    return numpy.stack(Ws), numpy.stack(Ks), numpy.array([aliased])


def _gk_train_torch(X, y, W, K, num_epochs, lr, batch_size, seed):
    """task 2: ``train_torch(net, dataset_X, dataset_y, num_epochs, lr, batch_size)`` on task 1's network, as
    the run notebook calls it: numpy float64 arrays, the net holding (W, K). The global generator is seeded
    with ``seed`` first, so the template's pre-filled ``net.apply(init_weights)`` draws that same (W, K)
    again. Returns (W, K after training, the returned lists or a str), or a str on failure."""
    import numpy
    import torch

    model = torch.nn.Sequential(torch.nn.Linear(3, 2, bias=False), torch.nn.ReLU(),
                                torch.nn.Linear(2, 1, bias=False)).double()
    with torch.no_grad():
        model[0].weight.copy_(torch.from_numpy(numpy.asarray(W, dtype=numpy.float64)))
        model[2].weight.copy_(torch.from_numpy(numpy.asarray(K, dtype=numpy.float64)).reshape(1, 2))
    torch.manual_seed(int(seed))
    value, failed = _gk_run("train_torch", lambda: (model, numpy.array(X, dtype=numpy.float64),
                                                    numpy.array(y, dtype=numpy.float64), int(num_epochs), float(lr),
                                                    int(batch_size)))
    if failed:
        return failed
    lists = _gk_weight_lists(value, model, int(num_epochs))
    return (model[0].weight.detach().double().numpy().copy(),
            model[2].weight.detach().double().numpy().reshape(2).copy(), lists)


def _gk_is_cuda(device):
    import torch

    if isinstance(device, str):
        return device.strip().lower().startswith("cuda")
    return isinstance(device, torch.device) and device.type == "cuda"


class _gk_cpu_only:
    """While active, on a machine without a GPU, ``.cuda()`` and ``.to(<a CUDA device>)`` of tensors and
    modules stay on the CPU, and each kind of call is recorded in ``used``: the course's students train
    on GPUs, and code that moves its net there is right code. Anything else that asks for CUDA
    (``torch.zeros(..., device="cuda")``) still raises; ``_gk_cuda_failure`` names it."""

    def __init__(self):
        self.used = []
        self._saved = []

    def _note(self, what):
        if what not in self.used:
            self.used.append(what)

    def __enter__(self):
        import torch

        if torch.cuda.is_available():
            return self
        guard = self

        def cuda(self_, *args, **kwargs):
            guard._note(".cuda()")
            return self_

        def wrap_to(original):
            def to(self_, *args, **kwargs):
                if args and _gk_is_cuda(args[0]):
                    guard._note(".to(%r)" % str(args[0]))
                    args = ("cpu",) + tuple(args[1:])
                if _gk_is_cuda(kwargs.get("device")):
                    guard._note(".to(device=%r)" % str(kwargs["device"]))
                    kwargs["device"] = "cpu"
                return original(self_, *args, **kwargs)
            return to

        for owner in (torch.Tensor, torch.nn.Module):
            self._saved.append((owner, "cuda", owner.__dict__.get("cuda")))
            self._saved.append((owner, "to", owner.__dict__.get("to")))
            owner.to = wrap_to(owner.to)
            owner.cuda = cuda
        return self

    def __exit__(self, *exc):
        for owner, name, value in reversed(self._saved):
            if value is None:
                delattr(owner, name)
            else:
                setattr(owner, name, value)
        self._saved = []
        return False


def _gk_cuda_failure(name, e):
    """A failure that is CUDA asked for on this GPU-less machine, named as that; None for any other."""
    text = str(e)
    hints = ("Torch not compiled with CUDA", "no NVIDIA driver", "CUDA driver", "No CUDA GPUs",
             "cuda runtime", "CUDA is not available", "Attempting to deserialize object on a CUDA device")
    if any(h.lower() in text.lower() for h in hints):
        first = (text.strip().splitlines() or [""])[0][:200]
        return ("this grader has no GPU: %s asked for CUDA in a way that cannot run on the CPU (%s: %s); "
                "move tensors with .to(device) or .cuda() instead" % (name, type(e).__name__, first))
    return None


def _gk_swapped_forwards(net):
    """The modules of net whose ``forward`` is an attribute of the instance, not its class's: a classifier
    put in place of the network's own layers. Named by their path in net ("" for net itself)."""
    return sorted(name or "net" for name, m in net.named_modules() if "forward" in vars(m))


class _gk_step_counter:
    """While active, counts the steps of torch optimizers whose parameters include one of net's."""

    def __init__(self, net):
        self.ids = {id(p) for p in net.parameters()}
        self.steps = 0
        self._handle = None

    def _hook(self, optimizer, args, kwargs):
        if any(id(p) in self.ids for group in optimizer.param_groups for p in group["params"]):
            self.steps += 1

    def __enter__(self):
        from torch.optim.optimizer import register_optimizer_step_post_hook

        self._handle = register_optimizer_step_post_hook(self._hook)
        return self

    def __exit__(self, *exc):
        self._handle.remove()
        return False
