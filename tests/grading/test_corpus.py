"""One batch per corpus: honest and hostile submissions graded together by the sandboxed tool.

Honest submissions must get exactly their true score; hostile or broken ones no point they did
not earn (here: exactly the points of their right answers). The batch must finish, the
gradebook must hold exactly one consistent set of grades per student, and no submitted file may
change. Chapter 01's corpus also holds the chapter-independent hostility; every chapter's holds
CHEATS: the ways an answer can reach what its exercise asks it to write (another name, an
in-place variant, an equivalent kernel, forward-mode AD, torch.ops, the lib version, the
grader's own reference), each refused by the judge or caught by the guard, naming what it used.
"""
import pytest

from grading import autograde, gradebook, sandbox
from tests.grading import corpus

pytestmark = [pytest.mark.slow, pytest.mark.sandbox]
# An honest job takes a few seconds; the runs that never end take the whole limit.
LIMITS = sandbox.Limits(wall_s=12)


@pytest.fixture(scope="module")
def pool():
    """The sandboxes of every batch below (their templates start once)."""
    with sandbox.Pool(LIMITS) as shared:
        yield shared


@pytest.fixture(scope="module", params=corpus.modules(), ids=lambda m: m.CHAPTER)
def graded(request, tmp_path_factory, pool):
    """(corpus module, course, entries, import notes, {student: result}, digests before grading)."""
    module = request.param
    return (module, *corpus.grade(tmp_path_factory.mktemp(module.CHAPTER), module, pool))


def test_corpus_is_large_enough(graded):
    module, _, entries, _, _, _ = graded
    assert sum(not honest for *_, honest in entries.values()) >= (25 if module.CHAPTER == "01_neurons" else 15)


def test_every_submission_was_imported_and_graded(graded):
    module, _, entries, notes, results, _ = graded
    assert set(notes) == set(entries) == set(results)
    if module.CHAPTER == "01_neurons":
        assert notes["honest_wrong_file_name"].startswith("imported (renamed")


def test_scores_are_exactly_the_earned_points(graded):
    _, _, entries, _, results, _ = graded
    wrong = {}
    for student, (_, _, expected, _) in entries.items():
        got = {f"{gid}_test": e["score"] for gid, e in results[student]["exercises"].items()}
        if got != expected:
            wrong[student] = {t: (got.get(t), expected[t]) for t in expected if got.get(t) != expected[t]}
    assert not wrong, f"(got, expected) per test cell: {wrong}"


def test_gradebook_holds_the_same_scores_and_nothing_else(graded):
    module, course, entries, _, _, _ = graded
    with gradebook.opened(course) as gb:
        assert sorted(s.id for s in gb.students) == sorted(entries)
        for student, (_, _, expected, _) in entries.items():
            assert gradebook.scores_of(gb, module.CHAPTER, student) == expected, student
            assert len(gb.find_submission(module.CHAPTER, student).notebooks) == 1


def test_no_submitted_file_changed(graded):
    module, course, entries, _, _, before = graded
    assert before and corpus.digests(course, module.CHAPTER, entries) == before


def test_runs_that_stopped_are_reported(graded):
    module, _, _, _, results, _ = graded
    for student, start in module.STOPPED.items():
        assert results[student]["status"].startswith(start), (student, results[student]["status"])


def test_the_verdict_says_what_was_used(graded):
    module, _, _, _, results, _ = graded
    for student, (gid, words) in module.NAMED.items():
        message = results[student]["exercises"][gid]["message"]
        assert words in message, (student, message)


def test_every_cheat_is_refused_or_caught_naming_what_it_used(graded):
    """A cheat scores nothing because of the rule, not by accident: the judge refused its cell
    (naming the line and the rule), or the sandbox's watch named the API or operator it called."""
    module, _, _, _, results, _ = graded
    for student, (gid, _) in getattr(module, "CHEATS", {}).items():
        message = results[student]["exercises"][gid]["message"]
        assert "your answer cell was not run: line " in message or f"{gid}: your answer calls " in message, \
            (student, message)


def test_regrading_is_idempotent_and_resume_skips_finished(graded, pool):
    module, course, _, _, results, _ = graded
    assert autograde.pending(course, module.CHAPTER) == []
    again = autograde.grade_all(course, module.CHAPTER, workers=2, force=True, progress=False, pool=pool)
    for r in again:
        old = results[r["student"]]["exercises"]
        assert {g: e["score"] for g, e in r["exercises"].items()} == {g: e["score"] for g, e in old.items()}, \
            r["student"]
