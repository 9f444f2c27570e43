"""Argument checks shared by lib: clear errors that name the argument."""
import math
import numbers

import torch


def tensor(x, name, ndim=None, floating=True):
    """Return x if it is a torch tensor of the expected rank and kind, else raise.

    x: the value to check; name: the argument's name for the message;
    ndim: required number of dimensions (int, tuple of allowed ints, or None);
    floating: require a floating-point dtype.
    """
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(x).__name__}")
    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, int) else tuple(ndim)
        if x.dim() not in allowed:
            want = " or ".join(f"{d}-D" for d in allowed)
            raise ValueError(f"{name} must be {want}, got shape {tuple(x.shape)}")
    if floating and not x.is_floating_point():
        raise TypeError(f"{name} must have a floating-point dtype, got {x.dtype}")
    return x


def same_device(**tensors):
    """Raise if the named tensors do not all live on one device."""
    _same(tensors, "device", " on ", ValueError)


def same_dtype(**tensors):
    """Raise if the named tensors do not all have one dtype."""
    _same(tensors, "dtype", " ", TypeError)


def _same(tensors, attribute, joiner, error):
    values = {name: getattr(t, attribute) for name, t in tensors.items()}
    if len(set(values.values())) > 1:
        listing = ", ".join(f"{n}{joiner}{v}" for n, v in values.items())
        raise error(f"arguments must have the same {attribute}, got {listing}")


def token_ids(ids, name, ndim, vocab_size=None):
    """Return ids if it is an int64 tensor of rank ndim, with values in [0, vocab_size) when
    vocab_size is given, else raise."""
    tensor(ids, name, ndim=ndim, floating=False)
    if ids.dtype != torch.long:
        raise TypeError(f"{name} must be int64 token ids, got {ids.dtype}")
    if vocab_size is not None and ids.numel() and (int(ids.min()) < 0 or int(ids.max()) >= vocab_size):
        raise ValueError(f"{name} must hold ids in [0, {vocab_size}), got values from {int(ids.min())} "
                         f"to {int(ids.max())}")
    return ids


def positive_int(n, name):
    """Return n if it is an int > 0 (bools rejected), else raise."""
    if isinstance(n, bool) or not isinstance(n, int) or n <= 0:
        raise ValueError(f"{name} must be a positive int, got {n!r}")
    return n


def integers(x, name, ndim=None, what="integers"):
    """Return x if it is a tensor of an integer dtype (not bool) and of rank ndim, else raise."""
    tensor(x, name, ndim=ndim, floating=False)
    if x.is_floating_point() or x.is_complex() or x.dtype == torch.bool:
        raise TypeError(f"{name} must hold {what} (e.g. torch.long), got dtype {x.dtype}")
    return x


def number(value, name, low=-math.inf, high=math.inf):
    """Return value if it is a real number (not bool) in [low, high], else raise."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not low <= value <= high:
        raise ValueError(f"{name} must be a number in [{low}, {high}], got {value!r}")
    return value



def _integer_vector(y, name):
    integers(y, name, ndim=1, what="integer class indices")


def class_indices(y, name):
    """Return y if it is a 1-D integer tensor (not bool) of class indices >= 0, else raise."""
    _integer_vector(y, name)
    if y.numel() and int(y.min()) < 0:
        raise ValueError(f"{name} must hold class indices >= 0, got {int(y.min())}")
    return y


def labels(y, name, n, classes):
    """Return y if it is an (n,) integer tensor of class indices in [0, classes), else raise."""
    _integer_vector(y, name)
    if y.shape[0] != n:
        raise ValueError(f"{name} must have shape ({n},) to match the logits, got {tuple(y.shape)}")
    if y.numel() and (int(y.min()) < 0 or int(y.max()) >= classes):
        raise ValueError(f"{name} must hold class indices in [0, {classes}), "
                         f"got values from {int(y.min())} to {int(y.max())}")
    return y
