"""Fixtures for the browser tests: Debian's Chromium, driven by Playwright, against JupyterLab.

The server runs on loopback with a random token, over a throwaway copy of chapters/ (so a
test that types answers never touches the repository), with the front end's notebook
windowing off (every cell in the DOM) and news/update checks off (no network).
Screenshots go to test-artifacts/browser/ (or $COURSE_ARTIFACTS/browser); the run's
summary lists them.
"""
import json
import os
import shutil
import sys
from pathlib import Path

import nbformat
import pytest

from grading import repo
from tests import lab_server
from tests.browser import jlab
from tests.notebooks import nbtools

CHROMIUM_CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]
LAB_SETTINGS = {
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings":
        {"fetchNews": "false", "checkForUpdates": False},
}
SCREENSHOTS = []


def chromium_path():
    """$COURSE_CHROMIUM, else the first Chromium/Chrome on PATH, else None."""
    explicit = os.environ.get("COURSE_CHROMIUM")
    if explicit:
        return explicit if Path(explicit).is_file() else None
    return next((p for p in map(shutil.which, CHROMIUM_CANDIDATES) if p), None)


def pytest_collection_modifyitems(config, items):
    here = Path(__file__).parent
    browser_items = [item for item in items if here in Path(item.fspath).parents]
    for item in browser_items:
        item.add_marker(pytest.mark.browser)
        item.add_marker(pytest.mark.slow)
        if chromium_path() is None:
            item.add_marker(pytest.mark.skip(reason=(
                "no Chromium binary: install Debian's `chromium` (apt-get install chromium) "
                "or set COURSE_CHROMIUM=/path/to/chrome")))


def pytest_terminal_summary(terminalreporter):
    if SCREENSHOTS:
        terminalreporter.write_sep("-", "browser screenshots")
        for path in SCREENSHOTS:
            terminalreporter.write_line(str(path))


@pytest.fixture(scope="session")
def artifacts():
    base = Path(os.environ.get("COURSE_ARTIFACTS", repo.ROOT / "test-artifacts")) / "browser"
    shutil.rmtree(base, ignore_errors=True)
    base.mkdir(parents=True)
    return base


@pytest.fixture(scope="session")
def screenshot(artifacts):
    """screenshot(page, name): save a full-page PNG under the artifacts folder and list it."""
    def take(page, name):
        path = artifacts / f"{name}.png"
        page.screenshot(path=str(path), full_page=False)
        SCREENSHOTS.append(path)
        return path
    return take


def solved_copy(tmp):
    """tmp/root: a copy of chapters/, plus each chapter's notebook already solved (NAME_solved.ipynb)."""
    root = tmp / "root"
    shutil.copytree(repo.ROOT / repo.CHAPTERS, root)
    for src in repo.notebooks(repo.SOLUTIONS):
        student = nbformat.read(root / src.parent.name / src.name, as_version=4)
        solved = nbtools.filled(student, nbformat.read(src, as_version=4))
        nbformat.write(solved, root / src.parent.name / f"{src.stem}_solved.ipynb")
    return root


def lab_env(tmp):
    """The environment for a JupyterLab whose settings and workspaces live under tmp (LAB_SETTINGS)."""
    settings = tmp / "settings"
    for rel, value in LAB_SETTINGS.items():
        (settings / rel).parent.mkdir(parents=True, exist_ok=True)
        (settings / rel).write_text(json.dumps(value))
    env = repo.tool_env()
    env.update(JUPYTERLAB_SETTINGS_DIR=str(settings), JUPYTERLAB_WORKSPACES_DIR=str(tmp / "ws"), LIB_DEVICE="cpu")
    return env


def lab_argv(root):
    """`course.py open` serving `root`, with the running app exposed to the tests as window.jupyterapp."""
    return [sys.executable, str(repo.ROOT / "course.py"), "open", f"--ServerApp.root_dir={root}",
            "--LabApp.expose_app_in_browser=True"]


@pytest.fixture(scope="session")
def lab_root(tmp_path_factory):
    return solved_copy(tmp_path_factory.mktemp("lab"))


def release_chapters(tmp):
    """Release every chapter's student version (chapters/, which test_sync checks against a fresh
    generation) with nbgrader into a fresh exchange under tmp; returns its path."""
    course, exchange = nbtools.make_course(tmp), tmp / "exchange"
    shutil.copytree(repo.ROOT / repo.CHAPTERS, course / repo.CHAPTERS)
    for name in repo.chapter_names():
        repo.nbgrader("release_assignment", name, f"--Exchange.root={exchange}", root=course, capture=True)
    return exchange


@pytest.fixture(scope="session")
def lab(lab_root):
    exchange = release_chapters(lab_root.parent)
    config = lab_root.parent / "jupyter-config"
    config.mkdir()
    (config / "nbgrader_config.py").write_text(f"c = get_config()\nc.Exchange.root = {str(exchange)!r}\n")
    env = lab_env(lab_root.parent)
    env["JUPYTER_CONFIG_DIR"] = str(config)
    with lab_server.running(lab_argv(lab_root), env=env, cwd=lab_root) as server:
        yield server


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_FLAGS, headless=True)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    pg = context.new_page()
    pg.set_default_timeout(60_000)
    yield pg
    jlab.close_kernel(pg)
    context.close()
