"""One batch: honest and hostile chapter 01 submissions graded together by the sandboxed tool.

Honest submissions must get exactly their true score; hostile or broken ones no point they did
not earn (here: exactly the points of their right answers). The batch must finish, and the
gradebook must hold exactly one consistent set of grades per student.
"""
import hashlib

import nbformat
import pytest

from grading import autograde, gradebook, sandbox, submissions
from tests.grading import corpus

pytestmark = [pytest.mark.slow, pytest.mark.sandbox]
# An honest chapter 01 job takes under a second; the runs that never end take the whole limit.
LIMITS = sandbox.Limits(wall_s=12)


@pytest.fixture(scope="module")
def pool():
    """The sandboxes of both batches below (their templates start once)."""
    with sandbox.Pool(LIMITS) as shared:
        yield shared


@pytest.fixture(scope="module")
def graded(tmp_path_factory, pool):
    from tests.grading.conftest import released_course
    tmp = tmp_path_factory.mktemp("corpus")
    course = released_course(tmp, corpus.CHAPTER)
    entries = corpus.corpus(course.root)
    for student, (name, content, _, _) in entries.items():
        folder = tmp / "inbox" / student
        folder.mkdir(parents=True)
        if isinstance(content, bytes):
            (folder / name).write_bytes(content)
        else:
            nbformat.write(content, folder / name)
    notes = submissions.import_folder(course, corpus.CHAPTER, tmp / "inbox")
    other = course.submitted("honest_solved", corpus.CHAPTER) / f"{corpus.CHAPTER}.ipynb"
    before = hashlib.sha256(other.read_bytes()).hexdigest()
    results = autograde.grade_all(course, corpus.CHAPTER, workers=2, progress=False, pool=pool)
    return course, entries, notes, {r["student"]: r for r in results}, before


def test_corpus_is_large_enough(graded):
    _, entries, _, _, _ = graded
    assert sum(not honest for *_, honest in entries.values()) >= 25


def test_every_submission_was_imported_and_graded(graded):
    _, entries, notes, results, _ = graded
    assert set(notes) == set(entries) == set(results)
    assert notes["honest_wrong_file_name"].startswith("imported (renamed")


def test_scores_are_exactly_the_earned_points(graded):
    _, entries, _, results, _ = graded
    wrong = {}
    for student, (_, _, expected, _) in entries.items():
        got = {f"{gid}_test": e["score"] for gid, e in results[student]["exercises"].items()}
        if got != expected:
            wrong[student] = {t: (got[t], expected[t]) for t in expected if got[t] != expected[t]}
    assert not wrong, f"(got, expected) per test cell: {wrong}"


def test_gradebook_holds_the_same_scores_and_nothing_else(graded):
    course, entries, _, results, _ = graded
    with gradebook.opened(course) as gb:
        assert sorted(s.id for s in gb.students) == sorted(entries)
        for student, (_, _, expected, _) in entries.items():
            assert gradebook.scores_of(gb, corpus.CHAPTER, student) == expected, student
            assert len(gb.find_submission(corpus.CHAPTER, student).notebooks) == 1


def test_no_submission_touched_another(graded):
    course, _, _, _, before = graded
    other = course.submitted("honest_solved", corpus.CHAPTER) / f"{corpus.CHAPTER}.ipynb"
    assert hashlib.sha256(other.read_bytes()).hexdigest() == before


def test_runs_that_stopped_are_reported(graded):
    _, _, _, results, _ = graded
    assert results["infinite_loop_ignoring_alarm"]["status"] == "timed out"
    for student in ("os_exit", "kernel_crash"):
        assert results[student]["status"].startswith("crashed"), results[student]["status"]
    for student in ("malformed_json", "empty_file", "not_a_notebook", "binary_garbage"):
        assert results[student]["status"].startswith("unreadable"), results[student]["status"]
    assert results["honest_solved"]["status"] == "graded"


def test_forbidden_api_is_named_in_the_verdict(graded):
    _, _, _, results, _ = graded
    for student in ("profiler_switched_off", "forbidden_list_emptied"):
        message = results[student]["exercises"]["ch01_sigmoid"]["message"]
        assert "torch.sigmoid" in message or "sys.setprofile" in message, message


def test_regrading_is_idempotent_and_resume_skips_finished(graded, pool):
    course, _, _, results, _ = graded
    assert autograde.pending(course, corpus.CHAPTER) == []
    again = autograde.grade_all(course, corpus.CHAPTER, workers=2, force=True, progress=False, pool=pool)
    for r in again:
        old = results[r["student"]]["exercises"]
        assert {g: e["score"] for g, e in r["exercises"].items()} == {g: e["score"] for g, e in old.items()}, \
            r["student"]
