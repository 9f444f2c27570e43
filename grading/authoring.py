"""Authors' commands: execute solutions, regenerate chapters/, validate both.

solutions/NN_x/*.ipynb is the only hand-edited notebook; its stored outputs are the
nbval reference, and chapters/ is produced from it by nbgrader generate_assignment.
"""
from pathlib import Path

import nbclient
import nbformat

from grading import repo


def execute(path, timeout=600):
    """Run the notebook at `path` top to bottom on the CPU and store its outputs in place.

    Timing metadata and the saved widget state are left out so that re-running an unchanged
    notebook gives an identical file. Raises nbclient's CellExecutionError on an error
    outside a cell tagged `raises-exception`.
    """
    path = Path(path)
    nb = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(
        nb, timeout=timeout, kernel_name="python3", record_timing=False, shutdown_kernel="immediate",
        resources={"metadata": {"path": str(path.parent)}},
    )
    env = repo.tool_env()
    env["LIB_DEVICE"] = "cpu"
    client.execute(env=env)
    nb.metadata.pop("widgets", None)
    nbformat.write(nb, path)


def generate(chapters, root=repo.ROOT):
    """Regenerate chapters/NAME from solutions/NAME for each chapter name (nbgrader, no gradebook)."""
    for name in chapters:
        repo.nbgrader("generate_assignment", name, "--force", "--no-db", root=root, capture=True)


def validate(chapters, root=repo.ROOT):
    """nbgrader validate: solutions must pass every test, student versions must fail them.

    Returns a list of (path, problem) pairs; empty when everything validates.
    """
    problems = []
    for kind, flags in ((repo.SOLUTIONS, ()), (repo.CHAPTERS, ("--invert",))):
        for path in repo.notebooks(kind, root, chapters):
            r = repo.nbgrader("validate", *flags, str(path), root=root, check=False, capture=True)
            if r.returncode != 0 or "Success!" not in r.stdout:
                problems.append((path, (r.stdout + r.stderr).strip()))
    return problems
