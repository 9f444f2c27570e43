"""Checks used by the exercises' test cells: informative failures and forbidden APIs.

`exercise(grade_id, device, **answer_functions)` gives a checker that calls the answer on the
inputs a test cell passes it, compares the result with the exercise's reference (its definition
in lib.exercises), and fails with what was expected, what came back and, when the answer behaves
like one of the exercise's typical mistakes, which one. `forbidden(grade_id)` watches every call
made inside it and fails if the answer used an API it is meant to write itself: Python calls of
the definition's `forbidden` APIs (sys.setprofile), and the ATen operators of its
`forbidden_ops` (a TorchDispatchMode, which sees an operator whichever Python name reached it:
an alias, an in-place variant, torch.ops, TorchScript); the checker and the sandboxed grader
both use it. The checker also reads the answer cell's source with lib.source_rules, as the
judge does, so a cell the grader would refuse fails here first with the same sentence.
"""
import contextlib
import inspect
import linecache
import sys

import torch
from torch.autograd import forward_ad
from torch.overrides import TorchFunctionMode
from torch.utils._python_dispatch import TorchDispatchMode

from lib import exercises, source_rules
from lib.exercises.operators import ENGINE
from lib.exercises.base import Case, fresh, resolve

def _references(exercise):
    """{code object: label} of the judge's own code for `exercise` that an answer must not call:
    the functions of the module defining it (the references and the helpers they are built
    from), except the exercises' `run` and what it calls, which is how the answer gets called."""
    module = sys.modules[exercise.cases.__module__]
    functions = {name: f for name, f in vars(module).items()
                 if inspect.isfunction(f) and f.__module__ == module.__name__}
    named = {f"{module.__name__}.{name}": f for name, f in functions.items()}
    named.update({f"{module.__name__}.{e.grade_id}.{kind}": getattr(e, kind)
                  for e in module.EXERCISES for kind in ("expected", "check") if getattr(e, kind) is not None})
    runs = _reachable([e.run for e in module.EXERCISES], functions)
    return {f.__code__: f"{path} (the grader's reference)" for path, f in named.items()
            if getattr(f, "__code__", None) is not None and f.__code__ not in runs}


def _reachable(roots, functions):
    """The code objects of the functions `roots`, of the code nested in them, and of the
    `functions` ({name: function}) they name, transitively."""
    seen, stack = set(), [f.__code__ for f in roots if hasattr(f, "__code__")]
    while stack:
        code = stack.pop()
        if code not in seen:
            seen.add(code)
            stack += [c for c in code.co_consts if inspect.iscode(c)]
            stack += [functions[name].__code__ for name in code.co_names if name in functions]
    return seen


def _targets(paths, references=None):
    """What to watch for the dotted `paths` and `references` ({code object: label}, see
    _references): ({code object: label} of Python functions, {id: path} of C functions and of
    Tensor methods as torch.Tensor holds them, {method name: path} of those Tensor methods)."""
    codes, builtins, methods = dict(references or {}), {}, {}
    for path in paths:
        obj = resolve(path)
        code = getattr(inspect.unwrap(obj), "__code__", None)  # a decorator's wrapper is shared
        if code is not None:
            codes[code] = path
            continue
        builtins[id(obj)] = path
        if path.startswith("torch.Tensor."):
            methods[obj.__name__] = path
    return codes, builtins, methods


def _matcher(codes, builtins, methods):
    """A function frame-event -> forbidden path or None (see _targets). It runs inside the
    profiler, unwatched, so it never calls the answer's code: type(), not isinstance(), which
    would read a __class__ that an answer may have made a property."""

    def match(frame, event, arg):
        if event == "call":
            return codes.get(frame.f_code)
        if event == "c_call":
            if id(arg) in builtins:
                return builtins[id(arg)]
            if issubclass(type(getattr(arg, "__self__", None)), torch.Tensor):
                return methods.get(getattr(arg, "__name__", None))
        return None

    return match


