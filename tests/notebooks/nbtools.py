"""Helpers for the notebook tests: throwaway course copies, cell lookup, filled-in answers."""
import atexit
import shutil
import tempfile
from pathlib import Path

import nbclient
import nbformat

from grading import judge, repo

SOLUTION_MARKERS = ("### BEGIN SOLUTION", "### END SOLUTION")


def make_course(tmp_path, chapters=None):
    """A throwaway course root holding copies of solutions/ (every chapter, or `chapters`) and the
    nbgrader configuration."""
    root = Path(tmp_path) / "course"
    for name in chapters or repo.chapter_names():
        shutil.copytree(repo.ROOT / repo.SOLUTIONS / name, root / repo.SOLUTIONS / name)
    (root / "grading").mkdir()
    shutil.copy(repo.ROOT / "grading" / "nbgrader_config.py", root / "grading")
    shutil.copy(repo.ROOT / "nbgrader_config.py", root)
    return root


_GENERATED = {}


def generated(chapter):
    """A course root where `nbgrader generate_assignment` made `chapter`'s student version and
    gradebook, made once per test process (nbgrader takes seconds to start): see released_copy."""
    if chapter not in _GENERATED:
        tmp = Path(tempfile.mkdtemp(prefix=f"generated-{chapter}-"))
        atexit.register(shutil.rmtree, tmp, ignore_errors=True)
        root = make_course(tmp, [chapter])
        repo.nbgrader("generate_assignment", chapter, "--force", root=root, capture=True)
        _GENERATED[chapter] = root
    return _GENERATED[chapter]


def released_copy(chapter, tmp_path):
    """tmp_path/course: a course of its own, as `nbgrader generate_assignment CHAPTER` leaves it
    (a copy of generated(chapter): nothing a test writes there reaches another test)."""
    root = Path(tmp_path) / "course"
    shutil.copytree(generated(chapter), root)
    return root


def nbgrader_meta(cell):
    return cell.get("metadata", {}).get("nbgrader", {})


def answer_cells(nb):
    """{grade_id: cell} for the cells a student writes in."""
    return {nbgrader_meta(c)["grade_id"]: c for c in nb.cells if nbgrader_meta(c).get("solution")}


def graded_test_ids(nb):
    """grade_ids of the autograded test cells, in notebook order."""
    return [nbgrader_meta(c)["grade_id"] for c in nb.cells
            if nbgrader_meta(c).get("grade") and not nbgrader_meta(c).get("solution")]


def solution_code(source):
    """An answer cell's solution as a student would type it: the markers dropped."""
    return "\n".join(line for line in source.splitlines()
                     if line.strip() not in SOLUTION_MARKERS)


def filled(student_nb, solution_nb, answers=None):
    """A copy of the student notebook with every answer cell filled in.

    Cells get the solution's code, except those named in `answers` ({grade_id: source}).
    """
    nb = nbformat.from_dict(student_nb)
    reference = answer_cells(solution_nb)
    for grade_id, cell in answer_cells(nb).items():
        cell.source = (answers or {}).get(grade_id, solution_code(reference[grade_id].source))
    return nb


def graded_only(nb):
    """A copy of `nb` holding only what grading reads, as the sandboxed judge does (grading.judge):
    the first code cell (imports), the answer cells, the graded test cells and the code cell
    after each graded test (the switch to the lib version)."""
    code = [c for c in nb.cells if c.cell_type == "code"]
    keep = {id(code[0])} | {id(code[k]) for k in judge.switch_cells(code).values()}
    keep |= {id(c) for c in code if nbgrader_meta(c).get("grade") or nbgrader_meta(c).get("solution")}
    out = nbformat.from_dict(nb)
    out.cells = [c for c, original in zip(out.cells, nb.cells) if id(original) in keep]
    return out


def execute(nb, cwd, env=None, timeout=120):
    """Run `nb` in a fresh kernel with errors allowed; returns the executed notebook."""
    client = nbclient.NotebookClient(nb, timeout=timeout, kernel_name="python3", allow_errors=True,
                                     shutdown_kernel="immediate", resources={"metadata": {"path": str(cwd)}})
    client.execute(env=env or repo.tool_env())
    return nb


def error_cells(nb):
    """{cell index: 'EName: message'} for each code cell that raised."""
    return {i: f"{o.ename}: {o.evalue}" for i, c in enumerate(nb.cells) if c.cell_type == "code"
            for o in c.outputs if o.output_type == "error"}
