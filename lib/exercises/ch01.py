"""Chapter 01 (neurons): the definitions of its exercises; oracles are torch.nn, torch.autograd and torch."""

import torch

from lib.exercises import operators as ops
from lib.exercises.base import Case, Exercise, Mistake, call, randn

ACTIVATIONS = {"sigmoid": torch.sigmoid, "tanh": torch.tanh, "relu": torch.relu}


def _autograd_derivative(f, x):
    x = x.detach().clone().requires_grad_(True)
    (grad,) = torch.autograd.grad(f(x).sum(), x)
    return grad


def _count_cases(g):
    cases = [
        Case(([784, 128, 10],), "count_params([784, 128, 10])"),
        Case(((5, 4, 3),), "a tuple (5, 4, 3)"),
    ]
    for _ in range(8):
        sizes = [
            int(s)
            for s in torch.randint(
                1, 300, (int(torch.randint(2, 7, (), generator=g)),), generator=g
            )
        ]
        cases.append(Case((sizes,), f"count_params({sizes})"))
    return cases


def _torch_count(sizes):
    layers = [torch.nn.Linear(i, o) for i, o in zip(sizes[:-1], sizes[1:])]
    return sum(p.numel() for layer in layers for p in layer.parameters())


def _sigmoid_cases(g):
    cases = [
        Case((randn(g, 50, dtype=torch.float32, scale=5),), "x ~ 5 N(0, 1), float32"),
        Case((torch.tensor([-1000.0, -88.0, 0.0, 88.0, 1000.0]),), "x = [-1000, -88, 0, 88, 1000]"),
    ]
    for shape, dtype in [
        ((3, 4, 5), torch.float32),
        ((7,), torch.float64),
        ((2, 1), torch.float64),
    ]:
        cases.append(
            Case(
                (randn(g, *shape, dtype=dtype, scale=20),),
                f"x of shape {shape}, {dtype}",
                rtol=1e-6,
                atol=1e-9,
            )
        )
    limits = torch.tensor([-745.0, -30.0, 30.0, 745.0], dtype=torch.float64)
    cases.append(Case((limits,), "float64 x near the limits of exp", rtol=1e-9, atol=1e-300))
    return cases


def _grads_cases(g):
    x32 = torch.cat([randn(g, 40, dtype=torch.float32, scale=3), torch.zeros(1)])
    x64 = randn(g, 4, 3, 2, scale=4)
    x64[0, 0, 0] = 0.0
    return [
        Case((x32,), "x ~ 3 N(0, 1) and 0, float32"),
        Case((x64,), "a float64 (4, 3, 2) x with a 0", rtol=1e-9, atol=1e-12),
    ]


def _grads_expected(x):
    return tuple(_autograd_derivative(f, x) for f in (torch.sigmoid, torch.tanh, torch.relu))


def _neuron_cases(g):
    cases = [
        Case(
            (randn(g, 8, 3, dtype=torch.float32), randn(g, 3, dtype=torch.float32), 0.5, "sigmoid"),
            "x (8, 3) float32, b = 0.5, sigmoid",
        )
    ]
    for (n, d), act, b in [((1, 1), "tanh", -2.0), ((64, 10), "relu", 1.5), ((5, 7), "tanh", 0.0)]:
        cases.append(
            Case((randn(g, n, d), randn(g, d), b, act), f"x ({n}, {d}) float64, b = {b}, {act}")
        )
    return cases


def _mlp_cases(g):
    cases = []
    for sizes, act, dtype in [
        ([4, 16, 3], "relu", torch.float32),
        ([3, 2], "tanh", torch.float64),
        ([5, 8, 8, 8, 2], "tanh", torch.float64),
        ([6, 32, 1], "relu", torch.float64),
    ]:
        params = [
            (randn(g, i, o, dtype=dtype, scale=i**-0.5), randn(g, o, dtype=dtype, scale=0.1))
            for i, o in zip(sizes[:-1], sizes[1:])
        ]
        tol = dict(rtol=1e-4, atol=1e-5) if dtype == torch.float32 else dict(rtol=1e-9, atol=1e-12)
        cases.append(
            Case(
                (randn(g, 7, sizes[0], dtype=dtype, scale=2), params, act),
                f"sizes {sizes}, {act}, {dtype}",
                **tol,
            )
        )
    return cases


def _mlp_expected(x, params, act):
    h = x
    for i, (W, b) in enumerate(params):
        h = torch.nn.functional.linear(h, W.T, b)
        if i < len(params) - 1:
            h = ACTIVATIONS[act](h)
    return h


def _step_cases(g):
    cases = []
    for n, d, lr in [(20, 2, 0.5), (1, 1, 0.1), (33, 5, 2.0), (100, 3, 0.01)]:
        x, w, b = randn(g, n, d), randn(g, d), randn(g)
        y = (torch.rand(n, generator=g) < 0.5).to(torch.float64)
        cases.append(Case((x, y, w, b, lr), f"N={n}, D={d}, lr={lr}", rtol=1e-9, atol=1e-12))
    return cases


