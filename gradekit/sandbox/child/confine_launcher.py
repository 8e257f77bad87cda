"""Confines a sandbox child without namespaces, then becomes it (read as text, run with ``python -I -S``; never imported).

Where a container forbids namespaces (Docker's default seccomp profile refuses ``unshare``,
``mount`` and ``pivot_root`` without CAP_SYS_ADMIN) no jail can be built. What is left is
what root may do to a process without namespaces and what a process may do to itself,
and this launcher does all of it, in this order, as root started it:

1. drop to the sandbox uid of the plan (no groups, its own gid) and set no-new-privileges;
2. Landlock, where the kernel offers it and the plan asks: the file system shrinks to the
   interpreter, its libraries, a few /etc files and devices (read and execute) and the
   child's own folders (read and write); where the kernel's ABI has them, TCP is refused
   and signals and abstract unix sockets cannot leave the child's domain;
3. a seccomp filter: no socket but AF_UNIX, no ptrace or reading another process's
   memory, no namespaces, mounts or chroot, no kernel keyrings, bpf, perf, io_uring,
   modules or kexec, no SysV IPC; refused calls get EPERM (clone3 ENOSYS, so libc falls
   back to clone, whose namespace flags are refused); a call of another ABI kills;
4. the check: every path the plan protects (gradekit, the reference, the specs, the bundle,
   the results) is tried as the child would try it, to read, to list and to write; one that
   answers stops the launch, named. The same for the class being graded (``protect_class``):
   its folder, then each submission in it, unless the folder already covers them (this uid
   cannot search it, or Landlock leaves out the folder and all beneath it);
5. exec the program.

argv: ``PLAN STATUS_FD -- PROGRAM ARGS...``, the plan as ``gradekit.sandbox.jail.encode_plan``
writes it. Any step that fails stops the launch: the reason goes to STATUS_FD (closed on
exec), the exit status is 125, and the program never runs with less than the plan. On an
architecture whose system call numbers this file does not know, it refuses.
"""
import ctypes, os, sys  # and nothing else at start-up: every import is paid per child

PR_SET_NO_NEW_PRIVS, PR_SET_SECCOMP, SECCOMP_MODE_FILTER = 38, 22, 2
AUDIT_ARCH = {"x86_64": 0xC000003E, "aarch64": 0xC00000B7}
AF_UNIX = 1
CLONE_NEW = 0x00020000 | 0x02000000 | 0x04000000 | 0x08000000 | 0x10000000 | 0x20000000 | 0x40000000 | 0x00000080
# (NEWNS | NEWCGROUP | NEWUTS | NEWIPC | NEWUSER | NEWPID | NEWNET | NEWTIME)

# System calls refused with EPERM, by name, and their numbers per architecture (x86_64, aarch64; None: absent).
REFUSED = {
    "ptrace": (101, 117), "process_vm_readv": (310, 270), "process_vm_writev": (311, 271), "kcmp": (312, 272),
    "pidfd_getfd": (438, 438),
    "unshare": (272, 97), "setns": (308, 268), "mount": (165, 40), "umount2": (166, 39),
    "pivot_root": (155, 41), "chroot": (161, 51), "open_tree": (428, 428), "move_mount": (429, 429),
    "fsopen": (430, 430), "fsconfig": (431, 431), "fsmount": (432, 432), "fspick": (433, 433),
    "mount_setattr": (442, 442), "name_to_handle_at": (303, 264), "open_by_handle_at": (304, 265),
    "keyctl": (250, 219), "add_key": (248, 217), "request_key": (249, 218),
    "bpf": (321, 280), "perf_event_open": (298, 241), "userfaultfd": (323, 282), "fanotify_init": (300, 262),
    "io_uring_setup": (425, 425), "io_uring_enter": (426, 426), "io_uring_register": (427, 427),
    "kexec_load": (246, 104), "kexec_file_load": (320, 294), "init_module": (175, 105),
    "finit_module": (313, 273), "delete_module": (176, 106), "create_module": (174, None),
    "get_kernel_syms": (177, None), "query_module": (178, None), "uselib": (134, None),
    "iopl": (172, None), "ioperm": (173, None), "syslog": (103, 116), "lookup_dcookie": (212, 18),
    "acct": (163, 89), "swapon": (167, 224), "swapoff": (168, 225), "reboot": (169, 142), "quotactl": (179, 60),
    "settimeofday": (164, 170), "clock_settime": (227, 112), "adjtimex": (159, 171), "clock_adjtime": (305, 266),
    "sethostname": (170, 161), "setdomainname": (171, 162), "vhangup": (153, 58),
    # SysV IPC and POSIX message queues outlive the child's processes: one student's segment is the next one's
    "shmget": (29, 194), "semget": (64, 190), "msgget": (68, 186), "mq_open": (240, 180),
}
SOCKET, SOCKETPAIR, CLONE, CLONE3 = (41, 198), (53, 199), (56, 220), (435, 435)

