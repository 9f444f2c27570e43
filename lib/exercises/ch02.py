"""Chapter 02 (backpropagation): the definitions of its exercises: oracles are torch.autograd and F.cross_entropy."""

import torch
import torch.nn.functional as F

from lib.exercises import operators as ops
from lib.exercises.base import Case, Exercise, Mistake, randn, unpack
from lib.exercises.ch01 import AUTOGRAD, LIB_ENGINE
from lib.autograd import Tensor, cross_entropy

F64 = dict(rtol=1e-9, atol=1e-12)


def _autograd(f, inputs, upstream=None):
    leaves = [t.clone().requires_grad_(True) for t in inputs]
    out = f(*leaves)
    return out.detach(), torch.autograd.grad(out, leaves, upstream)


def _linear_cases(g):
    cases = [
        Case(
            (
                randn(g, 4, 5, dtype=torch.float32),
                randn(g, 4, 3, dtype=torch.float32),
                randn(g, 3, 5, dtype=torch.float32),
            ),
            "x (4, 3), W (3, 5), float32",
            rtol=1e-5,
            atol=1e-5,
        )
    ]
    for n, d, m in [(1, 1, 1), (1, 6, 2), (7, 2, 9), (16, 16, 16)]:
        cases.append(
            Case(
                (randn(g, n, m), randn(g, n, d), randn(g, d, m)),
                f"x ({n}, {d}), W ({d}, {m})",
                **F64,
            )
        )
    return cases


def _linear_expected(dout, x, W):
    _, (dx, dW, db) = _autograd(
        lambda x, W, b: x @ W + b,
        (x, W, torch.zeros(W.shape[1], dtype=W.dtype, device=W.device)),
        dout,
    )
    return dx, dW, db


def _mse_cases(g):
    cases = [Case((randn(g, 6, 1, dtype=torch.float32), randn(g, 6, 1, dtype=torch.float32), 1.0),
                  "pred, target (6, 1), dout 1, float32")]
    for shape, dout in [((5,), 1.0), ((4, 3), 0.5), ((1, 1), -2.0), ((8, 2, 3), 3.0)]:
        note = f"pred, target {shape}, dout {dout}"
        cases.append(Case((randn(g, *shape), randn(g, *shape), dout), note, **F64))
    return cases


def _mse_run(fns, pred, target, dout):
    loss, cache = unpack(fns["mse_forward"](pred, target), 2, "mse_forward")
    return loss, fns["mse_backward"](torch.tensor(dout, dtype=pred.dtype, device=pred.device), cache)


def _mse_expected(pred, target, dout):
    loss, (dpred,) = _autograd(lambda p: F.mse_loss(p, target), (pred,),
                               torch.tensor(dout, dtype=pred.dtype, device=pred.device))
    return loss, dpred


def _mse(backward):
    return f"""
def mse_forward(pred, target):
    diff = pred - target
    return (diff * diff).mean(), diff

def mse_backward(dout, cache):
    diff = cache
    return {backward}
"""


def _ce_cases(g):
    logits = randn(g, 6, 4, dtype=torch.float32)
    y = torch.randint(0, 4, (6,), generator=g)
    cases = [
        Case((logits, y), "6 examples, 4 classes"),
        Case((logits * 1e4, y), "logits of size 1e4", rtol=1e-4, atol=1e-4),
    ]
    for n, c, scale in [(1, 1, 1.0), (1, 5, 3.0), (50, 10, 1.0), (8, 3, 1e3)]:
        cases.append(
            Case(
                (randn(g, n, c, scale=scale), torch.randint(0, c, (n,), generator=g)),
                f"N={n}, C={c}, logits ~ {scale} N(0, 1)",
                **F64,
            )
        )
    extreme = torch.tensor(
        [[1e4, -1e4, 0.0], [-1e4, -1e4, -1e4], [0.0, 800.0, 1e4]], dtype=torch.float64
    )
    cases.append(Case((extreme, torch.tensor([1, 2, 0])), "logits of ±1e4 in float64", **F64))
    return cases


def _ce_expected(logits, y):
    loss, (grad,) = _autograd(lambda z: F.cross_entropy(z, y), (logits,))
    return loss, grad


