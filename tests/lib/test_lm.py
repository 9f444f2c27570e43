"""lib.lm: training windows, the validation loss, the training loop and the bigram baselines,
against counts done in plain Python and torch.nn.functional.cross_entropy."""
import collections
import math

import pytest
import torch
import torch.nn.functional as F

from lib import lm


def test_random_windows_are_targets_shifted_by_one(gen):
    ids = torch.arange(100) * 3
    x, y = lm.random_windows(ids, 8, 5, gen)
    assert x.shape == y.shape == (5, 8)
    assert torch.equal(y, x + 3) and torch.equal(x[:, 1:], x[:, :-1] + 3)
    with pytest.raises(ValueError, match="longer than block_size"):
        lm.random_windows(torch.arange(8), 8, 2)


def test_evaluate_is_the_mean_cross_entropy_over_consecutive_windows(gen):
    model = lm.Bigram(7)
    torch.nn.init.normal_(model.table.weight, generator=gen)
    ids = torch.randint(0, 7, (53,), generator=gen)
    expected = F.cross_entropy(model.table.weight[ids[:48]], ids[1:49]).item()  # 6 windows of 8
    assert lm.evaluate(model, ids, 8, batch_size=4) == pytest.approx(expected, rel=1e-6)
    first_two = F.cross_entropy(model.table.weight[ids[:16]], ids[1:17]).item()
    assert lm.evaluate(model, ids, 8, max_windows=2) == pytest.approx(first_two, rel=1e-6)


def test_counted_bigram_loss_equals_counts_in_plain_python(gen):
    V = 5
    train, val = torch.randint(0, V, (400,), generator=gen), torch.randint(0, V, (60,), generator=gen)
    pairs = collections.Counter(zip(train[:-1].tolist(), train[1:].tolist()))
    firsts = collections.Counter(train[:-1].tolist())
    nll = [-math.log((pairs[(a, b)] + 0.5) / (firsts[a] + 0.5 * V)) for a, b in zip(val[:-1].tolist(), val[1:].tolist())]
    assert lm.bigram_loss(train, val, V, alpha=0.5) == pytest.approx(sum(nll) / len(nll), rel=1e-12)


def test_training_the_learned_bigram_approaches_the_counted_one(gen):
    V = 6
    probs = torch.softmax(torch.randn(V, V, generator=gen) * 2, -1)
    ids = [0]
    for _ in range(6000):
        ids.append(int(torch.multinomial(probs[ids[-1]], 1, generator=gen)))
    ids = torch.tensor(ids)
    model = lm.Bigram(V)
    losses = lm.train(model, ids[:5000], 300, block_size=16, batch_size=32, lr=0.1, generator=gen)
    assert losses[-1] < losses[0]
    counted = lm.bigram_loss(ids[:5000], ids[5000:], V, alpha=0.01)
    assert lm.evaluate(model, ids[5000:], 16) == pytest.approx(counted, abs=0.03)


def test_bad_arguments_get_clear_errors():
    with pytest.raises(ValueError, match="alpha must be > 0"):
        lm.bigram_loss(torch.arange(5), torch.arange(5), 5, alpha=0)
    with pytest.raises(ValueError, match="val_ids must hold at least 2 ids"):
        lm.bigram_loss(torch.arange(5), torch.arange(1), 5)
    with pytest.raises(ValueError, match="steps must be a positive int"):
        lm.train(lm.Bigram(3), torch.arange(3).repeat(10), 0, 4)