class _FunctionWatch(TorchFunctionMode):
    """Notes the first forbidden torch function or Tensor method (`by_id`: {id: path}) called
    while it is active, however it was called: sys.setprofile does not report a C function that
    C code calls (map(F.linear, ...), functools.partial), torch's function modes do."""

    def __init__(self, by_id, used):
        super().__init__()
        self.by_id, self.used = by_id, used

    def __torch_function__(self, func, types, args=(), kwargs=None):
        if not self.used and id(func) in self.by_id:
            self.used.append(self.by_id[id(func)])
        return func(*args, **(kwargs or {}))


def _operator_name(packet):
    """The name an ATen operator packet is listed under: in-place variants (sigmoid_) count as
    their function (sigmoid); out= variants are overloads of the same packet already."""
    return packet[:-1] if packet.endswith("_") else packet


class _OperatorWatch(TorchDispatchMode):
    """Notes the first ATen operator of `names` that runs while it is active, and the autograd
    engine if ENGINE is among `names`: an operator run during a backward pass (autograd.grad,
    backward, torch.func.grad, jacrev) or with forward-mode AD on (forward_ad, jvp, jacfwd)."""

    def __init__(self, names, used):
        super().__init__()
        self.names, self.used = frozenset(names), used
        self.engine = ENGINE in self.names
        self._graph_task = torch._C._current_graph_task_id
        self._forward_ad = forward_ad

    @classmethod
    def _should_skip_dynamo(cls):
        """No torch.compile runs under the watch (lib.source_rules refuses it), so the dispatch
        method needs no wrapper disabling it, whose first call imports torch._dynamo (3 s)."""
        return False

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        if not self.used:
            name = _operator_name(func.overloadpacket.__name__)
            if name in self.names:
                self.used.append(f"aten.{name} (the ATen operator)")
            elif self.engine and (self._graph_task() != -1 or self._forward_ad._current_level >= 0):
                self.used.append("the autograd engine (a backward or forward-mode pass)")
        return func(*args, **(kwargs or {}))


class Guard:
    """Watches calls for one exercise's forbidden APIs; `with guard.watching():` fails if the block used one.

    Besides the definition's `forbidden` APIs, it watches for the judge's own reference code for
    the exercise (see _references), which an answer could otherwise import and call.
    Built before any answer code runs, it keeps its own references to the matcher, the paths and
    sys.setprofile/sys.getprofile, so an answer that later rebinds those names, or edits the
    exercise's definition, does not switch the watch off.
    """

    def __init__(self, grade_id):
        exercise = exercises.get(grade_id)
        self.grade_id, self.paths, self.operators = grade_id, tuple(exercise.forbidden), tuple(exercise.forbidden_ops)
        codes, self._builtins, methods = _targets(self.paths, _references(exercise))
        self._match = _matcher(codes, self._builtins, methods)
        self._setprofile, self._getprofile = sys.setprofile, sys.getprofile

    @contextlib.contextmanager
    def watching(self):
        __tracebackhide__ = True
        used, match = [], self._match

        def profile(frame, event, arg):
            hit = match(frame, event, arg)
            if hit is not None:
                used.append(hit)

        functions = _FunctionWatch(self._builtins, used) if self._builtins else contextlib.nullcontext()
        operators = _OperatorWatch(self.operators, used) if self.operators else contextlib.nullcontext()
        previous = self._getprofile()
        self._setprofile(profile)
        try:
            with functions, operators:
                yield
        finally:
            tampered = self._getprofile() is not profile
            self._setprofile(previous)
        if tampered:
            _fail(f"{self.grade_id}: your answer changed sys.setprofile, which the test relies on.")
        if used:
            _fail(
                f"{self.grade_id}: your answer calls {used[0]}, which this exercise asks you to write "
                f"yourself. Not allowed here: {', '.join(self.paths + self.named_operators)}."
            )


    @property
    def named_operators(self):
        """The forbidden ATen operators as the message lists them."""
        return tuple("the autograd engine" if op == ENGINE else f"aten.{op}" for op in self.operators)


