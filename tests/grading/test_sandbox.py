"""The sandbox's mount plan: the fresh /tmp is mounted before the code binds, so code kept
under /tmp (a clean clone in a temporary folder, as CI does) is not hidden by it; the process
limit holds per sandbox, with a template per slot and with a sandbox per job; nothing of one
submission reaches the next in a slot; a template that ends, while idle or during a job, is
replaced; a sandbox that cannot start stops a batch before any grade."""
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from grading import autograde, harness, judge, repo, sandbox
from tests.grading.conftest import notebooks, released_course, solved, submit


def test_code_under_tmp_is_bound_after_the_fresh_tmp(monkeypatch, tmp_path):
    venv = Path("/tmp/some-clone/.venv")
    monkeypatch.setattr(sys, "prefix", str(venv))
    args = sandbox._binds()
    tmpfs = next(i for i, a in enumerate(args) if a == "--tmpfs" and args[i + 1] == "/tmp")
    bind = next(i for i, a in enumerate(args) if a == "--ro-bind" and args[i + 1] == str(venv))
    assert tmpfs < bind
    made = [args[i + 1] for i, a in enumerate(args) if a == "--dir"]
    assert "/tmp" not in made, "re-creating /tmp would reset its 1777 permissions"
    assert "/tmp/some-clone" in made


def test_solutions_and_grading_state_are_not_mounted():
    args = sandbox._binds()
    sources = [args[i + 1] for i, a in enumerate(args) if a == "--ro-bind"]
    assert not any(s.endswith(("/solutions", "/.grading")) or "/solutions/" in s for s in sources)


def test_a_batch_takes_limits_or_a_pool_not_both():
    with sandbox.Pool(sandbox.Limits()) as pool:
        with pytest.raises(ValueError, match="limits or a pool"):
            autograde.grade_all(None, "01_neurons", limits=sandbox.Limits(wall_s=5), pool=pool)
        assert pool.templates == {}, "nothing may start before the arguments are checked"


def _job(source):
    """A harness job with one answer cell and no cases."""
    return harness.job([("cell", source)], cell_timeout=30)


def _records(outcome):
    return [json.loads(line) for line in outcome.records.splitlines()]


FORK_BOMB = ("import os, time\nfor _ in range(500):\n    try:\n        if os.fork() == 0:\n"
             "            time.sleep(30)\n            os._exit(0)\n    except OSError:\n        break\n"
             "time.sleep(30)")
FORKS_FIVE = ("import os\nfor _ in range(5):\n    pid = os.fork()\n    if pid == 0:\n        os._exit(0)\n"
              "    os.waitpid(pid, 0)")


def _templates(limits):
    """A pool of templates, checked; skips the test where this machine refuses a sandbox user
    namespaces of its own (grading then starts a sandbox per job, which _one_shot tests)."""
    pool = sandbox.Pool(limits)
    pool.check()
    if pool.one_shot:
        pool.close()
        pytest.skip("this machine refuses nested user namespaces: grading starts a sandbox per job here")
    return pool


def _one_shot(limits):
    """A pool that gives every job a sandbox of its own, as where nested namespaces are refused."""
    pool = sandbox.Pool(limits)
    pool.one_shot = True
    return pool


@pytest.mark.slow  # the bomb runs to its 15 s wall-clock limit
@pytest.mark.sandbox
@pytest.mark.parametrize("pool", [_templates, _one_shot], ids=["template", "one-shot"])
def test_a_fork_bomb_does_not_starve_the_next_sandbox(pool):
    """While one sandbox holds all the processes it may have, another one starts and forks.

    Run as a normal user, every sandbox belongs to that user; the process limit must count each
    sandbox on its own, not the user's processes (it did, and the neighbour could not start).
    """
    with pool(sandbox.Limits(wall_s=15, processes=32)) as sandboxes:
        bomb = threading.Thread(target=sandboxes.run, args=(_job(FORK_BOMB), 0))
        bomb.start()
        time.sleep(4)
        neighbour = sandboxes.run(_job(FORKS_FIVE), 1)
        bomb.join()
    assert neighbour.returncode == 0, neighbour.stderr_tail
    assert _records(neighbour) == [{"done": True}]


@pytest.mark.sandbox
@pytest.mark.parametrize("pool", [_templates, _one_shot], ids=["template", "one-shot"])
def test_the_process_limit_holds_inside_the_sandbox(pool):
    with pool(sandbox.Limits(wall_s=20, processes=16)) as sandboxes:
        outcome = sandboxes.run(_job("import os, time\npids = []\nfor _ in range(40):\n    pids.append(os.fork())\n"
                                     "    if pids[-1] == 0:\n        time.sleep(5)\n        os._exit(0)"), 0)
    errors = [r for r in _records(outcome) if "cell" in r]
    assert [e["cell"] for e in errors] == ["cell"]
    assert "BlockingIOError" in errors[0]["error"] or "Resource temporarily unavailable" in errors[0]["error"]


