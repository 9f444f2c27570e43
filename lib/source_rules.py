"""What a graded answer cell's source may not contain, found by reading it (it never runs here).

The forbidden-API rule is enforced while the answer runs (lib.testing: Python calls and ATen
operators), inside the process that runs the student's code. That watch holds only if the code
cannot reach the machinery around it, so the answer cell is first read by this check in the
trusted judge, and by the notebook's test cell for the same message earlier:

- imports only of the modules in ALLOWED_MODULES (and their public submodules), never of the
  grader's own code (lib.exercises, lib.testing) nor of a private module (a name starting with _);
- no private attribute or name (starting with _, except __init__ and a few special methods such
  as __hash__, __eq__, __len__): torch._C, x.__class__, f.__globals__, ...;
  a class body may define special methods (__eq__ = ..., def __len__), but never __class__ or
  __getattribute__;
- no autograd node called by hand (.grad_fn, .next_functions), which skips the engine;
- no attribute that reaches a module outside that list or a door below the watch: torch.ops,
  torch.jit, torch.compile, torch.library, numpy's sys, ... (BLOCKED_ATTRIBUTES);
- none of the builtins that run code or reach objects by a computed name: eval, exec, compile,
  __import__, globals, vars, open, ...; getattr, setattr, delattr and hasattr only with a
  literal attribute name that these rules allow;
- no DataLoader worker processes (num_workers, also passed by position or by **), whose calls
  no watch sees.

    problem("import torch\\ndef f(x):\\n    return torch._C._nn.gelu(x)")
    # -> "line 3: `._C` is a private attribute (it starts with an underscore) ..."
"""
import ast

ALLOWED_MODULES = frozenset({
    "math", "cmath", "random", "itertools", "functools", "collections", "heapq", "bisect", "dataclasses",
    "typing", "numbers", "statistics", "string", "re", "copy", "enum", "fractions", "decimal", "unicodedata",
    "warnings", "time", "numpy", "torch", "lib", "matplotlib", "tqdm",
})
GRADERS_OWN = ("lib.exercises", "lib.testing", "lib.source_rules")
BLOCKED_ATTRIBUTES = {
    **dict.fromkeys(("ops", "library", "jit", "compile", "fx", "export", "cpp_extension", "classes", "package",
                     "hub", "distributed", "f2py", "distutils"),
                    "reaches torch's operators below the grader's watch, or code it cannot see"),
    **dict.fromkeys(("num_workers", "multiprocessing_context"), "starts worker processes, which no watch sees"),
    **dict.fromkeys(("grad_fn", "next_functions"), "calls autograd's backward functions without the engine"),
    **dict.fromkeys(("sys", "os", "posix", "builtins", "inspect", "gc", "ctypes", "ctypeslib", "importlib",
                     "subprocess", "threading", "multiprocessing", "concurrent", "signal", "pickle", "marshal",
                     "types", "runpy", "socket", "mmap", "resource", "faulthandler", "traceback", "linecache",
                     "weakref", "atexit", "pdb", "trace", "tracemalloc", "asyncio", "fcntl", "copyreg", "dis",
                     "io", "exercises", "testing", "source_rules"),
                    "reaches a module that graded answers may not use"),
    **dict.fromkeys(("modules", "setprofile", "settrace", "f_back", "f_globals", "f_locals", "f_builtins",
                     "gi_frame", "cr_frame", "ag_frame", "tb_frame", "attrgetter", "methodcaller"),
                    "reaches the grader's state"),
}
BLOCKED_NAMES = frozenset({
    "eval", "exec", "compile", "__import__", "globals", "locals", "vars", "open", "breakpoint", "input",
    "exit", "quit", "help", "memoryview", "__builtins__", "__loader__", "__spec__",
})
NAMED_ATTRIBUTE = frozenset({"getattr", "setattr", "delattr", "hasattr"})
# special methods an answer may name (super().__init__(), __hash__ = float.__hash__); not the
# ones that reach code, frames or the grader (__class__, __dict__, __globals__, __self__, ...)
ALLOWED_PRIVATE = frozenset({"__init__", "__hash__", "__eq__", "__ne__", "__lt__", "__le__", "__gt__", "__ge__",
                             "__len__", "__iter__", "__next__", "__getitem__", "__contains__", "__repr__", "__str__",
                             "__name__"})
REDEFINED = frozenset({"__class__", "__getattribute__", "__builtins__"})  # never defined, even in a class body


