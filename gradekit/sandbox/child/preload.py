# The first lines of a child that imports heavy libraries for the student (prepended by the grader, with
# _gk_preload and _gk_memory set above it): the child starts under an address-space cap with room for the
# libraries (a CUDA build of torch maps 3.2 GB just to import), imports them before any of the student's code
# runs, then lowers RLIMIT_AS, soft and hard, to what it maps now plus the student's own budget. A process may
# always lower its limits and never raise a hard one back, so from here on the student's code has its budget
# on top of the libraries and cannot undo it.
def _gk_lower_memory(packages, budget):
    import importlib, os, resource, sys
    for name in packages:
        try:
            importlib.import_module(name)
        except BaseException:
            pass  # a missing or broken package is said by the grader's environment check; the student's import fails as usual
    try:
        with open("/proc/self/statm") as f:
            mapped = int(f.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        mapped = 0  # unknown: the student's budget alone, as without libraries (never more)
    cap = mapped + budget
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        cap = min(cap, hard)
    try:
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    except (OSError, ValueError) as e:
        sys.stderr.write("gradekit: cannot lower the address-space limit (%s)\n" % e)
        os._exit(70)  # never run the student's code with the libraries' headroom


def _gk_one_thread():
    """torch on one thread, intra-op (OMP_NUM_THREADS says so too) and inter-op (nothing in the environment
    does): the CPU time a call is charged is its work, the same on an idle machine and a busy one."""
    import sys
    torch = sys.modules.get("torch")
    if torch is None:
        return
    for setter in ("set_num_threads", "set_num_interop_threads"):
        try:
            getattr(torch, setter)(1)
        except (AttributeError, RuntimeError):
            pass  # an older torch, or its pool already started by an import: the environment still holds


def _gk_cuda_on_cpu():
    """On a grader without a GPU, ``.cuda()`` and ``.to(<a CUDA device>)`` of tensors and modules stay on the CPU
    for the child's whole life (the file's top level, get_lenet, any call), as they already do while a trainer
    runs: the course's students train on GPUs, and code that moves its net there is right code. Each kind of
    call is recorded in ``torch._gk_kept_on_cpu`` for the feedback. A tensor made with ``device="cuda"`` still
    raises; the grader names that failure as what it is."""
    import sys
    torch = sys.modules.get("torch")
    if torch is None:
        return
    try:
        if torch.cuda.is_available():
            return
    except Exception:
        pass  # a CUDA build without a driver may raise here: no GPU either
    kept = []

    def is_cuda(device):
        if isinstance(device, str):
            return device.strip().lower().startswith("cuda")
        return isinstance(device, torch.device) and device.type == "cuda"

    def cuda(self, *args, **kwargs):
        if ".cuda()" not in kept:
            kept.append(".cuda()")
        return self

    def wrap_to(original):
        def to(self, *args, **kwargs):
            if args and is_cuda(args[0]):
                what = ".to(%r)" % str(args[0])
                args = ("cpu",) + tuple(args[1:])
            elif is_cuda(kwargs.get("device")):
                what = ".to(device=%r)" % str(kwargs["device"])
                kwargs["device"] = "cpu"
            else:
                return original(self, *args, **kwargs)
            if what not in kept:
                kept.append(what)
            return original(self, *args, **kwargs)
        return to

    for owner in (torch.Tensor, torch.nn.Module):
        owner.to = wrap_to(owner.to)
        owner.cuda = cuda
    torch._gk_kept_on_cpu = kept


def _gk_old_conv_forward():
    """``nn.Conv2d._conv_forward(input, weight)`` called with two arguments runs with the layer's own bias, as
    PyTorch 1.5–1.7 ran it; from 1.8 ``bias`` is required. Handouts written then call it so (ECE 661's CONV
    in its code block 2), and a notebook that keeps the handout's code as given is right code. The classes
    that call it so are recorded in ``torch._gk_old_conv_forward`` for the feedback. Nothing changes where
    this torch does not require the bias."""
    import inspect, sys
    torch = sys.modules.get("torch")
    conv = getattr(getattr(torch, "nn", None), "Conv2d", None)
    original = getattr(conv, "_conv_forward", None)
    if original is None:
        return
    try:
        bias = inspect.signature(original).parameters.get("bias")
    except (TypeError, ValueError):
        return
    if bias is None or bias.default is not inspect.Parameter.empty:
        return
    callers = []
    missing = object()

    def _conv_forward(self, input, weight, bias=missing):
        if bias is missing:
            name = type(self).__name__
            if name not in callers:
                callers.append(name)
            bias = self.bias
        return original(self, input, weight, bias)

    conv._conv_forward = _conv_forward
    torch._gk_old_conv_forward = callers


_gk_lower_memory(_gk_preload, _gk_memory)  # noqa: F821 - both set above this text by the grader
_gk_one_thread()
_gk_cuda_on_cpu()
_gk_old_conv_forward()
del _gk_lower_memory, _gk_one_thread, _gk_cuda_on_cpu, _gk_old_conv_forward, _gk_preload, _gk_memory  # noqa: F821
