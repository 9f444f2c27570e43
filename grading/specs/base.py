"""The building blocks of an exercise spec: Exercise, Case and the plain `call` runner."""
from dataclasses import dataclass
from typing import Callable

import torch


@dataclass(frozen=True)
class Case:
    """One call of an answer: its arguments (plain data), tolerances and a line for the feedback."""
    args: tuple
    note: str
    rtol: float = 1e-5
    atol: float = 1e-6


@dataclass(frozen=True)
class Exercise:
    grade_id: str
    functions: tuple
    cases: Callable  # torch.Generator -> list of Case
    run: Callable  # (dict name -> student function, *args) -> plain data; runs in the sandbox
    expected: Callable = None  # (*args) -> plain data; runs in the judge
    check: Callable = None  # (got, *args) -> None or a message; replaces expected where many answers are right

    @property
    def test_id(self):
        """The graded test cell that this exercise's score is written to."""
        return f"{self.grade_id}_test"


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
