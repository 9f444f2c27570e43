"""The gradebook on a real PostgreSQL server (Debian's packages), started by the test itself."""
import glob
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from grading import autograde, gradebook, sandbox
from tests.grading.conftest import released_course, solved, submit
from tests.grading.corpus01 import WRONG

pytestmark = [pytest.mark.slow, pytest.mark.sandbox]
CHAPTER = "01_neurons"


def _bin(name):
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return found[-1] if found else None


@pytest.fixture
def postgres():
    """A throwaway PostgreSQL server on a free loopback port; yields its SQLAlchemy URL."""
    if _bin("initdb") is None:
        pytest.skip("PostgreSQL server binaries missing: `sudo apt-get install postgresql` (.ci/run installs them)")
    home = Path(tempfile.mkdtemp(prefix="pg-"))  # directly in /tmp, so the postgres user can reach it
    data, run = home / "pgdata", home / "pgrun"
    run.mkdir()
    as_user = []
    if os.geteuid() == 0:  # initdb refuses to run as root: use the package's postgres user
        shutil.chown(home, "postgres")
        shutil.chown(run, "postgres")
        as_user = ["runuser", "-u", "postgres", "--"]
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    subprocess.run([*as_user, _bin("initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8"],
                   check=True, capture_output=True)
    options = f"-c listen_addresses=127.0.0.1 -c port={port} -c unix_socket_directories={run}"
    subprocess.run([*as_user, _bin("pg_ctl"), "-D", str(data), "-o", options, "-w", "-l", str(home / "pg.log"),
                    "start"], check=True, capture_output=True)
    try:
        engine = create_engine(f"postgresql+psycopg2://postgres@127.0.0.1:{port}/postgres",
                               isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(text("CREATE DATABASE gradebook"))
        engine.dispose()
        yield f"postgresql+psycopg2://postgres@127.0.0.1:{port}/gradebook"
    finally:
        subprocess.run([*as_user, _bin("pg_ctl"), "-D", str(data), "-m", "immediate", "stop"], capture_output=True)
        shutil.rmtree(home, ignore_errors=True)


def test_grades_on_postgresql(tmp_path, postgres):
    course = released_course(tmp_path, CHAPTER, db_url=postgres)
    expected = {"full": 10, "none": 0, "partial": 9, "broken": 0}
    submit(course, CHAPTER, "full", solved(CHAPTER))
    submit(course, CHAPTER, "none", solved(CHAPTER, {g: "" for g in WRONG} | {
        "ch01_activation_grads": "", "ch01_neuron_step": ""}))
    submit(course, CHAPTER, "partial", solved(CHAPTER, {"ch01_neuron": WRONG["ch01_neuron"]}))
    submit(course, CHAPTER, "broken", b"{")
    for force in (False, True):  # the second run re-grades everything: same grades, no duplicate rows
        autograde.grade_all(course, CHAPTER, workers=2, limits=sandbox.Limits(wall_s=60), force=force,
                            progress=False)
        with gradebook.opened(course) as gb:
            got = {s: sum(gradebook.scores_of(gb, CHAPTER, s).values()) for s in expected}
            assert got == expected
    engine = create_engine(postgres)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM grade")).scalar() == 4 * 6
        assert conn.execute(text("SELECT count(*) FROM submitted_assignment")).scalar() == 4
    engine.dispose()
