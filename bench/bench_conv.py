"""lib.conv against torch.nn.functional: median time of one forward + backward, and the ratio.

    python bench/bench_conv.py [--repeats 30]

For each device present (cpu, cuda) and each layer shape below (the chapter's CNN layers on 8x8
digits, a wider 32x32 layer, a 2x2 max pool), times conv2d (or max_pool2d) forward, sum and
backward through lib.conv and through torch.nn.functional on the same tensors, the two taking
turns so that machine noise hits both alike. Prints the medians and lib/torch.
lib.conv copies every window into a column (im2col, an index_select), multiplies, and adds the
columns' gradients back onto the pixels (index_add); torch's CPU convolution runs in one C++
kernel (oneDNN or its own im2col + GEMM) without the Python and autograd.Function overhead.
"""
import argparse

import torch
import torch.nn.functional as F

from lib import conv
from timing import add_device_argument, alternating_medians, chosen_devices

# (name, N, C, H=W, F, kernel, padding): conv layers; F = 0 marks a 2x2 max pool over C channels
SHAPES = [
    ("digits conv1 1->32", 64, 1, 8, 32, 3, 1),
    ("digits conv2 32->32", 64, 32, 8, 32, 3, 1),
    ("digits conv3 32->64", 64, 32, 4, 64, 3, 1),
    ("32x32 16->32", 16, 16, 32, 32, 3, 1),
    ("max pool 2x2, 32 ch", 64, 32, 8, 0, 2, 0),
]


def step(function, x, weight, bias, padding):
    """One forward + backward of `function` (lib's or torch's conv2d or max_pool2d)."""
    x, weight, bias = (t.clone().requires_grad_(True) for t in (x, weight, bias))

    def run():
        x.grad = weight.grad = bias.grad = None
        out = function(x, weight, bias, padding)
        out.sum().backward()

    return run


def pair(n, c, h, f, k, padding, device):
    """The lib and torch steps for one shape, on the same random tensors."""
    g = torch.Generator().manual_seed(0)
    x = torch.randn(n, c, h, h, generator=g).to(device)
    weight, bias = torch.randn(max(f, 1), c, k, k, generator=g).to(device), torch.zeros(max(f, 1), device=device)
    if f == 0:
        return (step(lambda x, w, b, p: conv.max_pool2d(x, k) + 0 * b.sum(), x, weight, bias, padding),
                step(lambda x, w, b, p: F.max_pool2d(x, k) + 0 * b.sum(), x, weight, bias, padding))
    return (step(lambda x, w, b, p: conv.conv2d(x, w, b, 1, p), x, weight, bias, padding),
            step(lambda x, w, b, p: F.conv2d(x, w, b, 1, p), x, weight, bias, padding))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=30)
    add_device_argument(parser)
    args = parser.parse_args()
    print(f"torch {torch.__version__}, threads {torch.get_num_threads()}, forward + backward")
    print(f"{'device':<7}{'shape':<24}{'lib ms':>9}{'torch ms':>10}{'lib/torch':>11}")
    for device in chosen_devices(args.device):
        for name, *shape in SHAPES:
            ours, theirs = alternating_medians(pair(*shape, device), device, args.repeats)
            print(f"{device:<7}{name:<24}{ours * 1e3:>9.2f}{theirs * 1e3:>10.2f}{ours / theirs:>11.2f}")


if __name__ == "__main__":
    main()
