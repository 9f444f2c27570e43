"""The grading round trip through real nbgrader: generate, submit, autograde, read the gradebook.

- the solutions, typed into the student notebook, score full marks;
- the untouched student notebook scores zero on every autograded cell;
- every typical mistake in the exercises' definitions (lib/exercises) scores zero on its
  exercise, and does not cost points on the other exercises.
Mistake k of every exercise goes into submission "mistake_k", so a handful of autograde
runs covers the whole list.
"""
import nbformat
import pytest
from nbgrader.api import Gradebook

from grading import repo
from tests.notebooks import nbtools
from lib import exercises

pytestmark = pytest.mark.slow


def submissions(student_nb, solution_nb):
    """{student id: (notebook, {test grade_id: expected score fraction})}."""
    test_ids = nbtools.graded_test_ids(solution_nb)
    subs = {
        "solved": (nbtools.filled(student_nb, solution_nb), dict.fromkeys(test_ids, 1.0)),
        "untouched": (student_nb, dict.fromkeys(test_ids, 0.0)),
    }
    mistakes = {gid: exercises.get(gid).mistakes for gid in nbtools.answer_cells(solution_nb)}
    for k in range(max(map(len, mistakes.values()))):
        answers = {gid: m[k].source for gid, m in mistakes.items() if len(m) > k}
        expected = {f"{gid}_test": 0.0 if gid in answers else 1.0 for gid in mistakes}
        subs[f"mistake_{k}"] = (nbtools.filled(student_nb, solution_nb, answers), expected)
    return subs


@pytest.mark.parametrize("chapter", repo.chapter_names())
def test_autograde_round_trip(chapter, tmp_path):
    root = nbtools.make_course(tmp_path)
    repo.nbgrader("generate_assignment", chapter, "--force", root=root, capture=True)
    expected = {}
    for src in repo.notebooks(repo.SOLUTIONS, root, [chapter]):
        solution_nb = nbformat.read(src, as_version=4)
        student_nb = nbformat.read(root / repo.CHAPTERS / chapter / src.name, as_version=4)
        for student, (nb, scores) in submissions(student_nb, solution_nb).items():
            dest = root / ".grading" / "submitted" / student / chapter / src.name
            dest.parent.mkdir(parents=True, exist_ok=True)
            nbformat.write(nb, dest)
            expected[(student, src.stem)] = scores

    result = repo.nbgrader("autograde", chapter, "--force", root=root, check=False, capture=True)
    assert result.returncode == 0, result.stderr[-3000:]

    with Gradebook(f"sqlite:///{root}/.grading/gradebook.db") as gb:
        for (student, notebook), scores in expected.items():
            nb = gb.find_submission_notebook(notebook, chapter, student)
            got = {g.name: g.score / g.max_score for g in nb.grades if g.max_score}
            assert set(got) == set(scores), f"{student}: graded cells {sorted(got)} != {sorted(scores)}"
            wrong = {gid: (got[gid], want) for gid, want in scores.items() if got[gid] != want}
            assert not wrong, f"{student}/{notebook}: (score fraction, expected) per cell: {wrong}"
