"""Start a JupyterLab server on loopback with a random token, for tests that talk to it."""
import contextlib
import os
import secrets
import signal
import socket
import subprocess
import time
import urllib.request
from dataclasses import dataclass

from grading import repo


@dataclass
class Lab:
    base: str
    token: str

    def get(self, path, token=None, timeout=10):
        """GET base + path with a token header; returns (status, body text)."""
        req = urllib.request.Request(self.base + path,
                                     headers={"Authorization": f"token {token or self.token}"})
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.read().decode()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def running(argv, env=None, cwd=repo.ROOT, startup_s=90):
    """Run `argv + server flags` (a jupyter lab command line) and yield a Lab once it answers."""
    port, token = free_port(), secrets.token_hex(16)
    flags = ["--no-browser", "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}",
             f"--IdentityProvider.token={token}"]
    # its own process group, so that stopping it also stops the jupyter-lab that `course.py open`
    # starts as a child, and that server's kernels
    proc = subprocess.Popen([*argv, *flags], cwd=cwd, env=env or repo.tool_env(), start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    lab = Lab(f"http://127.0.0.1:{port}", token)
    try:
        deadline = time.monotonic() + startup_s
        while True:
            try:
                lab.get("/api/status")
                break
            except OSError:  # refused or not yet listening (URLError is an OSError)
                if proc.poll() is not None:
                    raise RuntimeError(f"JupyterLab exited with {proc.returncode}: {proc.stderr.read()[-2000:]}") from None
                if time.monotonic() > deadline:
                    raise RuntimeError(f"JupyterLab did not answer within {startup_s} s") from None
                time.sleep(0.5)
        yield lab
    finally:
        _signal_group(proc, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            _signal_group(proc, signal.SIGKILL)


def _signal_group(proc, sig):
    """Send sig to every process of proc's process group (it may already be gone)."""
    try:
        os.killpg(proc.pid, sig)
    except ProcessLookupError:
        pass