def _two_layer_cases(g):
    cases = []
    for n, d, h, c, dtype in [
        (5, 3, 4, 3, torch.float32),
        (1, 1, 1, 2, torch.float64),
        (1, 4, 7, 3, torch.float64),
        (20, 2, 16, 5, torch.float64),
        (9, 6, 6, 6, torch.float64),
    ]:
        params = [randn(g, *s, dtype=dtype) for s in [(d, h), (h,), (h, c), (c,)]]
        tol = dict(rtol=1e-4, atol=1e-5) if dtype == torch.float32 else F64
        cases.append(
            Case(
                (randn(g, n, d, dtype=dtype), torch.randint(0, c, (n,), generator=g), *params),
                f"N={n}, D={d}, H={h}, C={c}, {dtype}",
                **tol,
            )
        )
    return cases


def _two_layer_expected(x, y, *params):
    def loss(W1, b1, W2, b2):
        return F.cross_entropy(torch.tanh(x @ W1 + b1) @ W2 + b2, y)

    value, grads = _autograd(loss, params)
    return (value, *grads)


FUNCTIONS = {
    "sin_x2": lambda t: (torch.sin(t) * t**2).sum(),
    "cubic": lambda t: (t**3 + 2 * t**2).sum(),
    "square_float": lambda t: float(t**2),
}


def _numerical_cases(g):
    return [
        Case(
            ("sin_x2", randn(g, 3, 4), None, None), "sum(sin(x) x²), x (3, 4)", rtol=1e-6, atol=1e-8
        ),
        Case(
            ("cubic", randn(g, 2, 3, 2), None, 1e-3),
            "sum(x³ + 2x²) with eps=1e-3",
            rtol=0,
            atol=2e-6,
        ),
        Case(("tanh_dot", randn(g, 5), randn(g, 5), None), "tanh(x · w)", rtol=1e-6, atol=1e-9),
        Case(
            ("square_float", torch.tensor(3.0, dtype=torch.float64), None, None),
            "float(x²) at the 0-D x = 3",
            rtol=1e-6,
            atol=1e-8,
        ),
    ]


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


ENGINE = {
    "matmul": lambda ops: ops["matmul"],
    "tanh": lambda ops: ops["tanh"],
    "mlp": lambda ops: lambda x, W1, W2: ops["matmul"](ops["tanh"](ops["matmul"](x, W1)), W2),
    "square": lambda ops: lambda a: ops["tanh"](a) * ops["tanh"](a),
}
TORCH_OPS = {"matmul": torch.matmul, "tanh": torch.tanh}


def _engine_cases(g):
    cases = []
    for name, shapes in [
        ("matmul", [(4, 3), (3, 2)]),
        ("tanh", [(5, 2)]),
        ("matmul", [(1, 1), (1, 5)]),
        ("matmul", [(6, 6), (6, 6)]),
        ("tanh", [(2, 3, 4)]),
        ("mlp", [(7, 3), (3, 8), (8, 2)]),
        ("square", [(4,)]),
    ]:
        inputs = [randn(g, *s) for s in shapes]
        out_shape = ENGINE[name](TORCH_OPS)(*inputs).shape
        cases.append(
            Case((name, inputs, randn(g, *out_shape)), f"{name} of shapes {shapes}", **F64)
        )
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
    """Graphs as op lists on node indices (see build_graph)."""
    chain = [("leaf",), ("add", 0, 0)] + [("add", k, 0) for k in range(1, 10_000)]
    diamond = [("leaf",), ("const",), ("const",), ("mul", 0, 1), ("add", 0, 2), ("mul", 3, 4)]
    cross_entropy_graph = [
        ("leaf", (4, 3)),
        ("leaf", (3, 2)),
        ("matmul", 0, 1),
        ("relu", 2),
        ("const", (2, 3)),
        ("matmul", 3, 4),
        ("cross_entropy", 5, [0, 1, 2, 1]),
    ]
    cases = [
        Case(([("leaf",)],), "a single leaf"),
        Case((diamond,), "the diamond a -> (a * 3, a + 1) -> product, with constant leaves"),
        Case((chain,), "a chain of 10,000 additions"),
        Case((cross_entropy_graph,), "cross_entropy(relu(x @ W) @ C, y)"),
    ]
    for trial in range(5):
        ops = [("leaf",)] * 4
        for _ in range(60):
            i, j = torch.randint(0, len(ops), (2,), generator=g).tolist()
            ops.append(("mul" if (i + j) % 2 else "add", i, j))
        ops += [("tanh", len(ops) - 1), ("sum", len(ops))]
        cases.append(Case((ops,), f"random graph {trial} of {len(ops)} nodes"))
    return cases