BPF_LD_W_ABS, BPF_JEQ, BPF_JGE, BPF_JSET, BPF_RET = 0x20, 0x15, 0x35, 0x45, 0x06
RET_ALLOW, RET_ERRNO, RET_KILL = 0x7FFF0000, 0x00050000, 0x80000000
EPERM, ENOSYS = 1, 38
NR, ARCH, ARG0 = 0, 4, 16  # offsets in struct seccomp_data (args are 64-bit, little-endian: the low half first)

LANDLOCK_CREATE_RULESET_VERSION, LANDLOCK_RULE_PATH_BENEATH = 1, 1
SYS_LANDLOCK = (444, 445, 446)  # create_ruleset, add_rule, restrict_self: the same on every architecture
FS_EXECUTE, FS_WRITE_FILE, FS_READ_FILE, FS_READ_DIR = 1, 2, 4, 8
FS_ALL_V1 = (1 << 13) - 1  # execute .. make_sym
FS_REFER, FS_TRUNCATE = 1 << 13, 1 << 14
READ_ONLY = FS_EXECUTE | FS_READ_FILE | FS_READ_DIR
FILE_RIGHTS = FS_EXECUTE | FS_WRITE_FILE | FS_READ_FILE | FS_TRUNCATE
SCOPE_ABSTRACT_UNIX_SOCKET, SCOPE_SIGNAL = 1, 2
NET_BIND_TCP, NET_CONNECT_TCP = 1, 2


class Stop(Exception):
    pass


def decode(text):
    """The plan as ``gradekit.sandbox.jail.encode_plan`` wrote it: a line per field, values split by tabs."""
    plan = {}
    for line in text.split("\n"):
        key, _, rest = line.partition("\t")
        values = rest.split("\t") if rest else []
        if key in ("read", "write", "protect", "protect_class"):
            plan[key] = values
        elif key == "env":
            plan[key] = dict(v.split("=", 1) for v in values)
        elif key in ("uid", "landlock"):
            plan[key] = int(values[0])
        else:
            plan[key] = values[0] if values else ""
    return plan


libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long


def fail(what):
    raise Stop("%s: %s" % (what, os.strerror(ctypes.get_errno())))


def drop(uid):
    os.setgroups([])
    os.setgid(uid)
    os.setuid(uid)
    if os.getuid() != uid or os.geteuid() != uid or os.getgid() != uid or os.getgroups():
        raise Stop("the uid drop did not take")
    if libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        fail("no new privileges")


# -- seccomp --------------------------------------------------------------------------------------

class SockFilter(ctypes.Structure):
    _fields_ = [("code", ctypes.c_ushort), ("jt", ctypes.c_ubyte), ("jf", ctypes.c_ubyte), ("k", ctypes.c_uint)]


class SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.POINTER(SockFilter))]


