"""Generated datasets: logic gates, blobs, spirals, moons and a noisy line, the same for a seed."""
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


def moons(n_per_class=100, noise=0.1, seed=0, dtype=torch.float32, device=None):
    """Two interleaving half circles; matches sklearn.datasets.make_moons(shuffle=False) at noise 0.

    Class 0 is (cos t, sin t), class 1 is (1 - cos t, 1/2 - sin t), t evenly spaced over [0, pi];
    then noise * N(0, 1) is added to every coordinate. Returns x: (2 n_per_class, 2) and
    y: (2 n_per_class,) int64 labels, the same for the same seed.
    """
    validate.positive_int(n_per_class, "n_per_class")
    if not noise >= 0:
        raise ValueError(f"noise must be >= 0, got {noise!r}")
    g = torch.Generator().manual_seed(seed)
    t = torch.linspace(0, math.pi, n_per_class, dtype=torch.float64)
    outer = torch.stack([t.cos(), t.sin()], dim=1)
    inner = torch.stack([1 - t.cos(), 0.5 - t.sin()], dim=1)
    x = torch.cat([outer, inner]) + noise * torch.randn(2 * n_per_class, 2, generator=g, dtype=torch.float64)
    y = torch.arange(2).repeat_interleave(n_per_class)
    return x.to(device=device, dtype=dtype), y.to(device)


def noisy_line(n=100, noise=0.1, low=-1.0, high=1.0, seed=0, dtype=torch.float32, device=None):
    """Regression data on y = x: x ~ U(low, high), y = x + noise * N(0, 1).

    Returns x: (n, 1) and y: (n, 1), the same for the same seed.
    """
    validate.positive_int(n, "n")
    if not noise >= 0:
        raise ValueError(f"noise must be >= 0, got {noise!r}")
    if not high > low:
        raise ValueError(f"high must be > low, got low={low!r}, high={high!r}")
    g = torch.Generator().manual_seed(seed)
    x = low + (high - low) * torch.rand(n, 1, generator=g, dtype=torch.float64)
    y = x + noise * torch.randn(n, 1, generator=g, dtype=torch.float64)
    return x.to(device=device, dtype=dtype), y.to(device=device, dtype=dtype)