def build_graph(ops):
    """The lib.autograd graph of an op list; returns its root (the last node).

    ops: ("leaf" | "const", shape=(3,)) a tensor of ones that needs a gradient or not;
    ("add" | "mul" | "matmul", i, j); ("tanh" | "relu" | "sum", i); ("cross_entropy", i, labels),
    where i, j index earlier nodes.
    """
    nodes = []
    for op in ops:
        kind = op[0]
        if kind in ("leaf", "const"):
            shape = tuple(op[1]) if len(op) > 1 else (3,)
            nodes.append(
                Tensor(torch.ones(shape, dtype=torch.float64), requires_grad=kind == "leaf")
            )
        elif kind in ("add", "mul", "matmul"):
            a, b = nodes[op[1]], nodes[op[2]]
            nodes.append(a + b if kind == "add" else a * b if kind == "mul" else a @ b)
        elif kind == "cross_entropy":
            nodes.append(cross_entropy(nodes[op[1]], torch.tensor(op[2])))
        else:
            nodes.append(getattr(nodes[op[1]], kind)())
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


_OP_SIGNATURES = {
    "matmul": ("a, b", "A, B = a.data, b.data"),
    "tanh": ("a", "t = torch.tanh(a.data)"),
}

_OP_RETURNS = {
    "matmul": "return Tensor(A @ B, parents=(a, b), grad_fn=lambda g: (g @ B.T, A.T @ g), op='@')",
    "tanh": "return Tensor(t, parents=(a,), grad_fn=lambda g: (g * (1 - t * t),), op='tanh')",
}


def _ops(**wrong):
    """The two engine ops of exercise 5.1, correct except for the return lines given in `wrong`."""
    return "\n".join(
        f"def {name}({args}):\n    {setup}\n    {wrong.get(name, _OP_RETURNS[name])}\n"
        for name, (args, setup) in _OP_SIGNATURES.items()
    )


LINEAR_BACKWARD = Exercise(
    "ch02_linear_backward",
    ("linear_backward",),
    _linear_cases,
    lambda fns, dout, x, W: unpack(fns["linear_backward"](dout, (x, W)), 3, "linear_backward"),
    _linear_expected,
    forbidden_ops=ops.AUTOGRAD,
    forbidden=AUTOGRAD + LIB_ENGINE + ("lib.layers.linear_backward",),
    mistakes=(
        Mistake(
            "dW transposed: dout^T x",
            """
def linear_backward(dout, cache):
    x, W = cache
    return dout @ W.T, dout.T @ x, dout.sum(dim=0)
""",
        ),
        Mistake(
            "db averaged over the batch instead of summed",
            """
def linear_backward(dout, cache):
    x, W = cache
    return dout @ W.T, x.T @ dout, dout.mean(dim=0)
""",
        ),
        Mistake(
            "dx without the transpose of W",
            """
def linear_backward(dout, cache):
    x, W = cache
    return dout @ W, x.T @ dout, dout.sum(dim=0)
""",
        ),
        Mistake(
            "gradients from torch.autograd",
            """
def linear_backward(dout, cache):
    x, W = cache
    x, W = x.clone().requires_grad_(True), W.clone().requires_grad_(True)
    b = torch.zeros(W.shape[1], dtype=W.dtype, device=W.device, requires_grad=True)
    return torch.autograd.grad(x @ W + b, (x, W, b), dout)
""",
        ),
    ),
)

