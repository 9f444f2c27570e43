"""The sandbox's mount plan: the fresh /tmp is mounted before the code binds, so code kept
under /tmp (a clean clone in a temporary folder, as CI does) is not hidden by it."""
import sys
from pathlib import Path

from grading import sandbox


def test_code_under_tmp_is_bound_after_the_fresh_tmp(monkeypatch, tmp_path):
    venv = Path("/tmp/some-clone/.venv")
    monkeypatch.setattr(sys, "prefix", str(venv))
    args = sandbox._binds()
    tmpfs = next(i for i, a in enumerate(args) if a == "--tmpfs" and args[i + 1] == "/tmp")
    bind = next(i for i, a in enumerate(args) if a == "--ro-bind" and args[i + 1] == str(venv))
    assert tmpfs < bind
    made = [args[i + 1] for i, a in enumerate(args) if a == "--dir"]
    assert "/tmp" not in made, "re-creating /tmp would reset its 1777 permissions"
    assert "/tmp/some-clone" in made


def test_solutions_and_grading_state_are_not_mounted():
    args = sandbox._binds()
    sources = [args[i + 1] for i, a in enumerate(args) if a == "--ro-bind"]
    assert not any(s.endswith(("/solutions", "/.grading")) or "/solutions/" in s for s in sources)
