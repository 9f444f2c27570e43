"""Layers as forward/backward pairs on torch tensors, in the style of CS231n's layers.py.

Every *_forward returns (out, cache); every *_backward takes the upstream gradient dout
(same shape as out) and that cache, and returns the gradient for each input. No torch
autograd is used: these are the chain rule written out, checked against torch.autograd
in tests/lib/test_layers.py.
"""
import torch

from lib import activations, validate


def linear_forward(x, W, b):
    """Affine layer out = x @ W + b; matches torch.nn.functional.linear(x, W.T, b).

    x: (N, D) inputs; W: (D, M) weights; b: (M,) biases.
    Returns out: (N, M) and cache (x, W).
    """
    validate.tensor(x, "x", ndim=2)
    validate.tensor(W, "W", ndim=2)
    validate.tensor(b, "b", ndim=1)
    validate.same_device(x=x, W=W, b=b)
    validate.same_dtype(x=x, W=W, b=b)
    if W.shape[0] != x.shape[1] or b.shape[0] != W.shape[1]:
        raise ValueError(f"expected W of shape ({x.shape[1]}, M) and b of shape (M,), "
                         f"got W {tuple(W.shape)} and b {tuple(b.shape)}")
    return x @ W + b, (x, W)


def linear_backward(dout, cache):
    """dout: (N, M) upstream gradient. Returns dx (N, D) = dout W^T, dW (D, M) = x^T dout, db (M,)."""
    x, W = _cache(cache, 2, "linear_forward")
    _upstream(dout, (x.shape[0], W.shape[1]))
    return dout @ W.T, x.T @ dout, dout.sum(dim=0)


def _cache(cache, n, forward):
    """The cache as a tuple of n tensors, or a clear error (it must come from `forward`)."""
    if not (isinstance(cache, tuple) and len(cache) == n and all(isinstance(t, torch.Tensor) for t in cache)):
        raise TypeError(f"cache must be the {n} tensors that {forward} returned, got {type(cache).__name__}")
    return cache


def _upstream(dout, shape):
    """dout, checked to be a floating tensor of the forward output's shape."""
    validate.tensor(dout, "dout")
    if tuple(dout.shape) != tuple(shape):
        raise ValueError(f"dout must have the forward output's shape {tuple(shape)}, got {tuple(dout.shape)}")
    return dout


def relu_forward(x):
    """out = max(x, 0) elementwise. x: (*). Returns out (*) and cache x."""
    return activations.relu(x), x


def relu_backward(dout, cache):
    """dout: (*). Returns dx (*) = dout where x > 0, else 0."""
    validate.tensor(cache, "cache")
    return _upstream(dout, cache.shape) * activations.relu_grad(cache)


def sigmoid_forward(x):
    """out = sigmoid(x) elementwise. x: (*). Returns out (*) and cache out."""
    out = activations.sigmoid(x)
    return out, out


def sigmoid_backward(dout, cache):
    """dout: (*). Returns dx (*) = dout * s (1 - s), with s the forward output."""
    validate.tensor(cache, "cache")
    return _upstream(dout, cache.shape) * cache * (1 - cache)


def tanh_forward(x):
    """out = tanh(x) elementwise. x: (*). Returns out (*) and cache out."""
    out = activations.tanh(x)
    return out, out


def tanh_backward(dout, cache):
    """dout: (*). Returns dx (*) = dout * (1 - t^2), with t the forward output."""
    validate.tensor(cache, "cache")
    return _upstream(dout, cache.shape) * (1 - cache * cache)


ACTIVATION_LAYERS = {
    "sigmoid": (sigmoid_forward, sigmoid_backward),
    "tanh": (tanh_forward, tanh_backward),
    "relu": (relu_forward, relu_backward),
}


def mse_forward(pred, target):
    """Mean squared error; matches torch.nn.functional.mse_loss.

    pred, target: (*) of the same shape. Returns loss (0-D) and cache.
    """
    validate.tensor(pred, "pred")
    validate.tensor(target, "target")
    if pred.shape != target.shape:
        raise ValueError(f"pred and target must have the same shape, got {tuple(pred.shape)} "
                         f"and {tuple(target.shape)}")
    diff = pred - target
    return (diff * diff).mean(), diff


def mse_backward(dout, cache):
    """dout: 0-D upstream gradient. Returns dpred (*) = dout * 2 (pred - target) / numel."""
    validate.tensor(cache, "cache")
    diff = cache
    return _upstream(dout, ()) * 2 * diff / diff.numel()


def log_softmax(z):
    """Numerically stable log-softmax over the last axis; matches torch.log_softmax(z, -1).

    z: (N, C) logits. Returns (N, C) = z - max - log(sum(exp(z - max))).
    """
    validate.tensor(z, "z", ndim=range(1, 9))
    shifted = z - z.max(dim=-1, keepdim=True).values
    return shifted - torch.log(torch.exp(shifted).sum(dim=-1, keepdim=True))


def softmax_cross_entropy_forward(logits, y):
    """Mean cross-entropy of softmax(logits) against class indices; matches F.cross_entropy.

    logits: (N, C) floating; y: (N,) integer labels in [0, C).
    Returns loss (0-D) and cache (probabilities (N, C), y).
    """
    validate.tensor(logits, "logits", ndim=2)
    validate.labels(y, "y", logits.shape[0], logits.shape[1])
    logp = log_softmax(logits)
    loss = -logp[torch.arange(y.shape[0], device=y.device), y].mean()
    return loss, (torch.exp(logp), y)


def softmax_cross_entropy_backward(dout, cache):
    """dout: 0-D upstream gradient. Returns dlogits (N, C) = dout * (p - onehot(y)) / N."""
    p, y = _cache(cache, 2, "softmax_cross_entropy_forward")
    _upstream(dout, ())
    grad = p.clone()
    grad[torch.arange(y.shape[0], device=y.device), y] -= 1
    return dout * grad / y.shape[0]


def softmax_cross_entropy(logits, y):
    """Mean cross-entropy and its gradient; logits: (N, C), y: (N,) int64 -> (loss (), dlogits (N, C)).

    The forward and backward above in one call: F.cross_entropy(logits, y) and its autograd gradient.
    """
    loss, cache = softmax_cross_entropy_forward(logits, y)
    return loss, softmax_cross_entropy_backward(torch.ones_like(loss), cache)
