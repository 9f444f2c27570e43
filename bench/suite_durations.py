"""Where the test suite's time goes: seconds per test file and per chapter, from a JUnit report.

    python3 course.py test --junitxml=report.xml      # or any pytest run with --junitxml
    .venv/bin/python bench/suite_durations.py report.xml [more.xml ...]

Per file: the sum of its tests' durations (setup, call and teardown, as pytest records them).
Per chapter: the sum over the tests whose id or file names a chapter (01_neurons, ...) or one of
its exercises (ch01_...). Under
pytest-xdist the sums are worker time, which is more than the wall time of the run.
"""
import collections
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from grading import repo  # noqa: E402


def durations(paths):
    """[(file, test name, seconds)] for every test case in the JUnit reports at `paths`."""
    rows = []
    for path in paths:
        for case in ET.parse(path).getroot().iter("testcase"):
            classname = case.get("classname", "")
            file = classname.replace(".", "/") + ".py" if classname else case.get("file", "?")
            if "solutions" in classname:  # nbval: one case per notebook cell
                file = classname.replace(".", "/") + ".ipynb"
            rows.append((file, case.get("name", ""), float(case.get("time", 0))))
    return rows


def main(paths):
    rows, chapters = durations(paths), repo.chapter_names()
    by_file, by_chapter = collections.Counter(), collections.Counter()
    for file, name, seconds in rows:
        by_file[file] += seconds
        found = [c for c in chapters if c in name or c in file or f"ch{c[:2]}_" in name]
        by_chapter[found[0] if found else "(no chapter)"] += seconds
    total = sum(s for _, _, s in rows)
    print(f"{len(rows)} tests, {total:.0f} s of test time\n")
    print(f"{'seconds':>8} {'share':>6}  file")
    for file, seconds in by_file.most_common():
        print(f"{seconds:8.1f} {seconds / total:6.1%}  {file}")
    print(f"\n{'seconds':>8} {'share':>6}  chapter")
    for chapter, seconds in sorted(by_chapter.items()):
        print(f"{seconds:8.1f} {seconds / total:6.1%}  {chapter}")
    return 0


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    sys.exit(main(sys.argv[1:]))
