"""chapters/ is exactly what nbgrader generates from solutions/ (nobody edits it by hand)."""
import json

import pytest

from grading import authoring, repo
from tests.notebooks import nbtools

pytestmark = pytest.mark.slow


def test_chapters_equal_a_fresh_regeneration(tmp_path):
    root = nbtools.make_course(tmp_path)
    authoring.generate(repo.chapter_names(), root=root)
    fresh = {p.relative_to(root / repo.CHAPTERS) for p in (root / repo.CHAPTERS).rglob("*") if p.is_file()}
    committed = {p.relative_to(repo.ROOT / repo.CHAPTERS)
                 for p in (repo.ROOT / repo.CHAPTERS).rglob("*") if p.is_file()}
    assert committed == fresh, "chapters/ holds other files than a regeneration; run `python -m grading generate`"
    for rel in sorted(fresh):
        new, old = root / repo.CHAPTERS / rel, repo.ROOT / repo.CHAPTERS / rel
        if rel.suffix == ".ipynb":
            new_cells, old_cells = json.loads(new.read_text())["cells"], json.loads(old.read_text())["cells"]
            for i, (a, b) in enumerate(zip(new_cells, old_cells)):
                assert a == b, f"chapters/{rel} cell {i} differs from solutions/; run `python -m grading generate`"
        assert new.read_bytes() == old.read_bytes(), f"chapters/{rel} is stale; run `python -m grading generate`"


def test_every_chapter_has_a_student_version():
    for name in repo.chapter_names():
        assert repo.notebooks(repo.CHAPTERS, chapters=[name]), f"chapters/{name} is missing"


@pytest.mark.parametrize("chapter", repo.chapter_names())
def test_stored_outputs_hold_no_warnings_or_errors(chapter):
    """A warning in a solution's stored output is noise for students and, with its temporary
    file path, makes nbval fail on the next run; errors belong only to tagged cells."""
    for path in repo.notebooks(repo.SOLUTIONS, chapters=[chapter]):
        nb = json.loads(path.read_text())
        for i, cell in enumerate(nb["cells"]):
            for out in cell.get("outputs", []):
                assert not (out["output_type"] == "stream" and out["name"] == "stderr"), \
                    f"{path.name} cell {i} wrote to stderr: {''.join(out['text'])[:300]}"
                assert out["output_type"] != "error", f"{path.name} cell {i} raised {out.get('ename')}"
