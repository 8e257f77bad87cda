"""gradekit's confined fork server: numpy imported once, one confined child forked per request (read as text).

argv: ``SOCKET_FD LAUNCHER_SOURCE PRELOAD...``. Where no jail can be had, a batch worker
starts this as root (no namespaces), instead of paying a fresh interpreter and numpy per
child. It imports the PRELOAD modules, then serves requests on the socket, one at a time:
a JSON header (the uid, the child's folders, its environment and rlimits, the confinement
plan) and four descriptors (stdout, stderr, a status pipe, the script). The grader wrote
the child's files into its folder itself and the runner reads the script after the fork:
no submission, script, result or output ever enters this server's memory, so no later
child can find an earlier one's data in what it was forked from. Per request it forks a
*runner*, which takes the output, starts its own session, sets the rlimits and confines
itself exactly as ``confine_launcher`` does (its ``confine``: the uid drop, Landlock, the
seccomp filter, the protected-path check), then runs the script in this interpreter. A step that fails is written to the status pipe
(exit 125). The server waits for the runner (past the wall clock the grader kills every
process of the uid) and answers its wait status. The grader kills the uid's processes
again, and reads the result itself.
"""
import json, os, resource, socket, sys

sock = socket.socket(fileno=int(sys.argv[1]))
launcher = {"__name__": "confine_launcher"}
exec(compile(sys.argv[2], "confine_launcher", "exec"), launcher)  # its confine(), not its main()
for name in sys.argv[3:]:
    try:
        __import__(name)
    except Exception:
        pass


def runner(request, out_fd, err_fd, status_fd, job_fd):
    sock.close()
    chunks = []
    while True:
        chunk = os.read(job_fd, 1 << 20)
        if not chunk:
            break
        chunks.append(chunk)
    os.close(job_fd)
    script = b"".join(chunks).decode("utf-8")
    os.dup2(out_fd, 1)
    os.dup2(err_fd, 2)
    os.setsid()
    os.umask(0o077)
    try:
        # the server's interpreter and numpy: the budget is on top of them, as for a preload
        base = mapped_bytes()  # noqa: F821 - fork_common's
        for res, soft, hard in request["rlimits"]:
            if res == resource.RLIMIT_AS:
                soft, hard = soft + base, hard + base
            resource.setrlimit(res, (soft, hard))
        launcher["confine"](request["plan"])
    except BaseException as e:
        try:
            os.write(status_fd, ("%s" % (e,)).encode()[:2000] or type(e).__name__.encode())
        finally:
            os._exit(125)
    os.close(status_fd)
    os.environ.clear()
    os.environ.update(request["plan"]["env"])
    sys.argv = ["-c"]
    del request, chunks
    os._exit(as_main(script))  # noqa: F821 - fork_common's


def serve():
    while True:
        try:
            msg, fds, _, _ = socket.recv_fds(sock, 1 << 20, 4)
        except OSError:
            return
        if not msg:
            return
        request = json.loads(msg)
        pid = os.fork()
        if pid == 0:
            try:
                runner(request, *fds)
            finally:
                os._exit(125)
        for fd in fds:
            os.close(fd)
        _, status = os.waitpid(pid, 0)
        sock.sendall(b"%d\n" % status)


serve()
