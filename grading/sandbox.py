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
- rlimits (set inside the sandbox): address space, CPU seconds, processes (per uid, or per
  user namespace), file size and open files; a wall-clock limit kills the whole PID namespace.
- A template per worker slot (Pool, grading.template): Python and torch are imported once per
  slot; each submission is forked from the template into namespaces of its own, with a fresh
  /tmp and /dev/shm and its own rlimits. Where nested user namespaces are refused, each
  submission gets a sandbox of its own instead (`run`, with prlimit), as slow as a fresh Python.
- No grading flag: the environment is cleared and set to what a student's kernel would see.
"""
import os
import json
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import grading
import lib
from grading import harness, judge

SYSTEM_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/etc")
UID_BASE = 60000  # unless GRADING_UID_BASE says otherwise (uid_base)
STARTUP_S = 120  # for a template to import torch on a loaded machine
REPLY_MARGIN_S = 15  # past the wall-clock limit, which the template enforces, before it is given up
NESTED_REFUSED = "unshare: "  # how the template says it may not make namespaces
CHECK_JOB = harness.job([("check", "import torch\ntorch.ones(1 << 24).sum()")])


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
    peak_mb: float | None  # the submission's peak resident memory; None when it could not be measured
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


def _confined(slot):
    """bwrap's argv (and, as root, setpriv's) up to the command it confines.

    With --die-with-parent, the sandbox is killed when the *thread* that started bwrap ends
    (Linux's parent-death signal follows the thread), and killing bwrap kills all it runs.
    """
    tools = _tools()
    argv = [tools["bwrap"], *_binds(), "--remount-ro", "/", "--remount-ro", "/dev", "--unshare-net",
            "--unshare-pid", "--unshare-ipc", "--unshare-uts", "--die-with-parent", "--new-session",
            "--clearenv", "--chdir", "/tmp"]
    for key, value in ENV.items():
        argv += ["--setenv", key, value]
    if os.geteuid() == 0:
        uid = str(uid_base() + slot)
        argv += ["--", shutil.which("setpriv"), f"--reuid={uid}", f"--regid={uid}", "--clear-groups",
                 "--inh-caps=-all"]
    else:
        argv.insert(argv.index("--unshare-net"), "--unshare-user")
        argv += ["--"]
    return argv


# Run a module of this checkout: its folder first on sys.path, whatever checkout the virtual
# environment's editable install points at (only this checkout's lib/ and grading/ are bound).
BOOT = "import runpy, sys; sys.path.insert(0, sys.argv[1]); sys.argv = sys.argv[2:]; runpy.run_module(sys.argv[0], run_name='__main__')"


def _python(module, *args):
    """argv: this Python, isolated (-I), running `module` of the checkout `grading` came from."""
    checkout = str(Path(grading.__file__).resolve().parent.parent)
    return [sys.executable, "-I", "-c", BOOT, checkout, module, *args]


def command(limits, slot, records_fd, report_fd):
    """The argv that runs the harness confined, reading its job from stdin (records on
    records_fd, the submission's peak memory on report_fd).

    The rlimits are set inside the sandbox, after bwrap has made its namespaces: run as a normal
    user, the process limit then counts only this sandbox's user namespace, so a fork bomb
    cannot use up the processes of the user that runs the grader and its other sandboxes.
    """
    tools = _tools()
    return _confined(slot) + [
        tools["prlimit"], f"--as={limits.memory_mb << 20}", f"--cpu={_cpu_s(limits)}",
        f"--nproc={limits.processes}", f"--fsize={limits.file_mb << 20}", "--nofile=256", "--core=0", "--",
        *_python("grading.harness", str(records_fd), str(report_fd))]


def template_command(slot, control_fd):
    """The argv that starts a slot's template (grading.template), listening on `control_fd`."""
    binds = _binds()
    keep = [binds[i + 2] for i, a in enumerate(binds)
            if a == "--ro-bind" and binds[i + 2].startswith("/tmp/")]
    return _confined(slot) + _python("grading.template", str(control_fd), *keep)


def _cpu_s(limits):
    return max(1, int(limits.wall_s))


def run(job_json, limits=Limits(), slot=0):
    """Run the harness on `job_json` (bytes) under `limits`; returns an Outcome."""
    files = (tempfile.TemporaryFile() for _ in range(3))
    with next(files) as records, next(files) as stderr, next(files) as report:
        argv = command(limits, slot, records.fileno(), report.fileno())
        start = time.monotonic()
        proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=stderr,
                                pass_fds=(records.fileno(), report.fileno()), start_new_session=True)
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
            _, status = os.waitpid(proc.pid, 0)
        finally:
            timer.cancel()
        proc.returncode = os.waitstatus_to_exitcode(status)
        seconds = time.monotonic() - start
        records.seek(0)
        data = records.read(limits.file_mb << 20)
        tail = _tail(stderr)
        report.seek(0)
        peak_kb = _reported_peak_kb(report.read(1000))
    return Outcome(data, proc.returncode, timed_out.is_set(), seconds, None if peak_kb is None else peak_kb / 1024, tail)


def _reported_peak_kb(raw):
    """The harness's report of the submission's peak memory in KiB, or None when there is none (a
    run killed at its wall-clock limit ends before it can report). Never bubblewrap's own rusage:
    a forked process keeps its parent's peak across exec, so that would be the grader's memory."""
    try:
        value = json.loads(raw).get("maxrss_kb")
    except (ValueError, AttributeError):
        return None
    return value if type(value) is int and value >= 0 else None


def _tail(file, size=2000):
    file.seek(0, os.SEEK_END)
    file.seek(max(0, file.tell() - size))
    return file.read().decode("utf-8", "replace")


class _Template:
    """A slot's template (grading.template) in its sandbox, and the socket that talks to it."""

    def __init__(self, slot, limits, spawner):
        """spawner: the thread pool (of one long-lived thread) that starts bwrap: see _confined."""
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.log = tempfile.TemporaryFile()
        self.socket = ours
        try:
            self.proc = spawner.submit(subprocess.Popen, template_command(slot, theirs.fileno()),
                                       stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=self.log,
                                       pass_fds=(theirs.fileno(),), start_new_session=True).result()
        finally:
            theirs.close()
        ours.settimeout(STARTUP_S)
        if self._reply() != {"ready": True}:
            why = _tail(self.log).strip()[-500:]
            self.close()
            raise SandboxUnavailable(f"the sandbox's template did not start: {why}")

    def _reply(self):
        try:
            return json.loads(self.socket.recv(1 << 16) or b"null")
        except (OSError, ValueError):  # socket.timeout is an OSError
            return None

    def run(self, job_json, limits):
        """Send one job; returns (Outcome, whether the template can take another)."""
        message = json.dumps({"wall_s": limits.wall_s, "cpu_s": _cpu_s(limits), "memory_mb": limits.memory_mb,
                              "processes": limits.processes, "file_mb": limits.file_mb}).encode()
        with tempfile.TemporaryFile() as job, tempfile.TemporaryFile() as records, \
                tempfile.TemporaryFile() as stderr:
            job.write(job_json)
            job.seek(0)
            start = time.monotonic()
            self.socket.settimeout(limits.wall_s + REPLY_MARGIN_S)
            try:
                socket.send_fds(self.socket, [message], [job.fileno(), records.fileno(), stderr.fileno()])
            except OSError:
                pass
            reply = self._reply()
            seconds = time.monotonic() - start
            records.seek(0)
            data = records.read(limits.file_mb << 20)
            tail = _tail(stderr)
        if not isinstance(reply, dict) or "returncode" not in reply:
            why = reply.get("error") if isinstance(reply, dict) else "the template stopped answering"
            tail = f"{tail}\n{why}\n{_tail(self.log)}".strip()[-2000:]
            return Outcome(data, -9, seconds > limits.wall_s, seconds, 0.0, tail), False
        peak_mb = reply["maxrss_kb"] / 1024
        return Outcome(data, reply["returncode"], reply["timed_out"], seconds, peak_mb, tail), True

    def close(self):
        _kill_group(self.proc.pid)
        self.proc.wait()
        self.socket.close()
        self.log.close()


class Pool:
    """The sandboxes of one batch: a template per worker slot, started on first use.

    Each job runs in a fresh child of its slot's template, in namespaces of its own (see
    grading.template), so Python and torch are imported once per slot, not once per
    submission. A template that fails a job is replaced for the next one. Where a sandbox may
    not make namespaces of its own (some systems refuse nested user namespaces), `check` says
    so and every job gets a sandbox of its own instead (`run`): the same isolation, slower.
    """

    def __init__(self, limits=Limits()):
        self.limits = limits
        self.templates = {}
        self.one_shot = False
        self._spawner = None  # the thread that starts templates, alive as long as they are

    def run(self, job_json, slot):
        """Run one job in `slot` (one job per slot at a time); returns an Outcome."""
        if self.one_shot:
            return run(job_json, self.limits, slot)
        template = self.templates.get(slot)
        if template is not None and template.proc.poll() is not None:  # ended between jobs: start anew
            template.close()
            template = None
        if template is None:
            self._spawner = self._spawner or ThreadPoolExecutor(1, thread_name_prefix="sandbox-templates")
            template = self.templates[slot] = _Template(slot, self.limits, self._spawner)
        outcome, usable = template.run(job_json, self.limits)
        if not usable:
            del self.templates[slot]
            template.close()
        return outcome

    def check(self):
        """Run a small job (import torch, fill 64 MiB): raise SandboxUnavailable, with bwrap's or
        Python's words, if it fails.

        A sandbox that cannot start would otherwise give every submission of a batch a crash and 0.
        """
        outcome = self.run(CHECK_JOB, 0)
        if not self.one_shot and outcome.returncode == -9 and NESTED_REFUSED in outcome.stderr_tail:
            print("note: this machine refuses a sandbox namespaces of its own, so each submission starts "
                  "Python and torch in a sandbox of its own (slower)", file=sys.stderr)
            self.one_shot = True
            outcome = self.run(CHECK_JOB, 0)
        if outcome.records == b'{"done": true}\n' and outcome.returncode == 0:
            return
        failed = "".join(f"{e} " for e in judge.parse_records(outcome.records)[1].values())
        tail = outcome.stderr_tail.strip()[-500:]
        raise SandboxUnavailable(
            f"the sandbox cannot run a small job here (exit code {outcome.returncode}"
            f"{', timed out' if outcome.timed_out else ''}): {failed}{tail}\n" + _cause(failed, tail))



    def close(self):
        for template in self.templates.values():
            template.close()
        self.templates.clear()
        if self._spawner is not None:
            self._spawner.shutdown()
            self._spawner = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _cause(failed, tail):
    """What to tell the instructor when the check job fails: Python's own error if it got that far."""
    if failed or "Traceback (most recent call last)" in tail:
        return ("Python started inside the sandbox and failed with the error above: bubblewrap and its "
                "namespaces work, so look at that error (for example a package missing from the virtual "
                "environment, or a MemoryError from a --memory too small to import torch).")
    return ("As a normal user, bubblewrap needs unprivileged user namespaces "
            "(sysctl user.max_user_namespaces > 0); a --memory or --timeout too small to start "
            "Python and torch fails the same way.")


def _kill_group(pid):
    try:
        os.killpg(pid, 9)
    except ProcessLookupError:
        pass
