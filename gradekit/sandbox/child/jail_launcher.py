"""Builds a sandbox child's world, then becomes the child (read as text, run with ``python -I -S``; never imported).

argv: ``PLAN_JSON STATUS_FD -- PROGRAM ARGS...``. The plan (from ``gradekit.sandbox.jail``)
lists what the child may see. As root this process:

1. leaves the grader's namespaces: new mount, pid, network, IPC and UTS
   namespaces (not root: a user namespace first, mapping only its own uid);
2. forks pid 1 of a new pid namespace, which builds the view and forks the
   program as pid 2, then reaps; when it ends, everything in the namespace ends.
   This first process waits outside and ends the way the program did;
3. builds a new root on a tmpfs: each path of the plan bound read-only at its own
   place, the listed hidden paths covered by empty read-only tmpfs, a /dev of five
   devices, a /proc of its own, and one size-limited tmpfs for all the child may
   write: /sandbox (a copy of the working folder), /tmp, /var/tmp and /dev/shm;
   the rest of the machine is not there at all (deny by default, as bubblewrap
   does). When the program ends, pid 1 copies /sandbox/result.json back to the
   working folder;
4. pivots into it, detaches the old root, drops to the sandbox uid (no groups,
   no new privileges) and execs the program.

Any step that fails stops the launch: the reason goes to STATUS_FD and the exit
status is 125. The program never runs with less than the plan. STATUS_FD is
closed on exec, so the program cannot write a launch error of its own.
"""
import ctypes, os, sys  # and nothing else at start-up: every import is paid per child

CLONE_NEWNS, CLONE_NEWUTS, CLONE_NEWIPC = 0x00020000, 0x04000000, 0x08000000
CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET = 0x10000000, 0x20000000, 0x40000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 32, 4096, 16384, 1 << 18
MS_NOATIME, MS_NODIRATIME, MS_RELATIME = 1024, 2048, 1 << 21
MNT_DETACH = 2
PR_SET_NO_NEW_PRIVS, PR_SET_DUMPABLE, PR_SET_PDEATHSIG = 38, 4, 1
SYS_PIVOT_ROOT = {"x86_64": 155, "aarch64": 41, "riscv64": 41, "ppc64le": 203, "s390x": 217}
# statvfs flags a bind remount must keep: in a user namespace they are locked, and dropping one is EPERM.
KEEP = ((os.ST_NOSUID, MS_NOSUID), (os.ST_NODEV, MS_NODEV), (os.ST_NOEXEC, MS_NOEXEC),
        (os.ST_NOATIME, MS_NOATIME), (os.ST_NODIRATIME, MS_NODIRATIME), (os.ST_RELATIME, MS_RELATIME))



def decode(text):
    """The plan as ``gradekit.sandbox.jail.encode_plan`` wrote it: a line per field, values split by tabs."""
    plan = {}
    for line in text.split("\n"):
        key, _, rest = line.partition("\t")
        values = rest.split("\t") if rest else []
        if key in ("binds", "hidden"):
            plan[key] = values
        elif key == "env":
            plan[key] = dict(v.split("=", 1) for v in values)
        elif key in ("uid", "tmp_bytes"):
            plan[key] = int(values[0])
        else:
            plan[key] = values[0]
    return plan


plan = decode(sys.argv[1])
status_fd = int(sys.argv[2])
program = sys.argv[4:]
libc = ctypes.CDLL(None, use_errno=True)


class Stop(Exception):
    pass


def call(result, what):
    if result != 0:
        raise Stop("%s: %s" % (what, os.strerror(ctypes.get_errno())))


def mount(source, target, fstype, flags, data=None):
    enc = lambda s: None if s is None else s.encode()
    call(libc.mount(enc(source), enc(target), enc(fstype), ctypes.c_ulong(flags), enc(data)),
         "mount %s on %s" % (source or fstype, target))


def write(path, text):
    fd = os.open(path, os.O_WRONLY)
    try:
        os.write(fd, text.encode())
    finally:
        os.close(fd)


def bind_read_only(src, dst):
    if os.path.isdir(src):
        os.makedirs(dst, exist_ok=True)
    else:
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        os.close(os.open(dst, os.O_WRONLY | os.O_CREAT, 0o644))
    mount(src, dst, None, MS_BIND | MS_REC)
    keep = os.statvfs(src).f_flag
    flags = MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV
    for st, ms in KEEP:
        if keep & st:
            flags |= ms
    mount(None, dst, None, flags)


