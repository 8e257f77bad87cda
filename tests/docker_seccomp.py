"""Run a command under a seccomp filter that refuses what Docker's default profile refuses a container
without CAP_SYS_ADMIN: namespaces, mounts, pivot_root, and the rest of its list, with EPERM.

    python tests/docker_seccomp.py [--no-landlock] -- PROGRAM ARGS...

Installs the filter on itself (as root: no no-new-privileges, as Docker does not set it either), then
execs PROGRAM, which inherits it with everything it starts. ``--no-landlock`` also refuses the Landlock
calls, as a Docker older than its support for them does. Standard library only, nothing of gradekit.
"""

from __future__ import annotations

import ctypes
import os
import sys

AUDIT_ARCH = {"x86_64": 0xC000003E, "aarch64": 0xC00000B7}
# (x86_64, aarch64) numbers of what the profile refuses without CAP_SYS_ADMIN (and always)
REFUSED = {
    "unshare": (272, 97), "setns": (308, 268), "mount": (165, 40), "umount2": (166, 39),
    "pivot_root": (155, 41), "chroot": (161, 51), "open_tree": (428, 428), "move_mount": (429, 429),
    "fsopen": (430, 430), "fsconfig": (431, 431), "fsmount": (432, 432), "fspick": (433, 433),
    "mount_setattr": (442, 442), "bpf": (321, 280), "perf_event_open": (298, 241), "keyctl": (250, 219),
    "add_key": (248, 217), "request_key": (249, 218), "kexec_load": (246, 104), "init_module": (175, 105),
    "finit_module": (313, 273), "delete_module": (176, 106), "name_to_handle_at": (303, 264),
    "open_by_handle_at": (304, 265), "fanotify_init": (300, 262), "quotactl": (179, 60),
    "io_uring_setup": (425, 425), "io_uring_enter": (426, 426), "io_uring_register": (427, 427),
}
LANDLOCK = {"landlock_create_ruleset": (444, 444), "landlock_add_rule": (445, 445),
            "landlock_restrict_self": (446, 446)}
CLONE, CLONE3 = (56, 220), (435, 435)
CLONE_NEW = 0x00020000 | 0x02000000 | 0x04000000 | 0x08000000 | 0x10000000 | 0x20000000 | 0x40000000


class SockFilter(ctypes.Structure):
    _fields_ = [("code", ctypes.c_ushort), ("jt", ctypes.c_ubyte), ("jf", ctypes.c_ubyte), ("k", ctypes.c_uint)]


class SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.POINTER(SockFilter))]


def program(machine: str, landlock: bool) -> list[tuple[int, int, int, int]]:
    col = 0 if machine == "x86_64" else 1
    eperm = (0x06, 0, 0, 0x00050001)
    prog = [(0x20, 0, 0, 4), (0x15, 1, 0, AUDIT_ARCH[machine]), (0x06, 0, 0, 0x7FFF0000), (0x20, 0, 0, 0)]
    refused = dict(REFUSED, **({} if landlock else LANDLOCK))
    for nrs in refused.values():
        prog += [(0x15, 0, 1, nrs[col]), eperm]
    prog += [(0x15, 0, 1, CLONE3[col]), (0x06, 0, 0, 0x00050026)]  # ENOSYS, as Docker answers clone3
    prog += [(0x15, 0, 3, CLONE[col]), (0x20, 0, 0, 16), (0x45, 0, 1, CLONE_NEW), eperm]
    prog.append((0x06, 0, 0, 0x7FFF0000))
    return prog


def install(landlock: bool = True) -> None:
    machine = os.uname().machine
    if machine not in AUDIT_ARCH:
        raise SystemExit(f"docker_seccomp: no system call numbers for {machine}")
    prog = program(machine, landlock)
    insns = (SockFilter * len(prog))(*[SockFilter(*i) for i in prog])
    fprog = SockFprog(len(prog), insns)
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(22, 2, ctypes.byref(fprog), 0, 0) != 0:  # PR_SET_SECCOMP, SECCOMP_MODE_FILTER
        raise SystemExit(f"docker_seccomp: prctl: {os.strerror(ctypes.get_errno())}")


def main(argv: list[str]) -> None:
    landlock = "--no-landlock" not in argv[:argv.index("--")]
    command = argv[argv.index("--") + 1:]
    install(landlock)
    os.execv(command[0], command)


if __name__ == "__main__":
    main(sys.argv[1:])
