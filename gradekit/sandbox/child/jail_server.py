"""gradekit's fork server: runs in a root jail, forks one boxed child per request (read as text, never imported).

argv: ``SOCKET_FD PRELOAD...``. It imports the PRELOAD modules once (numpy), then
serves requests on the socket, one at a time. A request is a JSON header and
four descriptors: a file holding the job (the script and the child's files),
the result pipe, and the files for stdout and stderr. The server never reads a job, a result or
any output itself: a submission's data never enters its memory, so no later
child can find it there. Per request:

1. fork a *keeper* (root), which gets a mount and an IPC namespace of its own, one fresh
   size-limited tmpfs for /sandbox (owned by the request's uid), /tmp, /var/tmp and
   /dev/shm together, and writes the job's files into /sandbox;
2. the keeper forks the *runner*, which takes the output as stdout and stderr,
   sets the rlimits, drops to the request's uid (no groups, no new privileges)
   and runs the script in this interpreter, numpy already imported;
3. when the runner ends (or the grader, past the wall clock, kills every process
   of that uid), the keeper kills whatever of that uid is left, reads
   /sandbox/result.json (no links, regular, capped) and writes the runner's
   wait status and the result to the result pipe;
4. the server reaps the keeper and answers "done".

The uid is the grader's choice, taken under its lock, and dedicated to this one
child; the grader sweeps it again afterwards.
"""
import ctypes, json, os, resource, socket, sys

CLONE_NEWNS, CLONE_NEWIPC = 0x00020000, 0x08000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_REC, MS_PRIVATE = 1, 2, 4, 16384, 1 << 18
MS_REMOUNT, MS_BIND = 32, 4096
PR_SET_NO_NEW_PRIVS = 38
libc = ctypes.CDLL(None, use_errno=True)
sock = socket.socket(fileno=int(sys.argv[1]))
for name in sys.argv[2:]:
    try:
        __import__(name)
    except Exception:
        pass


def check(result, what):
    if result != 0:
        raise OSError(ctypes.get_errno(), "%s: %s" % (what, os.strerror(ctypes.get_errno())))


def mount_tmpfs(path, options):
    check(libc.mount(b"tmpfs", path.encode(), b"tmpfs", ctypes.c_ulong(MS_NOSUID | MS_NODEV), options.encode()),
          "mount tmpfs on " + path)


def read_job(fd):
    data, chunks = b"", []
    while True:
        chunk = os.read(fd, 1 << 20)
        if not chunk:
            break
        chunks.append(chunk)
    data = b"".join(chunks)
    head, _, body = data.partition(b"\n")
    header = json.loads(head)
    files, offset = {}, 0
    for name, size in header["files"]:
        files[name] = body[offset:offset + size]
        offset += size
    return header, files