@pytest.mark.sandbox
def test_limits_too_small_to_start_python_are_refused_with_a_reason():
    with pytest.raises(sandbox.SandboxUnavailable, match="exit code"):
        with sandbox.Pool(sandbox.Limits(memory_mb=64)) as pool:
            pool.check()


@pytest.mark.slow
@pytest.mark.sandbox
def test_a_sandbox_that_cannot_start_stops_the_batch_before_any_grade(tmp_path, monkeypatch):
    course = released_course(tmp_path, "01_neurons")
    submit(course, "01_neurons", "s1", solved("01_neurons"))
    binds = sandbox._binds
    missing = tmp_path / "missing"
    monkeypatch.setattr(sandbox, "_binds", lambda: binds() + ["--ro-bind", str(missing), "/missing"])
    with pytest.raises(sandbox.SandboxUnavailable, match=str(missing)):
        autograde.grade_all(course, "01_neurons", progress=False)
    assert not (course.state / "verdicts").exists()
    assert autograde.pending(course, "01_neurons") == ["s1"]


def test_the_uid_base_comes_from_grading_uid_base(monkeypatch):
    monkeypatch.delenv("GRADING_UID_BASE", raising=False)
    assert sandbox.uid_base() == sandbox.UID_BASE
    monkeypatch.setenv("GRADING_UID_BASE", "61000")
    assert sandbox.uid_base() == 61000
    for bad in ("-5", "abc", "12", ""):
        monkeypatch.setenv("GRADING_UID_BASE", bad)
        with pytest.raises(ValueError, match="GRADING_UID_BASE must be a whole number from 1000"):
            sandbox.uid_base()


@pytest.mark.sandbox
@pytest.mark.skipif(os.geteuid() != 0, reason="the tool picks uids only when run as root")
def test_a_root_sandbox_runs_as_the_uid_base_plus_its_slot(monkeypatch):
    monkeypatch.setenv("GRADING_UID_BASE", "61000")
    argv = sandbox.command(sandbox.Limits(), 3, 5, 6)
    assert "--reuid=61003" in argv and "--regid=61003" in argv


LEAVE_TRACES = r"""
import builtins, os, signal, subprocess, sys, torch
open('/tmp/trace', 'w').write('x')
open('/dev/shm/trace', 'w').write('x')
os.environ['TRACE'] = '1'
torch.TRACE = builtins.TRACE = 1
sys.modules['trace_module'] = sys
subprocess.Popen(['/bin/sleep', '600'], start_new_session=True)
others = [int(p) for p in os.listdir('/proc') if p.isdigit() and int(p) != os.getpid()]
opened, signalled = [], []
for pid in others:
    try:
        open(f'/proc/{pid}/mem', 'r+b').close()
        if f'\t{os.getpid()}\n' not in open(f'/proc/{pid}/status').read():  # not itself
            opened.append(pid)
    except OSError:
        pass
    try:
        os.kill(pid, signal.SIGKILL)
        signalled.append(pid)
    except OSError:
        pass
raise ValueError(opened, signalled)
"""
FIND_TRACES = r"""
import builtins, os, sys, torch
commands = []
for pid in (p for p in os.listdir('/proc') if p.isdigit()):
    try:
        commands.append(open(f'/proc/{pid}/cmdline', 'rb').read().split(b'\0')[0].decode())
    except OSError:
        pass
raise ValueError(os.listdir('/tmp'), os.listdir('/dev/shm'), 'TRACE' in os.environ, hasattr(torch, 'TRACE'),
                 hasattr(builtins, 'TRACE'), 'trace_module' in sys.modules, [c for c in commands if 'sleep' in c])
"""


def _cell_error(outcome):
    return next(r["error"] for r in _records(outcome) if "cell" in r)


@pytest.mark.sandbox
def test_nothing_of_one_submission_reaches_the_next_in_its_slot():
    """Files in /tmp and /dev/shm, the environment, modules, globals and processes left by one
    job are gone for the next one in the same template (its /tmp holds only the code folders
    bound there, in a clone kept under /tmp); the job could not open the template's
    memory nor signal it (it still serves the next job)."""
    with _templates(sandbox.Limits(wall_s=20)) as pool:
        first = pool.run(_job(LEAVE_TRACES), 0)
        template = pool.templates[0]
        second = pool.run(_job(FIND_TRACES), 0)
        assert pool.templates[0] is template
    opened, signalled = eval(_cell_error(first).removeprefix("ValueError: "))
    assert opened == [], "a submission could open another process's memory"
    assert len(signalled) <= 1, "a submission could signal processes other than its own child"
    argv = sandbox.template_command(0, 99)
    kept = sorted({Path(path).parts[2] for path in argv[argv.index("grading.template") + 2:]})
    assert _cell_error(second) == f"ValueError: ({kept}, [], False, False, False, False, [])"


