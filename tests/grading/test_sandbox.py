"""The sandbox's mount plan: the fresh /tmp is mounted before the code binds, so code kept
under /tmp (a clean clone in a temporary folder, as CI does) is not hidden by it; the process
limit holds per sandbox; a sandbox that cannot start stops a batch before any grade."""
import json
import os
import sys
import threading
import time
from pathlib import Path

import pytest

from grading import autograde, harness, sandbox
from tests.grading.conftest import released_course, solved, submit


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


@pytest.mark.slow  # the bomb runs to its 15 s wall-clock limit
@pytest.mark.sandbox
def test_a_fork_bomb_does_not_starve_the_next_sandbox():
    """While one sandbox holds all the processes it may have, another one starts and forks.

    Run as a normal user, every sandbox belongs to that user; the process limit must count each
    sandbox on its own, not the user's processes (it did, and the neighbour could not start).
    """
    limits = sandbox.Limits(wall_s=15, processes=32)
    bomb = threading.Thread(target=sandbox.run, args=(_job(FORK_BOMB), limits, 0))
    bomb.start()
    time.sleep(4)
    neighbour = sandbox.run(_job(FORKS_FIVE), limits, 1)
    bomb.join()
    assert neighbour.returncode == 0, neighbour.stderr_tail
    assert _records(neighbour) == [{"done": True}]


@pytest.mark.sandbox
def test_the_process_limit_holds_inside_the_sandbox():
    outcome = sandbox.run(_job("import os, time\npids = []\nfor _ in range(40):\n    pids.append(os.fork())\n"
                               "    if pids[-1] == 0:\n        time.sleep(5)\n        os._exit(0)"),
                          sandbox.Limits(wall_s=20, processes=16), 0)
    errors = [r for r in _records(outcome) if "cell" in r]
    assert [e["cell"] for e in errors] == ["cell"]
    assert "BlockingIOError" in errors[0]["error"] or "Resource temporarily unavailable" in errors[0]["error"]


@pytest.mark.sandbox
def test_limits_too_small_to_start_python_are_refused_with_a_reason():
    with pytest.raises(sandbox.SandboxUnavailable, match="exit code"):
        sandbox.check(sandbox.Limits(memory_mb=64))


@pytest.mark.slow
@pytest.mark.sandbox
def test_a_sandbox_that_cannot_start_stops_the_batch_before_any_grade(tmp_path, monkeypatch):
    course = released_course(tmp_path, ["01_neurons"])
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
    argv = sandbox.command(sandbox.Limits(), 3, 5)
    assert "--reuid=61003" in argv and "--regid=61003" in argv
