"""Driving JupyterLab from Playwright: open a notebook, run cells, read the front end's model.

The server runs with LabApp.expose_app_in_browser, so `window.jupyterapp` is the running
JupyterLab application; its notebook model is what the student's browser holds.
"""
import time

KERNEL_IDLE = """() => {
  const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;
  const k = w && w.sessionContext && w.sessionContext.session && w.sessionContext.session.kernel;
  return !!k && k.status === 'idle';
}"""

PROGRESS = """() => {
  const w = window.jupyterapp.shell.currentWidget;
  const cells = w.content.model.cells;
  let executed = 0;
  for (let i = 0; i < cells.length; i++) if (cells.get(i).executionCount !== null) executed++;
  return [w.sessionContext.session.kernel.status, executed];
}"""

CELLS_JSON = """() => {
  const cells = window.jupyterapp.shell.currentWidget.content.model.cells;
  const out = [];
  for (let i = 0; i < cells.length; i++) out.push(cells.get(i).toJSON());
  return out;
}"""

EXECUTION_COUNT = "i => window.jupyterapp.shell.currentWidget.content.model.cells.get(i).executionCount"


def open_notebook(page, lab, rel_path, timeout_ms=90_000):
    """Open `rel_path` (relative to the server root) and wait until its kernel is idle."""
    page.goto(f"{lab.base}/lab/tree/{rel_path}?reset&token={lab.token}")
    page.wait_for_function(KERNEL_IDLE, timeout=timeout_ms)


def run_all(page, timeout_s=180, settle_s=3.0, pauses=None, meter=lambda: 0.0):
    """Run -> Run All Cells, and return once the run has ended: done, or stopped at an error.

    JupyterLab's command resolves early and leaves aborted cells marked running, so the end
    is when the kernel is idle and the number of executed cells has not changed for settle_s.
    Returns the indices of code cells that never ran (empty when Run All got to the end).
    pauses: a list that gets (seconds, cells executed so far, growth of meter()) for each wait
    between two changes; meter: a reading such as the kernel's CPU seconds.
    """
    page.evaluate("window.jupyterapp.commands.execute('notebook:run-all-cells')")
    deadline, last, since, reading = time.monotonic() + timeout_s, None, time.monotonic(), meter()
    while time.monotonic() < deadline:
        state = page.evaluate(PROGRESS)
        if state != last:
            if pauses is not None and last is not None:
                pauses.append((time.monotonic() - since, last[1], meter() - reading))
            last, since, reading = state, time.monotonic(), meter()
        elif state[0] == "idle" and time.monotonic() - since >= settle_s:
            return [i for i, c in enumerate(cells(page))
                    if c["cell_type"] == "code" and c.get("execution_count") is None]
        time.sleep(0.25)
    raise TimeoutError(f"Run All still going after {timeout_s} s (kernel, executed cells: {last})")


def cells(page):
    """The notebook's cells as nbformat dicts, outputs included, as the browser holds them."""
    return page.evaluate(CELLS_JSON)


def index_of(cell_list, grade_id):
    """Index of the cell whose nbgrader grade_id is `grade_id`."""
    for i, c in enumerate(cell_list):
        if c.get("metadata", {}).get("nbgrader", {}).get("grade_id") == grade_id:
            return i
    raise KeyError(grade_id)


def cell(page, i):
    """Locator of the i-th cell in the notebook panel."""
    return page.locator(".jp-NotebookPanel:visible .jp-Notebook .jp-Cell").nth(i)


def type_into_cell(page, i, text):
    """Click into cell i's editor, select everything and type `text` key by key."""
    editor = cell(page, i).locator(".cm-content")
    editor.scroll_into_view_if_needed()
    editor.click()
    page.keyboard.press("Control+A")
    page.keyboard.press("Delete")
    page.keyboard.type(text)


def run_cell(page, i, timeout_ms=60_000):
    """Select cell i, run it with Shift+Enter as a student would, and wait for the result."""
    before = page.evaluate(EXECUTION_COUNT, i)
    cell(page, i).locator(".jp-InputPrompt").click()
    page.keyboard.press("Shift+Enter")
    page.wait_for_function(f"() => {{ const n = ({EXECUTION_COUNT})({i}); return n !== null && n !== {before or 0}; }}",
                           timeout=timeout_ms)
    page.wait_for_function(KERNEL_IDLE, timeout=timeout_ms)


SHUT_DOWN = "async () => { await window.jupyterapp.serviceManager.sessions.shutdownAll(); }"
CLEAR = "() => window.jupyterapp.commands.execute('notebook:clear-all-cell-outputs')"


def reopen_with_fresh_kernel(page, lab, rel_path, timeout_ms=90_000):
    """Shut every kernel down, open `rel_path` again (a new kernel), wait until it is idle, and
    clear every output and execution count (an autosave may have stored the last run's)."""
    page.evaluate(SHUT_DOWN)
    open_notebook(page, lab, rel_path, timeout_ms)
    page.evaluate(CLEAR)