@pytest.mark.slow  # waits for its wall-clock limit
@pytest.mark.sandbox
def test_a_job_past_its_wall_clock_limit_is_killed_and_the_slot_goes_on():
    stubborn = "import signal\nsignal.signal(signal.SIGALRM, signal.SIG_IGN)\nwhile True:\n    pass"
    with _templates(sandbox.Limits(wall_s=3)) as pool:
        outcome = pool.run(_job(stubborn), 0)
        after = pool.run(_job("x = 1"), 0)
    assert outcome.timed_out and outcome.returncode == -9
    assert 3 <= outcome.seconds < 10
    assert after.returncode == 0 and _records(after) == [{"done": True}]


@pytest.mark.sandbox
def test_a_template_that_dies_during_a_job_is_replaced_for_the_next_job():
    with _templates(sandbox.Limits(wall_s=20)) as pool:
        pid = pool.templates[0].proc.pid
        threading.Timer(2, os.killpg, (pid, 9)).start()
        lost = pool.run(_job("import time\ntime.sleep(8)"), 0)
        after = pool.run(_job("x = 1"), 0)
        assert pool.templates[0].proc.pid != pid
    assert lost.returncode != 0 and "stopped answering" in lost.stderr_tail
    assert after.returncode == 0 and _records(after) == [{"done": True}]


@pytest.mark.sandbox
def test_a_template_that_ended_between_jobs_costs_the_next_job_nothing():
    """A template started by a thread that has ended lives on (bwrap's parent-death signal follows
    the thread that started it, and once took it down between batches); one that ended while
    idle is replaced before the next job, which gets no crash and no 0 for it."""
    with _templates(sandbox.Limits(wall_s=20)) as pool:
        started = threading.Thread(target=pool.run, args=(_job("x = 1"), 1))
        started.start()
        started.join()
        time.sleep(1)
        same = pool.templates[1].proc.pid
        outcome = pool.run(_job("x = 1"), 1)
        assert outcome.returncode == 0 and _records(outcome) == [{"done": True}], outcome.stderr_tail
        assert pool.templates[1].proc.pid == same, "the template of a thread that ended was lost"
        os.killpg(same, 9)
        pool.templates[1].proc.wait()
        outcome = pool.run(_job("x = 1"), 1)
        assert outcome.returncode == 0 and _records(outcome) == [{"done": True}], outcome.stderr_tail


@pytest.mark.sandbox
def test_where_nested_namespaces_are_refused_each_job_gets_a_sandbox_of_its_own(monkeypatch, capsys):
    refused = sandbox.Outcome(b"", -9, False, 0.1, 0.0,
                              "PermissionError: [Errno 1] unshare: Operation not permitted")
    monkeypatch.setattr(sandbox._Template, "run", lambda self, job_json, limits: (refused, False))
    with sandbox.Pool(sandbox.Limits(wall_s=30)) as pool:
        pool.check()
        assert pool.one_shot and pool.templates == {}
        outcome = pool.run(_job("x = 1"), 1)
    assert outcome.returncode == 0 and _records(outcome) == [{"done": True}]
    assert "refuses a sandbox namespaces of its own" in capsys.readouterr().err


@pytest.mark.sandbox
def test_an_ipython_feature_the_grader_lacks_gets_a_message_a_student_understands():
    with _one_shot(sandbox.Limits(wall_s=20)) as pool:
        outcome = pool.run(_job("get_ipython().run_line_magic('time', '1')\nget_ipython().user_ns['x'] = 1"), 0)
    error = _cell_error(outcome)
    assert "get_ipython().user_ns is not available while your answer is graded" in error, error
    assert "_Shell" not in error


