"""Run the harness on untrusted code, confined with bubblewrap and rlimits (no Docker).

- bubblewrap (`bwrap`, Debian package `bubblewrap`): new mount, PID, network, IPC and UTS
  namespaces. The sandbox sees only the system folders, the Python installation, the virtual
  environment and this repository's lib/ and grading/ folders, all read-only, plus an empty
  tmpfs /tmp. solutions/, the gradebook, the submissions and every other student's files do not
  exist inside it. The network namespace has no interface but a loopback that is down.
- An unprivileged user: run as root, the tool drops to a uid of its own per worker (60000 +
  slot) inside the sandbox; run as a normal user, bwrap also makes a user namespace. Two
  batches graded at once as root need separate uids: set GRADING_UID_BASE (instead of 60000)
  for one of them, at least the other's workers apart.
- rlimits (prlimit, util-linux, set inside the sandbox): address space, CPU seconds, processes
  (per uid, or per user namespace), file size and open files; a wall-clock limit kills the
  whole PID namespace.
- No grading flag: the environment is cleared and set to what a student's kernel would see.
"""
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import grading
import lib
from grading import harness

SYSTEM_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/etc")
UID_BASE = 60000  # unless GRADING_UID_BASE says otherwise (uid_base)


class SandboxUnavailable(RuntimeError):
    """bubblewrap or prlimit is missing or cannot create namespaces on this machine."""


@dataclass(frozen=True)
class Limits:
    """Per-submission limits: wall and CPU seconds, address space and file size in MiB, processes."""
    wall_s: float = 60.0
    memory_mb: int = 3072
    processes: int = 64
    file_mb: int = 64


@dataclass
class Outcome:
    """What came back from one sandboxed run."""
    records: bytes
    returncode: int
    timed_out: bool
    seconds: float
    peak_mb: float
    stderr_tail: str


def _tools():
    found = {name: shutil.which(name) for name in ("bwrap", "prlimit")}
    if found["bwrap"] is None or (os.geteuid() == 0 and shutil.which("setpriv") is None):
        raise SandboxUnavailable(
            "bubblewrap is needed to confine student code: install it (Debian/Ubuntu: "
            "`sudo apt-get install bubblewrap`)")
    if found["prlimit"] is None:
        raise SandboxUnavailable("prlimit (util-linux) is needed to limit student code")
    return found


def _binds():
    """bwrap arguments: read-only system, a fresh /tmp, then Python, venv, lib/ and grading/.

    The fresh /tmp comes first, so that code kept under /tmp (a clone in a temporary folder)
    is bound on top of it instead of being hidden by it.
    """
    args = []
    for d in SYSTEM_DIRS:
        if os.path.isdir(d):
            args += ["--ro-bind", d, d]
    args += ["--perms", "1777", "--size", str(256 << 20), "--tmpfs", "/tmp", "--proc", "/proc",
             "--dev", "/dev", "--perms", "1777", "--size", str(64 << 20), "--tmpfs", "/dev/shm"]
    made, bound = set(SYSTEM_DIRS) | {"/tmp", "/proc", "/dev", "/dev/shm"}, list(SYSTEM_DIRS)
    code = {Path(sys.base_prefix).resolve(), Path(sys.prefix).absolute(),
            Path(lib.__file__).resolve().parent, Path(grading.__file__).resolve().parent}
    for path in sorted(code, key=lambda p: len(p.parts)):
        if any(str(path).startswith(d + "/") for d in bound):
            continue
        for parent in reversed(path.parents):
            if str(parent) != "/" and str(parent) not in made:
                args += ["--perms", "0755", "--dir", str(parent)]
                made.add(str(parent))
        args += ["--ro-bind", str(path), str(path)]
        made.add(str(path))
        bound.append(str(path))
    return args


ENV = {"HOME": "/tmp", "PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8", "LIB_DEVICE": "cpu",
       "CUDA_VISIBLE_DEVICES": "", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "MPLBACKEND": "Agg",
       "MPLCONFIGDIR": "/tmp", "PYTHONDONTWRITEBYTECODE": "1", "PYTHONHASHSEED": "0"}