def forbidden(grade_id):
    """Fail the exercise `grade_id` if code run inside the block calls one of its forbidden APIs."""
    return Guard(grade_id).watching()


_TOO_DEEP = object()


class Checker:
    """Checks one exercise's answer functions on inputs that the test cell chooses (see `exercise`)."""

    def __init__(self, grade_id, device, functions):
        self.exercise = exercises.get(grade_id)
        wanted = set(self.exercise.functions)
        if set(functions) != wanted:
            raise TypeError(f"functions: {grade_id} checks {', '.join(sorted(wanted))}; "
                            f"got {', '.join(sorted(functions)) or 'none'}")
        self.functions, self.device = functions, torch.device(device)
        self.guard = Guard(grade_id)
        self.refusal = _cell_refusal(functions)

    def __call__(self, *args, note, rtol=1e-5, atol=1e-6):
        """Call the answer on `args` (moved to the device) and fail unless it matches the reference.

        note: what the inputs are, for the message (e.g. "x ~ 5 N(0, 1)").
        """
        __tracebackhide__ = True
        self._check(Case(_moved(args, self.device), note, rtol, atol))

    def hidden(self, generator=None):
        """Check every case that the grader draws for this exercise, on fresh random inputs."""
        __tracebackhide__ = True
        if generator is None:
            generator = torch.Generator().manual_seed(int(torch.randint(2 ** 62, ())))
        for case in self.exercise.cases(generator):
            self._check(Case(_moved(case.args, self.device), case.note, case.rtol, case.atol))

    def _check(self, case):
        __tracebackhide__ = True
        ex = self.exercise
        if self.refusal:
            _fail(f"{ex.grade_id}: the grader would refuse your answer cell ({self.refusal})")
        # A RecursionError is reported outside its handler: chained to it, the traceback is
        # thousands of frames deep, and IPython takes tens of seconds to print it.
        try:
            with self.guard.watching():
                got = ex.run(self.functions, *fresh(case.args))
        except RecursionError:
            got = _TOO_DEEP
        if got is _TOO_DEEP:
            _fail(f"{ex.grade_id}, {case.note}: your answer raised RecursionError: it calls itself deeper "
                  f"than Python allows (about {sys.getrecursionlimit()} calls); keep your own stack instead")
        problem = ex.problem(got, case)
        if problem:
            mistake = ex.diagnose(got, case)
            named = f"\nThis looks like a typical mistake: {mistake.what}." if mistake else ""
            _fail(f"{ex.grade_id}, {case.note}: {problem}{named}")


def _cell_refusal(functions):
    """What lib.source_rules refuses in the cell (the notebook's) that defines the answer
    `functions`, or None; functions defined elsewhere (a module, exec without a source) are the
    run-time watch's business."""
    for fn in functions.values():
        code = getattr(fn, "__code__", None)
        if code is None or getattr(fn, "__module__", None) != "__main__":
            continue
        problem = source_rules.problem("".join(linecache.getlines(code.co_filename)))
        if problem:
            return problem
    return None


def _moved(value, device):
    """`value` with every tensor in it (nested in tuples, lists, dicts) moved to `device`."""
    if isinstance(value, torch.Tensor):
        return value.to(device)
    if type(value) in (tuple, list):
        return type(value)(_moved(v, device) for v in value)
    if type(value) is dict:
        return {k: _moved(v, device) for k, v in value.items()}
    return value


def exercise(grade_id, device="cpu", **functions):
    """A checker for exercise `grade_id`'s answer `functions` (by name), run on `device`.

        check = testing.exercise("ch01_sigmoid", device, sigmoid=sigmoid)
        check(torch.randn(50) * 5, note="x ~ 5 N(0, 1)")   # compared with the reference
        check.hidden()                                      # the grader's kind of random cases
    """
    return Checker(grade_id, device, functions)


def _fail(message):
    """Raise the AssertionError a student sees; the checks calling this hide their own frames."""
    raise AssertionError(message)
