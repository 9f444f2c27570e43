"""Each student notebook, untouched, runs top to bottom: only graded test cells may fail.

On the CPU the run checked is the one nbgrader autograde made of the untouched submission in the
chapter's round trip (tests/notebooks/conftest.py): the same notebook in a fresh kernel, run once
for both tests."""
import nbformat
import pytest

from grading import repo
from tests.notebooks import nbtools

pytestmark = pytest.mark.slow


def check_run(nb, path):
    """`nb` is the student notebook at `path` after a run top to bottom."""
    test_cells = {i for i, c in enumerate(nb.cells) if nbtools.nbgrader_meta(c).get("grade")
                  and not nbtools.nbgrader_meta(c).get("solution")}
    errors = nbtools.error_cells(nb)
    stray = {i: e for i, e in errors.items() if i not in test_cells}
    assert not stray, f"{path.name}: cells outside graded tests raised: {stray}"
    passing = sorted(test_cells - set(errors))
    assert not passing, f"{path.name}: graded test cells {passing} pass with no answer written"
    for i in test_cells:
        assert "NotImplementedError" in errors[i], f"cell {i} failed for another reason: {errors[i]}"


@pytest.mark.parametrize("path", repo.notebooks(repo.CHAPTERS), ids=lambda p: p.parent.name)
def test_untouched_student_notebook_runs_on_cpu(path, autograded):
    run = autograded(path.parent.name)
    assert run.returncode == 0, f"nbgrader autograde {run.chapter} failed:\n{run.log[-3000:]}"
    check_run(run.executed("untouched", path.stem), path)


@pytest.mark.cuda
@pytest.mark.skipif(not __import__("torch").cuda.is_available(), reason="no CUDA device on this machine")
@pytest.mark.parametrize("path", repo.notebooks(repo.CHAPTERS), ids=lambda p: p.parent.name)
def test_untouched_student_notebook_runs_on_cuda(path):
    env = repo.tool_env()
    env["LIB_DEVICE"] = "cuda"
    check_run(nbtools.execute(nbformat.read(path, as_version=4), path.parent, env=env), path)


@pytest.mark.parametrize("path", repo.notebooks(repo.CHAPTERS), ids=lambda p: p.parent.name)
def test_graded_test_cells_do_not_stop_run_all(path):
    """JupyterLab's Run All stops at the first failing cell unless it is tagged raises-exception."""
    nb = nbformat.read(path, as_version=4)
    untagged = [nbtools.nbgrader_meta(c)["grade_id"] for c in nb.cells
                if nbtools.nbgrader_meta(c).get("grade") and not nbtools.nbgrader_meta(c).get("solution")
                and "raises-exception" not in c.metadata.get("tags", [])]
    assert not untagged, f"{path.name}: tag these test cells raises-exception: {untagged}"
