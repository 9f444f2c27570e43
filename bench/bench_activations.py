"""lib activations and derivatives against PyTorch built-ins: median times and ratios.

    python bench/bench_activations.py [--size 2048] [--repeats 30]

For each device present (cpu, cuda), times lib.f(x) and the torch counterpart on the same
(size, size) float32 tensor, alternating the two so that machine noise hits both alike,
and prints the medians and lib/torch. Derivatives are compared with torch.autograd.grad.
"""
import argparse
from functools import partial

import torch

import lib
from timing import add_device_argument, alternating_medians, chosen_devices


def autograd_derivative(f):
    def d(x):
        xr = x.detach().requires_grad_(True)
        return torch.autograd.grad(f(xr).sum(), xr)[0]
    return d


CASES = [
    ("sigmoid", lib.sigmoid, torch.sigmoid),
    ("tanh", lib.tanh, torch.tanh),
    ("relu", lib.relu, torch.relu),
    ("sigmoid_grad", lib.sigmoid_grad, autograd_derivative(torch.sigmoid)),
    ("tanh_grad", lib.tanh_grad, autograd_derivative(torch.tanh)),
    ("relu_grad", lib.relu_grad, autograd_derivative(torch.relu)),
]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=2048)
    parser.add_argument("--repeats", type=int, default=30)
    add_device_argument(parser)
    args = parser.parse_args()
    print(f"torch {torch.__version__}, threads {torch.get_num_threads()}, x: ({args.size}, {args.size}) float32")
    print(f"{'device':<7}{'function':<14}{'lib ms':>9}{'torch ms':>10}{'lib/torch':>11}")
    for device in chosen_devices(args.device):
        x = torch.randn(args.size, args.size, generator=torch.Generator().manual_seed(0)).to(device)
        for name, ours, theirs in CASES:
            t_ours, t_theirs = alternating_medians([partial(ours, x), partial(theirs, x)], device, args.repeats)
            print(f"{device:<7}{name:<14}{t_ours * 1e3:>9.2f}{t_theirs * 1e3:>10.2f}{t_ours / t_theirs:>11.2f}")


if __name__ == "__main__":
    main()
