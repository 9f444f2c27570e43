"""Every autograded exercise of the course, one definition each (see lib/exercises/base.py).

    exercises.get("ch01_sigmoid")      the definition of one exercise
    exercises.for_chapter("01_neurons")  a chapter's, in notebook order

One module per chapter (ch01.py, ...) lists its exercises in EXERCISES.
"""

from lib.exercises import ch01, ch02, ch03, ch04, ch05, ch06, ch07
from lib.exercises.base import Case, Exercise, Mistake

CHAPTERS = (ch01, ch02, ch03, ch04, ch05, ch06, ch07)
EXERCISES = {e.grade_id: e for module in CHAPTERS for e in module.EXERCISES}

__all__ = ["CHAPTERS", "Case", "EXERCISES", "Exercise", "Mistake", "for_chapter", "get"]


def get(grade_id):
    """The Exercise called `grade_id`, or a KeyError listing the known ones."""
    try:
        return EXERCISES[grade_id]
    except KeyError:
        raise KeyError(
            f"grade_id: no exercise {grade_id!r}; known: {', '.join(EXERCISES)}"
        ) from None


def for_chapter(chapter):
    """The exercises of a chapter such as "01_neurons", in notebook order."""
    prefix = f"ch{chapter[:2]}_"
    return [e for gid, e in EXERCISES.items() if gid.startswith(prefix)]
