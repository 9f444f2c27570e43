"""Reading untrusted submission files: answer cells only, never a crash."""
import json

import pytest

from grading import submissions
from grading.course import check_student_id


def _cell(grade_id, source, cell_type="code"):
    return {"cell_type": cell_type, "metadata": {"nbgrader": {"grade_id": grade_id}}, "source": source}


def test_answers_keeps_wanted_code_cells_and_joins_duplicates(tmp_path):
    nb = {"cells": [_cell("a", "x = 1"), _cell("b", ["y = ", "2"]), _cell("a", "x = 3"),
                    _cell("c", "z = 0"), _cell("b", "not code", "markdown"), {"cell_type": "code"}, 7]}
    path = tmp_path / "nb.ipynb"
    path.write_text(json.dumps(nb))
    assert submissions.answers(path, {"a", "b"}) == {"a": "x = 1\n\nx = 3", "b": "y = 2"}


@pytest.mark.parametrize("content", [b"", b"{", b"[1, 2]", b'{"cells": {}}', bytes(range(256)),
                                     b"[" * 200_000 + b"]" * 200_000])
def test_unreadable_files_raise_unreadable(tmp_path, content):
    path = tmp_path / "nb.ipynb"
    path.write_bytes(content)
    with pytest.raises(submissions.Unreadable):
        submissions.answers(path, {"a"})


@pytest.mark.parametrize("student", ["", "../x", ".hidden", "a/b", "x" * 101, "名字", None])
def test_unsafe_student_ids_are_refused(student):
    with pytest.raises(ValueError, match="student id"):
        check_student_id(student)


@pytest.mark.slow  # course01 releases the chapter with nbgrader
def test_import_skips_links_and_bad_names(tmp_path, course01):
    inbox = tmp_path / "inbox"
    (inbox / "good").mkdir(parents=True)
    (inbox / "good" / "01_neurons.ipynb").write_text("{}")
    (inbox / "two").mkdir()
    (inbox / "two" / "a.ipynb").write_text("{}")
    (inbox / "two" / "b.ipynb").write_text("{}")
    (inbox / ".sneaky").mkdir()
    (inbox / "linked").symlink_to(inbox / "good")
    notes = submissions.import_folder(course01, "01_neurons", inbox)
    assert notes["good"] == "imported" and notes["two"].startswith("no notebook")
    assert notes[".sneaky"].startswith("skipped") and "linked" not in notes
    assert submissions.submitted_students(course01, "01_neurons") == ["good"]
