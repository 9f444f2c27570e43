"""Execute each chapter many times in a row and count the runs that stall.

    python bench/stress_kernels.py                     # 30 nbclient runs of every chapter
    python bench/stress_kernels.py --runs 5 02_backprop
    python bench/stress_kernels.py --browser --runs 10 # Run All in JupyterLab, headless Chromium

A stall is a run in which no cell finishes for --stall-after seconds while the kernel process
uses no CPU: the client waits for a reply it never reads, or the kernel for a request it never
reads; the kernel sits idle and no cell is running. A cell that is merely slow keeps the kernel
busy and is reported as slow instead. Every run starts a fresh kernel, as a
new student's would. The solutions' notebooks run with nbclient; in the browser, each chapter's
student notebook with the solutions typed in runs with Run All, in one JupyterLab, reopened
with a new kernel for each run; a kernel that never gets idle after starting, and a Run All in
which no cell finishes for --stall-after seconds (even if it goes on later), count as stalls. The last line reads 'N passed, N failed' (runs without and with a stall).
"""
import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import nbclient
import nbformat
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import course  # noqa: E402
from grading import repo  # noqa: E402


def kernel_is_idle(pid, window_s=2.0):
    """True when the kernel process (pid) used no CPU time during window_s seconds."""
    try:
        proc = psutil.Process(pid)
    except psutil.NoSuchProcess:
        return False
    before = cpu_seconds(proc)
    time.sleep(window_s)
    return cpu_seconds(proc) - before < 0.01


def cpu_seconds(proc):
    """User + system CPU seconds of a psutil process so far (0 once it is gone)."""
    try:
        return sum(proc.cpu_times()[:2])
    except psutil.NoSuchProcess:
        return 0.0


def kernel_process(lab):
    """The psutil process of the one kernel that the JupyterLab server `lab` runs."""
    (kernel,) = json.loads(lab.get("/api/kernels")[1])
    return next(p for p in psutil.process_iter(["cmdline"]) if f"kernel-{kernel['id']}" in " ".join(p.info["cmdline"] or ()))


def nbclient_run(path, stall_after):
    """Execute `path` once in a fresh kernel; returns (outcome, seconds, cell index or None)."""
    nb = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(nb, timeout=stall_after, kernel_name="python3", record_timing=False,
                                     resources={"metadata": {"path": str(path.parent)}})
    env = repo.tool_env()
    env["LIB_DEVICE"] = "cpu"
    start, outcome, where = time.monotonic(), "ok", None
    with client.setup_kernel(env=env):
        pid = client.km.provisioner.process.pid
        for index, cell in enumerate(nb.cells):
            try:
                client.execute_cell(cell, index)
            except nbclient.exceptions.CellTimeoutError:
                outcome, where = ("stall" if kernel_is_idle(pid) else "slow"), index
                break
            except nbclient.exceptions.CellExecutionError:
                outcome, where = "error", index
                break
    return outcome, time.monotonic() - start, where


def browser_runs(chapters, runs, stall_after, report):
    """Run All `runs` times per chapter in one JupyterLab; calls report(chapter, outcome, s, cell)."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    from playwright.sync_api import sync_playwright

    from tests import lab_server
    from tests.browser import jlab
    from tests.browser.conftest import CHROMIUM_FLAGS, chromium_path, lab_env, solved_copy

    chromium = chromium_path()
    if chromium is None:
        sys.exit("no Chromium: apt-get install chromium, or set COURSE_CHROMIUM")
    with tempfile.TemporaryDirectory() as tmp:
        root = solved_copy(Path(tmp))
        # `course.py open`'s command, with this interpreter's environment (so that another venv's
        # kernel can be measured against the course's)
        argv = course.command(Path(sys.executable), "open",
                              [f"--ServerApp.root_dir={root}", "--LabApp.expose_app_in_browser=True"])
        with lab_server.running(argv, env=lab_env(Path(tmp)), cwd=root) as lab, sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_FLAGS, headless=True)
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            for chapter in chapters:
                rel = f"{chapter}/{chapter}_solved.ipynb"
                jlab.open_notebook(page, lab, rel)
                for _ in range(runs):
                    start = time.monotonic()
                    try:
                        jlab.reopen_with_fresh_kernel(page, lab, rel, timeout_ms=stall_after * 1000)
                    except PlaywrightTimeout:
                        report(chapter, "stall", time.monotonic() - start, "start (the new kernel never got idle)")
                        continue
                    pauses, kernel = [], kernel_process(lab)
                    never_ran = jlab.run_all(page, timeout_s=stall_after * 10, pauses=pauses,
                                             meter=lambda: cpu_seconds(kernel))
                    idle = [(s, n) for s, n, cpu in pauses if s >= stall_after and cpu < 0.5]
                    if never_ran:
                        report(chapter, "stall", time.monotonic() - start, never_ran[0])
                    elif idle:
                        report(chapter, "stall", time.monotonic() - start,
                               f"{idle[0][1]} cells run: idle kernel, none finished for {idle[0][0]:.0f} s, "
                               "then it went on")
                    else:
                        report(chapter, "ok", time.monotonic() - start, None)
            browser.close()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("chapters", nargs="*", help="chapter names (default: all)")
    parser.add_argument("--runs", type=int, default=30, help="runs per chapter (default 30)")
    parser.add_argument("--stall-after", type=float, default=60.0,
                        help="seconds without a finished cell that count as a stall (default 60)")
    parser.add_argument("--browser", action="store_true", help="Run All in JupyterLab instead of nbclient")
    args = parser.parse_args(argv)
    chapters = args.chapters or repo.chapter_names()
    import ipykernel
    print(f"ipykernel {ipykernel.__version__}, {'browser Run All' if args.browser else 'nbclient'}, "
          f"{args.runs} runs per chapter, stall after {args.stall_after:g} s, "
          f"load {psutil.getloadavg()[0]:.2f} on {psutil.cpu_count()} cores", flush=True)
    results = {chapter: [] for chapter in chapters}

    def report(chapter, outcome, seconds, cell):
        results[chapter].append((outcome, seconds))
        where = f" at cell {cell}" if cell is not None else ""
        print(f"{chapter} run {len(results[chapter]):2d}: {outcome}{where} ({seconds:.1f} s)", flush=True)

    if args.browser:
        browser_runs(chapters, args.runs, args.stall_after, report)
    else:
        for chapter in chapters:
            for _ in range(args.runs):
                path = repo.notebooks(repo.SOLUTIONS, chapters=[chapter])[0]
                report(chapter, *nbclient_run(path, args.stall_after))
    print(f"{'chapter':14} {'runs':>4} {'stalls':>6} {'other':>5} {'median s':>8}")
    for chapter, rows in results.items():
        stalls = sum(o == "stall" for o, _ in rows)
        other = sum(o not in ("ok", "stall") for o, _ in rows)
        print(f"{chapter:14} {len(rows):4d} {stalls:6d} {other:5d} {statistics.median(s for _, s in rows):8.1f}")
    bad = sum(o != "ok" for rows in results.values() for o, _ in rows)
    print(f"{sum(map(len, results.values())) - bad} passed, {bad} failed")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
