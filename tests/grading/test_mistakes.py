"""The judge is as strict as the notebooks' tests: through the sandboxed grader, the solutions
score full marks, untouched notebooks zero, and every typical mistake of every exercise's
definition (lib/exercises) zero on its exercise and nothing lost elsewhere."""
import pytest

from grading import autograde, repo, sandbox
from tests.grading.conftest import notebooks, released_course, solved, submit
from lib import exercises

pytestmark = [pytest.mark.slow, pytest.mark.sandbox]


@pytest.fixture(scope="module")
def pool():
    """One pool for every chapter's batch: its templates start once, not once per chapter."""
    with sandbox.Pool(sandbox.Limits(wall_s=90)) as shared:
        yield shared


@pytest.mark.parametrize("chapter", repo.chapter_names())
def test_specs_reject_every_typical_mistake(chapter, tmp_path, pool):
    course = released_course(tmp_path, chapter)
    release, _ = notebooks(chapter)
    mistakes = {e.grade_id: e.mistakes for e in exercises.for_chapter(chapter)}
    ids = list(mistakes)
    expected = {"solved": set(ids), "untouched": set()}
    submit(course, chapter, "solved", solved(chapter))
    submit(course, chapter, "untouched", release)
    for k in range(max(map(len, mistakes.values()))):
        answers = {g: mistakes[g][k].source for g in ids if len(mistakes[g]) > k}
        submit(course, chapter, f"mistake_{k}", solved(chapter, answers))
        expected[f"mistake_{k}"] = set(ids) - set(answers)
    results = autograde.grade_all(course, chapter, workers=2, progress=False, pool=pool)
    wrong = {}
    for r in results:
        passed = {g for g, e in r["exercises"].items() if e["passed"]}
        if passed != expected[r["student"]]:
            wrong[r["student"]] = {g: r["exercises"][g]["message"] for g in passed ^ expected[r["student"]]}
    assert not wrong, wrong
