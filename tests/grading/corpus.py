"""What the hostile-submission corpora (corpus01.py to corpus07.py, one per chapter) are built
from, and how a batch is graded.

A corpus module holds CHAPTER, BATCH (a Batch), `corpus(root)` -> {student: (file name, content,
expected scores, honest?)} where `root` is the course root, STOPPED {student: how its status
starts} and NAMED {student: (grade_id, words its verdict must contain)}.
"""
import hashlib
import importlib
from pathlib import Path

import nbformat

from grading import autograde, submissions
from tests.grading.conftest import notebooks, released_course, solved
from tests.notebooks import nbtools


def modules():
    """Every corpus module (tests/grading/corpusNN.py), in chapter order."""
    names = sorted(p.stem for p in Path(__file__).parent.glob("corpus[0-9][0-9].py"))
    return [importlib.import_module(f"tests.grading.{name}") for name in names]


class Batch:
    """One chapter's submissions: `points` {grade_id: points of its test cell}, written down here
    independently of the notebook's metadata, and `wrong` {grade_id: a wrong answer cell}."""

    def __init__(self, chapter, points, wrong):
        self.chapter, self.points, self.wrong = chapter, points, wrong
        self.name = f"{chapter}.ipynb"

    def scores(self, *failed):
        """Expected {test id: points} when the exercises in `failed` score nothing."""
        return {f"{gid}_test": 0 if gid in failed else p for gid, p in self.points.items()}

    def answer(self, gid):
        """The solution's answer cell for exercise `gid` (its code only)."""
        return nbtools.solution_code(nbtools.answer_cells(notebooks(self.chapter)[1])[gid].source)

    def with_answers(self, **answers):
        """The solved notebook with some answer cells replaced ({grade_id: source})."""
        return solved(self.chapter, answers)

    def hostile(self, gid, code, wrong=None):
        """Hostile `code` put in front of the wrong answer of exercise `gid` (or in front of `wrong`)."""
        return self.with_answers(**{gid: code + "\n" + (self.wrong[gid] if wrong is None else wrong)})

    def entries(self, honest, bad, failed):
        """The corpus: honest {student: (file name, notebook, scores)}, and bad {student: notebook}
        that score nothing in the exercises failed[student] and full points elsewhere."""
        out = {student: (name, nb, s, True) for student, (name, nb, s) in honest.items()}
        out.update({student: (self.name, nb, self.scores(*failed[student]), False) for student, nb in bad.items()})
        return out


def grade(tmp, module, pool):
    """Import `module`'s corpus into a fresh course under `tmp` and grade it in `pool`:
    (course, entries, import notes, {student: result}, {submitted file: sha256 before grading})."""
    course = released_course(tmp, module.CHAPTER)
    entries = module.corpus(course.root)
    for student, (name, content, _, _) in entries.items():
        folder = tmp / "inbox" / student
        folder.mkdir(parents=True)
        if isinstance(content, bytes):
            (folder / name).write_bytes(content)
        else:
            nbformat.write(content, folder / name)
    notes = submissions.import_folder(course, module.CHAPTER, tmp / "inbox")
    before = digests(course, module.CHAPTER, entries)
    results = autograde.grade_all(course, module.CHAPTER, workers=2, progress=False, pool=pool)
    return course, entries, notes, {r["student"]: r for r in results}, before


def digests(course, chapter, students):
    """{path: sha256} of every file the `students` submitted for `chapter`."""
    return {path: hashlib.sha256(path.read_bytes()).hexdigest()
            for student in students for path in sorted(course.submitted(student, chapter).rglob("*")) if path.is_file()}
