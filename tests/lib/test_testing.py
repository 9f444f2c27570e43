"""The failure messages students see (lib.exercises.compare), and the forbidden-API watcher."""
import re

import pytest
import torch
import torch.nn.functional as F

from lib import activations, exercises, testing
from lib.exercises.base import fresh
from lib.exercises.compare import mismatch


def test_comparison_passes_and_reports_expected_vs_got():
    expected = torch.tensor([0.1, 0.2, 0.3])
    assert mismatch(expected.clone(), expected, 1e-5, 1e-6) is None
    assert mismatch(torch.tensor([0.1, 0.2, 0.5]), expected, 1e-5, 1e-6, "f(x)") == (
        "f(x): wrong values in 1 of 3 entries; first at index (2,): expected 0.300000012, got 0.5")


@pytest.mark.parametrize("got, match", [
    ([0.1, 0.2], "expected a torch.Tensor, got a list"),
    (torch.zeros(2), r"expected shape \(3,\), got \(2,\)"),
    (torch.zeros(3, dtype=torch.float64), "expected dtype torch.float32, got torch.float64"),
    (torch.zeros(3, device="meta"), "expected a tensor on cpu, got one on meta"),
    (torch.tensor([0.1, float("nan"), 0.3]), "wrong values in 1 of 3"),
])
def test_comparison_rejects_wrong_kind(got, match):
    assert re.search(match, mismatch(got, torch.tensor([0.1, 0.2, 0.3]), 1e-5, 1e-6))


def test_comparison_of_ints():
    assert mismatch(5, 5, 0, 0) is None and mismatch(torch.tensor(5), 5, 0, 0) is None
    for bad, match in [(5.0, "expected an int, got a float"), (True, "expected an int, got True"),
                       (6, "expected 5, got 6")]:
        assert match in mismatch(bad, 5, 0, 0)


def sneaky_alias(x):
    s = torch.sigmoid
    return s(x)


@pytest.mark.parametrize("answer", [
    lambda x: torch.sigmoid(x),
    sneaky_alias,
    lambda x: x.sigmoid(),
    lambda x: F.sigmoid(x),
    lambda x: torch.special.expit(x),
    lambda x: activations.sigmoid(x),
], ids=["torch.sigmoid", "alias", "method", "functional", "expit", "lib"])
def test_forbidden_catches_every_route(answer):
    with pytest.raises(AssertionError, match="ch01_sigmoid: your answer calls"):
        with testing.forbidden("ch01_sigmoid"):
            answer(torch.randn(3))


def test_forbidden_allows_other_calls_and_restores_the_profiler():
    import sys

    with testing.forbidden("ch01_sigmoid"):
        e = torch.exp(-torch.randn(4).abs())
        (1 / (1 + e)).sum()
    assert sys.getprofile() is None


def test_forbidden_catches_autograd_in_derivative_exercise():
    def by_autograd(x):
        x = x.clone().requires_grad_(True)
        return torch.autograd.grad(torch.tanh(x).sum(), x)[0]

    with pytest.raises(AssertionError, match="torch.autograd.grad"):
        with testing.forbidden("ch01_activation_grads"):
            by_autograd(torch.randn(3))


def test_forbidden_notices_an_answer_that_removes_the_watcher():
    import sys

    def evasive(x):
        sys.setprofile(None)
        return torch.sigmoid(x)

    with pytest.raises(AssertionError, match="changed sys.setprofile"):
        with testing.forbidden("ch01_sigmoid"):
            evasive(torch.randn(3))
    assert sys.getprofile() is None


@pytest.mark.parametrize("grade_id", [e.grade_id for e in exercises.EXERCISES.values() if e.expected is not None])
def test_an_answer_may_not_call_the_graders_reference(grade_id):
    """The judge's reference lives in lib.exercises, which an answer can import: calling it, or a
    helper it is built from, is caught like a forbidden API."""
    exercise = exercises.get(grade_id)
    args = fresh(exercise.cases(torch.Generator().manual_seed(0))[0].args)
    with pytest.raises(AssertionError, match=f"{grade_id}: your answer calls "):
        with testing.forbidden(grade_id):
            exercise.expected(*args)


def test_the_reference_helpers_of_a_module_are_caught_too():
    from lib.exercises import ch05

    with pytest.raises(AssertionError, match=r"lib\.exercises\.ch05\.kept_indices \(the grader's reference\)"):
        with testing.forbidden("ch05_top_k_top_p"):
            ch05.kept_indices([0.5, 0.1, 2.0], 2, None)


def test_a_recursion_error_is_reported_briefly_without_its_traceback():
    def topological_order(root):
        return topological_order(root)

    check = testing.exercise("ch02_topological_order", "cpu", topological_order=topological_order)
    with pytest.raises(AssertionError, match="RecursionError.*keep your own stack") as info:
        check.hidden(torch.Generator().manual_seed(0))
    assert info.value.__context__ is None and info.value.__cause__ is None
