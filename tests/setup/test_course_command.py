"""`python3 course.py test` runs pytest on one xdist worker per core unless told otherwise."""
import pytest

import course


@pytest.mark.parametrize("extra", [[], ["tests/lib", "-x"], ["-m", "not slow"], ["-k", "01_neurons"]])
def test_tests_run_on_one_worker_per_core(extra):
    assert course.parallel(extra, 4) == ["-n", "4", "--dist", "loadgroup"]
    argv = course.command(course.venv_python(), "test", extra)
    assert argv[argv.index("pytest") + 1:] == [*course.parallel(extra, course.cores()), *extra]


@pytest.mark.parametrize("extra", [["-n", "0"], ["-n0"], ["-n", "3"], ["--numprocesses=3"], ["--dist", "load"],
                                   ["-p", "no:xdist"]])
def test_the_callers_choice_of_workers_is_left_alone(extra):
    assert course.parallel(extra, 8) == []


def test_one_core_runs_in_one_process():
    assert course.parallel([], 1) == []
    assert course.parallel([], 2) == ["-n", "2", "--dist", "loadgroup"]
