#!/usr/bin/env python3
"""Set up and run the course with nothing but Python 3.11+ installed.

    python3 course.py open    install everything, then open the course in JupyterLab
    python3 course.py test    install everything, then run the whole test suite

Standard library only. The first run creates .venv/ and installs requirements.txt
into it (exactly that list: --no-deps, see requirements.txt); later runs reinstall only
when requirements.txt or pyproject.toml changed.
Arguments after the command go to JupyterLab (open) or pytest (test), for example
`python3 course.py test tests/lib -x` or `python3 course.py open --port 9999`. Tests run on
one pytest-xdist worker per core unless the arguments choose (`-n 0` runs them in one process).
"""
import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
STAMP = VENV / "requirements.sha256"
INPUTS = ("requirements.txt", "pyproject.toml")


def venv_python():
    """The virtual environment's interpreter (Scripts\\python.exe on Windows)."""
    if os.name == "nt":
        return VENV / "Scripts" / "python.exe"
    return VENV / "bin" / "python"


def requirements_digest():
    h = hashlib.sha256()
    for name in INPUTS:
        h.update((ROOT / name).read_bytes())
    return h.hexdigest()


def ensure_environment():
    """Create .venv and install the pinned requirements unless they are already installed."""
    if sys.version_info < (3, 11):
        sys.exit(f"Python 3.11 or newer is needed; this is {sys.version.split()[0]}")
    python = venv_python()
    if not python.exists():
        print(f"creating the virtual environment in {VENV}", flush=True)
        venv.EnvBuilder(with_pip=True, clear=VENV.exists()).create(VENV)
    digest = requirements_digest()
    if not STAMP.exists() or STAMP.read_text().strip() != digest:
        print("installing the course's pinned requirements (first run: a few minutes)", flush=True)
        subprocess.run([str(python), "-m", "pip", "install", "--no-deps", "-r", "requirements.txt"],
                       cwd=ROOT, check=True)
        STAMP.write_text(digest)
    return python


def command(python, action, extra):
    """The argv that `open` or `test` runs inside the environment."""
    if action == "open":
        as_root = ["--allow-root"] if getattr(os, "geteuid", lambda: 1)() == 0 else []
        chosen = any(a.startswith(("--ServerApp.root_dir", "--notebook-dir")) for a in extra)
        root = [] if chosen else [f"--ServerApp.root_dir={ROOT / 'chapters'}"]
        return [str(python), "-m", "jupyter", "lab", *root, *as_root, *extra]
    return [str(python), "-m", "pytest", *parallel(extra, cores()), *extra]


def cores():
    """How many CPU cores this process may use."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def parallel(extra, n):
    """pytest-xdist arguments for one worker per core (n), tests that must share a worker kept
    together by conftest.py's scheduler; none when the caller chose (-n, --dist, -p no:xdist)
    or with one core."""
    chosen = any(a.startswith(("-n", "--numprocesses", "--dist")) or a == "no:xdist" or a == "-pno:xdist"
                 for a in extra)
    return [] if chosen or n < 2 else ["-n", str(n), "--dist", "loadgroup"]


def main(argv):
    if not argv or argv[0] not in ("open", "test"):
        print(__doc__)
        return 2
    python = ensure_environment()
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([str(python.parent), env.get("PATH", "")])
    return subprocess.run(command(python, argv[0], argv[1:]), cwd=ROOT, env=env).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
