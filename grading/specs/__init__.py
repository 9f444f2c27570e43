"""What the judge asks of each exercise: fresh inputs, how to call the answer, the reference.

An Exercise names the functions its answer cell defines, draws judge-chosen cases from a seeded
generator, says how to call the answer on a case (`run`, executed in the sandbox, returning plain
data) and what the right result is (`expected`, computed in the trusted judge from torch or
scikit-learn oracles, never from the student's code). `check` replaces the plain comparison where
many answers are right (a topological order). The forbidden APIs are lib.testing.FORBIDDEN's.
"""
from grading.specs import ch01, ch02, ch03, ch04
from grading.specs.base import Case, Exercise  # noqa: F401 (re-exported)

EXERCISES = {e.grade_id: e for module in (ch01, ch02, ch03, ch04) for e in module.EXERCISES}


def for_chapter(chapter):
    """The exercises of a chapter such as "01_neurons", in notebook order."""
    prefix = f"ch{chapter[:2]}_"
    return [e for gid, e in EXERCISES.items() if gid.startswith(prefix)]
