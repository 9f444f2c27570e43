"""A multi-layer perceptron as plain tensors: parameter counting, initialisation, forward and
backward pass.

Layer l maps (N, sizes[l]) to (N, sizes[l+1]) as x @ W + b with W: (sizes[l], sizes[l+1])
and b: (sizes[l+1],). Hidden layers apply the activation; the output layer does not
(it returns logits or regression values).
"""
import math

import torch

from lib import activations, layers, validate
from lib.device import draw_device


def _check_sizes(sizes):
    if not isinstance(sizes, (list, tuple)) or len(sizes) < 2:
        raise ValueError(f"sizes must be a list of at least 2 layer widths, got {sizes!r}")
    for i, n in enumerate(sizes):
        validate.positive_int(n, f"sizes[{i}]")
    return sizes


def count_params(sizes):
    """Number of weights and biases in an MLP with layer widths `sizes` (inputs first).

    count = sum over layers of (fan_in * fan_out + fan_out); matches
    sum(p.numel() for p in nn.Sequential(nn.Linear(...), ...).parameters()).
    """
    _check_sizes(sizes)
    return sum(i * o + o for i, o in zip(sizes[:-1], sizes[1:]))


def memory_bytes(n_params, dtype=torch.float32):
    """Bytes needed to store n_params numbers of the given torch dtype (weights only)."""
    validate.positive_int(n_params, "n_params")
    if not isinstance(dtype, torch.dtype):
        raise TypeError(f"dtype must be a torch.dtype such as torch.float16, got {dtype!r}")
    return n_params * torch.empty((), dtype=dtype).element_size()


def init_mlp(sizes, generator=None, device=None, dtype=torch.float32):
    """Random parameters like nn.Linear's default: W, b ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in)).

    Returns a list of (W (fan_in, fan_out), b (fan_out,)) pairs.
    """
    _check_sizes(sizes)
    params = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        bound = 1 / math.sqrt(fan_in)
        at = draw_device(generator, device if device is not None else "cpu")
        W = torch.empty(fan_in, fan_out, device=at, dtype=dtype).uniform_(-bound, bound, generator=generator)
        b = torch.empty(fan_out, device=at, dtype=dtype).uniform_(-bound, bound, generator=generator)
        params.append((W.to(device), b.to(device)))
    return params


def mlp_forward(x, params, activation="relu"):
    """Batched forward pass.

    x: (N, D_0) inputs; params: list of (W (D_l, D_{l+1}), b (D_{l+1},)) pairs;
    activation: name or callable, applied after every layer except the last.
    Returns (N, D_L) outputs of the last layer (no activation).
    """
    _check_params(x, params)
    act = activations.get(activation)
    h = x
    for l, (W, b) in enumerate(params):
        h = h @ W + b
        if l < len(params) - 1:
            h = act(h)
    return h


def _check_params(x, params):
    """Raise a clear error unless params chain from x's width: W_l (D_l, D_l+1), b_l (D_l+1,)."""
    validate.tensor(x, "x", ndim=2)
    if not params:
        raise ValueError("params must hold at least one (W, b) pair")
    width = x.shape[1]
    for l, (W, b) in enumerate(params):
        validate.tensor(W, f"params[{l}][0] (W)", ndim=2)
        validate.tensor(b, f"params[{l}][1] (b)", ndim=1)
        if W.shape[0] != width or b.shape[0] != W.shape[1]:
            raise ValueError(
                f"params[{l}] (layer {l}): expected W of shape ({width}, D) and b of shape (D,), "
                f"got W {tuple(W.shape)} and b {tuple(b.shape)}"
            )
        width = W.shape[1]


def mlp_backward(x, y, params, activation="relu"):
    """Mean softmax cross-entropy of the MLP's logits and its gradients, by backpropagation.

    x: (N, D_0) inputs; y: (N,) integer class labels in [0, D_L); params: list of
    (W (D_l, D_{l+1}), b (D_{l+1},)); activation: "sigmoid", "tanh" or "relu", after every
    layer but the last. Returns loss (0-D) and [(dW_l, db_l), ...] shaped like params;
    equals torch.autograd on the same network (tests/lib/test_mlp.py).
    """
    _check_params(x, params)
    if activation not in layers.ACTIVATION_LAYERS:
        raise ValueError(f"activation must be one of {sorted(layers.ACTIVATION_LAYERS)}, got {activation!r}")
    act_forward, act_backward = layers.ACTIVATION_LAYERS[activation]
    caches, h = [], x
    for l, (W, b) in enumerate(params):
        h, linear_cache = layers.linear_forward(h, W, b)
        act_cache = None
        if l < len(params) - 1:
            h, act_cache = act_forward(h)
        caches.append((linear_cache, act_cache))
    loss, loss_cache = layers.softmax_cross_entropy_forward(h, y)
    dh = layers.softmax_cross_entropy_backward(torch.ones((), dtype=h.dtype, device=h.device), loss_cache)
    grads = []
    for linear_cache, act_cache in reversed(caches):
        if act_cache is not None:
            dh = act_backward(dh, act_cache)
        dh, dW, db = layers.linear_backward(dh, linear_cache)
        grads.append((dW, db))
    return loss, grads[::-1]


class MLP(torch.nn.Module):
    """The same network as an nn.Module, for training with lib.train.fit: Linear layers with the
    activation and, if dropout > 0, inverted dropout (nn.Dropout) after every hidden layer.

    sizes: layer widths, inputs first; generator: draws the initial weights like init_mlp
    (nn.Linear's default distribution), so a seeded generator gives the same network on every
    device. forward: x (N, sizes[0]) -> (N, sizes[-1]) logits.
    """

    def __init__(self, sizes, activation="relu", dropout=0.0, generator=None, dtype=torch.float32):
        super().__init__()
        if not 0 <= dropout < 1:
            raise ValueError(f"dropout must be in [0, 1), got {dropout!r}")
        self.activation = activations.get(activation)
        self.dropout = torch.nn.Dropout(dropout)
        self.linears = torch.nn.ModuleList(torch.nn.Linear(i, o, dtype=dtype) for i, o in zip(sizes[:-1], sizes[1:]))
        with torch.no_grad():
            for linear, (W, b) in zip(self.linears, init_mlp(sizes, generator, dtype=dtype)):
                linear.weight.copy_(W.T)
                linear.bias.copy_(b)

    def forward(self, x):
        for linear in self.linears[:-1]:
            x = self.dropout(self.activation(linear(x)))
        return self.linears[-1](x)
