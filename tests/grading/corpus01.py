"""Chapter 01 submissions for the batch test (see corpus.py): honest ones, and hostile or broken
ones of every kind that is not specific to a chapter (tampering, forged values, resources, crashes).

Content is a notebook node or raw bytes; expected scores map each test cell to its points,
computed from which answers are right. Hostile code sits in an answer cell whose answer is
wrong, so any point it got there would be one it did not earn. As in the notebook, later
exercises use lib's sigmoid (the cell after each test switches to the lib version), so a wrong
sigmoid costs only its own points.

Hostile code that needs a module graded answers may not import (os, sys, signal, ctypes, ...)
is refused by lib.source_rules before it runs: its exercise scores nothing, and the rest of the
notebook is graded as if the cell were empty (STOPPED: "graded"). What such code would do to
the sandbox itself is tested on raw jobs in test_sandbox.py.

CHEATS are chapter 01's side doors, as in corpus05.py: right answers (test_cheats checks them
unwatched) that reach what an exercise asks the student to write through another name, an nn
module, an in-place variant, an equivalent kernel, autograd in another form, the lib version or
the grader's reference; ALTERNATIVES are honest answers by unusual but allowed routes.
"""
import copy

import nbformat

from tests.grading.conftest import notebooks, solved
from tests.grading.corpus import Batch
from tests.notebooks import nbtools

CHAPTER = "01_neurons"
WRONG = {
    "ch01_count_params": "def count_params(sizes):\n    return 0\n",
    "ch01_sigmoid": "def sigmoid(x):\n    return torch.tanh(x)\n",
    "ch01_neuron": "def neuron(x, w, b, activation):\n    return activation(x @ w)\n",
    "ch01_mlp_forward": "def mlp_forward(x, params, activation):\n    return x\n",
}
BATCH = Batch(CHAPTER, {"ch01_count_params": 1, "ch01_sigmoid": 2, "ch01_activation_grads": 2, "ch01_neuron": 1,
                        "ch01_mlp_forward": 2, "ch01_neuron_step": 2}, WRONG)
STOPPED = {"infinite_loop_ignoring_alarm": "graded", "os_exit": "graded", "kernel_crash": "graded",
           "malformed_json": "unreadable", "empty_file": "unreadable", "not_a_notebook": "unreadable",
           "binary_garbage": "unreadable", "honest_solved": "graded"}
NAMED = {"profiler_switched_off": ("ch01_sigmoid", "was not run: line 1: imports sys"),
         "forbidden_list_emptied": ("ch01_sigmoid", "imports lib.exercises, the grader's own code"),
         "kernel_crash": ("ch01_neuron_step", "imports ctypes"),
         "forged_records": ("ch01_sigmoid", "imports os"),
         "count_through_a_partial": ("ch01_count_params", "calls lib.mlp.count_params"),
         "sigmoid_mapped": ("ch01_sigmoid", "aten.sigmoid"),
         "sigmoid_as_a_two_way_softmax": ("ch01_sigmoid", "aten._softmax"),
         "sigmoid_as_expit_renamed": ("ch01_sigmoid", "calls torch.special.expit"),
         "grads_from_forward_ad": ("ch01_activation_grads", "the autograd engine"),
         "neuron_linear_module": ("ch01_neuron", "calls torch.nn.functional.linear"),
         "step_with_mse_module": ("ch01_neuron_step", "aten.mse_loss"),
         "step_with_jacobian": ("ch01_neuron_step", "calls torch.autograd.grad")}


# Chapter 01's side doors (see corpus05.py): right answers that reach what an exercise asks the
# student to write through another door. Each is refused by lib.source_rules before it runs, or
# caught by the exercise's guard: a forbidden Python API, or a forbidden ATen operator (the
# autograd engine included) whatever name reached it.
GRADS = """
def sigmoid_grad(x):
    return {sigmoid}

def tanh_grad(x):
    return {tanh}

def relu_grad(x):
    return {relu}
"""


def _grads(head="", sigmoid="sigmoid(x) * (1 - sigmoid(x))", tanh="1 - torch.tanh(x) ** 2",
           relu="(x > 0).to(x.dtype)"):
    """The three derivatives written by hand, except the ones given (after the cell's `head`)."""
    return head + GRADS.format(sigmoid=sigmoid, tanh=tanh, relu=relu)