def _step_expected(x, y, w, b, lr):
    w, b = w.clone().requires_grad_(True), b.clone().requires_grad_(True)
    loss = torch.nn.functional.mse_loss(torch.sigmoid(x @ w + b), y)
    gw, gb = torch.autograd.grad(loss, (w, b))
    return (w - lr * gw).detach(), (b - lr * gb).detach(), loss.detach()


AUTOGRAD = (
    "torch.autograd.grad",
    "torch.autograd.backward",
    "torch.Tensor.backward",
    "torch.func.grad",
    "torch.func.vjp",
)
# the course's own engine (chapter 02) computes the same gradients
LIB_ENGINE = ("lib.autograd.Tensor.backward",)

_CORRECT_GRADS = {
    "sigmoid_grad": "return sigmoid(x) * (1 - sigmoid(x))",
    "tanh_grad": "return 1 - torch.tanh(x) ** 2",
    "relu_grad": "return (x > 0).to(x.dtype)",
}


def _grads(**wrong):
    """The three derivative functions, correct except for the bodies given in `wrong`."""
    return "\n".join(
        f"def {name}(x):\n    {wrong.get(name, body)}\n" for name, body in _CORRECT_GRADS.items()
    )


COUNT_PARAMS = Exercise(
    "ch01_count_params",
    ("count_params",),
    _count_cases,
    call("count_params"),
    _torch_count,
    forbidden=("lib.mlp.count_params",),
    mistakes=(
        Mistake(
            "weights only, biases forgotten",
            """
def count_params(sizes):
    return sum(a * b for a, b in zip(sizes[:-1], sizes[1:]))
""",
        ),
        Mistake(
            "a bias for every unit, inputs included",
            """
def count_params(sizes):
    return sum(a * b for a, b in zip(sizes[:-1], sizes[1:])) + sum(sizes)
""",
        ),
        Mistake(
            "returns a float",
            """
def count_params(sizes):
    return float(sum(a * b + b for a, b in zip(sizes[:-1], sizes[1:])))
""",
        ),
    ),
)

SIGMOID = Exercise(
    "ch01_sigmoid",
    ("sigmoid",),
    _sigmoid_cases,
    call("sigmoid"),
    torch.sigmoid,
    forbidden_ops=ops.SIGMOID,
    forbidden=(
        "torch.sigmoid",
        "torch.Tensor.sigmoid",
        "torch.special.expit",
        "torch.nn.functional.sigmoid",
        "lib.activations.sigmoid",
    ),
    mistakes=(
        Mistake(
            "sign flipped in the exponent",
            """
def sigmoid(x):
    return 1 / (1 + torch.exp(x))
""",
        ),
        Mistake(
            "textbook e^x / (1 + e^x): inf / inf = nan for large x",
            """
def sigmoid(x):
    return torch.exp(x) / (1 + torch.exp(x))
""",
        ),
        Mistake(
            "calls torch.sigmoid",
            """
def sigmoid(x):
    return torch.sigmoid(x)
""",
        ),
        Mistake(
            "goes through numpy and returns an ndarray",
            """
def sigmoid(x):
    return 1 / (1 + np.exp(-x.cpu().numpy()))
""",
        ),
    ),
)

ACTIVATION_GRADS = Exercise(
    "ch01_activation_grads",
    ("sigmoid_grad", "tanh_grad", "relu_grad"),
    _grads_cases,
    lambda fns, x: tuple(fns[name](x) for name in ("sigmoid_grad", "tanh_grad", "relu_grad")),
    _grads_expected,
    forbidden_ops=ops.AUTOGRAD + ops.ACTIVATION_GRADIENTS,
    forbidden=AUTOGRAD
    + (
        "lib.activations.sigmoid_grad",
        "lib.activations.tanh_grad",
        "lib.activations.relu_grad",
        "lib.layers.sigmoid_backward",
        "lib.layers.tanh_backward",
        "lib.layers.relu_backward",
    ) + LIB_ENGINE,
    context={"sigmoid": "lib.activations.sigmoid"},
    mistakes=(
        Mistake("sigmoid'(x) written as sigmoid(x)", _grads(sigmoid_grad="return sigmoid(x)")),
        Mistake(
            "tanh'(x) = 1 - tanh(x), square missing", _grads(tanh_grad="return 1 - torch.tanh(x)")
        ),
        Mistake("relu'(0) = 1", _grads(relu_grad="return (x >= 0).to(x.dtype)")),
        Mistake("relu' returned as a bool tensor", _grads(relu_grad="return x > 0")),
        Mistake(
            "derivatives taken with autograd",
            _grads(
                sigmoid_grad="return _autograd(sigmoid, x)",
                tanh_grad="return _autograd(torch.tanh, x)",
                relu_grad="return _autograd(torch.relu, x)",
            )
            + """
def _autograd(f, x):
    x = x.detach().clone().requires_grad_(True)
    return torch.autograd.grad(f(x).sum(), x)[0]
""",
        ),
    ),
)

