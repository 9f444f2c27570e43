"""Device selection and seeding: the only place the course picks a device.

Notebooks call `get_device()` once at the top and move their tensors there;
every other function in `lib` works on whatever device its inputs live on.
"""
import os
import random

import numpy as np
import torch

_CHOICES = ("cpu", "cuda", "auto")


def get_device(choice=None):
    """Return the torch.device the course should use.

    choice: "cpu", "cuda" or "auto"; when None, read the LIB_DEVICE environment
    variable (default "auto"). "auto" picks CUDA when it is available, else CPU.
    Asking for "cuda" on a machine without it is an error, not a silent fallback.
    """
    if choice is None:
        choice = os.environ.get("LIB_DEVICE", "auto")
    choice = choice.strip().lower()
    if choice not in _CHOICES:
        raise ValueError(f"LIB_DEVICE/choice must be one of {_CHOICES}, got {choice!r}")
    if choice == "auto":
        choice = "cuda" if torch.cuda.is_available() else "cpu"
    if choice == "cuda" and not torch.cuda.is_available():
        raise RuntimeError("LIB_DEVICE=cuda was requested but torch sees no CUDA device")
    return torch.device(choice)


def available_devices():
    """All devices present on this machine: ["cpu"] plus "cuda" when available."""
    return ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])


def draw_device(generator, default):
    """Where random numbers are drawn: on the generator's own device, or on `default` without one.

    Functions that take a `generator` draw there and move the draw to their inputs' device, so a
    seeded CPU generator gives the same numbers whether the inputs live on the CPU or on CUDA.
    """
    if generator is not None and not isinstance(generator, torch.Generator):
        raise TypeError(f"generator must be a torch.Generator or None, got {type(generator).__name__}")
    return torch.device(default) if generator is None else generator.device


def seed(n):
    """Seed Python's, numpy's and torch's (CPU and CUDA) generators with the integer n."""
    if isinstance(n, bool) or not isinstance(n, int) or n < 0:
        raise ValueError(f"seed: n must be a non-negative int, got {n!r}")
    random.seed(n)
    np.random.seed(n)
    torch.manual_seed(n)


def to_device(obj, device):
    """Move a tensor, or a list/tuple/dict of tensors (nested), to `device`."""
    try:
        device = torch.device(device)
    except (RuntimeError, TypeError) as e:
        raise ValueError(f"device must name a torch device such as 'cpu' or 'cuda', got {device!r}") from e
    if isinstance(obj, torch.Tensor):
        return obj.to(device)
    if isinstance(obj, dict):
        return {k: to_device(v, device) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(to_device(v, device) for v in obj)
    raise TypeError(f"to_device: obj must be a tensor or a list/tuple/dict of them, got {type(obj).__name__}")