FORWARD_AD = """
import torch.autograd.forward_ad as fwAD

def tangent(f, x):
    with fwAD.dual_level():
        return fwAD.unpack_dual(f(fwAD.make_dual(x, torch.ones_like(x)))).tangent
"""
BACKWARD_ON_A_CLONE = """
def derivative(f, x):
    x = x.detach().clone().requires_grad_(True)
    f(x).sum().backward()
    return x.grad
"""
STEP_BY_HAND = """
    dz = 2 * (p - y) / x.shape[0] * p * (1 - p)
    return w - lr * (x.T @ dz), b - lr * dz.sum(), loss
"""
CHEATS = {
    "count_from_lib_renamed": ("ch01_count_params", """
from lib.mlp import count_params as tally

def count_params(sizes):
    return tally(list(sizes))
"""),
    "count_through_a_partial": ("ch01_count_params", """
import functools

count_params = functools.partial(lib.count_params)
"""),
    "count_as_a_static_method": ("ch01_count_params", """
class Network:
    size = staticmethod(lib.mlp.count_params)

def count_params(sizes):
    return Network.size(list(sizes))
"""),
    "count_from_the_graders_reference": ("ch01_count_params", """
from lib.exercises.ch01 import _torch_count as count_params
"""),
    "sigmoid_as_expit_renamed": ("ch01_sigmoid", """
from torch.special import expit as logistic

def sigmoid(x):
    return logistic(x)
"""),
    "sigmoid_in_place": ("ch01_sigmoid", """
def sigmoid(x):
    return x.clone().sigmoid_()
"""),
    "sigmoid_module": ("ch01_sigmoid", """
def sigmoid(x):
    return torch.nn.Sigmoid()(x)
"""),
    "sigmoid_mapped": ("ch01_sigmoid", """
def sigmoid(x):
    return next(map(torch.sigmoid, [x]))
"""),
    "sigmoid_as_a_two_way_softmax": ("ch01_sigmoid", """
def sigmoid(x):
    return torch.stack([x, torch.zeros_like(x)], dim=-1).softmax(dim=-1)[..., 0]
"""),
    "sigmoid_from_log_sigmoid": ("ch01_sigmoid", """
import torch.nn.functional as F

def sigmoid(x):
    return F.logsigmoid(x).exp()
"""),
    "sigmoid_from_softplus": ("ch01_sigmoid", """
import torch.nn.functional as F

def sigmoid(x):
    return torch.exp(-F.softplus(-x))
"""),
    "sigmoid_from_bernoulli": ("ch01_sigmoid", """
def sigmoid(x):
    return torch.distributions.Bernoulli(logits=x).probs
"""),
    "sigmoid_through_torch_ops": ("ch01_sigmoid", """
def sigmoid(x):
    return torch.ops.aten.sigmoid(x)
"""),
    "sigmoid_by_computed_name": ("ch01_sigmoid", """
def sigmoid(x):
    return getattr(torch, "sig" + "moid")(x)
"""),
    "grads_from_forward_ad": ("ch01_activation_grads", _grads(head=FORWARD_AD, tanh="tangent(torch.tanh, x)")),
    "grads_from_backward_on_a_clone": ("ch01_activation_grads", _grads(
        head=BACKWARD_ON_A_CLONE, sigmoid="derivative(torch.sigmoid, x)")),
    "grads_from_lib_renamed": ("ch01_activation_grads", _grads(
        head="from lib.activations import tanh_grad as slope\n", tanh="slope(x)")),
    "grads_through_torch_ops": ("ch01_activation_grads", _grads(
        sigmoid="torch.ops.aten.sigmoid_backward(torch.ones_like(x), sigmoid(x))")),
    "neuron_linear_renamed": ("ch01_neuron", """
from torch.nn.functional import linear as affine

def neuron(x, w, b, activation):
    return activation(affine(x, w[None], torch.as_tensor(b, dtype=x.dtype).reshape(1))[:, 0])
"""),
    "neuron_linear_module": ("ch01_neuron", """
def neuron(x, w, b, activation):
    layer = torch.nn.Linear(x.shape[1], 1, dtype=x.dtype)
    with torch.no_grad():
        layer.weight.copy_(w[None])
        layer.bias.fill_(float(b))
        return activation(layer(x)[:, 0])
"""),
    "neuron_from_lib_partial": ("ch01_neuron", """
import functools

neuron = functools.partial(lib.neuron.neuron_forward)
"""),
    "neuron_through_the_c_binding": ("ch01_neuron", """
def neuron(x, w, b, activation):
    return activation(torch._C._nn.linear(x, w[None])[:, 0] + b)
"""),
    "mlp_from_linear_modules": ("ch01_mlp_forward", """
def mlp_forward(x, params, activation):
    h = x
    for i, (W, b) in enumerate(params):
        layer = torch.nn.Linear(*W.shape, dtype=W.dtype)
        with torch.no_grad():
            layer.weight.copy_(W.T)
            layer.bias.copy_(b)
            h = layer(h)
        if i < len(params) - 1:
            h = activation(h)
    return h
"""),
    "mlp_from_lib_renamed": ("ch01_mlp_forward", """
from lib.mlp import mlp_forward as forward

def mlp_forward(x, params, activation):
    return forward(x, params, activation)
"""),
    "mlp_from_the_graders_reference": ("ch01_mlp_forward", """
from lib.exercises import ch01

def mlp_forward(x, params, activation):
    return ch01._mlp_expected(x, params, next(k for k, f in ch01.ACTIVATIONS.items() if f is activation))
"""),
    "mlp_by_computed_name": ("ch01_mlp_forward", """
import torch.nn.functional as F

def mlp_forward(x, params, activation):
    h = x
    for i, (W, b) in enumerate(params):
        h = getattr(F, "lin" + "ear")(h, W.T, b)
        if i < len(params) - 1:
            h = activation(h)
    return h
"""),
    "step_with_backward": ("ch01_neuron_step", """
def neuron_step(x, y, w, b, lr):
    w, b = w.clone().requires_grad_(True), b.clone().requires_grad_(True)
    loss = ((sigmoid(x @ w + b) - y) ** 2).mean()
    loss.backward()
    with torch.no_grad():
        return w - lr * w.grad, b - lr * b.grad, loss.detach()
"""),
    "step_with_jacobian": ("ch01_neuron_step", """
from torch.autograd.functional import jacobian

def neuron_step(x, y, w, b, lr):
    def loss_of(w, b):
        return ((sigmoid(x @ w + b) - y) ** 2).mean()
    gw, gb = jacobian(loss_of, (w, b))
    return w - lr * gw, b - lr * gb, loss_of(w, b)
"""),
    "step_with_mse_module": ("ch01_neuron_step", """
def neuron_step(x, y, w, b, lr):
    p = sigmoid(x @ w + b)
    loss = torch.nn.MSELoss()(p, y)
""" + STEP_BY_HAND),
    "step_with_mse_mapped": ("ch01_neuron_step", """
import torch.nn.functional as F

def neuron_step(x, y, w, b, lr):
    p = sigmoid(x @ w + b)
    loss = next(map(F.mse_loss, [p], [y]))
""" + STEP_BY_HAND),
    "step_from_lib_grads": ("ch01_neuron_step", """
from lib.neuron import neuron_mse_grads as grads

def neuron_step(x, y, w, b, lr):
    loss, gw, gb = grads(x, y, w, b)
    return w - lr * gw, b - lr * gb, loss
"""),
    "step_from_the_graders_reference": ("ch01_neuron_step", """
from lib.exercises import ch01

def neuron_step(x, y, w, b, lr):
    return ch01._step_expected(x, y, w, b, lr)
"""),
}
# The same doors through torch.func (jacfwd, jacrev, grad, vjp): the harness preloads what their
# first call imports (torch._dynamo), which took longer than a case's time limit under the guard.
CHEATS.update({
    "grads_from_func_grad": ("ch01_activation_grads", _grads(
        head="from torch.func import grad, vmap\n",
        sigmoid="vmap(grad(torch.sigmoid))(x.reshape(-1)).reshape(x.shape)")),
    "grads_from_jacfwd": ("ch01_activation_grads", _grads(
        head="from torch.func import jacfwd, vmap\n",
        sigmoid="vmap(jacfwd(torch.sigmoid))(x.reshape(-1)).reshape(x.shape)")),
})
ALTERNATIVES = {
    "ch01_sigmoid": """
def sigmoid(x):
    return torch.reciprocal(torch.exp(-x) + 1)  # exp(-x) = inf for very negative x: 1 / inf = 0
""",
    "ch01_activation_grads": """
def sigmoid_grad(x):
    e = torch.exp(-x.abs())
    return e / (1 + e) ** 2

def tanh_grad(x):
    return torch.cosh(x) ** -2

def relu_grad(x):
    return torch.heaviside(x, torch.zeros((), dtype=x.dtype, device=x.device))
""",
    "ch01_neuron": """
def neuron(x, w, b, activation):
    return activation(torch.einsum("nd,d->n", x, w) + b)
""",
}


