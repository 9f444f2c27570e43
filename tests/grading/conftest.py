"""Fixtures for the grading tests: a throwaway released course, submissions written into it.

The tests that run the sandboxed grader (marked `sandbox`) are skipped, with the reason and
how to install what is missing, on a machine without bubblewrap and prlimit (macOS, or Linux
without the package); .ci/run installs them and refuses to run without them.
"""
import nbformat
import pytest

from grading import repo, sandbox
from grading.course import Course
from tests.notebooks import nbtools


def sandbox_missing():
    """Why the sandbox cannot run here (bubblewrap's or prlimit's message), or None."""
    try:
        sandbox._tools()
    except sandbox.SandboxUnavailable as e:
        return str(e)
    return None


def pytest_collection_modifyitems(config, items):
    """Sandbox tests are slow (each starts Python and torch in bubblewrap), and skipped with the
    reason where the sandbox cannot run."""
    reason = sandbox_missing()
    for item in items:
        if item.get_closest_marker("sandbox"):
            item.add_marker(pytest.mark.slow)
            if reason is not None:
                item.add_marker(pytest.mark.skip(reason=f"the grading sandbox cannot run: {reason}"))


def released_course(tmp_path, chapter, db_url=None):
    """A course in tmp_path/course with `chapter` copied from this repository and released (into
    the gradebook at `db_url`, else a copy of the one nbtools.generated made)."""
    if db_url is None:
        return Course(nbtools.released_copy(chapter, tmp_path))
    root = nbtools.make_course(tmp_path, [chapter])
    course = Course(root, db_url=db_url)
    course.nbgrader("generate_assignment", chapter, "--force")
    return course


def notebooks(chapter):
    """(release notebook, solution notebook) of `chapter` from this repository."""
    release = nbformat.read(repo.ROOT / repo.CHAPTERS / chapter / f"{chapter}.ipynb", as_version=4)
    solution = nbformat.read(repo.ROOT / repo.SOLUTIONS / chapter / f"{chapter}.ipynb", as_version=4)
    return release, solution


def solved(chapter, answers=None):
    """The release notebook with every answer typed in (the solution's, or `answers` {grade_id: source})."""
    release, solution = notebooks(chapter)
    return nbtools.filled(release, solution, answers)


def submit(course, chapter, student, content):
    """Put `content` (a notebook node or raw bytes) in as `student`'s submission."""
    folder = course.submitted(student, chapter)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{chapter}.ipynb"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        nbformat.write(content, path)
    return path


@pytest.fixture
def course01(tmp_path):
    return released_course(tmp_path, "01_neurons")
