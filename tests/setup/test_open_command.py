"""The README's open command serves JupyterLab with the chapters (checked over HTTP)."""
import json
import secrets
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

from grading import repo

pytestmark = pytest.mark.slow


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url, token, timeout=5):
    req = urllib.request.Request(url, headers={"Authorization": f"token {token}"})
    with urllib.request.urlopen(req, timeout=timeout) as r:
        return r.status, r.read().decode()


@pytest.fixture
def lab():
    """`python3 course.py open` on loopback with a random token; yields (base url, token)."""
    port, token = free_port(), secrets.token_hex(16)
    cmd = [sys.executable, str(repo.ROOT / "course.py"), "open", "--no-browser", "--ServerApp.ip=127.0.0.1",
           f"--ServerApp.port={port}", f"--IdentityProvider.token={token}"]
    proc = subprocess.Popen(cmd, cwd=repo.ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                get(f"{base}/api/status", token)
                break
            except OSError:
                if proc.poll() is not None:
                    pytest.fail(f"JupyterLab exited with {proc.returncode}: {proc.stderr.read()[-2000:]}")
                if time.monotonic() > deadline:
                    pytest.fail("JupyterLab did not answer within 90 s")
                time.sleep(0.5)
        yield base, token
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


def test_open_command_serves_the_chapters(lab):
    base, token = lab
    for path in repo.notebooks(repo.CHAPTERS):
        rel = path.relative_to(repo.ROOT / repo.CHAPTERS).as_posix()
        status, body = get(f"{base}/api/contents/{rel}", token)
        model = json.loads(body)
        assert status == 200 and model["type"] == "notebook"
        assert model["content"]["cells"][0]["source"].startswith("# Chapter")
        status, page = get(f"{base}/lab/tree/{rel}", token)
        assert status == 200 and "jupyter-config-data" in page


def test_open_command_refuses_requests_without_the_token(lab):
    base, _ = lab
    with pytest.raises(urllib.error.HTTPError) as err:
        get(f"{base}/api/contents", "wrong-token")
    assert err.value.code == 403
