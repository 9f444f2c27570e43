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


def _softmax_pair(x):
    return torch.softmax(torch.stack([x, torch.zeros_like(x)]), dim=0)[0]


@pytest.mark.parametrize("grade_id, answer, named", [
    ("ch01_sigmoid", lambda x: x.clone().sigmoid_(), "aten.sigmoid"),
    ("ch01_sigmoid", lambda x: torch.ops.aten.sigmoid(x), "aten.sigmoid"),
    ("ch01_sigmoid", lambda x: F.logsigmoid(x).exp(), "aten.log_sigmoid_forward"),
    ("ch01_sigmoid", _softmax_pair, "aten._softmax"),
    ("ch01_sigmoid", lambda x: torch.jit.CompilationUnit("def f(t):\n    return torch.sigmoid(t)\n").f(x),
     "aten.sigmoid"),
    ("ch01_activation_grads", lambda x: torch.ops.aten.tanh_backward(torch.ones_like(x), x.tanh()),
     "aten.tanh_backward"),
    ("ch01_neuron_step", lambda x: torch.func.jacfwd(lambda w: (x @ w).square().mean())(x[0]),
     "the autograd engine"),
    ("ch02_softmax_ce", lambda x: torch.special.log_softmax(x, dim=-1), "aten._log_softmax"),
    ("ch05_online_softmax", lambda x: torch.special.softmax(x, dim=-1), "aten._softmax"),
    ("ch05_online_softmax", lambda x: torch.log_softmax(x, dim=-1).exp(), "aten._log_softmax"),
], ids=["in-place", "torch.ops", "logsigmoid", "softmax-pair", "torchscript", "backward-kernel", "jacfwd",
        "special.log_softmax", "special.softmax", "log_softmax.exp"])
def test_the_operator_watch_catches_a_kernel_whatever_name_reached_it(grade_id, answer, named, device):
    """None of these Python names is on the exercise's list of forbidden APIs: the dispatcher
    sees the forbidden ATen operator (or the autograd engine) behind each, on every device."""
    with pytest.raises(AssertionError, match=f"{grade_id}: your answer calls {re.escape(named)}"):
        with testing.forbidden(grade_id):
            answer(torch.randn(4, 3, device=device))


def test_the_operator_watch_allows_an_honest_answer_and_leaves_no_mode_behind(device):
    from torch.utils._python_dispatch import _get_current_dispatch_mode_stack

    with testing.forbidden("ch05_online_softmax"):
        x = torch.randn(4, 3, device=device)
        p = (x - x.amax(-1, keepdim=True)).exp()
        p / p.sum(-1, keepdim=True)
    assert _get_current_dispatch_mode_stack() == []


def test_backward_is_allowed_where_the_autograd_engine_is_not_forbidden():
    with testing.forbidden("ch06_saliency"):
        x = torch.randn(3, requires_grad=True)
        x.sigmoid().sum().backward()
    assert x.grad is not None


def test_every_forbidden_operator_is_a_real_aten_operator():
    """A misspelt name would watch nothing: each one names an operator packet of this torch
    (in-place variants are listed under their function's name)."""
    from lib.exercises import operators

    names = {getattr(e, "forbidden_ops") for e in exercises.EXERCISES.values()}
    listed = {op for ops in names for op in ops if op != operators.ENGINE}
    assert listed and [op for op in sorted(listed) if not hasattr(torch.ops.aten, op)] == []


def test_the_checker_refuses_a_notebook_cell_the_grader_would_refuse(monkeypatch):
    """In the notebook the answer's cell is in linecache (IPython puts it there); the checker
    reads it with lib.source_rules and fails with the judge's sentence before running it."""
    import linecache

    source = "import torch\n\ndef sigmoid(x):\n    return 1 / (1 + torch._C._VariableFunctions.exp(-x))\n"
    filename = "<ipython-input-7-cell>"
    monkeypatch.setitem(linecache.cache, filename, (len(source), None, source.splitlines(True), filename))
    namespace = {"__name__": "__main__"}
    exec(compile(source, filename, "exec"), namespace)
    check = testing.exercise("ch01_sigmoid", sigmoid=namespace["sigmoid"])
    with pytest.raises(AssertionError, match=r"ch01_sigmoid: the grader would refuse your answer cell \(line 4: `._C`"):
        check(torch.randn(3), note="x")