MSE = Exercise(
    "ch02_mse",
    ("mse_forward", "mse_backward"),
    _mse_cases,
    _mse_run,
    _mse_expected,
    forbidden_ops=ops.AUTOGRAD + ops.MSE,
    forbidden=AUTOGRAD + LIB_ENGINE + ("torch.nn.functional.mse_loss", "lib.layers.mse_forward",
                                       "lib.layers.mse_backward", "lib.losses.mse"),
    mistakes=(
        Mistake("no factor 2 from the square's derivative", _mse("dout * diff / diff.numel()")),
        Mistake("the sign flipped (target - pred)", _mse("-dout * 2 * diff / diff.numel()")),
        Mistake("not divided by the number of entries: the gradient of the sum, not the mean",
                _mse("dout * 2 * diff")),
        Mistake("divided by the batch size N only, not by every entry", _mse("dout * 2 * diff / diff.shape[0]")),
        Mistake("the upstream gradient dout ignored", _mse("2 * diff / diff.numel()")),
    ),
)

SOFTMAX_CE = Exercise(
    "ch02_softmax_ce",
    ("softmax_cross_entropy",),
    _ce_cases,
    lambda fns, logits, y: unpack(
        fns["softmax_cross_entropy"](logits, y), 2, "softmax_cross_entropy"
    ),
    _ce_expected,
    forbidden_ops=ops.AUTOGRAD + ops.CROSS_ENTROPY,
    forbidden=AUTOGRAD
    + (
        "torch.softmax",
        "torch.log_softmax",
        "torch.logsumexp",
        "torch.Tensor.softmax",
        "torch.Tensor.log_softmax",
        "torch.Tensor.logsumexp",
        "torch.special.logsumexp",
        "torch.nn.functional.softmax",
        "torch.nn.functional.log_softmax",
        "torch.nn.functional.cross_entropy",
        "torch.nn.functional.nll_loss",
        "lib.layers.log_softmax",
        "lib.layers.softmax_cross_entropy_forward",
        "lib.layers.softmax_cross_entropy_backward",
        "lib.layers.softmax_cross_entropy",
        "lib.autograd.cross_entropy",
    ) + LIB_ENGINE,
    mistakes=(
        Mistake(
            "no max shift: inf / inf = nan for large logits",
            """
def softmax_cross_entropy(logits, y):
    p = torch.exp(logits) / torch.exp(logits).sum(dim=1, keepdim=True)
    rows = torch.arange(logits.shape[0], device=logits.device)
    dlogits = p.clone()
    dlogits[rows, y] -= 1
    return -torch.log(p[rows, y]).mean(), dlogits / logits.shape[0]
""",
        ),
        Mistake(
            "gradient not divided by N",
            """
def softmax_cross_entropy(logits, y):
    shifted = logits - logits.max(dim=1, keepdim=True).values
    log_p = shifted - torch.log(torch.exp(shifted).sum(dim=1, keepdim=True))
    rows = torch.arange(logits.shape[0], device=logits.device)
    dlogits = torch.exp(log_p)
    dlogits[rows, y] -= 1
    return -log_p[rows, y].mean(), dlogits
""",
        ),
        Mistake(
            "the label index subtracted from every entry instead of a one-hot",
            """
def softmax_cross_entropy(logits, y):
    shifted = logits - logits.max(dim=1, keepdim=True).values
    log_p = shifted - torch.log(torch.exp(shifted).sum(dim=1, keepdim=True))
    rows = torch.arange(logits.shape[0], device=logits.device)
    return -log_p[rows, y].mean(), (torch.exp(log_p) - y[:, None]) / logits.shape[0]
""",
        ),
        Mistake(
            "softmax from torch.softmax",
            """
def softmax_cross_entropy(logits, y):
    p = torch.softmax(logits, dim=1)
    rows = torch.arange(logits.shape[0], device=logits.device)
    dlogits = p.clone()
    dlogits[rows, y] -= 1
    return -torch.log(p[rows, y]).mean(), dlogits / logits.shape[0]
""",
        ),
    ),
)

