"""The stock nbgrader round trip of each chapter, run once per test run and read by several tests.

Executing a chapter is the expensive thing here, so one `nbgrader autograde` per chapter serves
the round-trip tests (solved, untouched, typical mistakes) and the student-run tests (the
untouched notebook as executed by autograde). Under pytest-xdist the tests reading one chapter's
round trip run on one worker (conftest.py, `work_unit`), so each round trip is run once.
"""
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import pytest
from nbgrader.api import Gradebook

from grading import repo
from lib import exercises
from tests.notebooks import nbtools


@dataclass
class RoundTrip:
    """One chapter's autograde: expected and actual score fractions per (student, notebook)."""
    root: Path
    chapter: str
    returncode: int
    log: str
    expected: dict = field(default_factory=dict)  # (student, notebook) -> {test grade_id: fraction}
    graded: dict = field(default_factory=dict)  # (student, notebook) -> {test grade_id: fraction}

    def executed(self, student, notebook):
        """The notebook as nbgrader autograde executed it for `student` (outputs included)."""
        path = self.root / ".grading" / "autograded" / student / self.chapter / f"{notebook}.ipynb"
        return nbformat.read(path, as_version=4)

    def wrong_scores(self, student):
        """{notebook: {test grade_id: (score fraction, expected)}} where `student` got another score."""
        assert self.returncode == 0, f"nbgrader autograde {self.chapter} failed:\n{self.log[-3000:]}"
        wrong = {}
        for (who, notebook), scores in self.expected.items():
            if who != student:
                continue
            got = self.graded.get((who, notebook), {})
            assert set(got) == set(scores), f"{who}: graded cells {sorted(got)} != {sorted(scores)}"
            off = {gid: (got[gid], want) for gid, want in scores.items() if got[gid] != want}
            if off:
                wrong[notebook] = off
        return wrong


def submissions(student_nb, solution_nb):
    """{student id: (notebook, {test grade_id: expected score fraction})}.

    "untouched" is the whole notebook (the student-run tests read its run). "solved" and
    "mistake_k" (mistake k of every exercise) hold only what grading reads (nbtools.graded_only),
    as a student who deleted the demonstrations would hand in: a handful of short runs covers the
    whole list. The solved notebook's other cells run under nbval: the solutions notebook differs
    from it only in the test cells' hidden parts, which autograde puts back.
    """
    test_ids = nbtools.graded_test_ids(solution_nb)
    subs = {
        "solved": (nbtools.graded_only(nbtools.filled(student_nb, solution_nb)), dict.fromkeys(test_ids, 1.0)),
        "untouched": (student_nb, dict.fromkeys(test_ids, 0.0)),
    }
    mistakes = {gid: exercises.get(gid).mistakes for gid in nbtools.answer_cells(solution_nb)}
    for k in range(max(map(len, mistakes.values()))):
        answers = {gid: m[k].source for gid, m in mistakes.items() if len(m) > k}
        expected = {f"{gid}_test": 0.0 if gid in answers else 1.0 for gid in mistakes}
        nb = nbtools.graded_only(nbtools.filled(student_nb, solution_nb, answers))
        subs[f"mistake_{k}"] = (nb, expected)
    return subs


def round_trip(chapter, tmp_path):
    """Generate `chapter` (a copy of nbtools.generated), submit every submission above, autograde,
    read the gradebook."""
    root = nbtools.released_copy(chapter, tmp_path)
    run = RoundTrip(root, chapter, 0, "")
    for src in repo.notebooks(repo.SOLUTIONS, root, [chapter]):
        solution_nb = nbformat.read(src, as_version=4)
        student_nb = nbformat.read(root / repo.CHAPTERS / chapter / src.name, as_version=4)
        for student, (nb, scores) in submissions(student_nb, solution_nb).items():
            dest = root / ".grading" / "submitted" / student / chapter / src.name
            dest.parent.mkdir(parents=True, exist_ok=True)
            nbformat.write(nb, dest)
            run.expected[(student, src.stem)] = scores
    result = repo.nbgrader("autograde", chapter, "--force", root=root, check=False, capture=True)
    run.returncode, run.log = result.returncode, result.stderr
    if result.returncode == 0:
        with Gradebook(f"sqlite:///{root}/.grading/gradebook.db") as gb:
            for student, notebook in run.expected:
                nb = gb.find_submission_notebook(notebook, chapter, student)
                run.graded[(student, notebook)] = {g.name: g.score / g.max_score for g in nb.grades if g.max_score}
    return run


@pytest.fixture(scope="session")
def autograded(tmp_path_factory):
    """autograded(chapter) -> RoundTrip, computed on first use and kept for the run."""
    runs = {}

    def get(chapter):
        if chapter not in runs:
            runs[chapter] = round_trip(chapter, tmp_path_factory.mktemp(f"roundtrip-{chapter}"))
        return runs[chapter]

    return get
