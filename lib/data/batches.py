"""Mini-batches: the index chunks of one epoch, and an iterator over (inputs, targets) batches."""
import torch

from lib import validate


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


def batches(x, y, batch_size, generator=None, shuffle=True, drop_last=False):
    """Yield (x[idx], y[idx]) for the mini-batches of one epoch (see minibatch_indices).

    x: (N, ...) inputs; y: (N, ...) targets on x's device. The shuffled order is drawn on the
    CPU from `generator`, so a seeded generator gives the same batches on every device.
    """
    validate.same_device(x=x, y=y)
    if len(x) != len(y):
        raise ValueError(f"x and y must hold the same number of examples, got {len(x)} and {len(y)}")
    for idx in minibatch_indices(len(x), batch_size, generator, shuffle, drop_last, device=x.device):
        yield x[idx], y[idx]