MLP_BACKWARD = Exercise(
    "ch02_mlp_backward",
    ("two_layer_grads",),
    _two_layer_cases,
    _two_layer_run,
    _two_layer_expected,
    forbidden_ops=ops.AUTOGRAD,
    forbidden=AUTOGRAD + ("lib.mlp.mlp_backward", "lib.autograd.Tensor.backward"),
    context={
        "linear_backward": "lib.layers.linear_backward",
        "softmax_cross_entropy": "lib.layers.softmax_cross_entropy",
    },
    mistakes=(
        Mistake(
            "tanh' taken at the pre-activation: 1 - z1^2",
            """
def two_layer_grads(x, y, W1, b1, W2, b2):
    z1 = x @ W1 + b1
    h = torch.tanh(z1)
    loss, dz2 = softmax_cross_entropy(h @ W2 + b2, y)
    dh, dW2, db2 = linear_backward(dz2, (h, W2))
    _, dW1, db1 = linear_backward(dh * (1 - z1 * z1), (x, W1))
    return loss, dW1, db1, dW2, db2
""",
        ),
        Mistake(
            "tanh' factor left out",
            """
def two_layer_grads(x, y, W1, b1, W2, b2):
    h = torch.tanh(x @ W1 + b1)
    loss, dz2 = softmax_cross_entropy(h @ W2 + b2, y)
    dh, dW2, db2 = linear_backward(dz2, (h, W2))
    _, dW1, db1 = linear_backward(dh, (x, W1))
    return loss, dW1, db1, dW2, db2
""",
        ),
        Mistake(
            "sign flipped: y - p",
            """
def two_layer_grads(x, y, W1, b1, W2, b2):
    h = torch.tanh(x @ W1 + b1)
    loss, dz2 = softmax_cross_entropy(h @ W2 + b2, y)
    dh, dW2, db2 = linear_backward(-dz2, (h, W2))
    _, dW1, db1 = linear_backward(dh * (1 - h * h), (x, W1))
    return loss, dW1, db1, dW2, db2
""",
        ),
        Mistake(
            "divided by N twice",
            """
def two_layer_grads(x, y, W1, b1, W2, b2):
    h = torch.tanh(x @ W1 + b1)
    loss, dz2 = softmax_cross_entropy(h @ W2 + b2, y)
    dh, dW2, db2 = linear_backward(dz2 / x.shape[0], (h, W2))
    _, dW1, db1 = linear_backward(dh * (1 - h * h), (x, W1))
    return loss, dW1, db1, dW2, db2
""",
        ),
        Mistake(
            "gradients from backward()",
            """
def two_layer_grads(x, y, W1, b1, W2, b2):
    params = [p.clone().requires_grad_(True) for p in (W1, b1, W2, b2)]
    loss = torch.nn.functional.cross_entropy(torch.tanh(x @ params[0] + params[1]) @ params[2] + params[3], y)
    loss.backward()
    return (loss.detach(), *[p.grad for p in params])
""",
        ),
    ),
)

NUMERICAL_GRADIENT = Exercise(
    "ch02_numerical_gradient",
    ("numerical_gradient",),
    _numerical_cases,
    _numerical_run,
    _numerical_expected,
    forbidden_ops=ops.AUTOGRAD,
    forbidden=AUTOGRAD
    + (
        "torch.autograd.gradcheck",
        "torch.func.jacrev",
        "torch.func.jacfwd",
        "lib.autograd.numerical_gradient",
        "lib.autograd.gradcheck",
    ),
    mistakes=(
        Mistake(
            "forward difference (f(x + eps) - f(x)) / eps",
            """
def numerical_gradient(f, x, eps=1e-6):
    grad = torch.zeros(x.shape, dtype=x.dtype, device=x.device)
    for i in range(x.numel()):
        step = torch.zeros(x.shape, dtype=x.dtype, device=x.device)
        step.view(-1)[i] = eps
        grad.view(-1)[i] = (float(f(x + step)) - float(f(x))) / eps
    return grad
""",
        ),
        Mistake(
            "divides by eps instead of 2 eps",
            """
def numerical_gradient(f, x, eps=1e-6):
    grad = torch.zeros(x.shape, dtype=x.dtype, device=x.device)
    for i in range(x.numel()):
        step = torch.zeros(x.shape, dtype=x.dtype, device=x.device)
        step.view(-1)[i] = eps
        grad.view(-1)[i] = (float(f(x + step)) - float(f(x - step))) / eps
    return grad
""",
        ),
        Mistake(
            "x changed in place: not put back, or put back by arithmetic (x + eps - eps is not always x)",
            """
def numerical_gradient(f, x, eps=1e-6):
    grad = torch.zeros(x.shape, dtype=x.dtype, device=x.device)
    flat = x.view(-1)
    for i in range(x.numel()):
        flat[i] += eps
        plus = float(f(x))
        flat[i] -= 2 * eps
        grad.view(-1)[i] = (plus - float(f(x))) / (2 * eps)
    return grad
""",
        ),
        Mistake(
            "returns a flat tensor",
            """
def numerical_gradient(f, x, eps=1e-6):
    grad = torch.zeros(x.numel(), dtype=x.dtype, device=x.device)
    for i in range(x.numel()):
        step = torch.zeros(x.shape, dtype=x.dtype, device=x.device)
        step.view(-1)[i] = eps
        grad[i] = (float(f(x + step)) - float(f(x - step))) / (2 * eps)
    return grad
""",
        ),
    ),
)

