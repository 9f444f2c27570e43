"""Judge specs for chapter 02 (backpropagation): oracles are torch.autograd and F.cross_entropy."""
import torch
import torch.nn.functional as F

from grading.specs.base import Case, Exercise, randn, unpack
from lib.autograd import Tensor

F64 = dict(rtol=1e-9, atol=1e-12)


def _autograd(f, inputs, upstream=None):
    leaves = [t.clone().requires_grad_(True) for t in inputs]
    out = f(*leaves)
    return out.detach(), torch.autograd.grad(out, leaves, upstream)


def _linear_cases(g):
    cases = [Case((randn(g, 4, 5, dtype=torch.float32), randn(g, 4, 3, dtype=torch.float32),
                   randn(g, 3, 5, dtype=torch.float32)), "x (4, 3), W (3, 5), float32", rtol=1e-5, atol=1e-5)]
    for n, d, m in [(1, 1, 1), (1, 6, 2), (7, 2, 9), (16, 16, 16)]:
        cases.append(Case((randn(g, n, m), randn(g, n, d), randn(g, d, m)), f"x ({n}, {d}), W ({d}, {m})", **F64))
    return cases


def _linear_expected(dout, x, W):
    _, (dx, dW, db) = _autograd(lambda x, W, b: x @ W + b, (x, W, torch.zeros(W.shape[1], dtype=W.dtype)), dout)
    return dx, dW, db


def _ce_cases(g):
    logits = randn(g, 6, 4, dtype=torch.float32)
    y = torch.randint(0, 4, (6,), generator=g)
    cases = [Case((logits, y), "6 examples, 4 classes"),
             Case((logits * 1e4, y), "logits of size 1e4", rtol=1e-4, atol=1e-4)]
    for n, c, scale in [(1, 1, 1.0), (1, 5, 3.0), (50, 10, 1.0), (8, 3, 1e3)]:
        cases.append(Case((randn(g, n, c, scale=scale), torch.randint(0, c, (n,), generator=g)),
                          f"N={n}, C={c}, logits ~ {scale} N(0, 1)", **F64))
    extreme = torch.tensor([[1e4, -1e4, 0.0], [-1e4, -1e4, -1e4], [0.0, 800.0, 1e4]], dtype=torch.float64)
    cases.append(Case((extreme, torch.tensor([1, 2, 0])), "logits of ±1e4 in float64", **F64))
    return cases


def _ce_expected(logits, y):
    loss, (grad,) = _autograd(lambda z: F.cross_entropy(z, y), (logits,))
    return loss, grad


def _two_layer_cases(g):
    cases = []
    for n, d, h, c, dtype in [(5, 3, 4, 3, torch.float32), (1, 1, 1, 2, torch.float64), (1, 4, 7, 3, torch.float64),
                              (20, 2, 16, 5, torch.float64), (9, 6, 6, 6, torch.float64)]:
        params = [randn(g, *s, dtype=dtype) for s in [(d, h), (h,), (h, c), (c,)]]
        tol = dict(rtol=1e-4, atol=1e-5) if dtype == torch.float32 else F64
        cases.append(Case((randn(g, n, d, dtype=dtype), torch.randint(0, c, (n,), generator=g), *params),
                          f"N={n}, D={d}, H={h}, C={c}, {dtype}", **tol))
    return cases


def _two_layer_expected(x, y, *params):
    def loss(W1, b1, W2, b2):
        return F.cross_entropy(torch.tanh(x @ W1 + b1) @ W2 + b2, y)
    value, grads = _autograd(loss, params)
    return (value, *grads)


FUNCTIONS = {
    "sin_x2": lambda t: (torch.sin(t) * t ** 2).sum(),
    "cubic": lambda t: (t ** 3 + 2 * t ** 2).sum(),
    "square_float": lambda t: float(t ** 2),
}


def _numerical_cases(g):
    return [Case(("sin_x2", randn(g, 3, 4), None, None), "sum(sin(x) x²), x (3, 4)", rtol=1e-6, atol=1e-8),
            Case(("cubic", randn(g, 2, 3, 2), None, 1e-3), "sum(x³ + 2x²) with eps=1e-3", rtol=0, atol=2e-6),
            Case(("tanh_dot", randn(g, 5), randn(g, 5), None), "tanh(x · w)", rtol=1e-6, atol=1e-9),
            Case(("square_float", torch.tensor(3.0, dtype=torch.float64), None, None), "float(x²) at the 0-D x = 3",
                 rtol=1e-6, atol=1e-8)]


def _function(name, w):
    return (lambda t: torch.tanh(t @ w)) if name == "tanh_dot" else FUNCTIONS[name]


def _numerical_run(fns, name, x, w, eps):
    before = x.clone()
    f = _function(name, w)
    got = fns["numerical_gradient"](f, x) if eps is None else fns["numerical_gradient"](f, x, eps)
    return got, bool(torch.equal(x, before))


def _numerical_expected(name, x, w, eps):
    f = _function(name, w)
    if name == "square_float":
        return 2 * x, True
    _, (grad,) = _autograd(f, (x,))
    return grad, True


ENGINE = {"matmul": lambda ops: ops["matmul"], "tanh": lambda ops: ops["tanh"],
          "mlp": lambda ops: lambda x, W1, W2: ops["matmul"](ops["tanh"](ops["matmul"](x, W1)), W2),
          "square": lambda ops: lambda a: ops["tanh"](a) * ops["tanh"](a)}
