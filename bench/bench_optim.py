"""lib.optim against torch.optim: median time of one optimizer step, and the ratio.

    python bench/bench_optim.py [--params 1000000] [--repeats 30]

For each device present (cpu, cuda) and each optimizer, builds the same parameters (a few
tensors, `--params` numbers in all) with fixed gradients for lib and for torch, runs their
step() alternately so that machine noise hits both alike, and prints the medians and
lib/torch. torch runs with foreach=False (one kernel sequence per tensor, as lib does) and
with its default (foreach on CUDA), to show what fusing tensors buys.
"""
import argparse

import torch

from lib import optim
from timing import add_device_argument, alternating_medians, chosen_devices

CASES = [
    ("SGD momentum", optim.SGD, torch.optim.SGD, dict(lr=0.01, momentum=0.9)),
    ("SGD nesterov + wd", optim.SGD, torch.optim.SGD, dict(lr=0.01, momentum=0.9, nesterov=True, weight_decay=1e-4)),
    ("RMSprop", optim.RMSprop, torch.optim.RMSprop, dict(lr=0.01)),
    ("Adam", optim.Adam, torch.optim.Adam, dict(lr=1e-3)),
    ("AdamW amsgrad", optim.AdamW, torch.optim.AdamW, dict(lr=1e-3, amsgrad=True)),
]


def parameters(n, device):
    """Four tensors holding about n numbers in all, each with a fixed random gradient."""
    g = torch.Generator().manual_seed(0)
    shapes = [(n // 2 // 1000, 1000), (n // 4 // 500, 500), (n // 4,), (1000,)]
    params = []
    for shape in shapes:
        p = torch.randn(shape, generator=g).to(device).requires_grad_(True)
        p.grad = torch.randn(shape, generator=g).to(device)
        params.append(p)
    return params


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--params", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=30)
    add_device_argument(parser)
    args = parser.parse_args()
    print(f"torch {torch.__version__}, threads {torch.get_num_threads()}, {args.params:,} parameters in 4 tensors")
    print(f"{'device':<7}{'optimizer':<20}{'lib ms':>9}{'torch ms':>10}{'lib/torch':>11}"
          f"{'torch default ms':>18}{'lib/default':>13}")
    for device in chosen_devices(args.device):
        for name, ours, theirs, kwargs in CASES:
            steps = [ours(parameters(args.params, device), **kwargs).step,
                     theirs(parameters(args.params, device), foreach=False, **kwargs).step,
                     theirs(parameters(args.params, device), **kwargs).step]
            ours_t, theirs_t, default_t = alternating_medians(steps, device, args.repeats)
            print(f"{device:<7}{name:<20}{ours_t * 1e3:>9.2f}{theirs_t * 1e3:>10.2f}{ours_t / theirs_t:>11.2f}"
                  f"{default_t * 1e3:>18.2f}{ours_t / default_t:>13.2f}")


if __name__ == "__main__":
    main()
