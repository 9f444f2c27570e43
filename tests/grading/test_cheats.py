"""The corpora's cheats (CHEATS in tests/grading/corpus01.py to corpus07.py) are right answers
reached through a door the exercise closes: unwatched, each gives the reference result on every
case the judge draws, so the zero it gets in the sandboxed batch (test_corpus) is the
forbidden-API rule's doing. Each is caught in this process too: either the judge refuses its
cell before running it (lib.source_rules: a private name, torch.ops, a computed getattr, an
import outside the allowed modules), or the exercise's guard catches the call while it runs
(a forbidden Python API, or a forbidden ATen operator whatever name reached it)."""
import math

import numpy as np
import pytest
import torch

import lib
from grading import judge
from lib import exercises, gpt, testing
from lib.exercises.base import fresh, resolve
from tests.grading import corpus

CORPORA = corpus.modules()


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
    rows = [(module, key) for module in CORPORA for key in sorted(getattr(module, name, {}))]
    return {"argvalues": rows, "ids": [f"{module.CHAPTER}-{key}" for module, key in rows]}


@pytest.mark.parametrize("corpus, student", **table("CHEATS"))
def test_a_cheat_is_right_unwatched_and_caught_watched(corpus, student):
    gid, source = corpus.CHEATS[student]
    exercise, fns = exercises.get(gid), functions(gid, source)
    for case in exercise.cases(torch.Generator().manual_seed(5)):
        assert exercise.problem(exercise.run(fns, *fresh(case.args)), case) is None, (student, case.note)
    if judge.refused_because(source) is None:  # then every case runs watched, as in the sandbox
        with pytest.raises(AssertionError, match=f"{gid}: your answer calls "):
            with testing.forbidden(gid):
                for case in exercise.cases(torch.Generator().manual_seed(5)):
                    exercise.run(fns, *fresh(case.args))


def test_every_exercise_with_forbidden_apis_has_a_cheat_in_a_corpus():
    covered = {gid for module in CORPORA for gid, _ in getattr(module, "CHEATS", {}).values()}
    assert [e.grade_id for e in exercises.EXERCISES.values() if e.forbidden and e.grade_id not in covered] == []


@pytest.mark.parametrize("corpus, gid", **table("ALTERNATIVES"))
def test_the_honest_alternatives_are_right_and_allowed(corpus, gid):
    exercise, fns = exercises.get(gid), functions(gid, corpus.ALTERNATIVES[gid])
    assert judge.refused_because(corpus.ALTERNATIVES[gid]) is None
    for case in exercise.cases(torch.Generator().manual_seed(6)):
        with testing.forbidden(gid):
            got = exercise.run(fns, *fresh(case.args))
        assert exercise.problem(got, case) is None, (gid, case.note)