@pytest.mark.sandbox
def test_the_sandbox_runs_the_checkout_it_was_started_from(tmp_path):
    """lib/ and grading/ copied elsewhere and started with this virtual environment, whose editable
    install points at this checkout: the sandbox imports the copy (only the copy is bound there)."""
    copy = tmp_path / "other"
    for name in ("lib", "grading"):
        shutil.copytree(repo.ROOT / name, copy / name, ignore=shutil.ignore_patterns("__pycache__"))
    answer = "import grading, lib\nraise ValueError(grading.__file__ + ' ' + lib.__file__)"
    probe = ("from grading import harness, sandbox\n"
             "pool = sandbox.Pool(sandbox.Limits(wall_s=60))\npool.one_shot = True\n"
             f"with pool:\n    print(pool.run(harness.job([('cell', {answer!r})], cell_timeout=30), 0).records.decode())")
    r = subprocess.run([sys.executable, "-c", probe], cwd=copy, env=repo.tool_env(), capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    error = next(json.loads(line)["error"] for line in r.stdout.splitlines() if '"cell"' in line)
    assert error == f"ValueError: {copy / 'grading' / '__init__.py'} {copy / 'lib' / '__init__.py'}", error


def test_the_pre_flight_message_names_pythons_error_not_namespaces(monkeypatch):
    traceback = "Traceback (most recent call last):\n  ...\nModuleNotFoundError: No module named 'grading'"
    pool = sandbox.Pool(sandbox.Limits())
    pool.one_shot = True
    monkeypatch.setattr(pool, "run", lambda job, slot: sandbox.Outcome(b"", 1, False, 0.1, 10.0, traceback))
    with pytest.raises(sandbox.SandboxUnavailable) as caught:
        pool.check()
    assert "No module named 'grading'" in str(caught.value) and "Python started inside the sandbox" in str(caught.value)
    assert "user namespaces" not in str(caught.value)


@pytest.mark.sandbox
@pytest.mark.parametrize("pool", [_templates, _one_shot], ids=["template", "one-shot"])
def test_peak_memory_is_the_submissions_own(pool):
    """A job that touches 600 MiB reports at least that much; an idle one far less (bubblewrap's
    exit status cannot carry the sandboxed process's peak, so the harness reports it)."""
    hog = "hog = bytearray(600 * 2 ** 20)\nfor i in range(0, len(hog), 4096):\n    hog[i] = 1"
    with pool(sandbox.Limits(wall_s=60)) as sandboxes:
        big, small = sandboxes.run(_job(hog), 0), sandboxes.run(_job("x = 1"), 0)
    assert big.returncode == 0 and small.returncode == 0
    assert big.peak_mb >= 600 and small.peak_mb < 500, (big.peak_mb, small.peak_mb)


def test_a_run_that_could_not_report_its_peak_memory_says_so():
    assert sandbox._reported_peak_kb(b"") is None and sandbox._reported_peak_kb(b'{"maxrss_kb": -1}') is None
    assert sandbox._reported_peak_kb(b'{"maxrss_kb": 2048}') == 2048


@pytest.mark.sandbox
@pytest.mark.parametrize("pool", [_templates, _one_shot], ids=["template", "one-shot"])
def test_a_submission_finds_no_grading_flag_in_its_environment(pool):
    """No variable tells an answer that it is being graded (a probe could then behave only in the
    notebook); graded answer cells may not import os at all, so the probe runs as a raw job."""
    probe = "import os\nraise ValueError(sorted(k for k in os.environ if 'GRAD' in k.upper() or 'NBGRADER' in k.upper()))"
    with pool(sandbox.Limits(wall_s=60)) as sandboxes:
        outcome = sandboxes.run(_job(probe), 0)
    assert _cell_error(outcome) == "ValueError: []"


# Computes the exercise's answer with a forbidden API on the way out: the answer returns its
# input, and a patched Tensor.detach, which the harness's encoder calls, applies expit to it.
SIGMOID_WHILE_ENCODED = """
plain_detach = torch.Tensor.detach
returned = set()

def detach(self):
    if id(self) in returned:
        returned.discard(id(self))
        return plain_detach(torch.special.expit(self))
    return plain_detach(self)

def sigmoid(x):
    torch.Tensor.detach = detach
    y = x.clone()
    returned.add(id(y))
    return y
"""


@pytest.mark.sandbox
def test_the_watch_spans_the_encoding_of_the_result():
    """The forbidden-API watch is on from decoding a case to serialising its record, so work an
    answer hides in a method the harness calls afterwards is caught, not credited."""
    release = judge.Release.of(notebooks("01_neurons")[0])
    job = judge.make_job("01_neurons", "s", b"key", release, {"ch01_sigmoid": SIGMOID_WHILE_ENCODED}, 10.0)
    with _templates(sandbox.Limits(wall_s=60)) as pool:
        outcome = pool.run(job.payload, 0)
    verdict = judge.verdicts(job, outcome.records)["ch01_sigmoid"]
    assert not verdict.passed and "your answer calls torch.special.expit" in verdict.message, verdict.message
