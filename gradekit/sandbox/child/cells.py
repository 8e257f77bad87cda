# The text of this file follows `_gk_cells = [...]` and `_gk_cell_cpu = (...)`, written by the parent
# (gradekit/intake/notebook.py), and runs in the boxed child when the harness imports the module: no
# `from __future__`, no gradekit imports, and every name starts with `_gk_`.
"""Run a notebook's code cells in order in the module's namespace, as Jupyter runs them.

``_gk_cells`` holds ``(number, first_line, source, strict)`` for each cell and
``_gk_cell_cpu`` the CPU seconds (one cell, all cells) they may use. Each cell is
compiled and run on its own (``cell N`` is its file name, so a traceback's line
numbers are the cell's own): a cell that fails stops where it failed, like in
Jupyter, and the next cell runs. Its failure is kept for ``_gk_notebook_report``,
which the grader calls once, so a failing ungraded cell (``import pandas``, a
``.cuda()`` on a machine without a GPU) costs only what needs it. A ``strict`` cell
(a module file the handout's code runs before) fails the import as a file would.

A cell may use ``_gk_cell_cpu[0]`` seconds of CPU time (``ITIMER_PROF`` counts the
process's CPU, all threads): a cell that trains for an hour is stopped and noted,
and the load on the machine does not change where it stops. Once the cells have
used ``_gk_cell_cpu[1]`` seconds in all, the rest are not run (and noted), so the
graded names the earlier cells defined are still graded.
"""

_gk_cell_failures = []
_gk_cell_armed = [False]  # the timer's signal counts only while a cell runs


class _GkCellOverBudget(BaseException):
    pass


def _gk_cell_alarm(signum, frame):
    if _gk_cell_armed[0]:
        _gk_cell_armed[0] = False
        raise _GkCellOverBudget()


def _gk_cell_message(e):
    try:
        text = str(e).strip().splitlines()
        return (type(e).__name__ + (": " + text[0] if text else ""))[:300]
    except BaseException:  # noqa: B036 - a hostile __str__
        return type(e).__name__


def _gk_where(e, name):
    """' (line N)' of the innermost frame in cell ``name``, '' when none is."""
    tb, line = e.__traceback__, None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == name:
            line = tb.tb_lineno
        tb = tb.tb_next
    return "" if line is None else " at line %d" % line


def _gk_run_cells(cells, per_cell, total):
    import resource
    import signal

    namespace = globals()

    def used():
        r = resource.getrusage(resource.RUSAGE_SELF)
        return r.ru_utime + r.ru_stime

    start = used()
    try:
        old = signal.signal(signal.SIGPROF, _gk_cell_alarm)
    except (ValueError, OSError):
        old = None  # not the main thread: cells run without their own budget (the call's still holds)
    try:
        for number, first, source, strict in cells:
            name = "cell %d" % number if not strict else strict
            left = total - (used() - start)
            if left <= 0.5 and not strict:
                _gk_cell_failures.append("%d\t%s\tnot run: the cells before it used the %g s of CPU time all "
                                         "cells may use" % (number, first, total))
                continue
            try:
                code = compile(source, name, "exec", dont_inherit=True)
            except SyntaxError as e:
                if strict:
                    raise
                _gk_cell_failures.append("%d\t%s\tSyntaxError at line %s: %s" % (number, first, e.lineno, e.msg))
                continue
            try:
                if old is not None:
                    _gk_cell_armed[0] = True
                    signal.setitimer(signal.ITIMER_PROF, max(0.5, min(per_cell, left)))
                exec(code, namespace)
                _gk_cell_armed[0] = False
            except _GkCellOverBudget:
                _gk_cell_failures.append("%d\t%s\tstopped: over its CPU time (a cell may use %g s, all cells %g s)"
                                         % (number, first, per_cell, total))
            except BaseException as e:  # noqa: B036 - Jupyter goes on after any failing cell, sys.exit() included
                if strict:
                    raise
                why = _gk_cell_message(e) if not isinstance(e, SystemExit) else "called sys.exit(%r)" % (e.code,)
                _gk_cell_failures.append("%d\t%s\t%s%s" % (number, first, why, _gk_where(e, name)))
            finally:
                _gk_cell_armed[0] = False
                if old is not None:
                    signal.setitimer(signal.ITIMER_PROF, 0)
    finally:
        if old is not None:
            signal.signal(signal.SIGPROF, old)


def _gk_notebook_report():
    """The failed cells, each ``number<TAB>first line<TAB>what went wrong``."""
    return tuple(_gk_cell_failures)


_gk_run_cells(_gk_cells, *_gk_cell_cpu)  # noqa: F821 - both written above this text by the parent