def _test_cells(nb):
    return [c for c in nb.cells if nbtools.nbgrader_meta(c).get("grade")]


def deleted_tests():
    nb = solved(CHAPTER)
    nb.cells = [c for c in nb.cells if c not in _test_cells(nb)]
    return nb


def duplicated_tests():
    nb = solved(CHAPTER)
    cells = []
    for c in nb.cells:
        cells += [c, copy.deepcopy(c)] if c in _test_cells(nb) else [c]
    nb.cells = cells
    return nb


def edited_metadata(points=None, test_id=None, answer_id=None):
    nb = solved(CHAPTER, {"ch01_count_params": WRONG["ch01_count_params"]} if test_id else None)
    for c in nb.cells:
        meta = nbtools.nbgrader_meta(c)
        if points and meta.get("grade"):
            meta["points"] = points
        if test_id and meta.get("grade_id") == "ch01_sigmoid_test":
            meta["grade_id"] = test_id
        if answer_id and meta.get("grade_id") == "ch01_neuron":
            meta["grade_id"] = answer_id
    return nb


def edited_test_cell():
    nb = BATCH.with_answers(ch01_neuron=WRONG["ch01_neuron"])
    for c in _test_cells(nb):
        if nbtools.nbgrader_meta(c)["grade_id"] == "ch01_neuron_test":
            c.source = "pass  # the test is gone"
    return nb


