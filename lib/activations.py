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
    return torch.exp(torch.minimum(x, x.new_zeros(()))).div_(torch.exp(-x.abs()).add_(1))


def sigmoid_grad(x):
    """Derivative of sigmoid: s(x) * (1 - s(x)). x: (*) floating. Returns (*)."""
    s = sigmoid(x)
    return s * (1 - s)


def tanh(x):
    """Hyperbolic tangent (e^x - e^-x) / (e^x + e^-x); matches torch.tanh.

    x: (*) floating. Returns (*) values in [-1, 1].
    Written as sign(x) * (1 - e) / (1 + e) with e = exp(-2|x|), so nothing overflows,
    and 1 - e computed by expm1 so that tiny x keep their relative precision.
    """
    validate.tensor(x, "x")
    m = torch.expm1(x.abs().mul_(-2))
    return m.div_(m.neg().sub_(2)).mul_(torch.sign(x))


def tanh_grad(x):
    """Derivative of tanh: 1 - tanh(x)^2. x: (*) floating. Returns (*)."""
    t = tanh(x)
    return t.mul_(t).neg_().add_(1)


def relu(x):
    """Rectified linear unit max(x, 0); matches torch.relu. x: (*) floating. Returns (*)."""
    validate.tensor(x, "x")
    return torch.maximum(x, x.new_zeros(()))


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
