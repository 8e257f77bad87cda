# The two helpers both fork servers (jail_server.py, confine_server.py) run their children with: the grader
# puts this text before each server's (gradekit.sandbox.child.server_source). Read as text, never imported.
import os, sys


def mapped_bytes():
    """What this process maps now (its address space), from /proc/self/statm."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


def as_main(script):
    """Run ``script`` as ``python -c`` would: its exit status, a traceback on an uncaught exception, output flushed."""
    status = 0
    try:
        exec(compile(script, "<string>", "exec"), {"__name__": "__main__", "__builtins__": __builtins__})
    except SystemExit as e:
        if e.code is None:
            status = 0
        elif isinstance(e.code, int):
            status = e.code & 0xFF
        else:
            print(e.code, file=sys.stderr)
            status = 1
    except BaseException:
        import traceback

        traceback.print_exc()
        status = 1
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:
            pass
    return status
