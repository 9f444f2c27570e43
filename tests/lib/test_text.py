"""lib.text: cleaning and word tokens on hand-worked Unicode cases, the vocabulary's order,
pad_batch on random batches on every device, masked_mean against a per-sequence loop (values and
autograd gradients, float32 below 1e-5 and float64 below 1e-10) with pads that never matter."""
import random
from collections import Counter

import pytest
import torch

from lib.text import SPECIALS, Vocab, clean, masked_mean, pad_batch, words

TOL = {torch.float32: 1e-5, torch.float64: 1e-10}


def test_clean_normalizes_unicode_case_and_spaces():
    assert clean("  Hello,\t\tWORLD \n") == "hello, world"
    assert clean("Ｈｅｌｌｏ\u3000ＷＯＲＬＤ１２") == "hello world12"  # full-width forms and space
    assert clean("\ufb01ne caf\u0065\u0301") == "fine caf\u00e9"  # ligature "fi"; e + accent composed
    assert clean("你好，世界！ OK") == "你好,世界! ok"  # Chinese kept, full-width punctuation narrowed
    assert clean("") == "" and clean(" \n\t ") == ""


def test_words_splits_words_and_single_punctuation_marks():
    assert words("Don't panic!!") == ["don", "'", "t", "panic", "!", "!"]
    assert words("x_1 = (a+b)...") == ["x_1", "=", "(", "a", "+", "b", ")", ".", ".", "."]
    assert words("你好，世界！") == ["你好", ",", "世界", "!"]
    assert words("  ") == []


def test_vocab_orders_specials_then_counts_then_letters():
    vocab = Vocab.build([["b", "a", "c"], ["a", "b"], ["a", "d", "<pad>"]])
    assert vocab.itos == ["<pad>", "<unk>", "<bos>", "<eos>", "a", "b", "c", "d"]
    assert (vocab.pad_id, vocab.unk_id, vocab.bos_id, vocab.eos_id) == (0, 1, 2, 3) and len(vocab) == 8
    assert vocab.stoi["c"] == 6 and vocab.encode(["d", "zzz", "a"]) == [7, 1, 4]
    assert vocab.decode([7, 1, 4]) == ["d", "<unk>", "a"] and vocab.decode(torch.tensor([5])) == ["b"]
    assert Vocab.build([["b", "a", "c"], ["a", "b"]], min_count=2).itos[4:] == ["a", "b"]
    custom = Vocab.build([["x"]], specials=("<pad>", "<unk>"))
    assert custom.itos == ["<pad>", "<unk>", "x"]
    with pytest.raises(ValueError, match="no <bos> token"):
        custom.bos_id
    with pytest.raises(ValueError, match="'y' is not in the vocabulary"):
        Vocab.build([["x"]], specials=()).encode(["y"])


def test_vocab_order_on_random_token_lists():
    rng = random.Random(0)
    for _ in range(20):
        lists = [[rng.choice("abcdefghij") * rng.randint(1, 2) for _ in range(rng.randrange(8))] for _ in range(10)]
        min_count = rng.randint(1, 3)
        vocab = Vocab.build(lists, min_count=min_count)
        counts = Counter(t for tokens in lists for t in tokens)
        assert vocab.itos[:4] == list(SPECIALS) and set(vocab.itos[4:]) == {t for t, n in counts.items() if n >= min_count}
        for a, b in zip(vocab.itos[4:], vocab.itos[5:]):
            assert counts[a] > counts[b] or (counts[a] == counts[b] and a < b)
        for tokens in lists:
            assert vocab.decode(vocab.encode(tokens)) == [t if t in vocab.stoi else "<unk>" for t in tokens]


def test_pad_batch_on_random_lists(device):
    rng = random.Random(1)
    for _ in range(20):
        seqs = [[rng.randrange(50) for _ in range(rng.randint(1, 9))] for _ in range(rng.randint(1, 6))]
        pad_id = rng.randrange(50)
        as_tensors = rng.random() < 0.5
        given = [torch.tensor(s, device=device) for s in seqs] if as_tensors else seqs
        ids, mask = pad_batch(given, pad_id, device=None if as_tensors else device)
        T = max(len(s) for s in seqs)
        assert ids.shape == mask.shape == (len(seqs), T) and ids.dtype == torch.long and mask.dtype == torch.bool
        assert ids.device.type == mask.device.type == device.type
        for b, s in enumerate(seqs):
            assert ids[b].tolist() == s + [pad_id] * (T - len(s))
            assert mask[b].tolist() == [True] * len(s) + [False] * (T - len(s))


def test_pad_batch_defaults_to_the_cpu_for_lists():
    ids, mask = pad_batch([[5], [1, 2, 3]], pad_id=0)
    assert ids.tolist() == [[5, 0, 0], [1, 2, 3]] and mask.tolist() == [[True, False, False], [True, True, True]]
    assert ids.device.type == "cpu"


def loop_mean(x, mask):
    """The mean over each sequence's real tokens, one sequence at a time."""
    return torch.stack([x[b][mask[b]].mean(dim=0) for b in range(x.shape[0])])


def random_batch(gen, dtype, device):
    B, T, C = (int(n) for n in torch.randint(1, 7, (3,), generator=gen))
    x = torch.randn(B, T, C, generator=gen, dtype=torch.float64).to(device=device, dtype=dtype)
    lengths = torch.randint(1, T + 1, (B,), generator=gen)
    mask = (torch.arange(T)[None, :] < lengths[:, None]).to(device)  # (B, T)
    if T > 2:  # a few masks with holes, not only right padding
        mask[0] = torch.rand(T, generator=gen).to(device) < 0.5
        mask[0, 1] = True
    return x, mask


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_masked_mean_equals_the_loop_values_and_gradients(device, dtype, gen):
    for _ in range(15):
        x, mask = random_batch(gen, dtype, device)
        dout = torch.randn(x.shape[0], x.shape[2], generator=gen, dtype=torch.float64).to(device=device, dtype=dtype)
        ours, theirs = x.clone().requires_grad_(True), x.clone().requires_grad_(True)
        out, expected = masked_mean(ours, mask), loop_mean(theirs, mask)
        assert out.shape == expected.shape and out.dtype == dtype and out.device.type == device.type
        assert (out - expected).abs().max().item() < TOL[dtype]
        (out * dout).sum().backward()
        (expected * dout).sum().backward()
        assert (ours.grad - theirs.grad).abs().max().item() < TOL[dtype]
        assert (ours.grad[~mask] == 0).all()


def test_pads_never_change_masked_mean(device, gen):
    for _ in range(10):
        x, mask = random_batch(gen, torch.float64, device)
        noise = torch.randn(x.shape, generator=gen, dtype=torch.float64).to(device) * 1e6  # (B, T, C)
        noise[:, ::3] = float("nan")
        noise[:, 1::3] = float("inf")
        changed = torch.where(mask[:, :, None], x, noise)  # (B, T, C)
        assert torch.equal(masked_mean(changed, mask), masked_mean(x, mask))


def test_masked_mean_errors():
    x = torch.randn(2, 3, 4)
    with pytest.raises(ValueError, match="at least one real token in every row"):
        masked_mean(x, torch.tensor([[True, False, False], [False, False, False]]))
    with pytest.raises(ValueError, match=r"mask must be bool of shape \(2, 3\)"):
        masked_mean(x, torch.ones(2, 3, dtype=torch.long))
    with pytest.raises(ValueError, match=r"mask must be bool of shape \(2, 3\)"):
        masked_mean(x, torch.ones(3, 2, dtype=torch.bool))
