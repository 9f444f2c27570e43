"""A chapter's results at a glance: score distribution, pass rate per exercise, problems."""
import statistics

from grading import submissions


def verdicts(course, chapter):
    """The saved verdicts of every submission of `chapter` (ungraded ones left out)."""
    found = (course.load_verdict(s, chapter) for s in submissions.submitted_students(course, chapter))
    return [v for v in found if v is not None]


def summary(course, chapter, bins=5):
    """The text of a chapter's summary."""
    results = verdicts(course, chapter)
    if not results:
        return f"{chapter}: no graded submissions yet"
    totals = [sum(e["score"] for e in r["exercises"].values()) for r in results]
    maximum = sum(e["max"] for e in results[0]["exercises"].values())
    lines = [f"{chapter}: {len(results)} submissions graded, max score {maximum:g}",
             f"score: mean {statistics.mean(totals):.2f}, median {statistics.median(totals):g}, "
             f"min {min(totals):g}, max {max(totals):g}", "distribution:"]
    width = maximum / bins if maximum else 1
    for b in range(bins):
        lo, hi = b * width, (b + 1) * width
        n = sum(lo <= t < hi or (b == bins - 1 and t == hi) for t in totals)
        lines.append(f"  {lo:5.1f} - {hi:5.1f} {n:4d} {'#' * n}")
    lines.append("pass rate per exercise:")
    for gid in results[0]["exercises"]:
        passed = sum(r["exercises"][gid]["passed"] for r in results)
        lines.append(f"  {gid:28s} {passed:4d}/{len(results)} ({100 * passed / len(results):.0f}%)")
    problems = [r for r in results if r["status"] != "graded"]
    lines.append(f"submissions that did not run to the end: {len(problems)}")
    lines += [f"  {r['student']}: {r['status']}" for r in problems]
    return "\n".join(lines)
