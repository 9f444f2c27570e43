"""lib.source_rules: what a graded answer cell may not contain, read before it runs."""
import nbformat
import pytest
from IPython.core.inputtransformer2 import TransformerManager

from grading import repo
from lib import exercises, source_rules
from tests.notebooks import nbtools


@pytest.mark.parametrize("source, words", [
    ("import torch\ny = torch._C._nn.gelu", "line 2: `._C` is a private attribute"),
    ("def f(x):\n    return x.__class__", "`.__class__` is a private attribute"),
    ("import torch\ntorch.ops.aten.sigmoid", "`.ops` reaches torch's operators below the grader's watch"),
    ("import torch\nf = torch.jit.script", "`.jit` reaches torch's operators"),
    ("import torch\nf = torch.compile(max)", "`.compile` reaches torch's operators"),
    ("import numpy as np\nnp.sys.modules", "`.sys` reaches a module that graded answers may not use"),
    ("def f():\n    import sys\n    return sys", "line 2: imports sys; answers may import only"),
    ("import os.path", "imports os.path; answers may import only"),
    ("import torch._dynamo", "imports the private module torch._dynamo"),
    ("from torch.utils._python_dispatch import TorchDispatchMode", "imports the private module"),
    ("from lib.exercises import ch01", "imports lib.exercises, the grader's own code"),
    ("from lib import exercises", "imports lib.exercises, the grader's own code"),
    ("import lib.testing", "imports lib.testing, the grader's own code"),
    ("from torch import ops", "`.ops` reaches torch's operators"),
    ("from . import x", "uses a relative import"),
    ("from math import *", "imports * from math"),
    ("import torch\nf = getattr(torch, 'sig' + 'moid')", "calls `getattr` with a computed attribute name"),
    ("import torch\nf = getattr(torch, '_C')", "`._C` is a private attribute"),
    ("g = getattr", "uses `getattr` other than as a call with a literal attribute name"),
    ("setattr(x, name, 1)", "calls `setattr` with a computed attribute name"),
    ("eval('1')", "uses `eval`"),
    ("exec('x = 1')", "uses `exec`"),
    ("m = __import__('os')", "uses `__import__`"),
    ("g = globals()", "uses `globals`"),
    ("b = __builtins__", "uses `__builtins__`"),
    ("f = open('/etc/passwd')", "uses `open`"),
    ("def f(frame):\n    return frame.f_back", "`.f_back` reaches the grader's state"),
    ("from torch.utils.data import DataLoader\nDataLoader([1], num_workers=2)", "starts DataLoader worker processes"),
    ("DataLoader(data, 4, False, None, None, 2)", "passes DataLoader arguments that could start worker processes"),
    ("torch.utils.data.DataLoader(data, **options)", "passes DataLoader arguments that could start worker"),
    ("loader.num_workers = 2", "`.num_workers` starts worker processes"),
    ("dx, dw = torch.mm(x, w).grad_fn(dout)", "`.grad_fn` calls autograd's backward functions without the engine"),
    ("class Courier(list):\n    @property\n    def __class__(self):\n        return list", "defines __class__"),
    ("class Liar:\n    def __getattribute__(self, name):\n        return 1", "defines __getattribute__"),
    ("class Liar:\n    __class__ = property(lambda self: list)", "uses the special name `__class__`"),
    ("__builtins__ = {}", "uses `__builtins__`"),
    ("g = f.__globals__", "`.__globals__` is a private attribute"),
    ("p = torch.package.PackageImporter('x')", "`.package` reaches torch's operators below the grader's watch, or code"),
])
def test_a_rule_broken_is_named_with_its_line(source, words):
    assert words in source_rules.problem(source)


@pytest.mark.parametrize("source", [
    "import re\npattern = re.compile(r'\\w+')",
    "import re as regex\npattern = regex.compile('a')",
    "import torch\nimport torch.nn.functional as F\nfrom collections import Counter\nimport numpy as np",
    "import lib.attention\nfrom lib import attention, gpt",
    "class Net(torch.nn.Module):\n    def __init__(self):\n        super().__init__()",
    "f = getattr(torch, 'relu')\nok = hasattr(x, 'shape')",
    "class Pair:\n    __hash__ = object.__hash__\n    def __eq__(self, other):\n        return True",
    "loader = DataLoader(data, batch_size=4, num_workers=0)",
    "def f(x):\n    return x.sigmoid_grad_by_hand",
    "def broken(:\n    pass",
])
def test_honest_code_and_invalid_python_pass(source):
    assert source_rules.problem(source) is None


def test_a_cell_too_deeply_nested_is_refused_not_crashed():
    """Deeper than the reader's recursion but not Python's parser: refused; too deep for the
    parser as well: left to fail in the sandbox with Python's own error."""
    assert "nested too deeply" in source_rules.problem("x = " + "-" * 1000 + "1")
    assert source_rules.problem("x = " + "-" * 100_000 + "1") is None


def test_the_source_must_be_a_string():
    with pytest.raises(TypeError, match="source must be a str"):
        source_rules.problem(b"import os")


@pytest.mark.parametrize("chapter", [p.name for p in sorted((repo.ROOT / repo.SOLUTIONS).iterdir()) if p.is_dir()])
def test_every_solution_answer_cell_keeps_the_rules(chapter):
    """The rules must not cost an honest student anything: every solution's answer cell, and every
    typical mistake that is not itself a forbidden call, passes (magics turned into Python first)."""
    transform = TransformerManager().transform_cell
    nb = nbformat.read(repo.ROOT / repo.SOLUTIONS / chapter / f"{chapter}.ipynb", as_version=4)
    refused = {}
    for gid, cell in nbtools.answer_cells(nb).items():
        for label, source in [("solution", cell.source)] + [(m.what, m.source) for m in exercises.get(gid).mistakes]:
            problem = source_rules.problem(transform(source))
            if problem and "sklearn" not in problem:
                refused[(gid, label)] = problem
    assert refused == {}
