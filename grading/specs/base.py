"""The building blocks of an exercise spec: Exercise, Case and the plain `call` runner."""
from dataclasses import dataclass
from typing import Callable


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