def run(request, job_fd, result_fd, out_fd, err_fd):
    """In the keeper (root, forked for this request)."""
    uid, cap = request["uid"], request["result_bytes"]
    # its own mounts, and its own SysV IPC and POSIX message queues: a segment the last child left (shmget
    # with a key the next one knows) is gone with that child's namespace, never seen by the next
    check(libc.unshare(CLONE_NEWNS | CLONE_NEWIPC), "unshare")
    check(libc.mount(None, b"/", None, ctypes.c_ulong(MS_REC | MS_PRIVATE), None), "private mounts")
    header, files = read_job(job_fd)
    os.close(job_fd)
    # One tmpfs holds all the child may write (/sandbox, /tmp, /var/tmp, /dev/shm are folders of it): its
    # size is the write budget beyond the job's own files. It is mounted at /sandbox, then covered there by
    # its sandbox folder.
    extra = sum(len(data) + 4096 for data in files.values())
    mount_tmpfs("/sandbox", "mode=0755,size=%d" % (request["tmp_bytes"] + extra))
    folders = {}
    for place in ("/sandbox", "/tmp", "/var/tmp", "/dev/shm"):
        folder = "/sandbox/.writable" + place.replace("/", "_")
        os.mkdir(folder)
        os.chmod(folder, 0o700 if place == "/sandbox" else 0o1777)
        if place == "/sandbox":
            os.chown(folder, uid, uid)
        folders[place] = folder
    # Library folders under /tmp (a venv in a clone under /tmp) are held by descriptors, then bound back
    # read-only on the fresh tmpfs that covers them.
    held = [(path, os.open(path, os.O_PATH | os.O_DIRECTORY)) for path in request["keep"] if os.path.isdir(path)]
    for path in ("/tmp", "/var/tmp", "/dev/shm", "/sandbox"):
        check(libc.mount(folders[path].encode(), path.encode(), None, ctypes.c_ulong(MS_BIND), None), "bind " + path)
    for path, fd in held:
        os.makedirs(path, exist_ok=True)
        check(libc.mount(("/proc/self/fd/%d" % fd).encode(), path.encode(), None, ctypes.c_ulong(MS_BIND | MS_REC),
                         None), "bind " + path)
        check(libc.mount(None, path.encode(), None, ctypes.c_ulong(MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID
                                                                    | MS_NODEV), None), "read-only " + path)
        os.close(fd)
    for name, data in files.items():
        path = os.path.join("/sandbox", name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(data)
    for top, dirs, names in os.walk("/sandbox"):
        for name in dirs + names:
            os.chown(os.path.join(top, name), uid, uid, follow_symlinks=False)
    runner = os.fork()
    if runner == 0:
        os.close(result_fd)
        sock.close()
        os.dup2(out_fd, 1)
        os.dup2(err_fd, 2)
        os.close(out_fd)
        os.close(err_fd)
        os.setsid()
        os.chdir("/sandbox")
        os.umask(0o077)
        # the server's interpreter and numpy: the budget is on top of them, as for a preload
        base = mapped_bytes()  # noqa: F821 - fork_common's
        for res, soft, hard in request["rlimits"]:
            if res == resource.RLIMIT_AS:
                soft, hard = soft + base, hard + base
            resource.setrlimit(res, (soft, hard))
        os.setgroups([])
        os.setgid(uid)
        os.setuid(uid)
        check(libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "no new privileges")
        os.environ.clear()
        os.environ.update(request["env"])
        sys.argv = ["-c"]
        script = header["script"]
        del header, files, request
        os._exit(as_main(script))  # noqa: F821 - fork_common's
    os.close(out_fd)
    os.close(err_fd)
    _, status = os.waitpid(runner, 0)
    sweeper = os.fork()  # everything the runner left: killed by a process of its uid, in this pid namespace
    if sweeper == 0:
        os.setgroups([])
        os.setgid(uid)
        os.setuid(uid)
        try:
            os.kill(-1, 9)
        finally:
            os._exit(0)
    os.waitpid(sweeper, 0)
    result = b""
    try:
        fd = os.open("/sandbox/result.json", os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
        try:
            st = os.fstat(fd)
            if st.st_size <= cap and (st.st_mode & 0o170000) == 0o100000:
                result = os.read(fd, cap + 1)[:cap + 1]
            else:
                result = b"\0too large or not a regular file"
        finally:
            os.close(fd)
    except FileNotFoundError:
        result = None
    except OSError as e:
        result = ("\0cannot be opened (%s)" % e.strerror).encode()
    head = b"%d %d\n" % (status, -1 if result is None else len(result))
    data = head + (result or b"")
    view = memoryview(data)
    while view:
        n = os.write(result_fd, view)
        view = view[n:]


def serve():
    while True:
        try:
            msg, fds, _, _ = socket.recv_fds(sock, 65536, 4)
        except OSError:
            return
        if not msg:
            return
        request = json.loads(msg)
        job_fd, result_fd, out_fd, err_fd = fds
        keeper = os.fork()
        if keeper == 0:
            try:
                run(request, job_fd, result_fd, out_fd, err_fd)
            except BaseException as e:
                try:
                    os.write(result_fd, b"-1 %d\n" % len(str(e).encode()) + str(e).encode())
                except OSError:
                    pass
            os._exit(0)
        for fd in fds:
            os.close(fd)
        os.waitpid(keeper, 0)
        sock.sendall(b"done\n")


serve()