def uid_base():
    """The first sandbox uid when run as root: GRADING_UID_BASE, or UID_BASE."""
    value = os.environ.get("GRADING_UID_BASE", str(UID_BASE))
    if not value.isdigit() or not 1000 <= int(value) <= 2 ** 31 - 1000:
        raise ValueError(f"GRADING_UID_BASE must be a whole number from 1000 to {2 ** 31 - 1000}, got {value!r}")
    return int(value)


def command(limits, slot, records_fd):
    """The argv that runs the harness confined, reading its job from stdin.

    The rlimits are set inside the sandbox, after bwrap has made its namespaces: run as a normal
    user, the process limit then counts only this sandbox's user namespace, so a fork bomb
    cannot use up the processes of the user that runs the grader and its other sandboxes.
    """
    tools = _tools()
    cpu = max(1, int(limits.wall_s))
    argv = [tools["bwrap"], *_binds(), "--unshare-net", "--unshare-pid", "--unshare-ipc", "--unshare-uts",
            "--die-with-parent", "--new-session", "--clearenv", "--chdir", "/tmp"]
    for key, value in ENV.items():
        argv += ["--setenv", key, value]
    if os.geteuid() == 0:
        uid = str(uid_base() + slot)
        argv += ["--", shutil.which("setpriv"), f"--reuid={uid}", f"--regid={uid}", "--clear-groups",
                 "--inh-caps=-all"]
    else:
        argv.insert(argv.index("--unshare-net"), "--unshare-user")
        argv += ["--"]
    argv += [tools["prlimit"], f"--as={limits.memory_mb << 20}", f"--cpu={cpu}", f"--nproc={limits.processes}",
             f"--fsize={limits.file_mb << 20}", "--nofile=256", "--core=0", "--"]
    return argv + [sys.executable, "-I", "-m", "grading.harness", str(records_fd)]


def run(job_json, limits=Limits(), slot=0):
    """Run the harness on `job_json` (bytes) under `limits`; returns an Outcome."""
    with tempfile.TemporaryFile() as records, tempfile.TemporaryFile() as stderr:
        argv = command(limits, slot, records.fileno())
        start = time.monotonic()
        proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=stderr,
                                pass_fds=(records.fileno(),), start_new_session=True)
        timed_out = threading.Event()

        def kill():
            timed_out.set()
            _kill_group(proc.pid)

        timer = threading.Timer(limits.wall_s, kill)
        timer.start()
        try:
            try:
                proc.stdin.write(job_json)
                proc.stdin.close()
            except BrokenPipeError:
                pass
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            timer.cancel()
        proc.returncode = os.waitstatus_to_exitcode(status)
        seconds = time.monotonic() - start
        records.seek(0)
        data = records.read(limits.file_mb << 20)
        stderr.seek(0, os.SEEK_END)
        stderr.seek(max(0, stderr.tell() - 2000))
        tail = stderr.read().decode("utf-8", "replace")
    return Outcome(data, proc.returncode, timed_out.is_set(), seconds, usage.ru_maxrss / 1024, tail)


def check(limits=Limits()):
    """Run an empty job under `limits`: raise SandboxUnavailable, with bwrap's words, if it fails.

    A sandbox that cannot start would otherwise give every submission of a batch a crash and 0.
    """
    outcome = run(harness.job(), limits)
    if outcome.returncode != 0 or b'"done"' not in outcome.records:
        raise SandboxUnavailable(
            f"the sandbox cannot run an empty job here (exit code {outcome.returncode}"
            f"{', timed out' if outcome.timed_out else ''}): {outcome.stderr_tail.strip()[-500:]}\n"
            "As a normal user, bubblewrap needs unprivileged user namespaces "
            "(sysctl user.max_user_namespaces > 0); a --memory or --timeout too small to start "
            "Python and torch fails the same way.")


def _kill_group(pid):
    try:
        os.killpg(pid, 9)
    except ProcessLookupError:
        pass
