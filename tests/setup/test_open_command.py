"""The README's open command serves JupyterLab with the chapters (checked over HTTP)."""
import json
import sys
import urllib.error

import pytest

from grading import repo
from tests import lab_server

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def lab():
    """`python3 course.py open` on loopback with a random token."""
    with lab_server.running([sys.executable, str(repo.ROOT / "course.py"), "open"]) as lab:
        yield lab


def test_open_command_serves_the_chapters(lab):
    for path in repo.notebooks(repo.CHAPTERS):
        rel = path.relative_to(repo.ROOT / repo.CHAPTERS).as_posix()
        status, body = lab.get(f"/api/contents/{rel}")
        model = json.loads(body)
        assert status == 200 and model["type"] == "notebook"
        assert model["content"]["cells"][0]["source"].startswith("# Chapter")
        status, page = lab.get(f"/lab/tree/{rel}")
        assert status == 200 and "jupyter-config-data" in page


def test_open_command_refuses_requests_without_the_token(lab):
    with pytest.raises(urllib.error.HTTPError) as err:
        lab.get("/api/contents", token="wrong-token")
    assert err.value.code == 403
