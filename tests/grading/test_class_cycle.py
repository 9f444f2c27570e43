"""A whole class cycle through the instructor's command line, as the README's guide walks it:
release to an exchange, a student fetches and submits, more submissions imported from a folder,
collect, autograde, feedback, export, summary."""
import csv
import getpass
import shutil
import subprocess
import sys

import nbformat
import pytest

from grading import repo
from tests.grading.conftest import solved
from tests.grading.corpus01 import WRONG

pytestmark = [pytest.mark.slow, pytest.mark.sandbox]
CHAPTER = "01_neurons"


def tool(root, *args):
    """`python -m grading --course ROOT ARGS`; returns its stdout (fails the test on a non-zero exit)."""
    r = subprocess.run([sys.executable, "-m", "grading", "--course", str(root), *args], cwd=repo.ROOT,
                       env=repo.tool_env(), text=True, capture_output=True)
    assert r.returncode == 0, f"{args}: {r.stdout}\n{r.stderr}"
    return r.stdout


def nbgrader_as_student(home, exchange, *args):
    r = subprocess.run([sys.executable, "-m", "nbgrader", *args, f"--Exchange.root={exchange}",
                        "--CourseDirectory.course_id=neurons-to-transformers"], cwd=home, env=repo.tool_env(),
                       text=True, capture_output=True)
    assert r.returncode == 0, r.stdout + r.stderr


def test_full_class_cycle(tmp_path):
    root, exchange, home, inbox = (tmp_path / d for d in ("course", "exchange", "student_home", "inbox"))
    shutil.copytree(repo.ROOT / repo.SOLUTIONS / CHAPTER, root / repo.SOLUTIONS / CHAPTER)
    exchange.mkdir(mode=0o777)
    exchange.chmod(0o777)
    home.mkdir()

    tool(root, "release", CHAPTER, "--exchange", str(exchange))
    nbgrader_as_student(home, exchange, "fetch_assignment", CHAPTER)
    fetched = home / CHAPTER / f"{CHAPTER}.ipynb"
    nbformat.write(solved(CHAPTER), fetched)  # the student solves everything, then submits
    nbgrader_as_student(home, exchange, "submit", CHAPTER)
    (inbox / "bob").mkdir(parents=True)
    nbformat.write(solved(CHAPTER, {"ch01_neuron": WRONG["ch01_neuron"]}), inbox / "bob" / f"{CHAPTER}.ipynb")
    (inbox / "carol").mkdir()
    (inbox / "carol" / f"{CHAPTER}.ipynb").write_text("not json")

    assert "collected 1 submissions" in tool(root, "collect", CHAPTER, "--exchange", str(exchange))
    imported = tool(root, "import", CHAPTER, str(inbox))
    assert "bob: imported" in imported and "carol: imported" in imported
    assert "graded 3 submissions" in tool(root, "autograde", CHAPTER, "--quiet")
    assert "graded 0 submissions" in tool(root, "autograde", CHAPTER, "--quiet")  # nothing left to do
    tool(root, "feedback", CHAPTER)
    tool(root, "export", "--to", str(tmp_path / "grades.csv"))
    summary = tool(root, "summary", CHAPTER)

    me = getpass.getuser()
    with open(tmp_path / "grades.csv") as f:
        scores = {row["student_id"]: float(row["score"]) for row in csv.DictReader(f)}
    assert scores == {me: 10.0, "bob": 9.0, "carol": 0.0}
    html = (root / ".grading" / "feedback" / "bob" / CHAPTER / f"{CHAPTER}.html").read_text()
    assert "FAILED: case 1" in html and "HIDDEN TESTS" not in html and "for shape, dtype in" not in html
    assert "3 submissions graded, max score 10" in summary
    rates = {line.split()[0]: line.split()[1] for line in summary.splitlines() if line.startswith("  ch01_")}
    assert rates["ch01_neuron"] == "1/3" and rates["ch01_sigmoid"] == "2/3", rates
    assert "carol: unreadable" in summary
