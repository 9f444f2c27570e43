"""Scores into nbgrader's gradebook (SQLite by default, any SQLAlchemy URL).

Only the tool's main process writes, one transaction per submission, so parallel workers never
race on the database and a crash loses at most the submission being written.
"""
from contextlib import contextmanager

from nbgrader.api import Gradebook, MissingEntry

from grading.course import COURSE_ID


@contextmanager
def opened(course):
    """An nbgrader Gradebook for the course, closed on exit."""
    gradebook = Gradebook(course.db_url, course_id=COURSE_ID)
    try:
        yield gradebook
    finally:
        gradebook.close()


def max_scores(gradebook, chapter, test_ids):
    """{test_id: points} as released (the instructor's source, never the submission's metadata)."""
    return {tid: gradebook.find_grade_cell(tid, chapter, chapter).max_score for tid in test_ids}


def record(gradebook, chapter, student, scores):
    """Write {test_id: score} as `student`'s autograded scores for `chapter`, in one transaction."""
    try:
        gradebook.update_or_create_student(student)
        try:
            gradebook.find_submission(chapter, student)
        except MissingEntry:
            with gradebook.db.no_autoflush:  # else nbgrader's add_submission trips SQLAlchemy's SAWarning
                gradebook.add_submission(chapter, student)
        for test_id, score in scores.items():
            grade = gradebook.find_grade(test_id, chapter, chapter, student)
            grade.auto_score = score
            grade.needs_manual_grade = False
        gradebook.db.commit()
    except Exception:
        gradebook.db.rollback()
        raise


def scores_of(gradebook, chapter, student):
    """{test_id: auto_score} currently in the gradebook for `student` (empty when none)."""
    try:
        notebook = gradebook.find_submission_notebook(chapter, chapter, student)
    except MissingEntry:
        return {}
    return {g.name: g.auto_score for g in notebook.grades}
