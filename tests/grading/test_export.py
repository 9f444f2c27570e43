"""`python -m grading export --to FILE` writes FILE relative to where it is run (nbgrader itself runs
in the course folder) and prints the absolute path."""
import subprocess
import sys

import pytest

from grading import repo

pytestmark = pytest.mark.slow


def test_export_writes_where_the_user_asked_and_prints_the_absolute_path(tmp_path, course01):
    here = tmp_path / "elsewhere"
    here.mkdir()
    r = subprocess.run([sys.executable, "-m", "grading", "--course", str(course01.root), "export", "--to", "out.csv"],
                       cwd=here, env=repo.tool_env(), text=True, capture_output=True)
    assert r.returncode == 0, r.stdout + r.stderr
    assert (here / "out.csv").is_file() and not (course01.root / "out.csv").exists()
    assert f"grades written to {here / 'out.csv'}" in r.stdout