def writable(top, uid, extra):
    """One tmpfs at ``top`` holds all the child may write: /sandbox, /tmp, /var/tmp and /dev/shm are folders
    of it, bound to their places (``top`` itself is then covered by its sandbox folder). Its size is the plan's
    write budget, beyond the ``extra`` bytes of the files copied in: the child's writes never reach the
    grader's disk, and together they never pass that budget. Returns the folder paths by place."""
    mount("tmpfs", top, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755,size=%d" % (plan["tmp_bytes"] + extra))
    folders = {}
    for place in ("/sandbox", "/tmp", "/var/tmp", "/dev/shm"):
        folder = top + "/.writable" + place.replace("/", "_")
        os.makedirs(folder)
        if place == "/sandbox":
            os.chown(folder, uid, uid)
            os.chmod(folder, 0o700)
        else:
            os.chmod(folder, 0o1777)
        folders[place] = folder
    return folders


def copy_in(src, dst, uid):
    """The grader's files for the child (regular files and folders only), owned by the child's uid."""
    for name in os.listdir(src):
        s, d = src + "/" + name, dst + "/" + name
        if os.path.islink(s):
            continue
        if os.path.isdir(s):
            os.mkdir(d, 0o700)
            os.chown(d, uid, uid)
            copy_in(s, d, uid)
        elif os.path.isfile(s):
            with open(s, "rb") as f, open(d, "wb") as g:
                while True:
                    chunk = f.read(1 << 20)
                    if not chunk:
                        break
                    g.write(chunk)
            os.chown(d, uid, uid)


def tree_bytes(top):
    total = 0
    for dirpath, _, filenames in os.walk(top):
        for name in filenames:
            try:
                total += os.lstat(dirpath + "/" + name).st_size + 4096
            except OSError:
                pass
    return total


def build(root):
    uid = plan["uid"]
    mount("tmpfs", root, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755,size=1m")
    os.makedirs(root + "/dev")
    mount("tmpfs", root + "/dev", "tmpfs", MS_NOSUID | MS_NOEXEC, "mode=0755,size=64k")
    os.makedirs(root + "/sandbox")
    folders = writable(root + "/sandbox", uid, tree_bytes(plan["work"]))
    copy_in(plan["work"], folders["/sandbox"], uid)
    # The private /tmp, /var/tmp and /dev/shm first: a venv under /tmp (a clone in /tmp) is bound on top of them.
    for path in ("/tmp", "/var/tmp", "/dev/shm"):
        os.makedirs(root + path, exist_ok=True)
        mount(folders[path], root + path, None, MS_BIND)
    for src in plan["binds"]:
        if os.path.islink(src):  # /bin -> usr/bin on merged-/usr systems: the same link
            os.makedirs(os.path.dirname(root + src), exist_ok=True)
            os.symlink(os.readlink(src), root + src)
        elif os.path.exists(src):
            bind_read_only(src, root + src)
    for path in plan["hidden"]:
        if os.path.isdir(root + path):
            mount("tmpfs", root + path, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=0555,size=4k")
        elif os.path.exists(root + path):
            mount("/dev/null", root + path, None, MS_BIND)
    for name in ("null", "zero", "full", "random", "urandom"):
        bind_device("/dev/" + name, root + "/dev/" + name)
    for name, target in (("fd", "/proc/self/fd"), ("stdin", "/proc/self/fd/0"),
                         ("stdout", "/proc/self/fd/1"), ("stderr", "/proc/self/fd/2")):
        os.symlink(target, root + "/dev/" + name)
    os.makedirs(root + "/proc", exist_ok=True)
    mount("proc", root + "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
    os.makedirs(root + "/etc", exist_ok=True)
    with open(root + "/etc/passwd", "w") as f:  # getpass.getuser() and friends find a name
        f.write("root:x:0:0:root:/root:/bin/false\nstudent:x:%d:%d:student:/sandbox:/bin/false\n" % (uid, uid))
    with open(root + "/etc/group", "w") as f:
        f.write("root:x:0:\nstudent:x:%d:\n" % uid)
    mount(folders["/sandbox"], root + "/sandbox", None, MS_BIND)  # on top of the tmpfs: its other folders hidden
    mount(None, root + "/sandbox", None, MS_BIND | MS_REMOUNT | MS_NOSUID | MS_NODEV)
    mount(None, root, None, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV)


def copy_result(work_fd):
    """The child's result.json, from its tmpfs to the grader's folder (``work_fd``, held from before the
    pivot): a regular file, no link, at most the write budget; nothing when there is none, and a folder in
    its place when it is not a regular file (the grader says so). Only a program that ended by itself has
    it copied: one the grader killed (past the wall clock) is not read."""
    try:
        fd = os.open("/sandbox/result.json", os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except FileNotFoundError:
        return
    except OSError:  # a link: the grader is shown something that is not a regular file, and says so
        fd = -1
    try:
        if fd < 0 or (os.fstat(fd).st_mode & 0o170000) != 0o100000:
            os.mkdir("result.json", 0o700, dir_fd=work_fd)
            return
        out = os.open("result.json", os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600, dir_fd=work_fd)
        try:
            left = plan["tmp_bytes"] + 1
            while left > 0:
                chunk = os.read(fd, min(1 << 20, left))
                if not chunk:
                    break
                os.write(out, chunk)
                left -= len(chunk)
        finally:
            os.close(out)
    except OSError:
        pass
    finally:
        if fd >= 0:
            os.close(fd)


def bind_device(src, dst):
    os.close(os.open(dst, os.O_WRONLY | os.O_CREAT, 0o666))
    mount(src, dst, None, MS_BIND)


def enter(root):
    os.chdir(root)
    nr = SYS_PIVOT_ROOT.get(os.uname().machine)
    if nr is None:
        raise Stop("no pivot_root for %s" % os.uname().machine)
    call(libc.syscall(ctypes.c_long(nr), b".", b"."), "pivot_root")
    call(libc.umount2(b".", MNT_DETACH), "detach the old root")
    os.chdir("/sandbox")


def drop(uid):
    if os.geteuid() == 0:
        os.setgroups([])
        os.setgid(uid)
        os.setuid(uid)
        if os.getuid() != uid or os.geteuid() != uid:
            raise Stop("the uid drop did not take")
    call(libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "no new privileges")


def close_all_but(*keep):
    top = min(os.sysconf("SC_OPEN_MAX"), 65536)
    last = 3
    for fd in sorted(keep):
        os.closerange(last, fd)
        last = fd + 1
    os.closerange(last, top)


def wait_for(pid):
    """Reap children (pid 1 inherits orphans) until ``pid`` ends; its wait status."""
    while True:
        try:
            done, status = os.waitpid(-1, 0)
        except InterruptedError:
            continue
        if done == pid:
            return status


def end_like(status):
    """End this process the way the child ended (signal or exit code)."""
    if os.WIFSIGNALED(status):
        import signal

        sig = os.WTERMSIG(status)
        if sig not in (signal.SIGKILL, signal.SIGSTOP):  # those two cannot be handled, nor need to be
            signal.signal(sig, signal.SIG_DFL)
        os.kill(os.getpid(), sig)
    os._exit(os.waitstatus_to_exitcode(status) & 0xFF)


def main():
    umask = os.umask(0o022)  # the view's folders must be open to the sandbox uid; the child gets its own back
    uid, gid = os.getuid(), os.getgid()
    flags = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS
    if uid != 0:
        flags |= CLONE_NEWUSER
    call(libc.unshare(flags), "unshare")
    if uid != 0:  # the user namespace maps this user to itself: inside it is no one's root after exec
        write("/proc/self/setgroups", "deny")
        write("/proc/self/uid_map", "%d %d 1" % (uid, uid))
        write("/proc/self/gid_map", "%d %d 1" % (gid, gid))
    # Three processes: this one stays outside the pid namespace and ends as the child did; its
    # child is pid 1 inside (it builds the view, then reaps; when it ends, the namespace ends);
    # pid 2 is the program. Not pid 1 itself: pid 1 ignores signals it has no handler for.
    libc.prctl(PR_SET_PDEATHSIG, 9, 0, 0, 0)  # the grader gone (a killed worker): this process goes too
    report_r, report_w = os.pipe()
    init = os.fork()
    if init:
        os.close(report_w)
        close_all_but(report_r)
        wait_for(init)
        data = os.read(report_r, 64)
        end_like(int(data) if data else 0x7D00)  # nothing reported: the launch failed (exit 125)
    os.close(report_r)
    libc.prctl(PR_SET_PDEATHSIG, 9, 0, 0, 0)  # ... and with it pid 1, and so the whole namespace
    mount(None, "/", None, MS_REC | MS_PRIVATE)
    libc.sethostname(b"sandbox", 7)
    work_fd = os.open(plan["work"], os.O_PATH | os.O_DIRECTORY)  # the grader's folder, where result.json goes
    build(plan["root"])
    enter(plan["root"])
    child = os.fork()
    if child == 0:
        os.close(report_w)
        os.close(work_fd)
        if plan.get("keep_root") != "1":
            drop(plan["uid"])
        else:  # gradekit's fork server: root in the jail, it drops each child it forks (gradekit.sandbox.fork_server)
            call(libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "no new privileges")
        os.umask(umask)
        os.set_inheritable(status_fd, False)
        os.execve(program[0], program, plan["env"])
    close_all_but(report_w, work_fd)
    drop(plan["uid"])
    libc.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)  # the program, the same uid, cannot trace or read the reaper
    status = wait_for(child)
    copy_result(work_fd)
    os.write(report_w, b"%d" % status)
    os._exit(0)


try:
    main()
except BaseException as e:  # a launch step failed: say which, run nothing
    try:
        os.write(status_fd, ("%s" % (e,)).encode()[:2000] or type(e).__name__.encode())
    finally:
        os._exit(125)
