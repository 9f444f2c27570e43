"""The authors' validate command (grading.authoring.validate, i.e. nbgrader validate) on a course
with one small exercise: it accepts a solution that passes its test and a student version that
fails it, and names the notebook otherwise.

That the real chapters' solutions pass every test and their student versions fail every one is
checked by the round trip (test_roundtrip: full marks solved, zero untouched), which executes
each chapter once; validating them as well executed each chapter twice more.
"""
import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from grading import authoring, repo
from tests.notebooks import nbtools

pytestmark = pytest.mark.slow
CHAPTER = "99_double"
SOLUTION = "def double(x):\n    ### BEGIN SOLUTION\n    return 2 * x\n    ### END SOLUTION\n"


def graded(source, grade_id, **meta):
    cell = new_code_cell(source)
    cell.metadata["nbgrader"] = {"grade_id": grade_id, "schema_version": 3, "grade": False,
                                 "solution": False, "locked": False, **meta}
    return cell


def one_exercise_course(tmp_path, solution=SOLUTION):
    """A course root whose only chapter asks for `double`, its student version generated."""
    root = tmp_path / "course"
    (root / repo.SOLUTIONS / CHAPTER).mkdir(parents=True)
    (root / "grading").mkdir()
    for name in ("nbgrader_config.py", "grading/nbgrader_config.py"):
        (root / name).write_text((repo.ROOT / name).read_text())
    nb = new_notebook(cells=[
        new_code_cell("import math"),
        graded(solution, "double", solution=True),
        graded("assert double(2) == 4", "double_test", grade=True, locked=True, points=1),
    ])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, root / repo.SOLUTIONS / CHAPTER / f"{CHAPTER}.ipynb")
    authoring.generate([CHAPTER], root=root)
    return root


def test_a_passing_solution_and_a_failing_student_version_validate(tmp_path):
    root = one_exercise_course(tmp_path)
    assert authoring.validate([CHAPTER], root=root) == []


def test_a_solution_that_fails_its_test_is_named(tmp_path):
    root = one_exercise_course(tmp_path, SOLUTION.replace("2 * x", "3 * x"))
    problems = authoring.validate([CHAPTER], root=root)
    assert [path.relative_to(root).parts[0] for path, _ in problems] == [repo.SOLUTIONS], problems


def test_a_student_version_that_passes_its_test_is_named(tmp_path):
    root = one_exercise_course(tmp_path)
    path = root / repo.CHAPTERS / CHAPTER / f"{CHAPTER}.ipynb"
    student = nbformat.read(path, as_version=4)
    nbformat.write(nbtools.filled(student, student, {"double": "def double(x):\n    return 2 * x\n"}), path)
    problems = authoring.validate([CHAPTER], root=root)
    assert [path.relative_to(root).parts[0] for path, _ in problems] == [repo.CHAPTERS], problems
