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
         "forged_records": ("ch01_sigmoid", "imports os")}


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
    entries = BATCH.entries(honest, bad, failed)
    entries["malformed_json"] = (name, b'{"cells": [', BATCH.scores(*BATCH.points), False)
    entries["empty_file"] = (name, b"", BATCH.scores(*BATCH.points), False)
    entries["not_a_notebook"] = (name, b"[1, 2, 3]", BATCH.scores(*BATCH.points), False)
    entries["binary_garbage"] = (name, bytes(range(256)) * 100, BATCH.scores(*BATCH.points), False)
    return entries