def seccomp_program(machine):
    """The filter for ``machine`` as (code, jt, jf, k) tuples; Stop on an architecture this file does not know."""
    if machine not in AUDIT_ARCH:
        raise Stop("no seccomp filter for %s: its system call numbers are not known here" % machine)
    col = 0 if machine == "x86_64" else 1
    errno = lambda e: (BPF_RET, 0, 0, RET_ERRNO | e)
    prog = [(BPF_LD_W_ABS, 0, 0, ARCH), (BPF_JEQ, 1, 0, AUDIT_ARCH[machine]), (BPF_RET, 0, 0, RET_KILL),
            (BPF_LD_W_ABS, 0, 0, NR)]
    if machine == "x86_64":  # the x32 ABI: the same calls under other numbers
        prog += [(BPF_JGE, 0, 1, 0x40000000), (BPF_RET, 0, 0, RET_KILL)]
    for nrs in REFUSED.values():
        if nrs[col] is not None:
            prog += [(BPF_JEQ, 0, 1, nrs[col]), errno(EPERM)]
    prog += [(BPF_JEQ, 0, 1, CLONE3[col]), errno(ENOSYS)]  # its flags are behind a pointer: libc falls back to clone
    # clone: namespace flags refused; socket, socketpair: AF_UNIX only. Each reloads the number after.
    prog += [(BPF_JEQ, 0, 4, CLONE[col]), (BPF_LD_W_ABS, 0, 0, ARG0), (BPF_JSET, 0, 1, CLONE_NEW), errno(EPERM),
             (BPF_RET, 0, 0, RET_ALLOW)]
    for nrs in (SOCKET, SOCKETPAIR):
        prog += [(BPF_JEQ, 0, 4, nrs[col]), (BPF_LD_W_ABS, 0, 0, ARG0), (BPF_JEQ, 1, 0, AF_UNIX), errno(EPERM),
                 (BPF_RET, 0, 0, RET_ALLOW)]
    prog.append((BPF_RET, 0, 0, RET_ALLOW))
    return prog


def install_seccomp(machine):
    prog = seccomp_program(machine)
    insns = (SockFilter * len(prog))(*[SockFilter(*i) for i in prog])
    fprog = SockFprog(len(prog), insns)
    if libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.byref(fprog), 0, 0) != 0:
        fail("seccomp filter")


# -- Landlock -------------------------------------------------------------------------------------

class RulesetAttr(ctypes.Structure):
    _fields_ = [("handled_access_fs", ctypes.c_uint64), ("handled_access_net", ctypes.c_uint64),
                ("scoped", ctypes.c_uint64)]


