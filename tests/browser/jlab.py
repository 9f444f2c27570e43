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

NOTEBOOK_READY = """rel => {
  const app = window.jupyterapp;
  if (!app) return false;
  for (const w of app.shell.widgets('main')) {
    if (!w.context || w.context.path !== rel) continue;
    if (app.shell.currentWidget !== w) app.shell.activateById(w.id);
    const k = w.sessionContext && w.sessionContext.session && w.sessionContext.session.kernel;
    return app.shell.currentWidget === w && !!k && k.status === 'idle';
  }
  return false;
}"""

SHOWING = """() => {
  const app = window.jupyterapp;
  if (!app) return 'JupyterLab has not started';
  const titles = [...app.shell.widgets('main')].map(w => {
    const k = w.sessionContext && w.sessionContext.session && w.sessionContext.session.kernel;
    return w.title.label + (k ? ' (kernel ' + k.status + ')' : '');
  });
  const current = app.shell.currentWidget;
  const dialogs = [...document.querySelectorAll('.jp-Dialog')].map(d => d.innerText.slice(0, 300));
  return 'main area: [' + titles.join(', ') + '], current: ' + (current ? current.title.label : 'none')
    + (dialogs.length ? ', dialogs: ' + dialogs.join(' | ') : '');
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
    """Open `rel_path` (relative to the server root), make its panel the current widget (a
    Launcher that JupyterLab opens late can take the focus), and wait until its kernel is idle.
    On a timeout, the error says what the main area holds and which dialogs are open."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    page.goto(f"{lab.base}/lab/tree/{rel_path}?reset&token={lab.token}")
    try:
        page.wait_for_function(NOTEBOOK_READY, arg=rel_path, timeout=timeout_ms)
    except PlaywrightTimeout as e:
        raise TimeoutError(f"{rel_path} not open with an idle kernel after {timeout_ms / 1000:.0f} s; "
                           f"{page.evaluate(SHOWING)}") from e


CLOSE_KERNEL = """async () => {
  const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;
  if (w && w.sessionContext && w.sessionContext.session) await w.sessionContext.shutdown();
}"""


def close_kernel(page):
    """Shut down the current notebook's kernel, if a notebook is open (a closed page leaves its
    kernel running otherwise)."""
    page.evaluate(CLOSE_KERNEL)


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
