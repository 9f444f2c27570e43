"""Throughput of the sandboxed grader against stock `nbgrader autograde`, same 40 submissions.

    python bench/bench_grading.py [--submissions 40] [--workers 2] [--chapter 01_neurons]

Builds two identical throwaway courses, puts the same submissions in each (a mix of solved
notebooks, untouched ones and typical mistakes, like a class), then grades one with stock
nbgrader (one submission at a time, every cell executed in a kernel) and the other with
`grading.autograde` (answer cells only, in bubblewrap sandboxes, `--workers` at a time, each
submission forked from its slot's template).
Prints wall seconds, submissions per minute, the speed-up, and whether both gave every
submission the same total.
"""
import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

import nbformat

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from grading import autograde, gradebook, repo, sandbox  # noqa: E402
from grading.course import Course  # noqa: E402
from lib import exercises  # noqa: E402
from tests.notebooks import nbtools  # noqa: E402


def class_of(chapter, n):
    """n submissions: every third solved, every third untouched, the rest one typical mistake each."""
    release = nbformat.read(repo.ROOT / repo.CHAPTERS / chapter / f"{chapter}.ipynb", as_version=4)
    solution = nbformat.read(repo.ROOT / repo.SOLUTIONS / chapter / f"{chapter}.ipynb", as_version=4)
    mistakes = [(gid, m.source) for gid in nbtools.answer_cells(solution) for m in exercises.get(gid).mistakes]
    out = {}
    for k in range(n):
        if k % 3 == 0:
            out[f"s{k:03d}"] = nbtools.filled(release, solution)
        elif k % 3 == 1:
            out[f"s{k:03d}"] = release
        else:
            gid, src = mistakes[k % len(mistakes)]
            out[f"s{k:03d}"] = nbtools.filled(release, solution, {gid: src})
    return out


def course_with(tmp, name, chapter, notebooks):
    root = Path(tmp) / name
    shutil.copytree(repo.ROOT / repo.SOLUTIONS / chapter, root / repo.SOLUTIONS / chapter)
    course = Course(root)
    course.nbgrader("generate_assignment", chapter, "--force")
    for student, nb in notebooks.items():
        path = course.submitted(student, chapter) / f"{chapter}.ipynb"
        path.parent.mkdir(parents=True)
        nbformat.write(nb, path)
    return course


def totals(course, chapter, students):
    with gradebook.opened(course) as gb:
        return {s: sum(v or 0 for v in gradebook.scores_of(gb, chapter, s).values()) for s in students}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--submissions", type=int, default=40)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--chapter", default="01_neurons")
    args = parser.parse_args()
    notebooks = class_of(args.chapter, args.submissions)
    with tempfile.TemporaryDirectory() as tmp:
        stock = course_with(tmp, "stock", args.chapter, notebooks)
        ours = course_with(tmp, "ours", args.chapter, notebooks)
        start = time.perf_counter()
        stock.nbgrader("autograde", args.chapter, "--force")
        t_stock = time.perf_counter() - start
        start = time.perf_counter()
        autograde.grade_all(ours, args.chapter, workers=args.workers, limits=sandbox.Limits(), progress=False)
        t_ours = time.perf_counter() - start
        by_stock, by_ours = totals(stock, args.chapter, notebooks), totals(ours, args.chapter, notebooks)
        differ = {s: (by_stock[s], by_ours[s]) for s in notebooks if by_stock[s] != by_ours[s]}
    n = args.submissions
    print(f"chapter {args.chapter}, {n} submissions")
    print(f"stock nbgrader autograde: {t_stock:7.1f} s  {60 * n / t_stock:6.1f} submissions/min")
    print(f"grading.autograde ({args.workers} workers): {t_ours:7.1f} s  {60 * n / t_ours:6.1f} submissions/min")
    print(f"speed-up (stock time / ours): {t_stock / t_ours:.2f}x")
    print(f"submissions whose totals differ (stock, ours): {differ or 'none'}")


if __name__ == "__main__":
    main()
