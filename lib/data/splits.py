"""Splitting examples: stratified train/validation/test splits and k-fold cross-validation."""
import math

import torch

from lib import validate


def _check_fractions(fractions):
    if not isinstance(fractions, (list, tuple)) or len(fractions) < 2:
        raise ValueError(f"fractions must be a list of at least 2 numbers, got {fractions!r}")
    if any(not isinstance(f, (int, float)) or isinstance(f, bool) or not 0 <= f <= 1 for f in fractions):
        raise ValueError(f"fractions must be numbers in [0, 1], got {fractions!r}")
    if not math.isclose(sum(fractions), 1.0, abs_tol=1e-9):
        raise ValueError(f"fractions must sum to 1, got {fractions!r} (sum {sum(fractions)})")


def split_counts(n, fractions):
    """How many of n items go to each part: floor(f * n), the leftovers to the largest remainders.

    Returns a list of ints that sums to n, each within 1 of fractions[i] * n; ties go to the
    earlier part.
    """
    if isinstance(n, bool) or not isinstance(n, int) or n < 0:
        raise ValueError(f"n must be an int >= 0, got {n!r}")
    _check_fractions(fractions)
    raw = [f * n for f in fractions]
    counts = [math.floor(r + 1e-9) for r in raw]
    by_remainder = sorted(range(len(raw)), key=lambda i: (-(raw[i] - counts[i]), i))
    for i in by_remainder[: n - sum(counts)]:
        counts[i] += 1
    return counts


def stratified_split(y, fractions=(0.6, 0.2, 0.2), generator=None):
    """Random split of the examples into parts that keep every class's share.

    y: (N,) int64 class labels; fractions: the parts' shares, summing to 1 (for example
    train, validation, test). Each class's examples are shuffled with torch.randperm(generator)
    and cut by split_counts, so each part holds within 1 of fraction * (class size) of every
    class. Returns one sorted (n_i,) int64 index tensor per part, on y's device; together they
    hold every index once. Like sklearn.model_selection.train_test_split(stratify=y), per class.
    """
    validate.class_indices(y, "y")
    _check_fractions(fractions)
    parts = [[] for _ in fractions]
    y_cpu = y.cpu()
    for c in torch.unique(y_cpu):
        members = torch.nonzero(y_cpu == c).flatten()
        members = members[torch.randperm(len(members), generator=generator)]
        for part, chunk in zip(parts, members.split(split_counts(len(members), fractions))):
            part.append(chunk)
    return tuple(torch.cat(p).sort().values.to(y.device) if p else torch.empty(0, dtype=torch.long, device=y.device)
                 for p in parts)


def kfold_indices(n, k, generator=None, shuffle=True):
    """The k (train, validation) index pairs of k-fold cross-validation over n examples.

    The order (torch.randperm(n, generator) with shuffle, else 0..n-1) is cut into k consecutive
    folds, the first n % k of them one longer; fold i validates and the others, in order, train.
    Equals sklearn.model_selection.KFold(k) applied to that order. Returns a list of k pairs of
    int64 tensors (train: (n - n_i,), validation: (n_i,)).
    """
    validate.positive_int(n, "n")
    validate.positive_int(k, "k")
    if not 2 <= k <= n:
        raise ValueError(f"k must be between 2 and n={n}, got {k}")
    order = torch.randperm(n, generator=generator) if shuffle else torch.arange(n)
    sizes = [n // k + (1 if i < n % k else 0) for i in range(k)]
    folds = order.split(sizes)
    return [(torch.cat(folds[:i] + folds[i + 1:]), fold) for i, fold in enumerate(folds)]
