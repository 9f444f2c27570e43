"""The corpora's cheats (tests/grading/corpus05.py, corpus06.py, corpus07.py) are right answers
reached through a door the exercise closes: unwatched, each gives the reference result on every
case the judge draws, so the zero it gets in the sandboxed batch (test_corpus) is the
forbidden-API rule's doing; watched by the exercise's guard, each is caught in this process too."""
import math

import numpy as np
import pytest
import torch

import lib
from lib import exercises, gpt, testing
from lib.exercises.base import fresh, resolve
from tests.grading import corpus05, corpus06, corpus07

CORPORA = (corpus05, corpus06, corpus07)


def functions(gid, source):
    """{name: function} that the answer cell `source` defines, with the names an answer may use
    from earlier cells."""
    exercise = exercises.get(gid)
    namespace = {"torch": torch, "F": torch.nn.functional, "math": math, "np": np, "lib": lib, "gpt": gpt}
    namespace.update({name: resolve(path) for name, path in exercise.context.items()})
    exec(compile(source, f"<cheat for {gid}>", "exec"), namespace)
    return {name: namespace[name] for name in exercise.functions}


def table(name):
    """[(corpus module, key)] of every corpus's dict `name`, and ids "chapter-key"."""
    rows = [(module, key) for module in CORPORA for key in sorted(getattr(module, name))]
    return {"argvalues": rows, "ids": [f"{module.CHAPTER}-{key}" for module, key in rows]}


@pytest.mark.parametrize("corpus, student", **table("CHEATS"))
def test_a_cheat_is_right_unwatched_and_caught_watched(corpus, student):
    gid, source = corpus.CHEATS[student]
    exercise, fns = exercises.get(gid), functions(gid, source)
    for case in exercise.cases(torch.Generator().manual_seed(5)):
        assert exercise.problem(exercise.run(fns, *fresh(case.args)), case) is None, (student, case.note)
    case = exercise.cases(torch.Generator().manual_seed(5))[0]
    with pytest.raises(AssertionError, match=f"{gid}: your answer calls "):
        with testing.forbidden(gid):
            exercise.run(fns, *fresh(case.args))


@pytest.mark.parametrize("corpus, gid", **table("ALTERNATIVES"))
def test_the_honest_alternatives_are_right_and_allowed(corpus, gid):
    exercise, fns = exercises.get(gid), functions(gid, corpus.ALTERNATIVES[gid])
    for case in exercise.cases(torch.Generator().manual_seed(6)):
        with testing.forbidden(gid):
            got = exercise.run(fns, *fresh(case.args))
        assert exercise.problem(got, case) is None, (gid, case.note)
