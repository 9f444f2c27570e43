"""Repository-wide pytest setup.

Stored notebook outputs are made on the CPU, so notebooks executed by the tests (nbval and the
student runs) use the CPU unless LIB_DEVICE says otherwise; lib tests pick their devices
themselves (tests/conftest.py).

`course.py test` runs pytest-xdist with one worker per core and `--dist loadgroup`: tests are
handed out one by one, except those that must share a worker, which get an xdist_group here:
the cells of one notebook under nbval (they share a kernel), the browser tests (one JupyterLab),
the grading tests that run sandboxes (the sandbox uids 60000 + slot are per machine, and the
corpus's fork bomb must not share them with another batch), and the tests of a module that
shares a module-scoped fixture (computed once, not once per worker).
"""
import os
from pathlib import Path

import pytest

os.environ.setdefault("LIB_DEVICE", "cpu")


def xdist_group(item):
    """The name of the group `item` must run in, or None when any worker may take it alone."""
    path = Path(str(item.path))
    if path.suffix == ".ipynb":
        return f"nbval:{path.parent.name}"
    if "browser" in path.parts:
        return "browser"
    if item.get_closest_marker("sandbox"):
        return "sandbox"
    fixtures = getattr(item, "_fixtureinfo", None)
    scopes = {d[-1].scope for d in fixtures.name2fixturedefs.values()} if fixtures else set()
    if "module" in scopes:
        return f"module:{path.name}"
    return None


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    for item in items:
        if Path(str(item.path)).suffix == ".ipynb":
            item.add_marker(pytest.mark.slow)  # nbval executes the notebook
        group = xdist_group(item)
        if group:
            item.add_marker(pytest.mark.xdist_group(group))
