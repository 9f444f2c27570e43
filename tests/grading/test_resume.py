"""A batch killed mid-way loses no finished grade, and the next run grades only what is left."""
import os
import signal
import subprocess
import sys
import time

import pytest

from grading import autograde, gradebook, repo
from tests.grading.conftest import released_course, solved, submit

pytestmark = [pytest.mark.slow, pytest.mark.sandbox]
CHAPTER = "01_neurons"


def test_killed_batch_resumes(tmp_path):
    course = released_course(tmp_path, CHAPTER)
    students = [f"s{k}" for k in range(6)]
    for student in students:
        submit(course, CHAPTER, student, solved(CHAPTER))
    cmd = [sys.executable, "-m", "grading", "--course", str(course.root), "autograde", CHAPTER, "--quiet",
           "--workers", "1"]
    proc = subprocess.Popen(cmd, cwd=repo.ROOT, env=repo.tool_env(), start_new_session=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    verdicts = course.state / "verdicts" / CHAPTER
    deadline = time.monotonic() + 300
    while not (verdicts.is_dir() and len(list(verdicts.glob("*.json"))) >= 2) and time.monotonic() < deadline:
        time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    finished = {p.stem: p.stat().st_mtime_ns for p in verdicts.glob("*.json")}
    assert 2 <= len(finished) < len(students), f"the batch was not stopped mid-way: {sorted(finished)}"

    with gradebook.opened(course) as gb:
        for student in finished:
            assert sum(gradebook.scores_of(gb, CHAPTER, student).values()) == 10, student
    assert sorted(autograde.pending(course, CHAPTER)) == sorted(set(students) - set(finished))

    result = subprocess.run(cmd, cwd=repo.ROOT, env=repo.tool_env(), text=True, capture_output=True)
    assert f"graded {len(students) - len(finished)} submissions" in result.stdout, result.stdout + result.stderr
    assert {p.stem: p.stat().st_mtime_ns for p in verdicts.glob("*.json") if p.stem in finished} == finished
    with gradebook.opened(course) as gb:
        assert all(sum(gradebook.scores_of(gb, CHAPTER, s).values()) == 10 for s in students)
