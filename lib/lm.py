"""Language-model training helpers: random training windows, a deterministic validation loss,
a short training loop, and the two bigram baselines (counted, and learned).

A language model here is any module whose forward(idx (B, T), targets (B, T)) returns
(logits (B, T, V), mean cross-entropy): TinyGPT and Bigram.
"""
import math

import torch
import torch.nn.functional as F
from torch import nn

from lib import validate


def _check_stream(ids, block_size, name="ids"):
    validate.token_ids(ids, name, 1)
    validate.positive_int(block_size, "block_size")
    if ids.numel() <= block_size:
        raise ValueError(f"{name} must be longer than block_size ({block_size}), got {ids.numel()} ids")


def random_windows(ids, block_size, batch_size, generator=None):
    """batch_size windows at random offsets of the id stream ids (N,): inputs x (B, T) and
    targets y (B, T), y the ids one position later (T = block_size)."""
    _check_stream(ids, block_size)
    validate.positive_int(batch_size, "batch_size")
    starts = torch.randint(0, ids.numel() - block_size, (batch_size,), generator=generator)
    offsets = starts[:, None] + torch.arange(block_size)[None, :]  # (B, T)
    return ids[offsets.to(ids.device)], ids[(offsets + 1).to(ids.device)]


@torch.no_grad()
def evaluate(model, ids, block_size, max_windows=None, batch_size=128):
    """Mean cross-entropy (nats per token) of `model` over consecutive, non-overlapping windows
    of ids (N,), the first max_windows of them (all when None); deterministic, eval mode."""
    _check_stream(ids, block_size)
    validate.positive_int(batch_size, "batch_size")
    n = (ids.numel() - 1) // block_size
    n = n if max_windows is None else min(validate.positive_int(max_windows, "max_windows"), n)
    x = ids[: n * block_size].view(n, block_size)  # (n, T)
    y = ids[1: n * block_size + 1].view(n, block_size)  # (n, T)
    was_training, total = model.training, 0.0
    model.eval()
    try:
        for i in range(0, n, batch_size):
            _, loss = model(x[i:i + batch_size], y[i:i + batch_size])
            total += float(loss) * x[i:i + batch_size].shape[0]
    finally:
        model.train(was_training)
    return total / n


def train(model, ids, steps, block_size, batch_size=32, lr=3e-3, generator=None, weight_decay=0.01):
    """`steps` AdamW steps on random windows of ids (N,), the learning rate decayed by a cosine
    to lr / 10. Returns the training loss of every step (a list of floats)."""
    validate.positive_int(steps, "steps")
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, steps, eta_min=lr / 10)
    model.train()
    losses = []
    for _ in range(steps):
        x, y = random_windows(ids, block_size, batch_size, generator)
        _, loss = model(x, y)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        schedule.step()
        losses.append(loss.item())
    return losses


def bigram_loss(train_ids, val_ids, vocab_size, alpha=1.0):
    """The counting baseline: P(b | a) = (count(a, b) + alpha) / (count(a) + alpha V) from
    train_ids (N,), then its mean cross-entropy (nats per token) on val_ids (M,)."""
    validate.positive_int(vocab_size, "vocab_size")
    for name, ids in (("train_ids", train_ids), ("val_ids", val_ids)):
        validate.token_ids(ids, name, 1, vocab_size)
        if ids.numel() < 2:
            raise ValueError(f"{name} must hold at least 2 ids")
    if not alpha > 0:
        raise ValueError(f"alpha must be > 0, got {alpha!r}")
    counts = torch.zeros(vocab_size * vocab_size, dtype=torch.float64, device=train_ids.device)
    counts.index_add_(0, train_ids[:-1] * vocab_size + train_ids[1:], torch.ones(train_ids.numel() - 1,
                      dtype=torch.float64, device=train_ids.device))
    counts = counts.view(vocab_size, vocab_size) + alpha  # (V, V)
    log_p = torch.log(counts / counts.sum(dim=1, keepdim=True))
    return -float(log_p[val_ids[:-1], val_ids[1:]].mean())


class Bigram(nn.Module):
    """The learned bigram: a (V, V) table of next-id logits indexed by the current id."""

    def __init__(self, vocab_size):
        super().__init__()
        validate.positive_int(vocab_size, "vocab_size")
        self.table = nn.Embedding(vocab_size, vocab_size)
        nn.init.zeros_(self.table.weight)

    def forward(self, idx, targets=None):
        """idx: (B, T) -> logits (B, T, V), and the mean cross-entropy with targets (B, T)."""
        validate.tensor(idx, "idx", ndim=2, floating=False)
        logits = self.table(idx)  # (B, T, V)
        if targets is None:
            return logits, None
        if targets.shape != idx.shape:
            raise ValueError(f"targets must have idx's shape {tuple(idx.shape)}, got {tuple(targets.shape)}")
        return logits, F.cross_entropy(logits.flatten(0, 1), targets.flatten())


def perplexity(loss):
    """exp(loss): the number of equally likely choices that a loss in nats amounts to."""
    if isinstance(loss, torch.Tensor) and loss.numel() == 1:
        loss = loss.item()
    return math.exp(validate.number(loss, "loss", 0.0))
