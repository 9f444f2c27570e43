"""Loss functions on torch tensors, each matching its torch.nn.functional counterpart.

Every loss takes `reduction`: "mean" (the default), "sum", or "none" (one value per element
or, for cross_entropy, per example). All are written to stay finite for extreme inputs:
logits as large as 1e4 give the right loss, never inf or NaN.
"""
import torch

from lib import layers, validate

REDUCTIONS = ("mean", "sum", "none")


def _reduce(values, reduction):
    """values: (*) per-element losses -> 0-D mean or sum, or values unchanged for "none"."""
    if reduction == "mean":
        return values.mean()
    if reduction == "sum":
        return values.sum()
    return values


def _check_pair(pred, target, pred_name, reduction):
    """Raise unless pred and target are floating tensors of one shape on one device."""
    validate.tensor(pred, pred_name)
    validate.tensor(target, "target")
    if pred.shape != target.shape:
        raise ValueError(f"{pred_name} and target must have the same shape, got {tuple(pred.shape)} "
                         f"and {tuple(target.shape)}")
    validate.same_device(**{pred_name: pred, "target": target})
    if reduction not in REDUCTIONS:
        raise ValueError(f"reduction must be one of {REDUCTIONS}, got {reduction!r}")


def mse(pred, target, reduction="mean"):
    """Squared error (pred - target)^2; matches torch.nn.functional.mse_loss.

    pred, target: (*) floating tensors of the same shape. Returns 0-D, or (*) for "none".
    """
    _check_pair(pred, target, "pred", reduction)
    return _reduce((pred - target) ** 2, reduction)


def mae(pred, target, reduction="mean"):
    """Absolute error |pred - target|; matches torch.nn.functional.l1_loss.

    pred, target: (*) floating tensors of the same shape. Returns 0-D, or (*) for "none".
    """
    _check_pair(pred, target, "pred", reduction)
    return _reduce((pred - target).abs(), reduction)


def binary_cross_entropy_with_logits(logits, target, reduction="mean"):
    """-[y log s(z) + (1 - y) log(1 - s(z))] from logits z; matches F.binary_cross_entropy_with_logits.

    logits: (*) floating; target: (*) probabilities in [0, 1], same shape.
    Evaluated as max(z, 0) - z y + log(1 + exp(-|z|)): the exponent is never positive, and
    autograd through it gives the exact gradient sigmoid(z) - y everywhere, z = 0 included.
    Returns 0-D, or (*) for "none".
    """
    _check_pair(logits, target, "logits", reduction)
    if target.numel() and (float(target.min()) < 0 or float(target.max()) > 1):
        raise ValueError(f"target must hold probabilities in [0, 1], got values from "
                         f"{float(target.min())} to {float(target.max())}")
    magnitude = logits.abs()  # (z + |z|) / 2 is max(z, 0) with the derivative 1/2 at z = 0, like softplus
    values = (logits + magnitude) / 2 - logits * target + torch.log1p(torch.exp(-magnitude))
    return _reduce(values, reduction)


def cross_entropy(logits, y, reduction="mean"):
    """-log softmax(logits)[y] per example; matches torch.nn.functional.cross_entropy.

    logits: (N, C) floating; y: (N,) integer class indices in [0, C).
    Uses the max-shifted log-softmax (lib.layers.log_softmax). Returns 0-D, or (N,) for "none".
    """
    validate.tensor(logits, "logits", ndim=2)
    validate.labels(y, "y", logits.shape[0], logits.shape[1])
    validate.same_device(logits=logits, y=y)
    if reduction not in REDUCTIONS:
        raise ValueError(f"reduction must be one of {REDUCTIONS}, got {reduction!r}")
    log_p = layers.log_softmax(logits)
    return _reduce(-log_p[torch.arange(y.shape[0], device=y.device), y], reduction)
