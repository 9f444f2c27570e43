"""nbgrader validate: every solutions notebook passes, every student notebook fails (--invert)."""
import pytest

from grading import authoring, repo

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("chapter", repo.chapter_names())
def test_nbgrader_validate(chapter):
    problems = authoring.validate([chapter])
    assert not problems, "\n\n".join(f"{path}:\n{text[-2000:]}" for path, text in problems)