TORCH_OPS = {"matmul": torch.matmul, "tanh": torch.tanh}


def _engine_cases(g):
    cases = []
    for name, shapes in [("matmul", [(4, 3), (3, 2)]), ("tanh", [(5, 2)]), ("matmul", [(1, 1), (1, 5)]),
                         ("matmul", [(6, 6), (6, 6)]), ("tanh", [(2, 3, 4)]), ("mlp", [(7, 3), (3, 8), (8, 2)]),
                         ("square", [(4,)])]:
        inputs = [randn(g, *s) for s in shapes]
        out_shape = ENGINE[name](TORCH_OPS)(*inputs).shape
        cases.append(Case((name, inputs, randn(g, *out_shape)), f"{name} of shapes {shapes}", **F64))
    return cases


def _engine_run(fns, name, inputs, upstream):
    leaves = [Tensor(x.clone(), requires_grad=True) for x in inputs]
    out = ENGINE[name](fns)(*leaves)
    if not isinstance(out, Tensor):
        raise TypeError(f"expected a lib.autograd Tensor, got {type(out).__name__}")
    out.backward(upstream)
    return out.data, [leaf.grad for leaf in leaves]


def _engine_expected(name, inputs, upstream):
    out, grads = _autograd(ENGINE[name](TORCH_OPS), inputs, upstream)
    return out, list(grads)


def _graph_cases(g):
    """Graphs as op lists: ("leaf",), ("add" | "mul", i, j), ("tanh", i), ("sum", i), on node indices."""
    chain = [("leaf",), ("add", 0, 0)] + [("add", k, 0) for k in range(1, 10_000)]
    cases = [Case(([("leaf",)],), "a single leaf"),
             Case(([("leaf",), ("leaf",), ("mul", 0, 1), ("add", 0, 1), ("mul", 2, 3)],), "a diamond"),
             Case((chain,), "a chain of 10,000 additions")]
    for trial in range(4):
        ops = [("leaf",)] * 4
        for _ in range(60):
            i, j = torch.randint(0, len(ops), (2,), generator=g).tolist()
            ops.append(("mul" if (i + j) % 2 else "add", i, j))
        ops += [("tanh", len(ops) - 1), ("sum", len(ops))]
        cases.append(Case((ops,), f"random graph {trial} of {len(ops)} nodes"))
    return cases


def build_graph(ops):
    """The lib.autograd graph of an op list; returns its root (the last node)."""
    nodes = []
    for op in ops:
        if op[0] == "leaf":
            nodes.append(Tensor(torch.ones(3, dtype=torch.float64), requires_grad=True))
        elif op[0] in ("add", "mul"):
            a, b = nodes[op[1]], nodes[op[2]]
            nodes.append(a + b if op[0] == "add" else a * b)
        else:
            nodes.append(getattr(nodes[op[1]], op[0])())
    return nodes[-1]


def canonical_nodes(root):
    """root's graph, every node once, in a fixed breadth-first order from root (parents in order)."""
    order, seen, k = [root], {id(root)}, 0
    while k < len(order):
        for parent in order[k].parents:
            if id(parent) not in seen:
                seen.add(id(parent))
                order.append(parent)
        k += 1
    return order


def _order_run(fns, ops):
    root = build_graph(ops)
    index = {id(node): k for k, node in enumerate(canonical_nodes(root))}
    got = fns["topological_order"](root)
    if not isinstance(got, list):
        raise TypeError(f"expected a list, got {type(got).__name__}")
    return [index.get(id(node), -1) for node in got]


def _order_check(got, ops):
    nodes = canonical_nodes(build_graph(ops))
    index = {id(node): k for k, node in enumerate(nodes)}
    if sorted(got) != list(range(len(nodes))):
        return f"expected each of the {len(nodes)} nodes the root depends on exactly once, got {len(got)} entries"
    if got[-1] != 0:
        return "the root must come last"
    position = {k: p for p, k in enumerate(got)}
    for node in nodes:
        for parent in node.parents:
            if position[index[id(parent)]] > position[index[id(node)]]:
                return f"a parent ({parent.op or 'leaf'}) comes after its child ({node.op})"
    return None


def _two_layer_run(fns, *args):
    return unpack(fns["two_layer_grads"](*args), 5, "two_layer_grads")


EXERCISES = [
    Exercise("ch02_linear_backward", ("linear_backward",), _linear_cases,
             lambda fns, dout, x, W: unpack(fns["linear_backward"](dout, (x, W)), 3, "linear_backward"),
             _linear_expected),
    Exercise("ch02_softmax_ce", ("softmax_cross_entropy",), _ce_cases,
             lambda fns, logits, y: unpack(fns["softmax_cross_entropy"](logits, y), 2, "softmax_cross_entropy"),
             _ce_expected),
    Exercise("ch02_mlp_backward", ("two_layer_grads",), _two_layer_cases, _two_layer_run, _two_layer_expected),
    Exercise("ch02_numerical_gradient", ("numerical_gradient",), _numerical_cases, _numerical_run,
             _numerical_expected),
    Exercise("ch02_engine_ops", ("matmul", "tanh"), _engine_cases, _engine_run, _engine_expected),
    Exercise("ch02_topological_order", ("topological_order",), _graph_cases, _order_run, check=_order_check),
]