ENGINE_OPS = Exercise(
    "ch02_engine_ops",
    ("matmul", "tanh"),
    _engine_cases,
    _engine_run,
    _engine_expected,
    forbidden_ops=ops.AUTOGRAD,
    forbidden=AUTOGRAD + ("lib.autograd.Tensor.__matmul__", "lib.autograd.Tensor.tanh", "lib.layers.linear_backward",
                          "lib.layers.tanh_backward"),
    context={"Tensor": "lib.autograd.Tensor"},
    mistakes=(
        Mistake(
            "matmul's gradients in the wrong order: A^T g for a",
            _ops(
                matmul="return Tensor(A @ B, parents=(a, b), grad_fn=lambda g: (A.T @ g, g @ B.T), op='@')"
            ),
        ),
        Mistake(
            "tanh' written with the input: 1 - a^2",
            _ops(
                tanh="return Tensor(t, parents=(a,), grad_fn=lambda g: (g * (1 - a.data ** 2),), op='tanh')"
            ),
        ),
        Mistake(
            "tanh's closure returns a bare tensor, not a tuple",
            _ops(
                tanh="return Tensor(t, parents=(a,), grad_fn=lambda g: g * (1 - t * t), op='tanh')"
            ),
        ),
        Mistake(
            "the engine's own @ and .tanh()", _ops(matmul="return a @ b", tanh="return a.tanh()")
        ),
        Mistake(
            "matmul forgets its parents",
            _ops(matmul="return Tensor(A @ B, grad_fn=lambda g: (g @ B.T, A.T @ g), op='@')"),
        ),
    ),
)

TOPOLOGICAL_ORDER = Exercise(
    "ch02_topological_order",
    ("topological_order",),
    _graph_cases,
    _order_run,
    check=_order_check,
    forbidden=("lib.autograd.Tensor.topological_order", "graphlib.TopologicalSorter.static_order"),
    mistakes=(
        Mistake(
            "recursive depth-first search: RecursionError on a 10,000-node chain",
            """
def topological_order(root):
    order, seen = [], set()
    def visit(node):
        if id(node) not in seen:
            seen.add(id(node))
            for p in node.parents:
                visit(p)
            order.append(node)
    visit(root)
    return order
""",
        ),
        Mistake(
            "no visited set: shared nodes repeated",
            """
def topological_order(root):
    order, stack = [], [(root, False)]
    while stack:
        node, done = stack.pop()
        if done:
            order.append(node)
        else:
            stack.append((node, True))
            stack.extend((p, False) for p in node.parents)
    return order
""",
        ),
        Mistake(
            "root first: the order reversed",
            """
def topological_order(root):
    order, seen, stack = [], set(), [(root, False)]
    while stack:
        node, done = stack.pop()
        if done:
            order.append(node)
        elif id(node) not in seen:
            seen.add(id(node))
            stack.append((node, True))
            stack.extend((p, False) for p in node.parents if id(p) not in seen)
    return order[::-1]
""",
        ),
        Mistake(
            "breadth-first order from the root, reversed",
            """
def topological_order(root):
    order, seen, i = [root], {id(root)}, 0
    while i < len(order):
        for p in order[i].parents:
            if id(p) not in seen:
                seen.add(id(p))
                order.append(p)
        i += 1
    return order[::-1]
""",
        ),
    ),
)

EXERCISES = [
    LINEAR_BACKWARD,
    MSE,
    SOFTMAX_CE,
    MLP_BACKWARD,
    NUMERICAL_GRADIENT,
    ENGINE_OPS,
    TOPOLOGICAL_ORDER,
]
