"""Every exercise's one definition (lib/exercises) is complete, and its parts agree with each other.

The notebooks' test cells, the sandboxed judge and the round-trip tests all read these
definitions; here each is checked on its own, in seconds, without running a notebook.
"""
import ast
import itertools
import json
import math

import pytest
import torch

from grading import repo
from lib import exercises, testing
from lib.exercises.base import Case, Exercise, Mistake, fresh, resolve

IDS = list(exercises.EXERCISES)


def notebook_answer_ids(chapter):
    nb = json.loads((repo.ROOT / repo.SOLUTIONS / chapter / f"{chapter}.ipynb").read_text())
    return [c["metadata"]["nbgrader"]["grade_id"] for c in nb["cells"]
            if c["metadata"].get("nbgrader", {}).get("solution")]


@pytest.mark.parametrize("chapter", repo.chapter_names())
def test_every_answer_cell_has_a_definition_in_notebook_order(chapter):
    assert [e.grade_id for e in exercises.for_chapter(chapter)] == notebook_answer_ids(chapter)


def missing_parts(e):
    """The parts of Exercise `e` that are absent or empty."""
    gen = torch.Generator().manual_seed(0)
    cases = e.cases(gen) if callable(e.cases) else None
    checks = {
        "functions": bool(e.functions) and all(isinstance(f, str) and f.isidentifier() for f in e.functions),
        "cases": bool(cases) and all(isinstance(c, Case) and c.note for c in cases),
        "run": callable(e.run),
        "expected or check": callable(e.expected) != callable(e.check),
        "forbidden": bool(e.forbidden),
        "mistakes": bool(e.mistakes) and all(isinstance(m, Mistake) and m.what and m.source for m in e.mistakes),
    }
    return [part for part, ok in checks.items() if not ok]


@pytest.mark.parametrize("grade_id", IDS)
def test_definition_has_every_part(grade_id):
    assert not missing_parts(exercises.get(grade_id))


@pytest.mark.parametrize("part", ["forbidden", "mistakes"])
def test_a_definition_lacking_a_part_is_noticed(part):
    complete = exercises.get("ch01_sigmoid")
    fields = {f: getattr(complete, f) for f in complete.__dataclass_fields__}
    fields[part] = ()
    assert missing_parts(Exercise(**fields)) == [part]
    with pytest.raises(ValueError, match="exactly one of expected and check"):
        Exercise(**{**fields, "check": lambda got, *args: None})


@pytest.mark.parametrize("grade_id", IDS)
def test_forbidden_paths_resolve(grade_id):
    for path in exercises.get(grade_id).forbidden:
        assert resolve(path) is not None, path


@pytest.mark.parametrize("grade_id", IDS)
def test_each_mistake_defines_the_answer_functions_and_uses_only_its_context(grade_id):
    e = exercises.get(grade_id)
    for mistake in e.mistakes:
        tree = ast.parse(mistake.source)
        defined = {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}
        assert set(e.functions) <= defined, f"{mistake.what}: defines {sorted(defined)}"
        fns = e.mistake_functions(mistake)
        assert all(callable(f) for f in fns.values())


def reproducible_failure(e, mistake, cases):
    """(case, result) of the first case that `mistake` gets wrong by value, when it gives the same
    result twice; None when it passes, raises, or depends on global random state."""
    for case in cases:
        try:
            first = e.run(e.mistake_functions(mistake), *fresh(case.args))
            again = e.run(e.mistake_functions(mistake), *fresh(case.args))
        except Exception:  # noqa: BLE001 (the test cell reports the exception itself)
            return None
        if e.problem(first, case) is None:
            continue
        if exercises.base.mismatch(first, again, 0, 0) is not None:
            return None
        return case, first
    return None


@pytest.mark.parametrize("grade_id", IDS)
def test_every_reproducible_wrong_result_is_named_as_a_typical_mistake(grade_id):
    e = exercises.get(grade_id)
    cases = e.cases(torch.Generator().manual_seed(7))
    for mistake in e.mistakes:
        failure = reproducible_failure(e, mistake, cases)
        if failure is None:
            continue
        named = e.diagnose(failure[1], failure[0])
        assert named is not None, f"{mistake.what}: wrong on {failure[0].note} but not named"
        theirs = e.run(e.mistake_functions(named), *fresh(failure[0].args))
        assert exercises.base.mismatch(failure[1], theirs, failure[0].rtol, failure[0].atol) is None


@pytest.mark.parametrize("grade_id", IDS)
def test_every_mistake_fails_its_exercise(grade_id):
    """Each typical mistake calls a forbidden API, raises, or gives a wrong result on some case."""
    e = exercises.get(grade_id)
    cases = e.cases(torch.Generator().manual_seed(11))
    guard = testing.Guard(grade_id)
    for mistake in e.mistakes:
        fns = e.mistake_functions(mistake)
        with pytest.raises((AssertionError, Exception)) as caught:
            for case in cases:
                with guard.watching():
                    got = e.run(fns, *fresh(case.args))
                problem = e.problem(got, case)
                assert problem is None, problem
        assert caught.value is not None, mistake.what


