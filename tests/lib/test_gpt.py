"""lib.gpt: TinyGPT's shapes, loss and weight tying; causality; generation with the key/value
cache equal to generation without it (ids and logits); top-k/top-p filtering against the plain-Python
reference of exercise ch05_top_k_top_p, and sampling."""
import dataclasses
import pytest
import torch
import torch.nn.functional as F

from lib.exercises.ch05 import kept_indices
from lib.gpt import TinyGPT, filter_logits, generate, sample
from lib.transformer import TransformerConfig

SMALL = TransformerConfig(vocab_size=11, block_size=24, n_layer=2, n_head=2, n_embd=16)


def model(config=SMALL, seed=0, device="cpu", dtype=torch.float64):
    torch.manual_seed(seed)
    return TinyGPT(config).to(device=device, dtype=dtype)


def ids(gen, B, T, V=11, device="cpu"):
    return torch.randint(0, V, (B, T), generator=gen).to(device)


def test_forward_gives_logits_and_the_mean_cross_entropy(device, gen):
    m = model(device=device)
    x, y = ids(gen, 3, 7, device=device), ids(gen, 3, 7, device=device)
    logits, loss = m(x, y)
    assert logits.shape == (3, 7, 11)
    torch.testing.assert_close(loss, F.cross_entropy(logits.reshape(-1, 11), y.reshape(-1)))
    assert m(x)[1] is None and torch.equal(m(x)[0], logits)
    assert m.head.weight is m.tok_emb.weight


@pytest.mark.parametrize("positions", ["learned", "sinusoidal", "rotary", "none"])
@pytest.mark.parametrize("seed", range(3))
def test_no_position_sees_a_later_token(positions, seed):
    gen = torch.Generator().manual_seed(seed)
    m = model(dataclasses.replace(SMALL, positions=positions), seed)
    x = ids(gen, 2, 12)
    changed = x.clone()
    changed[:, 8:] = (changed[:, 8:] + 1) % 11
    torch.testing.assert_close(m(x)[0][:, :8], m(changed)[0][:, :8], rtol=0, atol=0)
    assert not torch.allclose(m(x)[0][:, 8:], m(changed)[0][:, 8:])


@pytest.mark.parametrize("positions", ["learned", "sinusoidal", "rotary"])
@pytest.mark.parametrize("seed", range(3))
def test_generation_with_the_cache_equals_generation_without(positions, seed, device):
    gen = torch.Generator().manual_seed(seed)
    m = model(dataclasses.replace(SMALL, positions=positions), seed, device, torch.float32)
    prompt = ids(gen, 2, 5, device=device)
    runs = [generate(m, prompt, 15, top_k=6, generator=torch.Generator(device=device).manual_seed(seed),
                     use_cache=use_cache, return_logits=True) for use_cache in (True, False)]
    assert torch.equal(runs[0][0], runs[1][0])
    assert (runs[0][1] - runs[1][1]).abs().max() < 1e-5
    assert runs[0][0].shape == (2, 20) and runs[0][1].shape == (2, 15, 11)


def test_generation_is_reproducible_and_restores_training_mode(gen):
    m = model()
    m.train()
    prompt = ids(gen, 1, 3)
    a = generate(m, prompt, 10, temperature=1.5, generator=torch.Generator().manual_seed(4))
    b = generate(m, prompt, 10, temperature=1.5, generator=torch.Generator().manual_seed(4))
    assert torch.equal(a, b) and torch.equal(a[:, :3], prompt) and m.training


def test_the_cache_refuses_to_run_past_the_learned_positions(gen):
    with pytest.raises(ValueError, match="fit block_size 24"):
        generate(model(), ids(gen, 1, 20), 5)
    assert generate(model(), ids(gen, 1, 20), 10, use_cache=False).shape == (1, 30)
    assert generate(model(dataclasses.replace(SMALL, positions="rotary")), ids(gen, 1, 20), 10).shape == (1, 30)


