"""The grading round trip through real nbgrader: generate, submit, autograde, read the gradebook.

Each chapter's round trip runs once (tests/notebooks/conftest.py); each test checks one claim:
- the solutions, typed into the student notebook, score full marks (its graded cells only, as
  the typical mistakes below: nbval runs the whole solutions notebook);
- the untouched student notebook scores zero on every autograded cell;
- every typical mistake in the exercises' definitions (lib/exercises) scores zero on its
  exercise, and does not cost points on the other exercises.
"""
import pytest

from grading import repo

pytestmark = pytest.mark.slow
CHAPTERS = repo.chapter_names()


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_solutions_score_full_marks(chapter, autograded):
    wrong = autograded(chapter).wrong_scores("solved")
    assert not wrong, f"(score fraction, expected) per cell: {wrong}"


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_untouched_notebook_scores_zero(chapter, autograded):
    wrong = autograded(chapter).wrong_scores("untouched")
    assert not wrong, f"(score fraction, expected) per cell: {wrong}"


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_each_typical_mistake_scores_zero_on_its_exercise_only(chapter, autograded):
    run = autograded(chapter)
    students = sorted({s for s, _ in run.expected if s.startswith("mistake_")})
    assert students, f"{chapter}: no typical mistakes submitted"
    wrong = {s: w for s in students if (w := run.wrong_scores(s))}
    assert not wrong, f"(score fraction, expected) per submission and cell: {wrong}"
