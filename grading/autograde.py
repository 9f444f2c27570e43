"""Autograde every submission of a chapter in parallel, sandboxed, resumable.

Workers (threads) each drive one sandboxed run at a time; the main thread alone writes the
gradebook, then the feedback notebook, then the verdict (renamed into place last, so it
marks a finished submission). A re-run skips submissions whose verdict matches the submitted
file's hash (unless forced), so a batch that crashed resumes where it stopped.
"""
import hashlib
import json
import os
import queue
import signal
from concurrent.futures import ThreadPoolExecutor, as_completed

import nbformat
from tqdm.auto import tqdm

from grading import feedback, gradebook, judge, sandbox, submissions
from lib import exercises


def _sha256(path):
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else None


class Batch:
    """Everything a worker needs that is the same for every submission of a chapter."""

    def __init__(self, course, chapter, limits):
        self.course, self.chapter, self.limits = course, chapter, limits
        self.release = nbformat.read(course.release_notebook(chapter), as_version=4)
        self.trusted = judge.Release.of(self.release)
        self.ids = submissions.answer_ids(self.release)
        missing = [gid for gid in self.ids if gid not in exercises.EXERCISES]
        if missing:
            raise ValueError(f"no exercise definition for {', '.join(missing)} (lib/exercises)")
        self.key = course.key()
        with gradebook.opened(course) as gb:
            self.points = gradebook.max_scores(gb, chapter, [f"{gid}_test" for gid in self.ids])

    def grade(self, student, pool, slot):
        """The verdict (a dict, saved as JSON) and feedback notebook for one submission, graded in
        `pool` (a sandbox.Pool) on `slot`."""
        path = self.course.submitted(student, self.chapter) / f"{self.chapter}.ipynb"
        result = {"student": student, "chapter": self.chapter, "sha256": _sha256(path), "seconds": 0.0,
                  "peak_mb": 0.0, "exercises": {}}
        answers, verdicts = {}, {}
        try:
            answers = submissions.answers(path, set(self.ids))
        except FileNotFoundError:
            result["status"] = "missing"
        except submissions.Unreadable as e:
            result["status"] = f"unreadable: {e}"
        else:
            job = judge.make_job(self.chapter, student, self.key, self.trusted, answers,
                                 cell_timeout=min(20.0, self.limits.wall_s / 3))
            outcome = pool.run(job.payload, slot)
            verdicts = judge.verdicts(job, outcome.records)
            result.update(seconds=round(outcome.seconds, 2), peak_mb=None if outcome.peak_mb is None else round(outcome.peak_mb, 1),
                          status=_status(outcome))
        for gid in self.ids:
            verdict = verdicts.get(gid) or judge.Verdict(False, "no answer cell with this grade_id")
            points = self.points[f"{gid}_test"]
            result["exercises"][gid] = {"passed": verdict.passed, "score": points if verdict.passed else 0.0,
                                        "max": points, "message": verdict.message}
        return result, feedback.notebook(self.release, answers, verdicts, result["status"])


def _status(outcome):
    """"graded", "timed out", or "stopped early: <what happened, in words>"."""
    _, _, done = judge.parse_records(outcome.records)
    if outcome.timed_out:
        return "timed out"
    if done and outcome.returncode == 0:
        return "graded"
    return f"stopped early: {_ending(outcome.returncode)}; answers not checked by then scored 0"


def _ending(returncode):
    """How the sandboxed process ended, for an instructor: a shell's 128 + N and -N mean signal N."""
    number = -returncode if returncode < 0 else returncode - 128 if returncode > 128 else None
    if number in (signal.SIGKILL, signal.SIGSEGV, signal.SIGBUS, signal.SIGABRT):
        cause = {signal.SIGKILL: "killed, most likely for going over the memory limit",
                 signal.SIGSEGV: "crashed: the submission made Python read memory it may not (a segfault)",
                 signal.SIGBUS: "crashed on a bad memory access (SIGBUS)",
                 signal.SIGABRT: "aborted (SIGABRT): a library gave up"}[number]
        return f"the grading process {cause}"
    if returncode == 0:
        return "the submission ended the grading process itself (os._exit or similar) with status 0"
    return f"the grading process ended with status {returncode} before its report was complete"


def pending(course, chapter, force=False):
    """Students whose submission of `chapter` has no up-to-date verdict (all of them if forced)."""
    students = submissions.submitted_students(course, chapter)
    if force:
        return students
    todo = []
    for student in students:
        verdict = course.load_verdict(student, chapter)
        path = course.submitted(student, chapter) / f"{chapter}.ipynb"
        if verdict is None or verdict.get("sha256") != _sha256(path):
            todo.append(student)
    return todo


def save(course, chapter, gb, result, nb):
    """Gradebook first, then the feedback notebook, then the verdict (atomically, last)."""
    student = result["student"]
    gradebook.record(gb, chapter, student, {f"{g}_test": e["score"] for g, e in result["exercises"].items()})
    folder = course.autograded(student, chapter)
    folder.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, folder / f"{chapter}.ipynb")
    path = course.verdict(student, chapter)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(result, indent=1))
    os.replace(tmp, path)


def grade_all(course, chapter, workers=2, limits=None, force=False, progress=True, pool=None):
    """Autograde `chapter`'s pending submissions with `workers` sandboxes at a time.

    Returns the list of verdicts written in this run. `limits`: sandbox.Limits (default ones if None).
    pool: an open sandbox.Pool to grade in, left open for the caller's next batch (its templates
    already started; its limits apply, so `limits` must be None); by default one of this batch's own.
    Raises sandbox.SandboxUnavailable, before grading anything, if a small job fails under the limits.
    """
    if pool is None:
        with sandbox.Pool(limits or sandbox.Limits()) as own:
            return grade_all(course, chapter, workers, None, force, progress, own)
    if limits is not None:
        raise ValueError("grade_all: pass limits or a pool (which has its own limits), not both")
    batch = Batch(course, chapter, pool.limits)
    todo = pending(course, chapter, force)
    if todo:
        pool.check()
    return _grade(course, chapter, batch, pool, todo, workers, progress)


def _grade(course, chapter, batch, pool, todo, workers, progress):
    slots = queue.SimpleQueue()
    for slot in range(workers):
        slots.put(slot)

    def work(student):
        slot = slots.get()
        try:
            return batch.grade(student, pool, slot)
        finally:
            slots.put(slot)

    done = []
    bar = tqdm(total=len(todo), desc=f"autograde {chapter}", unit="submission", disable=not progress)
    with gradebook.opened(course) as gb, ThreadPoolExecutor(max_workers=workers) as threads:
        for future in as_completed([threads.submit(work, s) for s in todo]):
            result, nb = future.result()
            save(course, chapter, gb, result, nb)
            done.append(result)
            bar.update(1)
    bar.close()
    return done
