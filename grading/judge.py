"""The trusted judge: build a submission's job, then score what the sandbox claims.

No student code runs in this process. The job holds the release notebook's first code cell
(its imports) and the cells that switch to the lib version after each test, the submission's
answer cells and the judge's cases; cases are drawn from a
generator seeded with an HMAC of the course's secret key, the chapter, the student and the
exercise, so re-grading gives the same verdict and no student can predict another's inputs.
Each answer cell is first read by lib.source_rules: a cell that breaks a rule (a private
name, an import outside the allowed modules, a computed getattr, eval, ...) is not run at all, so
it can neither reach the forbidden-API watch nor change how later answers are graded, and its
exercise fails with the rule it broke. The sandbox's records are parsed strictly: every case of an exercise needs exactly one record,
which must decode as plain data and match the reference computed here.
"""
import hashlib
import hmac
import json
from dataclasses import dataclass, field

import torch

from IPython.core.inputtransformer2 import TransformerManager

from grading import harness, plaindata
from lib import exercises, source_rules


@dataclass
class Verdict:
    """One exercise's outcome: passed or not, and the sentence shown in the feedback."""
    passed: bool
    message: str


@dataclass
class Job:
    """What the sandbox gets (`payload`) and what the judge keeps to check its answers (`cases`)."""
    payload: bytes
    cases: dict = field(default_factory=dict)  # grade_id -> list of Case
    refused: dict = field(default_factory=dict)  # grade_id -> the rule its answer cell broke (not run)


@dataclass
class Release:
    """The trusted cells of a release notebook: its first code cell (imports), and per exercise
    the code cell after its graded test (the switch to the lib version)."""
    preamble: str
    after: dict

    @classmethod
    def of(cls, nb):
        code = [c for c in nb.cells if c.cell_type == "code"]
        return cls(code[0].source, {gid: code[k].source for gid, k in switch_cells(code).items()})


def switch_cells(code):
    """{exercise grade_id: k} where code[k] (code: a notebook's code cells) is the cell after
    that exercise's graded test cell, which switches to the lib version."""
    out = {}
    for k, cell in enumerate(code[:-1]):
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("grade") and not meta.get("solution") and meta.get("grade_id", "").endswith("_test"):
            out[meta["grade_id"].removesuffix("_test")] = k + 1
    return out


def seed_for(key, chapter, student, grade_id):
    """A 64-bit seed from the course's secret `key` (bytes) for one student's exercise."""
    digest = hmac.new(key, f"{chapter}/{student}/{grade_id}".encode(), hashlib.sha256).digest()
    return int.from_bytes(digest[:8], "little") & ((1 << 63) - 1)


def make_job(chapter, student, key, release, answers, cell_timeout):
    """The job for one submission.

    release: the Release (trusted cells); answers: {grade_id: source} from the submission
    (only the chapter's exercises are kept, in the chapter's order).
    """
    job = Job(b"")
    ordered, encoded = [], {}
    for exercise in exercises.for_chapter(chapter):
        if exercise.grade_id not in answers:
            continue
        generator = torch.Generator().manual_seed(seed_for(key, chapter, student, exercise.grade_id))
        job.cases[exercise.grade_id] = exercise.cases(generator)
        refusal = refused_because(answers[exercise.grade_id])
        if refusal:
            job.refused[exercise.grade_id] = refusal
            ordered.append([exercise.grade_id, ""])
            encoded[exercise.grade_id] = []
            continue
        ordered.append([exercise.grade_id, answers[exercise.grade_id]])
        encoded[exercise.grade_id] = [plaindata.encode(case.args) for case in job.cases[exercise.grade_id]]
    job.payload = harness.job(ordered, [release.preamble], encoded, release.after, cell_timeout)
    return job


def refused_because(source):
    """The rule of lib.source_rules that the answer cell `source` breaks (read as the sandbox
    runs it: IPython's magics turned into Python), or None."""
    try:
        python = TransformerManager().transform_cell(source)
    except Exception:  # noqa: BLE001 (a cell IPython cannot read fails in the sandbox with its own error)
        return None
    return source_rules.problem(python)


def parse_records(raw):
    """{(grade_id, i): record} and {grade_id: cell error} from the sandbox's output; bad lines are dropped.

    A case reported more than once is marked ambiguous (the value None), so it cannot pass.
    """
    cases, cell_errors, done = {}, {}, False
    for line in raw.decode("utf-8", "replace").splitlines():
        try:
            record = json.loads(line)
        except (ValueError, RecursionError):
            continue
        if type(record) is not dict:
            continue
        if record.get("done") is True:
            done = True
        elif type(record.get("cell")) is str and type(record.get("error")) is str:
            cell_errors.setdefault(record["cell"], record["error"])
        elif _is_case_key(record.get("case")):
            key = tuple(record["case"])
            cases[key] = None if key in cases else record
    return cases, cell_errors, done


def _is_case_key(value):
    return type(value) is list and len(value) == 2 and type(value[0]) is str and type(value[1]) is int


def verdicts(job, raw):
    """{grade_id: Verdict} for every exercise of the job, from the sandbox's raw records."""
    records, cell_errors, _ = parse_records(raw)
    out = {}
    for grade_id, cases in job.cases.items():
        if grade_id in job.refused:
            out[grade_id] = Verdict(False, f"your answer cell was not run: {job.refused[grade_id]}")
            continue
        out[grade_id] = _judge_exercise(exercises.get(grade_id), cases, records, cell_errors.get(grade_id))
    return out


def _judge_exercise(exercise, cases, records, cell_error):
    for i, case in enumerate(cases):
        record = records.get((exercise.grade_id, i), "missing")
        problem = _case_problem(exercise, case, record)
        if problem:
            before = f"your answer cell raised {cell_error}; " if cell_error else ""
            return Verdict(False, f"{before}case {i + 1} of {len(cases)} ({case.note}): {problem}")
    return Verdict(True, f"passed all {len(cases)} cases")


def _case_problem(exercise, case, record):
    if record == "missing":
        return "no result (the run stopped before this case)"
    if record is None:
        return "more than one result was reported"
    if "error" in record:
        return str(record["error"])[:2000]
    try:
        got = plaindata.decode(record.get("result"))
    except plaindata.PlainDataError as e:
        return f"the result is not plain data ({e})"
    problem = exercise.problem(got, case)
    if problem:
        mistake = exercise.diagnose(got, case)
        problem += f" This looks like a typical mistake: {mistake.what}." if mistake else ""
    return problem