class PathBeneathAttr(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


def landlock_abi():
    """The kernel's Landlock ABI version, 0 when it has none (or it is off, or a seccomp filter refuses it)."""
    v = libc.syscall(ctypes.c_long(SYS_LANDLOCK[0]), None, ctypes.c_size_t(0),
                     ctypes.c_uint32(LANDLOCK_CREATE_RULESET_VERSION))
    return v if v > 0 else 0


def install_landlock(abi, read, write):
    """Restrict this process (and all it execs) to ``read`` (read, list, execute) and ``write`` (everything)."""
    handled = FS_ALL_V1 | (FS_REFER if abi >= 2 else 0) | (FS_TRUNCATE if abi >= 3 else 0)
    attr = RulesetAttr(handled, NET_BIND_TCP | NET_CONNECT_TCP if abi >= 4 else 0,
                       SCOPE_ABSTRACT_UNIX_SOCKET | SCOPE_SIGNAL if abi >= 6 else 0)
    size = 8 if abi < 4 else 16 if abi < 6 else 24
    ruleset = libc.syscall(ctypes.c_long(SYS_LANDLOCK[0]), ctypes.byref(attr), ctypes.c_size_t(size),
                           ctypes.c_uint32(0))
    if ruleset < 0:
        fail("landlock ruleset")
    try:
        for paths, rights in ((read, READ_ONLY), (write, handled)):
            for path in paths:
                try:
                    fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
                except OSError:
                    continue  # not on this machine (a /lib32 that is not there): nothing to allow
                try:
                    allowed = rights if os.path.isdir(path) else rights & FILE_RIGHTS & handled
                    rule = PathBeneathAttr(allowed, fd)
                    if libc.syscall(ctypes.c_long(SYS_LANDLOCK[1]), ctypes.c_int(ruleset),
                                    ctypes.c_int(LANDLOCK_RULE_PATH_BENEATH), ctypes.byref(rule),
                                    ctypes.c_uint32(0)) != 0:
                        fail("landlock rule for %s" % path)
                finally:
                    os.close(fd)
        if libc.syscall(ctypes.c_long(SYS_LANDLOCK[2]), ctypes.c_int(ruleset), ctypes.c_uint32(0)) != 0:
            fail("landlock restrict")
    finally:
        os.close(ruleset)


# -- the check ------------------------------------------------------------------------------------

def reachable(path):
    """How ``path`` answers this process: 'read', 'listed', 'written', or '' when it refuses all three."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW | os.O_CLOEXEC)
    except OSError:
        fd = -1
    if fd >= 0:
        try:
            if not os.path.isdir(path):
                return "read"
            try:
                os.listdir(fd)
                return "listed"
            except OSError:
                pass
        finally:
            os.close(fd)
    if os.path.isdir(path):
        probe = os.path.join(path, ".gradekit-probe-%d" % os.getpid())
        try:
            os.mkdir(probe, 0o700)
        except OSError:
            return ""
        os.rmdir(probe)
        return "written"
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_NONBLOCK | os.O_NOFOLLOW | os.O_CLOEXEC))
        return "written"
    except OSError:
        return ""


def check(protected):
    for path in protected:
        how = reachable(path)
        if how:
            raise Stop("the sandbox uid can still reach %s (%s)" % (path, how))


def search_refused(folder):
    """Whether no name inside ``folder`` can be looked up by this process (no search permission for it)."""
    try:
        os.stat(os.path.join(folder, ".gradekit-probe-none"))
    except PermissionError:
        return True
    except OSError:
        return False
    return False


def outside(folder, allowed):
    """Whether no path Landlock allows is ``folder``, above it or beneath it: then it denies all of ``folder``."""
    for a in allowed:
        if a == folder or a.startswith(folder.rstrip("/") + "/") or folder.startswith(a.rstrip("/") + "/"):
            return False
    return True


def check_class(values, allowed, landlock):
    """``values``: a class folder (absolute), the names in it, and again for another folder; an empty name
    says names were left out. Each folder must refuse this uid; its entries too, unless it covers them."""
    groups = []
    for v in values:
        if v.startswith("/"):
            groups.append([v, [], True])
        elif groups and v == "":
            groups[-1][2] = False
        elif groups:
            groups[-1][1].append(v)
    for folder, names, complete in groups:
        check([folder])
        if search_refused(folder) or (landlock and outside(folder, allowed)):
            continue  # nothing beneath it can be opened by this uid
        if not complete:
            raise Stop("the sandbox uid can still reach %s (searched), and not every entry in it is checked"
                       % folder)
        check([os.path.join(folder, n) for n in names])


def confine(plan):
    """Steps 1-4 on this process, as the plan says; Stop when one fails (the caller reports it)."""
    machine = os.uname().machine
    seccomp_program(machine)  # before anything: an unknown architecture refuses here
    drop(plan["uid"])
    if plan.get("landlock"):
        abi = landlock_abi()
        if abi <= 0:
            raise Stop("the plan asks for Landlock, and this kernel has none")
        proc_self = "/proc/%d" % os.getpid()  # this process, and after exec the program: its /proc/self
        install_landlock(abi, plan.get("read", []) + [proc_self], plan.get("write", []))
    install_seccomp(machine)
    check(plan.get("protect", []))
    check_class(plan.get("protect_class", []), plan.get("read", []) + plan.get("write", []), plan.get("landlock"))
    os.chdir(plan["work"])


def main():
    plan = decode(sys.argv[1])
    program = sys.argv[4:]
    confine(plan)
    os.set_inheritable(int(sys.argv[2]), False)
    os.execve(program[0], program, plan["env"])


if __name__ == "__main__":  # run as a program; gradekit's confined fork server execs this text for confine()
    try:
        main()
    except BaseException as e:  # a step failed: say which, run nothing
        try:
            os.write(int(sys.argv[2]), ("%s" % (e,)).encode()[:2000] or type(e).__name__.encode())
        finally:
            os._exit(125)