def test_bad_ids_get_clear_errors(gen):
    m = model()
    with pytest.raises(ValueError, match=r"idx must hold ids in \[0, 11\)"):
        m(torch.tensor([[3, 11]]))
    with pytest.raises(TypeError, match="idx must be int64"):
        m(torch.tensor([[3, 1]], dtype=torch.int32))
    with pytest.raises(ValueError, match="exceed block_size 24"):
        m(ids(gen, 1, 25))
    with pytest.raises(ValueError, match="targets must have idx's shape"):
        m(ids(gen, 1, 5), ids(gen, 1, 4))


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("top_k, top_p", [(3, None), (None, 0.5), (None, 0.9), (5, 0.8), (1, None), (None, 1.0)])
def test_filter_keeps_the_top_k_then_the_smallest_nucleus(seed, top_k, top_p):
    gen = torch.Generator().manual_seed(seed)
    logits = torch.randn(4, 9, generator=gen, dtype=torch.float64) * 2
    out = filter_logits(logits, top_k, top_p)
    for row, got in zip(logits.tolist(), out):
        kept = torch.nonzero(torch.isfinite(got))[:, 0].tolist()
        assert kept == kept_indices(row, top_k, top_p)
        assert torch.equal(got[kept], torch.tensor(row, dtype=torch.float64)[kept])


def test_filter_keeps_ties_at_the_cut():
    logits = torch.tensor([[2.0, 1.0, 1.0, 0.0]])
    assert torch.isfinite(filter_logits(logits, top_k=2)).tolist() == [[True, True, True, False]]


def test_sampling_follows_temperature_and_filters(gen):
    logits = torch.tensor([[0.0, 2.0, 1.0, -1.0]]).expand(4000, 4)
    assert torch.equal(sample(logits, temperature=0), torch.ones(4000, dtype=torch.long))
    draws = sample(logits, generator=gen)
    freq = torch.bincount(draws, minlength=4).double() / 4000
    assert (freq - torch.softmax(logits[0].double(), -1)).abs().max() < 0.03
    assert set(sample(logits, top_k=2, generator=gen).tolist()) == {1, 2}
    cold = torch.bincount(sample(logits, temperature=0.2, generator=gen), minlength=4)
    assert cold[1] > 0.99 * 4000


@pytest.mark.parametrize("kwargs, message", [({"top_k": 0}, "top_k must be a positive int"),
                                             ({"top_p": 0.0}, r"top_p must be a number in \(0, 1\]"),
                                             ({"temperature": -1}, "temperature must be a number >= 0")])
def test_bad_sampling_settings_get_clear_errors(kwargs, message):
    with pytest.raises(ValueError, match=message):
        sample(torch.zeros(1, 3), **kwargs)


def test_top_p_applies_to_the_tempered_distribution_and_errors_restore_training_mode(gen):
    logits = torch.tensor([[2.0, 1.0, 0.0, -1.0]]).expand(2000, 4)
    hot = set(sample(logits, temperature=5.0, top_p=0.5, generator=gen).tolist())
    cold = set(sample(logits, temperature=0.2, top_p=0.5, generator=gen).tolist())
    assert hot == {0, 1} and cold == {0}  # at temperature 5 the top token alone has less than 0.5
    m = model()
    m.train()
    with pytest.raises(ValueError, match="top_k must be a positive int"):
        generate(m, ids(gen, 1, 3), 2, top_k=0)
    assert m.training


def test_a_cpu_generator_samples_the_same_ids_on_every_device(gen, device):
    logits = torch.randn(6, 9, generator=gen, dtype=torch.float64)
    here = sample(logits, temperature=1.3, generator=torch.Generator().manual_seed(8))
    there = sample(logits.to(device), temperature=1.3, generator=torch.Generator().manual_seed(8))
    assert there.device.type == device.type and torch.equal(there.cpu(), here)