NEURON = Exercise(
    "ch01_neuron",
    ("neuron",),
    _neuron_cases,
    lambda fns, x, w, b, act: fns["neuron"](x, w, b, ACTIVATIONS[act]),
    lambda x, w, b, act: ACTIVATIONS[act](x @ w + b),
    forbidden=("torch.nn.functional.linear", "lib.neuron.neuron_forward", "lib.layers.linear_forward"),
    mistakes=(
        Mistake(
            "bias added after the activation",
            """
def neuron(x, w, b, activation):
    return activation(x @ w) + b
""",
        ),
        Mistake(
            "bias forgotten",
            """
def neuron(x, w, b, activation):
    return activation(x @ w)
""",
        ),
        Mistake(
            "activation forgotten",
            """
def neuron(x, w, b, activation):
    return x @ w + b
""",
        ),
    ),
)

MLP_FORWARD = Exercise(
    "ch01_mlp_forward",
    ("mlp_forward",),
    _mlp_cases,
    lambda fns, x, params, act: fns["mlp_forward"](x, params, ACTIVATIONS[act]),
    _mlp_expected,
    forbidden=("torch.nn.functional.linear", "lib.mlp.mlp_forward", "lib.layers.linear_forward"),
    mistakes=(
        Mistake(
            "activation after the output layer too",
            """
def mlp_forward(x, params, activation):
    h = x
    for W, b in params:
        h = activation(h @ W + b)
    return h
""",
        ),
        Mistake(
            "no activation at all (a linear model)",
            """
def mlp_forward(x, params, activation):
    h = x
    for W, b in params:
        h = h @ W + b
    return h
""",
        ),
        Mistake(
            "only the first layer used",
            """
def mlp_forward(x, params, activation):
    W, b = params[0]
    return x @ W + b
""",
        ),
    ),
)

NEURON_STEP = Exercise(
    "ch01_neuron_step",
    ("neuron_step",),
    _step_cases,
    call("neuron_step"),
    _step_expected,
    forbidden_ops=ops.AUTOGRAD + ops.MSE,
    forbidden=AUTOGRAD
    + (
        "lib.neuron.neuron_mse_grads",
        "lib.neuron.neuron_step",
        "lib.layers.mse_backward",
        "lib.layers.linear_backward",
        "lib.layers.sigmoid_backward",
    ) + LIB_ENGINE,
    context={"sigmoid": "lib.activations.sigmoid"},
    mistakes=(
        Mistake(
            "sigmoid'(z) factor forgotten",
            """
def neuron_step(x, y, w, b, lr):
    p = sigmoid(x @ w + b)
    loss = ((p - y) ** 2).mean()
    dz = 2 * (p - y) / x.shape[0]
    return w - lr * (x.T @ dz), b - lr * dz.sum(), loss
""",
        ),
        Mistake(
            "steps uphill (+ instead of -)",
            """
def neuron_step(x, y, w, b, lr):
    p = sigmoid(x @ w + b)
    loss = ((p - y) ** 2).mean()
    dz = 2 * (p - y) / x.shape[0] * p * (1 - p)
    return w + lr * (x.T @ dz), b + lr * dz.sum(), loss
""",
        ),
        Mistake(
            "sum instead of mean: gradient N times too large",
            """
def neuron_step(x, y, w, b, lr):
    p = sigmoid(x @ w + b)
    loss = ((p - y) ** 2).mean()
    dz = 2 * (p - y) * p * (1 - p)
    return w - lr * (x.T @ dz), b - lr * dz.sum(), loss
""",
        ),
        Mistake(
            "reports the loss after the step",
            """
def neuron_step(x, y, w, b, lr):
    p = sigmoid(x @ w + b)
    dz = 2 * (p - y) / x.shape[0] * p * (1 - p)
    w, b = w - lr * (x.T @ dz), b - lr * dz.sum()
    return w, b, ((sigmoid(x @ w + b) - y) ** 2).mean()
""",
        ),
        Mistake(
            "gradients from backward()",
            """
def neuron_step(x, y, w, b, lr):
    w, b = w.clone().requires_grad_(True), b.clone().requires_grad_(True)
    loss = ((sigmoid(x @ w + b) - y) ** 2).mean()
    loss.backward()
    return (w - lr * w.grad).detach(), (b - lr * b.grad).detach(), loss.detach()
""",
        ),
    ),
)

EXERCISES = [COUNT_PARAMS, SIGMOID, ACTIVATION_GRADS, NEURON, MLP_FORWARD, NEURON_STEP]
