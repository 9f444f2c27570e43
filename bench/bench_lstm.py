"""lib.lstm.LSTM against torch.nn.LSTM: median time of one forward + backward, and the ratio.

    python bench/bench_lstm.py [--repeats 30] [--device cpu|cuda|all]

For each device present (cpu, cuda) and each size below (the chapter's sentiment LSTM, one and two
layers, and a larger model), times forward, sum of the outputs and backward through lib's LSTM
and through torch.nn.LSTM holding the same weights (copied with load_state_dict), on the same
input, the two taking turns so that machine noise hits both alike. Prints the medians and
lib/torch.
What remains, and why: lib loops over the T steps in Python, and each step is a handful of small
tensor operations (two matrix products, the bias adds, three sigmoids, two tanhs, the products),
each its own autograd node, so the backward pass walks about a dozen nodes per step and layer.
torch runs a fused kernel instead: on the CPU one C++ loop over time (the input projections of all
steps in one matrix product, the gate nonlinearities fused), on CUDA cuDNN's RNN, which also
computes all input projections at once and fuses each step's gate arithmetic into one kernel, so
most of lib's remaining time on CUDA is kernel launches.
"""
import argparse

import torch

from lib import lstm
from timing import add_device_argument, alternating_medians, chosen_devices

# (name, B, T, I, H, L)
SIZES = [
    ("chapter, 1 layer", 64, 12, 32, 64, 1),
    ("chapter, 2 layers", 64, 12, 32, 64, 2),
    ("larger, 2 layers", 64, 32, 64, 256, 2),
]


def step(model, x):
    """One forward + backward of `model` on a fresh leaf copy of x."""
    x = x.clone().requires_grad_(True)

    def run():
        model.zero_grad(set_to_none=True)
        x.grad = None
        out, _ = model(x)
        out.sum().backward()

    return run


def pair(B, T, I, H, L, device):
    """The lib and torch steps for one size: the same weights, the same input."""
    torch.manual_seed(0)
    ours = lstm.LSTM(I, H, L).to(device)
    theirs = torch.nn.LSTM(I, H, L, batch_first=True).to(device)
    theirs.load_state_dict(ours.state_dict())
    x = torch.randn(B, T, I, generator=torch.Generator().manual_seed(1)).to(device)
    return step(ours, x), step(theirs, x)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=30)
    add_device_argument(parser)
    args = parser.parse_args()
    print(f"torch {torch.__version__}, threads {torch.get_num_threads()}, forward + backward, float32")
    print(f"{'device':<7}{'size (B, T, I, H, L)':<40}{'lib ms':>9}{'torch ms':>10}{'lib/torch':>11}")
    for device in chosen_devices(args.device):
        for name, *size in SIZES:
            ours, theirs = alternating_medians(pair(*size, device), device, args.repeats)
            label = f"{name} {tuple(size)}"
            print(f"{device:<7}{label:<40}{ours * 1e3:>9.2f}{theirs * 1e3:>10.2f}{ours / theirs:>11.2f}")


if __name__ == "__main__":
    main()
