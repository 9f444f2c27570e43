"""Where the course lives on disk, and how to run nbgrader against it."""
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOLUTIONS = "solutions"
CHAPTERS = "chapters"


def chapter_names(root=ROOT):
    """Names of all chapters (folders of solutions/ holding a notebook), sorted."""
    return sorted(p.parent.name for p in (Path(root) / SOLUTIONS).glob("*/*.ipynb"))


def notebooks(kind, root=ROOT, chapters=None):
    """Paths of the notebooks of `kind` ("solutions" or "chapters") for the named chapters."""
    names = chapters or chapter_names(root)
    return sorted(p for name in names for p in (Path(root) / kind / name).glob("*.ipynb"))


def tool_env():
    """The environment for nbgrader and jupyter: this interpreter's bin/ first on PATH.

    nbgrader shells out to `alembic` by name, so the venv's bin/ must be on PATH.
    """
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    return env


def nbgrader(*args, root=ROOT, check=True, capture=False):
    """Run `nbgrader ARGS` with the course root as working directory; returns CompletedProcess."""
    cmd = [sys.executable, "-m", "nbgrader", *args]
    result = subprocess.run(cmd, cwd=root, env=tool_env(), text=True,
                            capture_output=capture, check=False)
    if check and result.returncode != 0:
        detail = f"\n{result.stdout}\n{result.stderr}" if capture else ""
        raise RuntimeError(f"nbgrader {' '.join(args)} failed with exit code {result.returncode}{detail}")
    return result
