"""Runs inside the sandbox: import torch once, then run each submission in a fresh child.

`python -m grading.template FD [PATH ...]`: one template per worker slot, started by
grading.sandbox.Pool. It imports what the harness needs, then waits on the Unix socket FD for
jobs. Each job is a message holding the limits (JSON) and three file descriptors: the job to
read, and the records and stderr files to write. For each one the template forks a child that

- makes a user and mount namespace of its own, with a fresh /tmp (the code folders PATH, which
  live under /tmp in a clone kept there, bound into it read-only) and a fresh /dev/shm;
- then a second user namespace owning new PID, IPC, UTS and network namespaces, so the
  submission, which forks next, is PID 1 of a namespace of its own: its caps there cannot undo
  the mounts, it cannot see or signal the template, and when it ends or runs past its time every
  process it started dies with it;
- sets the submission's rlimits, then runs `harness.serve` on the job.

The template never reads a job, so no submission's data is in the memory the next child gets,
and it is not dumpable, so a child cannot read or write its memory. Its reply, one message per
job: {"returncode", "timed_out", "seconds", "maxrss_kb"}, or {"error": why the child could not
be isolated}.
"""
import ctypes
import json
import os
import resource
import select
import signal
import socket
import sys
import time
import traceback

from grading import harness

CLONE_NEWNS, CLONE_NEWUTS, CLONE_NEWIPC = 0x20000, 0x4000000, 0x8000000
CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET = 0x10000000, 0x20000000, 0x40000000
MS_NOSUID, MS_NODEV, MS_BIND, MS_MOVE, MS_REC = 0x2, 0x4, 0x1000, 0x2000, 0x4000
PR_SET_DUMPABLE = 4
TMP_MB, SHM_MB = 256, 64  # as the sandbox's own /tmp and /dev/shm
RECORDS_FD = 3  # where the submission finds its records file

_libc = ctypes.CDLL(None, use_errno=True)


def _check(result, what):
    if result != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"{what}: {os.strerror(errno)}")


def _dumpable(flag):
    _check(_libc.prctl(PR_SET_DUMPABLE, int(flag), 0, 0, 0), "prctl")


def _user_namespace(flags):
    """unshare() a new user namespace (plus `flags`), mapping only this process's uid and gid."""
    uid, gid = os.getuid(), os.getgid()
    _check(_libc.unshare(CLONE_NEWUSER | flags), "unshare")
    for name, text in (("setgroups", "deny"), ("uid_map", f"{uid} {uid} 1"), ("gid_map", f"{gid} {gid} 1")):
        with open(f"/proc/self/{name}", "w") as f:
            f.write(text)


def _tmpfs(target, size_mb):
    options = f"size={size_mb}m,mode=1777".encode()
    _check(_libc.mount(b"tmpfs", target.encode(), b"tmpfs", MS_NOSUID | MS_NODEV, options), f"mount {target}")


def isolate(keep):
    """Give this process fresh namespaces (see the module's docstring); the next fork is PID 1.

    keep: folders under /tmp to bind into the fresh /tmp at the same place. The new tmpfs is
    put together on /dev/shm, where the old /tmp is still visible, then moved onto /tmp.
    """
    _user_namespace(CLONE_NEWNS)
    _tmpfs("/dev/shm", TMP_MB)
    for path in keep:
        inside = "/dev/shm" + path.removeprefix("/tmp")
        os.makedirs(inside, exist_ok=True)
        _check(_libc.mount(path.encode(), inside.encode(), None, MS_BIND | MS_REC, None), f"bind {path}")
    _check(_libc.mount(b"/dev/shm", b"/tmp", None, MS_MOVE, None), "move the new /tmp")
    _tmpfs("/dev/shm", SHM_MB)
    _user_namespace(CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWNET)


def _set_limits(limits):
    mib = 1 << 20
    for name, value in ((resource.RLIMIT_AS, limits["memory_mb"] * mib),
                        (resource.RLIMIT_CPU, limits["cpu_s"]),
                        (resource.RLIMIT_NPROC, limits["processes"]),
                        (resource.RLIMIT_FSIZE, limits["file_mb"] * mib),
                        (resource.RLIMIT_NOFILE, 256), (resource.RLIMIT_CORE, 0)):
        resource.setrlimit(name, (value, value))


def _submission(limits, job_fd, records_fd, stderr_fd):
    """In the isolated child: limits, then the harness on the job. Never returns."""
    with os.fdopen(job_fd, "rb") as f:
        job = json.load(f)
    os.dup2(stderr_fd, 2)
    os.dup2(records_fd, RECORDS_FD)
    os.closerange(RECORDS_FD + 1, resource.getrlimit(resource.RLIMIT_NOFILE)[0])
    _dumpable(True)  # its own /proc, as a plain process has
    os.chdir("/tmp")
    _set_limits(limits)
    harness.serve(job, RECORDS_FD)


def _watch(pid, wall_s):
    """Wait for the submission `pid`, killing its namespace after `wall_s`; returns the reply."""
    start = time.monotonic()
    pidfd = os.pidfd_open(pid)
    ready, _, _ = select.select([pidfd], [], [], wall_s)
    if not ready:
        os.kill(pid, signal.SIGKILL)
    _, status, usage = os.wait4(pid, 0)
    return {"returncode": os.waitstatus_to_exitcode(status), "timed_out": not ready,
            "seconds": time.monotonic() - start, "maxrss_kb": usage.ru_maxrss}


def _child(limits, fds, keep, report):
    """The forked child: isolate, fork the submission, watch it, write the reply to `report`."""
    try:
        _dumpable(True)  # to write its own uid and gid maps, which a non-dumpable process cannot
        isolate(keep)
        _dumpable(False)
        pid = os.fork()
        if pid == 0:
            try:
                _submission(limits, *fds)
            except BaseException:  # noqa: B036 (shown in the verdict's stderr tail)
                traceback.print_exc()
            os._exit(120)
        reply = _watch(pid, limits["wall_s"])
    except BaseException as e:  # noqa: B036 (the reply must say what went wrong, whatever it was)
        reply = {"error": f"{type(e).__name__}: {e}"}
    os.write(report, json.dumps(reply).encode())
    os._exit(0)


def run(control, limits, fds, keep):
    """One job: fork the child, return its reply (a dict)."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        control.close()
        os.close(read)
        _child(limits, fds, keep, write)
    os.close(write)
    with os.fdopen(read, "rb") as f:
        data = f.read()
    _, status = os.waitpid(pid, 0)
    return json.loads(data) if data else {"error": f"the child ended without a reply (status {status})"}


def main():
    control = socket.socket(fileno=int(sys.argv[1]))
    keep = sys.argv[2:]
    _dumpable(False)
    harness.preload()
    control.send(b'{"ready": true}')
    while True:
        message, fds, _, _ = socket.recv_fds(control, 1 << 16, 3)
        if not message:
            return
        try:
            ok = len(fds) == 3
            reply = run(control, json.loads(message), fds, keep) if ok else {"error": "bad message"}
        finally:
            for fd in fds:
                os.close(fd)
        control.send(json.dumps(reply).encode())


if __name__ == "__main__":
    main()