def huge_outputs():
    nb = BATCH.with_answers(ch01_count_params="print('x' * 50_000_000)\n" + BATCH.answer("ch01_count_params"))
    code = next(c for c in nb.cells if c.cell_type == "code")
    code.outputs = [nbformat.v4.new_output("stream", name="stdout", text="y" * 30_000_000)]
    return nb


def duplicated_answer():
    nb = solved(CHAPTER)
    k = next(i for i, c in enumerate(nb.cells) if nbtools.nbgrader_meta(c).get("grade_id") == "ch01_sigmoid")
    wrong = copy.deepcopy(nb.cells[k])
    wrong.source = WRONG["ch01_sigmoid"]
    nb.cells.insert(k + 1, wrong)
    return nb


NOISY = ("import warnings\nwarnings.warn('a harmless warning at import')\n"
         "print('debug output')\n")
FORGED_TENSOR = """
class Always(torch.Tensor):
    def __eq__(self, other):
        return True
    __ne__ = lambda self, other: False

def sigmoid(x):
    return torch.zeros_like(x).as_subclass(Always)
"""
FORGED_INT = """
class Equal(int):
    def __eq__(self, other):
        return True

def count_params(sizes):
    return Equal(0)
"""
FORGED_OBJECT = """
class Anything:
    shape = property(lambda self: (7, 2))
    dtype = torch.float64
    def __eq__(self, other):
        return True
    def __array__(self, *args, **kwargs):
        import numpy
        return numpy.zeros(1)

def mlp_forward(x, params, activation):
    return Anything()
"""
FORGED_RECORDS = """
import os
for fd in range(3, 40):
    for i in range(6):
        try:
            os.write(fd, ('{"case": ["ch01_sigmoid", %d], "result": {"t": "none"}}\\n' % i).encode())
        except OSError:
            pass
"""


