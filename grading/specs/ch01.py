"""Judge specs for chapter 01 (neurons): the same oracles as the notebook's tests, fresh inputs."""
import torch

from grading.specs.base import Case, Exercise, call, randn

ACTIVATIONS = {"sigmoid": torch.sigmoid, "tanh": torch.tanh, "relu": torch.relu}


def _autograd_derivative(f, x):
    x = x.detach().clone().requires_grad_(True)
    (grad,) = torch.autograd.grad(f(x).sum(), x)
    return grad


def _count_cases(g):
    cases = [Case(([784, 128, 10],), "count_params([784, 128, 10])"), Case(((5, 4, 3),), "a tuple (5, 4, 3)")]
    for _ in range(8):
        sizes = [int(s) for s in torch.randint(1, 300, (int(torch.randint(2, 7, (), generator=g)),), generator=g)]
        cases.append(Case((sizes,), f"count_params({sizes})"))
    return cases


def _torch_count(sizes):
    layers = [torch.nn.Linear(i, o) for i, o in zip(sizes[:-1], sizes[1:])]
    return sum(p.numel() for layer in layers for p in layer.parameters())


def _sigmoid_cases(g):
    cases = [Case((randn(g, 50, dtype=torch.float32, scale=5),), "x ~ 5 N(0, 1), float32"),
             Case((torch.tensor([-1000.0, -88.0, 0.0, 88.0, 1000.0]),), "x = [-1000, -88, 0, 88, 1000]")]
    for shape, dtype in [((3, 4, 5), torch.float32), ((7,), torch.float64), ((2, 1), torch.float64)]:
        cases.append(Case((randn(g, *shape, dtype=dtype, scale=20),), f"x of shape {shape}, {dtype}",
                          rtol=1e-6, atol=1e-9))
    limits = torch.tensor([-745.0, -30.0, 30.0, 745.0], dtype=torch.float64)
    cases.append(Case((limits,), "float64 x near the limits of exp", rtol=1e-9, atol=1e-300))
    return cases


def _grads_cases(g):
    x32 = torch.cat([randn(g, 40, dtype=torch.float32, scale=3), torch.zeros(1)])
    x64 = randn(g, 4, 3, 2, scale=4)
    x64[0, 0, 0] = 0.0
    return [Case((x32,), "x ~ 3 N(0, 1) and 0, float32"),
            Case((x64,), "a float64 (4, 3, 2) x with a 0", rtol=1e-9, atol=1e-12)]


def _grads_expected(x):
    return tuple(_autograd_derivative(f, x) for f in (torch.sigmoid, torch.tanh, torch.relu))


def _neuron_cases(g):
    cases = [Case((randn(g, 8, 3, dtype=torch.float32), randn(g, 3, dtype=torch.float32), 0.5, "sigmoid"),
                  "x (8, 3) float32, b = 0.5, sigmoid")]
    for (n, d), act, b in [((1, 1), "tanh", -2.0), ((64, 10), "relu", 1.5), ((5, 7), "tanh", 0.0)]:
        cases.append(Case((randn(g, n, d), randn(g, d), b, act), f"x ({n}, {d}) float64, b = {b}, {act}"))
    return cases


def _mlp_cases(g):
    cases = []
    for sizes, act, dtype in [([4, 16, 3], "relu", torch.float32), ([3, 2], "tanh", torch.float64),
                              ([5, 8, 8, 8, 2], "tanh", torch.float64), ([6, 32, 1], "relu", torch.float64)]:
        params = [(randn(g, i, o, dtype=dtype, scale=i ** -0.5), randn(g, o, dtype=dtype, scale=0.1))
                  for i, o in zip(sizes[:-1], sizes[1:])]
        tol = dict(rtol=1e-4, atol=1e-5) if dtype == torch.float32 else dict(rtol=1e-9, atol=1e-12)
        cases.append(Case((randn(g, 7, sizes[0], dtype=dtype, scale=2), params, act),
                          f"sizes {sizes}, {act}, {dtype}", **tol))
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


EXERCISES = [
    Exercise("ch01_count_params", ("count_params",), _count_cases, call("count_params"), _torch_count),
    Exercise("ch01_sigmoid", ("sigmoid",), _sigmoid_cases, call("sigmoid"), torch.sigmoid),
    Exercise("ch01_activation_grads", ("sigmoid_grad", "tanh_grad", "relu_grad"), _grads_cases,
             lambda fns, x: tuple(fns[name](x) for name in ("sigmoid_grad", "tanh_grad", "relu_grad")),
             _grads_expected),
    Exercise("ch01_neuron", ("neuron",), _neuron_cases,
             lambda fns, x, w, b, act: fns["neuron"](x, w, b, ACTIVATIONS[act]),
             lambda x, w, b, act: ACTIVATIONS[act](x @ w + b)),
    Exercise("ch01_mlp_forward", ("mlp_forward",), _mlp_cases,
             lambda fns, x, params, act: fns["mlp_forward"](x, params, ACTIVATIONS[act]), _mlp_expected),
    Exercise("ch01_neuron_step", ("neuron_step",), _step_cases, call("neuron_step"), _step_expected),
]
