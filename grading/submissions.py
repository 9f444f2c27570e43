"""Student submissions: import them into the course, and read their answer cells safely.

A submission is untrusted bytes. `answers` parses it as plain JSON (size-capped), never
executes or validates it with nbformat, and keeps only code cells whose nbgrader grade_id is one
of the release notebook's answer cells; duplicates of an answer cell are joined in order, as
running them in the notebook would. Test cells and all other metadata are ignored: the judge
restores them from the release.
"""
import json
import shutil
from datetime import datetime, timezone
from pathlib import Path

from grading.course import check_student_id

MAX_BYTES = 128 << 20


class Unreadable(ValueError):
    """A submission that is not a notebook (empty, malformed JSON, too large, wrong structure)."""


def answer_ids(release_nb):
    """grade_ids of the autograded answer cells of a release notebook (nbformat node), in order."""
    return [c.metadata.nbgrader["grade_id"] for c in release_nb.cells
            if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("solution")]


def answers(path, wanted):
    """{grade_id: source} of the submission at `path` for the grade_ids in `wanted`.

    Raises Unreadable when the file is not a notebook.
    """
    path = Path(path)
    if path.stat().st_size > MAX_BYTES:
        raise Unreadable(f"{path.name} is larger than {MAX_BYTES >> 20} MiB")
    try:
        nb = json.loads(path.read_bytes())
    except (ValueError, UnicodeDecodeError, RecursionError) as e:
        raise Unreadable(f"{path.name} is not valid JSON ({str(e)[:200]})") from None
    cells = nb.get("cells") if isinstance(nb, dict) else None
    if not isinstance(cells, list):
        raise Unreadable(f"{path.name} has no list of cells")
    found = {}
    for cell in cells:
        grade_id, source = _answer_cell(cell)
        if grade_id in wanted:
            found.setdefault(grade_id, []).append(source)
    return {gid: "\n\n".join(sources) for gid, sources in found.items()}


def _answer_cell(cell):
    """(grade_id, source) of a code cell marked as an nbgrader cell, else (None, None)."""
    if not isinstance(cell, dict) or cell.get("cell_type") != "code":
        return None, None
    meta = cell.get("metadata")
    nbg = meta.get("nbgrader") if isinstance(meta, dict) else None
    grade_id = nbg.get("grade_id") if isinstance(nbg, dict) else None
    source = cell.get("source")
    if isinstance(source, list) and all(isinstance(s, str) for s in source):
        source = "".join(source)
    if not isinstance(grade_id, str) or not isinstance(source, str):
        return None, None
    return grade_id, source


def import_folder(course, chapter, folder):
    """Copy each FOLDER/STUDENT/*.ipynb into the course as STUDENT's submission of `chapter`.

    The notebook named CHAPTER.ipynb is taken; failing that, the folder's only notebook (a
    renamed file). Symbolic links are never followed. Returns {student: note} for every folder,
    the note saying what was imported or why nothing was.
    """
    notes = {}
    for entry in sorted(Path(folder).iterdir()):
        if entry.is_symlink() or not entry.is_dir():
            continue
        try:
            student = check_student_id(entry.name)
        except ValueError as e:
            notes[entry.name] = f"skipped: {e}"
            continue
        candidates = [p for p in entry.glob("*.ipynb") if p.is_file() and not p.is_symlink()]
        chosen = [p for p in candidates if p.name == f"{chapter}.ipynb"] or candidates
        if len(chosen) != 1:
            notes[student] = f"no notebook: expected {chapter}.ipynb, found {sorted(p.name for p in candidates)}"
            continue
        store(course, chapter, student, chosen[0])
        renamed = "" if chosen[0].name == f"{chapter}.ipynb" else f" (renamed from {chosen[0].name})"
        notes[student] = f"imported{renamed}"
    return notes


def store(course, chapter, student, source):
    """Copy the notebook file `source` in as `student`'s submission, with nbgrader's timestamp.txt."""
    target = course.submitted(student, chapter)
    target.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target / f"{chapter}.ipynb", follow_symlinks=False)
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f %Z")
    (target / "timestamp.txt").write_text(stamp)


def submitted_students(course, chapter):
    """Students with a submission folder for `chapter`, sorted."""
    base = course.state / "submitted"
    if not base.is_dir():
        return []
    return sorted(p.name for p in base.iterdir() if (p / chapter).is_dir() and not p.is_symlink())
