"""lib.autograd against torch.autograd: median time of one forward + backward of an MLP, and the ratio.

    python bench/bench_engine.py [--batch 256] [--width 256] [--depth 3] [--repeats 30]

For each device present (cpu, cuda), builds the same tanh MLP (`--depth` hidden layers of
`--width` units, 10 outputs) once with lib.autograd Tensors and once with torch leaves, and
times forward, cross-entropy and backward (gradients cleared first), the two taking turns so
that machine noise hits both alike. Prints the medians and lib/torch. The engine keeps a graph
of Python closures and gives every .grad a tensor of its own; torch's graph lives in C++.
"""
import argparse

import torch

from lib import autograd
from timing import add_device_argument, alternating_medians, chosen_devices


def weights(batch, width, depth, device):
    """(x (batch, width), labels (batch,), [(W, b)] per layer), from a fixed seed."""
    g = torch.Generator().manual_seed(0)
    sizes = [width] * (depth + 1) + [10]
    layers = [(torch.randn(a, b, generator=g) / a ** 0.5, torch.zeros(b)) for a, b in zip(sizes[:-1], sizes[1:])]
    x, y = torch.randn(batch, width, generator=g), torch.randint(0, 10, (batch,), generator=g)
    return x.to(device), y.to(device), [(w.to(device), b.to(device)) for w, b in layers]


def engine_step(x, y, layers):
    """One forward + backward through lib.autograd; returns the call to time."""
    params = [(autograd.Tensor(w, requires_grad=True), autograd.Tensor(b, requires_grad=True)) for w, b in layers]

    def step():
        h = autograd.Tensor(x)
        for k, (w, b) in enumerate(params):
            h = h @ w + b
            h = h.tanh() if k < len(params) - 1 else h
        for w, b in params:
            w.zero_grad()
            b.zero_grad()
        autograd.cross_entropy(h, y).backward()

    return step


def torch_step(x, y, layers):
    """The same step through torch.autograd."""
    params = [(w.clone().requires_grad_(True), b.clone().requires_grad_(True)) for w, b in layers]

    def step():
        h = x
        for k, (w, b) in enumerate(params):
            h = h @ w + b
            h = torch.tanh(h) if k < len(params) - 1 else h
        for w, b in params:
            w.grad = b.grad = None
        torch.nn.functional.cross_entropy(h, y).backward()

    return step


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--width", type=int, default=256)
    parser.add_argument("--depth", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=30)
    add_device_argument(parser)
    args = parser.parse_args()
    print(f"torch {torch.__version__}, threads {torch.get_num_threads()}, batch {args.batch}, "
          f"{args.depth} hidden layers of {args.width}")
    print(f"{'device':<7}{'lib ms':>9}{'torch ms':>10}{'lib/torch':>11}")
    for device in chosen_devices(args.device):
        data = weights(args.batch, args.width, args.depth, device)
        ours, theirs = alternating_medians([engine_step(*data), torch_step(*data)], device, args.repeats)
        print(f"{device:<7}{ours * 1e3:>9.2f}{theirs * 1e3:>10.2f}{ours / theirs:>11.2f}")


if __name__ == "__main__":
    main()
