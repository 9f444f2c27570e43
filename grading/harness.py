"""Runs inside the sandbox: execute a submission's answer cells, call them on the judge's cases.

Run as `python -m grading.harness FD REPORT` (one sandbox per submission), it reads one job
(JSON) from stdin, serves it in a forked child that writes one JSON record per line to file
descriptor FD and nothing else, and writes the child's peak memory to REPORT; a
template (grading.template) calls `serve` in a fresh child for each job instead. Nothing here
is trusted: the student's code runs in this process and may rewrite any of it, so the records
are only claims that the judge checks against its own reference (grading.judge). The job carries no answers and no grading flag.

Job: {"preamble": [source, ...], "answers": [[grade_id, source], ...],
      "exercises": {grade_id: [encoded args, ...]}, "after": {grade_id: source}, "cell_timeout": s}
"after" holds the release's cell that follows each exercise's test and switches to the lib
version, so a wrong answer costs only its own exercise, as in the notebook.
Records: {"cell": grade_id, "error": str} for an answer cell that raised;
         {"case": [grade_id, i], "result": tree} or {"case": [grade_id, i], "error": str}.
"""
import builtins
import json
import os
import signal
import sys
import traceback


class CellTimeout(BaseException):
    """Raised in the student's code when a cell or a call runs past its time."""


def _alarm(signum, frame):
    raise CellTimeout()


class _Shell:
    """What `get_ipython()` returns: magics and shell escapes do nothing here."""

    def run_line_magic(self, *args, **kwargs):
        return None

    run_cell_magic = run_line_magic
    system = getoutput = run_line_magic

    def __getattr__(self, name):
        """Any other IPython feature: an error a student understands, naming what was called."""
        raise AttributeError(f"get_ipython().{name} is not available while your answer is graded: "
                             "the grader runs your code without Jupyter; remove that call from the answer cell")


def _describe(exc):
    if isinstance(exc, CellTimeout):
        return "TimeoutError: ran past the time limit"
    lines = traceback.format_exception_only(type(exc), exc)
    return "".join(lines).strip()[-2000:]


def _timed(fn, seconds, *args):
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        return fn(*args)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)


def job(answers=(), preamble=(), exercises=None, after=None, cell_timeout=10.0):
    """The job's bytes, in the format above. answers: [(grade_id, source), ...]."""
    body = {"preamble": list(preamble), "answers": [list(a) for a in answers], "exercises": exercises or {},
            "after": after or {}, "cell_timeout": cell_timeout}
    return json.dumps(body).encode()


def preload():
    """Import what `serve` uses (torch, IPython's cell transformer, lib and what chapters import
    in their first cell); returns (TransformerManager, plaindata, exercises, testing)."""
    import matplotlib.pyplot  # noqa: F401 (imported by every chapter's first cell)
    import torch  # noqa: F401 (loaded before the student's code, like the notebook's first cell)
    import torch._dynamo  # noqa: F401 (torch.optim's first step imports it: 1.6 s, 4.6 s under the guard)
    from IPython.core.inputtransformer2 import TransformerManager

    import lib.widgets  # noqa: F401
    from grading import plaindata
    from lib import exercises, testing
    return TransformerManager, plaindata, exercises, testing


def main():
    """Serve the job in a child and report its peak memory ({"maxrss_kb"}) on the REPORT fd: the
    exit status that bubblewrap passes on cannot carry it. Exits as the child did (128 + N for
    signal N, as a shell says)."""
    job = json.load(sys.stdin)
    records_fd, report_fd = int(sys.argv[1]), int(sys.argv[2])
    pid = os.fork()
    if pid == 0:
        os.close(report_fd)
        serve(job, records_fd)
    os.close(records_fd)
    _, status, usage = os.wait4(pid, 0)
    with os.fdopen(report_fd, "w") as report:
        json.dump({"maxrss_kb": usage.ru_maxrss}, report)
    code = os.waitstatus_to_exitcode(status)
    os._exit(code if code >= 0 else 128 - code)


def serve(job, records_fd):
    """Run `job` (the decoded JSON) in this process, writing records to `records_fd`; never returns."""
    out = os.fdopen(records_fd, "w", buffering=1)
    sys.stdin = open(os.devnull)
    signal.signal(signal.SIGALRM, _alarm)
    TransformerManager, plaindata, exercises, testing = preload()

    transform = TransformerManager().transform_cell
    guards = {grade_id: testing.Guard(grade_id) for grade_id in job["exercises"]}  # before any answer runs
    definitions = {grade_id: exercises.get(grade_id) for grade_id in job["exercises"]}
    decode, encode, dumps = plaindata.decode, plaindata.encode, json.dumps
    namespace = {"__name__": "__main__", "__builtins__": builtins, "get_ipython": _Shell}
    limit = job["cell_timeout"]

    def execute(source):
        exec(compile(transform(source), "<cell>", "exec"), namespace)

    def emit(record):
        out.write(dumps(record) + "\n")

    pristine = dict(vars(builtins))

    def restore_builtins():
        """Undo an answer's edits to builtins, so the judge's calls and encoding see the real ones."""
        live = vars(builtins)
        for name in set(live) - set(pristine):
            del live[name]
        live.update(pristine)

    for source in job["preamble"]:
        _timed(execute, limit, source)
    for grade_id, source in job["answers"]:
        try:
            _timed(execute, limit, source)
        except BaseException as e:  # noqa: B036 (the student's code may raise anything, SystemExit included)
            emit({"cell": grade_id, "error": _describe(e)})
        if grade_id not in job["exercises"]:
            continue
        exercise = definitions[grade_id]
        failed = None
        for i, encoded in enumerate(job["exercises"][grade_id]):
            restore_builtins()
            if failed:
                emit({"case": [grade_id, i], "error": f"not run: an earlier case raised {failed}"})
                continue
            try:
                missing = [name for name in exercise.functions if not callable(namespace.get(name))]
                if missing:
                    raise NameError(f"the answer cell does not define {', '.join(missing)}")
                functions = {name: namespace[name] for name in exercise.functions}
                # The watch spans decoding, the call, encoding and serialising: an answer that
                # patched a method these use (Tensor.detach, Tensor.to, ...) to do its forbidden
                # work on the way in or out is still caught.
                with guards[grade_id].watching():
                    args = decode(encoded)
                    result = _timed(exercise.run, limit, functions, *args)
                    line = dumps({"case": [grade_id, i], "result": encode(result)})
                out.write(line + "\n")
            except BaseException as e:  # noqa: B036
                failed = _describe(e)
                emit({"case": [grade_id, i], "error": failed})
        restore_builtins()
        try:
            _timed(execute, limit, job["after"].get(grade_id, ""))
        except BaseException:  # noqa: B036 (an answer can break the switch cell only for itself)
            pass
    emit({"done": True})
    out.flush()
    os._exit(0)


if __name__ == "__main__":
    main()
