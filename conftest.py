"""Repository-wide pytest setup.

Stored notebook outputs are made on the CPU, so notebooks executed by the tests (nbval and the
student runs) use the CPU unless LIB_DEVICE says otherwise; lib tests pick their devices
themselves (tests/conftest.py).

With `-n N --dist loadgroup`, pytest-xdist's workers are scheduled by `work_unit` below: tests are
handed out one by one, except those that must share a worker: the cells of one notebook under
nbval (they share a kernel), the browser tests (one JupyterLab), the tests of a module that
shares a module-scoped fixture (computed once, not once per worker), and the tests that read one
chapter's nbgrader round trip (the session fixture `autograded`, tests/notebooks/conftest.py).
xdist's own loadgroup reads xdist_group marks by rewriting node ids, which pytest 9 no longer
allows, hence the scheduler here. Each worker's sandboxes get uids of their own
(GRADING_UID_BASE, grading/sandbox.py), so grading tests on different workers do not share
process limits, and each worker, with what it starts, gets an equal share of the cores.
"""
import os
from pathlib import Path

import pytest

import course

os.environ.setdefault("LIB_DEVICE", "cpu")


def share_cores(workers, cores):
    """Under pytest-xdist, each worker gets cores // workers threads, and so do the kernels, nbgrader
    runs and servers it starts (they inherit the environment): torch otherwise starts one thread per
    core in every process, and on two cores two workers then run slower than one."""
    threads = str(max(1, cores // workers))
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, threads)


if os.environ.get("PYTEST_XDIST_WORKER_COUNT"):
    share_cores(int(os.environ["PYTEST_XDIST_WORKER_COUNT"]), course.cores())
    # sandbox uids 60000 + 1000 * worker + slot: a fork bomb on one worker leaves the others' alone
    os.environ.setdefault("GRADING_UID_BASE", str(60000 + 1000 * int(os.environ["PYTEST_XDIST_WORKER"][2:])))

MODULE_FIXTURE_MODULES = {"tests/setup/test_open_command.py", "tests/lib/test_widget_learning_curves.py",
                          "tests/grading/test_corpus.py", "tests/grading/test_mistakes.py"}
ROUND_TRIP_MODULES = {"tests/notebooks/test_roundtrip.py", "tests/notebooks/test_student_run.py"}


def work_unit(nodeid):
    """The group of tests that one worker runs together, named by the test's node id."""
    path = nodeid.split("::", 1)[0]
    if path.endswith(".ipynb"):
        return path
    if path.startswith("tests/browser/"):
        return "browser"
    if path in MODULE_FIXTURE_MODULES:
        return path
    if path in ROUND_TRIP_MODULES:  # parametrized by chapter: test_x[04_training]
        return "round trip " + nodeid.rsplit("[", 1)[-1].rstrip("]")
    return nodeid


@pytest.hookimpl(tryfirst=True, optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    if config.getvalue("dist") != "loadgroup":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class WorkUnitScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid):
            return work_unit(nodeid)

    return WorkUnitScheduling(config, log)


def _unlisted(item, rel):
    """Why `item` would run on the wrong worker: a test sharing a module-scoped fixture or a
    chapter's round trip whose module is not grouped above; None when it is where it must be."""
    if "autograded" in getattr(item, "fixturenames", ()) and rel not in ROUND_TRIP_MODULES:
        return f"{item.nodeid} reads a chapter's round trip: add {rel} to ROUND_TRIP_MODULES in conftest.py"
    fixtures = getattr(item, "_fixtureinfo", None)
    scopes = {d[-1].scope for d in fixtures.name2fixturedefs.values()} if fixtures else set()
    if "module" in scopes and work_unit(item.nodeid) == item.nodeid:
        return f"{item.nodeid} shares a module-scoped fixture: add {rel} to MODULE_FIXTURE_MODULES"
    return None


def pytest_collection_modifyitems(config, items):
    for item in items:
        rel = Path(str(item.path)).relative_to(config.rootpath).as_posix()
        if rel.endswith(".ipynb"):
            item.add_marker(pytest.mark.slow)  # nbval executes the notebook
        problem = _unlisted(item, rel)
        if problem:
            raise pytest.UsageError(problem)