def test_the_checker_names_the_mistake_in_its_message():
    check = testing.exercise("ch01_sigmoid", "cpu", sigmoid=lambda x: 1 / (1 + torch.exp(x)))
    with pytest.raises(AssertionError, match=r"(?s)ch01_sigmoid, x = 1: .*\nThis looks like a typical mistake: sign flipped"):
        check(torch.ones(3), note="x = 1")


def test_the_checker_passes_a_right_answer_on_visible_and_hidden_cases():
    check = testing.exercise("ch01_count_params", "cpu", count_params=lambda s: sum(a * b + b for a, b in zip(s, s[1:])))
    check([2, 1], note="one neuron")
    check.hidden(torch.Generator().manual_seed(3))


def test_the_checker_refuses_missing_or_extra_functions():
    with pytest.raises(TypeError, match="functions: ch01_activation_grads checks relu_grad, sigmoid_grad, tanh_grad"):
        testing.exercise("ch01_activation_grads", "cpu", sigmoid_grad=torch.sigmoid)
    with pytest.raises(KeyError, match="grade_id: no exercise 'ch01_nope'"):
        testing.exercise("ch01_nope", "cpu")


def test_the_checker_enforces_the_forbidden_apis():
    check = testing.exercise("ch01_sigmoid", "cpu", sigmoid=torch.sigmoid)
    with pytest.raises(AssertionError, match="your answer calls torch.sigmoid"):
        check(torch.ones(3), note="x = 1")


def test_the_checker_gives_each_callfresh_inputs():
    """An answer that edits its input in place cannot change the reference it is compared with."""
    def in_place(x):
        return x.neg_().exp_().add_(1).reciprocal_()

    check = testing.exercise("ch01_sigmoid", "cpu", sigmoid=in_place)
    x = torch.randn(5)
    check(x, note="x")


