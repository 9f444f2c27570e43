"""Offline datasets: everything is generated here or loaded from installed packages."""
import math

import torch

from lib import validate

LOGIC_GATE_INPUTS = ((0.0, 0.0), (0.0, 1.0), (1.0, 0.0), (1.0, 1.0))
LOGIC_GATES = {"AND": (0.0, 0.0, 0.0, 1.0), "OR": (0.0, 1.0, 1.0, 1.0), "XOR": (0.0, 1.0, 1.0, 0.0)}


def logic_gate(name, dtype=torch.float32, device=None):
    """Truth table of a two-input gate ("AND", "OR" or "XOR").

    Returns x: (4, 2) inputs in {0, 1} and y: (4,) outputs in {0, 1}.
    """
    if name not in LOGIC_GATES:
        raise ValueError(f"name must be one of {sorted(LOGIC_GATES)}, got {name!r}")
    x = torch.tensor(LOGIC_GATE_INPUTS, dtype=dtype, device=device)
    return x, torch.tensor(LOGIC_GATES[name], dtype=dtype, device=device)


def two_blobs(n_per_class=50, distance=3.0, std=1.0, seed=0, dtype=torch.float32, device=None):
    """Two Gaussian clouds in the plane, centred at (-distance/2, -distance/2) and (+, +).

    Returns x: (2 n_per_class, 2) points and y: (2 n_per_class,) labels in {0., 1.},
    the same for the same seed on every machine (drawn on the CPU, then moved).
    """
    validate.positive_int(n_per_class, "n_per_class")
    if not std > 0:
        raise ValueError(f"std must be > 0, got {std!r}")
    g = torch.Generator().manual_seed(seed)
    half = distance / 2
    centres = torch.tensor([[-half, -half], [half, half]], dtype=torch.float64)
    y = torch.arange(2).repeat_interleave(n_per_class)
    x = centres[y] + std * torch.randn(2 * n_per_class, 2, generator=g, dtype=torch.float64)
    return x.to(device=device, dtype=dtype), y.to(device=device, dtype=dtype)


def spirals(n_per_class=100, classes=3, noise=0.2, seed=0, dtype=torch.float32, device=None):
    """Interleaved spiral arms in the plane, one per class: no straight line separates them.

    Point k of class c sits at radius r = k / (n_per_class - 1) and angle
    c * 2 pi / classes + 4 r + noise * N(0, 1). Returns x: (classes n_per_class, 2) and
    y: (classes n_per_class,) int64 labels in [0, classes), the same for the same seed.
    """
    validate.positive_int(n_per_class, "n_per_class")
    validate.positive_int(classes, "classes")
    if not noise >= 0:
        raise ValueError(f"noise must be >= 0, got {noise!r}")
    g = torch.Generator().manual_seed(seed)
    r = torch.linspace(0.0, 1.0, n_per_class, dtype=torch.float64).repeat(classes)
    y = torch.arange(classes).repeat_interleave(n_per_class)
    theta = y * (2 * math.pi / classes) + 4 * r + noise * torch.randn(r.shape, generator=g, dtype=torch.float64)
    x = torch.stack([r * torch.sin(theta), r * torch.cos(theta)], dim=1)
    return x.to(device=device, dtype=dtype), y.to(device=device)


def minibatch_indices(n, batch_size, generator=None, shuffle=True, drop_last=False, device=None):
    """Index tensors of the mini-batches of one epoch over n examples.

    With shuffle, the order is torch.randperm(n, generator=generator) (seed the generator for a
    repeatable epoch); it is then cut into consecutive chunks of batch_size, the last one
    shorter unless drop_last. Returns a list of (b,) int64 tensors covering each index once.
    """
    validate.positive_int(n, "n")
    validate.positive_int(batch_size, "batch_size")
    order = torch.randperm(n, generator=generator) if shuffle else torch.arange(n)
    batches = list(order.to(device).split(batch_size))
    if drop_last and len(batches[-1]) < batch_size:
        batches.pop()
    return batches