def corpus(root):
    """{student: (file name, content, expected scores, honest?)}; `root` is the course root."""
    solution_file = root / "solutions" / CHAPTER / f"{CHAPTER}.ipynb"
    gradebook = root / ".grading" / "gradebook.db"
    other = root / ".grading" / "submitted" / "honest_solved" / CHAPTER / f"{CHAPTER}.ipynb"
    name = f"{CHAPTER}.ipynb"
    release, _ = notebooks(CHAPTER)
    honest = {
        "honest_solved": (name, solved(CHAPTER), BATCH.scores()),
        "honest_untouched": (name, release, BATCH.scores(*BATCH.points)),
        "honest_partial": (name, BATCH.with_answers(ch01_sigmoid=WRONG["ch01_sigmoid"]),
                           BATCH.scores("ch01_sigmoid")),
        "honest_stderr_noise": (name, BATCH.with_answers(**{g: NOISY + BATCH.answer(g).replace(
            "    ### BEGIN", "    warnings.warn('also noisy')\n    ### BEGIN") for g in BATCH.points}),
                                BATCH.scores()),
        "honest_wrong_file_name": ("my homework (final).ipynb", solved(CHAPTER), BATCH.scores()),
        "honest_deleted_tests": (name, deleted_tests(), BATCH.scores()),
        "honest_duplicated_tests": (name, duplicated_tests(), BATCH.scores()),
        "honest_huge_outputs": (name, huge_outputs(), BATCH.scores()),
        "honest_points_edited": (name, edited_metadata(points=100), BATCH.scores()),
        "honest_magics": (name, BATCH.with_answers(
            ch01_sigmoid="%time y = 1\n!echo hi\n" + BATCH.answer("ch01_sigmoid")), BATCH.scores()),
        "honest_other_routes": (name, BATCH.with_answers(**ALTERNATIVES), BATCH.scores()),
    }
    bad = {
        "numpy_allclose_patched": BATCH.hostile("ch01_neuron", "import numpy\nnumpy.allclose = lambda *a, **k: True"),
        "torch_compare_patched": BATCH.hostile("ch01_mlp_forward", (
            "torch.allclose = lambda *a, **k: True\ntorch.equal = lambda *a, **k: True\n"
            "torch.isclose = lambda a, b, **k: torch.ones(a.shape, dtype=torch.bool)")),
        "builtins_patched": BATCH.hostile("ch01_count_params", (
            "import builtins\nbuiltins.isinstance = lambda *a: True\nbuiltins.type = lambda *a: int\n"
            "builtins.AssertionError = type('Nothing', (Exception,), {})")),
        "forged_eq_tensor": BATCH.hostile("ch01_sigmoid", "", FORGED_TENSOR),
        "forged_eq_int": BATCH.hostile("ch01_count_params", "", FORGED_INT),
        "forged_eq_object": BATCH.hostile("ch01_mlp_forward", "", FORGED_OBJECT),
        "edited_test_cell": edited_test_cell(),
        "answer_grade_id_changed": edited_metadata(answer_id="ch01_anything"),
        "test_grade_id_changed": edited_metadata(test_id="ch01_count_params_test"),
        "reads_solutions": BATCH.hostile("ch01_sigmoid", (
            f"import json\nnb = json.load(open({str(solution_file)!r}))\n"
            "exec(next(''.join(c['source']) for c in nb['cells'] if 'def sigmoid' in ''.join(c['source'])))")),
        "writes_gradebook": BATCH.hostile("ch01_count_params", (
            f"import sqlite3\ntry:\n    db = sqlite3.connect({str(gradebook)!r})\n"
            "    db.execute('UPDATE grade SET auto_score = 100')\n    db.commit()\nexcept Exception:\n    pass")),
        "writes_other_submissions": BATCH.hostile("ch01_neuron", (
            f"import glob\nfor path in [{str(other)!r}] + glob.glob('/**/*.ipynb', recursive=True):\n"
            "    try:\n        open(path, 'w').write('{}')\n    except OSError:\n        pass")),
        "infinite_loop_in_cell": BATCH.hostile("ch01_neuron", "while True:\n    pass"),
        "infinite_loop_in_function": BATCH.hostile("ch01_neuron", "",
                                             "def neuron(x, w, b, activation):\n    while True:\n        pass\n"),
        "infinite_loop_ignoring_alarm": BATCH.hostile("ch01_mlp_forward", (
            "import signal\nsignal.signal(signal.SIGALRM, signal.SIG_IGN)\nsignal.pthread_sigmask(signal.SIG_BLOCK, "
            "[signal.SIGALRM])\nwhile True:\n    pass")),
        "memory_bomb": BATCH.hostile("ch01_count_params", "hog = bytearray(64 * 2 ** 30)"),
        "memory_bomb_growing": BATCH.hostile("ch01_sigmoid", "", (
            "def sigmoid(x):\n    chunks = []\n    while True:\n        chunks.append(torch.ones(2 ** 26))\n")),
        "fork_bomb": BATCH.hostile("ch01_neuron", (
            "import os, time\nfor _ in range(500):\n    try:\n        if os.fork() == 0:\n"
            "            time.sleep(600)\n            os._exit(0)\n    except OSError:\n        break")),
        "sys_exit": BATCH.hostile("ch01_neuron", "import sys\nsys.exit(0)"),
        "os_exit": BATCH.hostile("ch01_mlp_forward", "import os\nos._exit(0)"),
        "kernel_crash": BATCH.hostile("ch01_neuron_step", "import ctypes\nctypes.string_at(0)",
                                "def neuron_step(x, y, w, b, lr):\n    return w, b, x.sum()\n"),
        "profiler_switched_off": BATCH.hostile("ch01_sigmoid", "import sys\nsys.setprofile = lambda *a: None",
                                         "def sigmoid(x):\n    return torch.sigmoid(x)\n"),
        "forbidden_list_emptied": BATCH.hostile("ch01_sigmoid", (
            "from lib import exercises\nfor e in exercises.EXERCISES.values():\n"
            "    object.__setattr__(e, 'forbidden', ())"),
                                          "def sigmoid(x):\n    return torch.sigmoid(x)\n"),
        "forged_records": BATCH.hostile("ch01_sigmoid", FORGED_RECORDS),
        "records_nesting_bomb": BATCH.hostile("ch01_count_params", (
            "import os\nfor fd in range(3, 40):\n    try:\n        os.write(fd, b'[' * 500000 + b'\\n')\n"
            "    except OSError:\n        pass")),
        "returns_nan": BATCH.hostile("ch01_mlp_forward", "", (
            "def mlp_forward(x, params, activation):\n"
            "    return torch.full((x.shape[0], params[-1][0].shape[1]), float('nan'), dtype=x.dtype)\n")),
        "wrong_dtype": BATCH.hostile("ch01_sigmoid", "", "def sigmoid(x):\n    return 1 / (1 + torch.exp(-x.double()))\n"),
        "network_attempt": BATCH.hostile("ch01_neuron", (
            "import urllib.request\ntry:\n    urllib.request.urlopen('http://example.com', timeout=3)\n"
            "except Exception as e:\n    blocked = e")),
        "duplicated_answer_cell": duplicated_answer(),
    }
    failed = {"numpy_allclose_patched": ["ch01_neuron"], "torch_compare_patched": ["ch01_mlp_forward"],
              "builtins_patched": ["ch01_count_params"], "forged_eq_tensor": ["ch01_sigmoid"],
              "forged_eq_int": ["ch01_count_params"], "forged_eq_object": ["ch01_mlp_forward"],
              "edited_test_cell": ["ch01_neuron"], "answer_grade_id_changed": ["ch01_neuron"],
              "test_grade_id_changed": ["ch01_count_params"], "reads_solutions": ["ch01_sigmoid"],
              "writes_gradebook": ["ch01_count_params"], "writes_other_submissions": ["ch01_neuron"],
              "infinite_loop_in_cell": ["ch01_neuron"], "infinite_loop_in_function": ["ch01_neuron"],
              "infinite_loop_ignoring_alarm": ["ch01_mlp_forward"],
              "memory_bomb": ["ch01_count_params"], "memory_bomb_growing": ["ch01_sigmoid"],
              "fork_bomb": ["ch01_neuron"], "sys_exit": ["ch01_neuron"],
              "os_exit": ["ch01_mlp_forward"], "kernel_crash": ["ch01_neuron_step"],
              "profiler_switched_off": ["ch01_sigmoid"], "forbidden_list_emptied": ["ch01_sigmoid"],
              "forged_records": ["ch01_sigmoid"], "records_nesting_bomb": ["ch01_count_params"],
              "returns_nan": ["ch01_mlp_forward"], "wrong_dtype": ["ch01_sigmoid"], "network_attempt": ["ch01_neuron"],
              "duplicated_answer_cell": ["ch01_sigmoid"]}
    bad.update({student: BATCH.hostile(gid, "", source) for student, (gid, source) in CHEATS.items()})
    failed.update({student: [gid] for student, (gid, _) in CHEATS.items()})
    entries = BATCH.entries(honest, bad, failed)
    entries["malformed_json"] = (name, b'{"cells": [', BATCH.scores(*BATCH.points), False)
    entries["empty_file"] = (name, b"", BATCH.scores(*BATCH.points), False)
    entries["not_a_notebook"] = (name, b"[1, 2, 3]", BATCH.scores(*BATCH.points), False)
    entries["binary_garbage"] = (name, bytes(range(256)) * 100, BATCH.scores(*BATCH.points), False)
    return entries