def test_importing_the_checks_does_not_import_scikit_learn():
    """Every chapter's first cell imports lib.testing; scikit-learn alone would add seconds to
    each kernel start, so the definitions import it inside the oracles that use it."""
    import subprocess
    import sys
    code = "import sys, lib.testing; print(sorted(m for m in sys.modules if m.split('.')[0] in ('sklearn', 'scipy')))"
    out = subprocess.run([sys.executable, "-c", code], cwd=repo.ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", f"imported at kernel start: {out.stdout.strip()}"


# Chapter 06: what `run` refuses, and the tie rule that the max-pooling cases rely on.


def saliency_case():
    return exercises.get("ch06_saliency").cases(torch.Generator().manual_seed(0))[1]


@pytest.mark.parametrize("body, words", [
    ("x = x.detach().requires_grad_(True)\n    model(x).gather(1, target[:, None]).sum().backward()\n"
     "    return x.grad.abs().amax(dim=1)", "left gradients in the model's parameters"),
    ("x.requires_grad_(True)\n    (g,) = torch.autograd.grad(model(x).gather(1, target[:, None]).sum(), x)\n"
     "    return g.abs().amax(dim=1)", "changed its input x"),
    ("for p in model.parameters():\n        p.requires_grad_(False)\n    x = x.detach().requires_grad_(True)\n"
     "    (g,) = torch.autograd.grad(model(x).gather(1, target[:, None]).sum(), x)\n"
     "    return g.abs().amax(dim=1)", "switched off requires_grad"),
])
def test_a_saliency_answer_must_leave_the_model_and_its_input_as_they_were(body, words):
    e, namespace = exercises.get("ch06_saliency"), {"torch": torch}
    exec(f"def saliency(model, x, target):\n    {body}\n", namespace)
    with pytest.raises(ValueError, match=words):
        e.run({"saliency": namespace["saliency"]}, *fresh(saliency_case().args))


def test_a_saliency_answer_may_use_backward_and_clear_the_gradients():
    e, namespace = exercises.get("ch06_saliency"), {"torch": torch}
    exec("def saliency(model, x, target):\n    x = x.detach().requires_grad_(True)\n"
         "    model(x).gather(1, target[:, None]).sum().backward()\n    model.zero_grad()\n"
         "    return x.grad.abs().amax(dim=1)\n", namespace)
    case = saliency_case()
    assert e.problem(e.run({"saliency": namespace["saliency"]}, *fresh(case.args)), case) is None


@pytest.mark.parametrize("result, words", [
    (lambda boxes, keep: torch.isin(torch.arange(len(boxes)), torch.tensor(keep)), "torch.bool tensor of shape"),
    (lambda boxes, keep: keep, "got a list"),
    (lambda boxes, keep: boxes[keep], "torch.float32 tensor of shape"),
])
def test_nms_must_return_indices(result, words):
    e = exercises.get("ch06_nms")
    case = e.cases(torch.Generator().manual_seed(0))[0]

    def nms(boxes, scores, iou_threshold):
        return result(boxes, e.expected(boxes, scores, iou_threshold).tolist())

    with pytest.raises(TypeError, match=f"1-D int64 tensor .*{words}"):
        e.run({"nms": nms}, *fresh(case.args))


def test_max_pool_gives_a_tied_windows_gradient_to_its_first_maximum(device):
    """The tie cases' notes state torch's rule on every device: each window passes its gradient to
    the first of its largest values, row by row; here checked against a plain-Python loop."""
    e = exercises.get("ch06_max_pool")
    for case in e.cases(torch.Generator().manual_seed(0)):
        x, k, s, dout = case.args
        dx = torch.zeros_like(x)
        for n, c, i, j in itertools.product(*map(range, dout.shape)):
            window = [(x[n, c, i * s + a, j * s + b].item(), a, b) for a in range(k) for b in range(k)]
            _, a, b = max(window, key=lambda t: (t[0], -t[1], -t[2]))  # the largest, then the first
            dx[n, c, i * s + a, j * s + b] += dout[n, c, i, j]
        got = e.expected(x.to(device), k, s, dout.to(device))[1]
        assert torch.allclose(got.cpu(), dx), case.note


# Chapter 07: the plain-Python references against the lib versions the chapter uses after each
# exercise, and beam search's reference against exhaustive search where the beam holds everything.


def ch07_cases(grade_id, seeds=range(4)):
    e = exercises.get(grade_id)
    return [case for seed in seeds for case in e.cases(torch.Generator().manual_seed(seed))]


def test_the_bpe_reference_equals_libs_get_stats_and_merge():
    from lib import bpe
    e = exercises.get("ch07_bpe_merge")
    for case in ch07_cases("ch07_bpe_merge"):
        ids, new_id = case.args
        counts = bpe.get_stats(ids)
        pair = max(counts, key=counts.get)  # the first of the most frequent, as the exercise asks
        assert e.expected(ids, new_id) == (bpe.merge(ids, pair, new_id), pair), case.note


@pytest.mark.parametrize("grade_id, path", [
    ("ch07_pad_mask", None), ("ch07_lstm_cell", "lib.lstm.lstm_cell"),
    ("ch07_attention_step", "lib.seq2seq.attention_step"), ("ch07_beam_search", "lib.seq2seq.beam_search"),
])
def test_the_chapter_07_lib_versions_pass_their_exercise(grade_id, path, device):
    e = exercises.get(grade_id)
    fns = ({"pad_batch": resolve("lib.text.pad_batch"), "masked_mean": resolve("lib.text.masked_mean")}
           if path is None else {e.functions[0]: resolve(path)})
    check = testing.exercise(grade_id, device, **fns)
    with pytest.raises(AssertionError, match="your answer calls lib."):
        check.hidden(torch.Generator().manual_seed(0))  # forbidden in the answer, so checked here unwatched
    for case in ch07_cases(grade_id):
        got = e.run(fns, *fresh(testing._moved(case.args, device)))
        assert e.problem(got, Case(testing._moved(case.args, device), case.note, case.rtol, case.atol)) is None, \
            case.note


def test_libs_bleu_equals_the_exercises_sacrebleu_reference():
    from lib import bleu
    e = exercises.get("ch07_corpus_bleu")
    for case in ch07_cases("ch07_corpus_bleu"):
        assert e.problem(bleu.corpus_bleu(*fresh(case.args)).score, case) is None, case.note


def test_a_beam_holding_every_sequence_is_exhaustive_search():
    """With beam_size = V ** max_len nothing is ever pruned: the reference returns the best
    beam_size of all sequences (each cut at its first eos), scored by log_prob / len ** alpha."""
    e = exercises.get("ch07_beam_search")
    g = torch.Generator().manual_seed(3)
    for V, max_len, alpha in [(3, 3, 1.0), (3, 4, 0.0), (4, 2, 0.5)]:
        eos = int(torch.randint(1, V, (), generator=g))
        table = torch.log_softmax(torch.randn(V, V, V, V, generator=g, dtype=torch.float64), dim=-1)
        found = {}
        for seq in itertools.product(range(V), repeat=max_len):
            tokens = list(seq[:seq.index(eos) + 1] if eos in seq else seq)
            context = [0, 0, 0] + tokens
            lp = sum(table[tuple(context[i:i + 3])][context[i + 3]].item() for i in range(len(tokens)))
            found[tuple(tokens)] = (tokens, lp, lp / len(tokens) ** alpha)
        best = sorted(found.values(), key=lambda h: -h[2])
        got = e.expected(table, 0, eos, V ** max_len, max_len, alpha)
        assert len(got) == len(best)
        for h, b in zip(got, best):
            assert h[0] == b[0] and math.isclose(h[1], b[1], rel_tol=1e-12) and math.isclose(h[2], b[2], rel_tol=1e-12)