def problem(source):
    """The first rule `source` (an answer cell, already turned into Python: no magics) breaks,
    as a sentence naming the line and what it uses; None if it keeps them all, or if it is not
    valid Python (running it then fails with Python's own SyntaxError)."""
    if not isinstance(source, str):
        raise TypeError(f"source must be a str (an answer cell's code), got {type(source).__name__}")
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    visitor = _Reader()
    try:
        visitor.visit(tree)
    except RecursionError:
        return "the cell is nested too deeply for the grader to read"
    if visitor.found:
        line, what = visitor.found
        return f"line {line}: {what}; graded answers may not do this (see the rules of lib.source_rules)"
    return None


def _module_problem(path):
    """Why importing the dotted module `path` is not allowed, or None."""
    parts = path.split(".")
    if any(p.startswith("_") for p in parts):
        return f"imports the private module {path}"
    if parts[0] not in ALLOWED_MODULES:
        return f"imports {path}; answers may import only {', '.join(sorted(ALLOWED_MODULES))}"
    if any(path == own or path.startswith(own + ".") for own in GRADERS_OWN):
        return f"imports {path}, the grader's own code"
    blocked = [p for p in parts[1:] if p in BLOCKED_ATTRIBUTES]
    if blocked:
        return f"imports {path}, which {BLOCKED_ATTRIBUTES[blocked[0]]}"
    return None


def _attribute_problem(name):
    """Why using the attribute `name` is not allowed, or None."""
    if name.startswith("_") and name not in ALLOWED_PRIVATE:
        return f"`.{name}` is a private attribute (it starts with an underscore)"
    if name in BLOCKED_ATTRIBUTES:
        return f"`.{name}` {BLOCKED_ATTRIBUTES[name]}"
    return None


class _Reader(ast.NodeVisitor):
    """Walks a cell's syntax tree and keeps the first broken rule as (line, sentence)."""

    def __init__(self):
        self.found = None
        self.regex_names = set()  # names bound to the re module, whose .compile is allowed

    def _flag(self, node, what):
        if self.found is None and what:
            self.found = (getattr(node, "lineno", 0), what)

    def visit_Import(self, node):
        for alias in node.names:
            self._flag(node, _module_problem(alias.name))
            if alias.name == "re":
                self.regex_names.add(alias.asname or "re")

    def visit_ImportFrom(self, node):
        if node.level:
            self._flag(node, "uses a relative import")
            return
        self._flag(node, _module_problem(node.module or ""))
        for alias in node.names:
            if alias.name == "*":
                self._flag(node, f"imports * from {node.module}")
            else:
                self._flag(node, _module_problem(f"{node.module}.{alias.name}") if node.module == "lib"
                           else _attribute_problem(alias.name))

    def visit_FunctionDef(self, node):
        if node.name in REDEFINED:
            self._flag(node, f"defines {node.name}, which makes an object lie about what it is")
        self.generic_visit(node)

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_Attribute(self, node):
        self.generic_visit(node)  # a.b.c: the first broken rule in reading order is a's or b's
        allowed_compile = (node.attr == "compile" and isinstance(node.value, ast.Name)
                           and node.value.id in self.regex_names)
        if not allowed_compile:
            self._flag(node, _attribute_problem(node.attr))

    def visit_Name(self, node):
        if node.id in BLOCKED_NAMES:
            self._flag(node, f"uses `{node.id}`, which runs code or reaches objects the grader does not see")
        elif node.id in NAMED_ATTRIBUTE:
            self._flag(node, f"uses `{node.id}` other than as a call with a literal attribute name")
        elif node.id.startswith("__") and node.id.endswith("__") and node.id not in ALLOWED_PRIVATE and not (
                isinstance(node.ctx, ast.Store) and node.id not in REDEFINED):
            self._flag(node, f"uses the special name `{node.id}`")

    def visit_Call(self, node):
        if isinstance(node.func, ast.Name) and node.func.id in NAMED_ATTRIBUTE:
            self._named_attribute(node)
            for arg in node.args[:1] + node.args[2:]:
                self.visit(arg)
            for keyword in node.keywords:
                self.visit(keyword)
            return
        for keyword in node.keywords:
            if keyword.arg in ("num_workers", "multiprocessing_context") and not (
                    isinstance(keyword.value, ast.Constant) and keyword.value.value in (0, None)):
                self._flag(node, f"starts DataLoader worker processes ({keyword.arg}), which no watch sees")
        callee = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", None)
        if callee == "DataLoader" and (len(node.args) > 5 or any(k.arg is None for k in node.keywords)):
            self._flag(node, "passes DataLoader arguments that could start worker processes (num_workers); "
                             "name them with keywords instead")
        self.generic_visit(node)

    def _named_attribute(self, node):
        name = node.args[1] if len(node.args) > 1 else None
        if not (isinstance(name, ast.Constant) and isinstance(name.value, str)):
            self._flag(node, f"calls `{node.func.id}` with a computed attribute name")
        else:
            self._flag(node, _attribute_problem(name.value))
