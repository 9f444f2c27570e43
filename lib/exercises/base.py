"""The parts of an exercise's definition: Exercise, Case, Mistake, and helpers for writing them.

An Exercise is everything the course knows about one autograded exercise, in one place:
- `functions`: the names its answer cell defines;
- `cases(generator)`: judge-chosen inputs as plain data (tensors, numbers, strings, tuples), each a
  Case with a note for the feedback and the tolerances of the comparison;
- `run(functions, *args)`: how to call the answer on a case (in the student's kernel or the sandbox);
- `expected(*args)`: the reference result from a real oracle (torch.autograd, torch.optim,
  torch.nn.functional, scikit-learn), or `check(got, *args)` where many answers are right;
- `forbidden`: the APIs (dotted paths) the answer must not call, because it is meant to write them;
- `forbidden_ops`: the ATen operators behind them (lib.exercises.operators), which the answer must
  not run whichever Python name it reaches them by;
- `mistakes`: typical wrong answers, each an answer cell that makes it and the words that name it;
- `context`: names that the answer cell may take from earlier cells ({name: dotted path of the lib
  version}), so that a mistake's answer cell also runs outside the notebook.
The notebook's test cells (lib.testing.exercise), the sandboxed judge (grading/) and the tests
(tests/) all read it.
"""

import importlib
import math
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import torch

from lib.exercises.compare import mismatch


@dataclass(frozen=True)
class Case:
    """One call of an answer: its arguments (plain data), a line for the feedback, tolerances."""

    args: tuple
    note: str
    rtol: float = 1e-5
    atol: float = 1e-6


@dataclass(frozen=True)
class Mistake:
    """A typical wrong answer: `what` names it to the student, `source` is an answer cell making it."""

    what: str
    source: str


@dataclass(frozen=True)
class Exercise:
    grade_id: str
    functions: tuple
    cases: Callable  # torch.Generator -> [Case]
    run: Callable  # (dict name -> answer function, *args) -> result
    expected: Callable = None  # (*args) -> reference result
    check: Callable = (
        None  # (got, *args) -> None or a message; replaces expected where many answers are right
    )
    forbidden: tuple = ()
    forbidden_ops: tuple = ()
    mistakes: tuple = ()
    context: dict = field(default_factory=dict)

    def __post_init__(self):
        if (self.expected is None) == (self.check is None):
            raise ValueError(f"{self.grade_id}: give exactly one of expected and check")

    @property
    def test_id(self):
        """The graded test cell that this exercise's score is written to."""
        return f"{self.grade_id}_test"

    def problem(self, got, case):
        """None when `got` is right for `case` (args as the answer saw them), else what is wrong."""
        if self.check is None:
            return mismatch(got, self.expected(*fresh(case.args)), case.rtol, case.atol)
        try:
            return self.check(got, *fresh(case.args))
        except (
            Exception
        ) as e:  # a claimed result can have any shape; a property check must not crash
            return f"the result does not have the expected structure ({type(e).__name__}: {e})"[
                :500
            ]

    def mistake_functions(self, mistake):
        """{name: function} defined by the mistake's answer cell, run with this exercise's context."""
        namespace = {"torch": torch, "np": np, "math": math, "F": torch.nn.functional}
        namespace.update({name: resolve(path) for name, path in self.context.items()})
        exec(compile(mistake.source, f"<mistake: {mistake.what}>", "exec"), namespace)
        return {name: namespace[name] for name in self.functions}

    def diagnose(self, got, case):
        """The first typical mistake whose answer gives the same result as `got` on `case`, or None."""
        for mistake in self.mistakes:
            try:
                theirs = self.run(self.mistake_functions(mistake), *fresh(case.args))
                same = mismatch(got, theirs, case.rtol, case.atol) is None
            except Exception:  # noqa: BLE001 (a mistake may raise on this case, or return anything)
                continue
            if same:
                return mistake
        return None


def resolve(path):
    """The object named by a dotted path such as "torch.Tensor.sigmoid"."""
    parts = path.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for attr in parts[cut:]:
            obj = getattr(obj, attr)
        return obj
    raise ImportError(f"cannot resolve {path!r}")


def fresh(value):
    """A copy of a case's arguments in which every tensor is new, so no call sees another's edits."""
    if isinstance(value, torch.Tensor):
        return value.detach().clone()
    if type(value) in (tuple, list):
        return type(value)(fresh(v) for v in value)
    if type(value) is dict:
        return {k: fresh(v) for k, v in value.items()}
    return value


def call(name):
    """A `run` that calls the answer's function `name` with the case's arguments."""

    def run(functions, *args):
        return functions[name](*args)

    return run


def unpack(result, n, what):
    """`result` as a tuple of `n` items, or a TypeError saying what `what` must return."""
    if not isinstance(result, tuple) or len(result) != n:
        raise TypeError(f"{what} must return a tuple of {n} items, got {type(result).__name__}")
    return result


def randn(g, *shape, dtype=torch.float64, scale=1.0):
    """Judge-chosen normal noise from the generator `g`."""
    return torch.randn(shape, generator=g, dtype=dtype) * scale
