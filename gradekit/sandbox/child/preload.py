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


_gk_lower_memory(_gk_preload, _gk_memory)
del _gk_lower_memory, _gk_preload, _gk_memory
