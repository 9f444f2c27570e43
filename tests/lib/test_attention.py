"""lib.attention: scaled dot-product attention (plain and tiled) against
torch.nn.functional.scaled_dot_product_attention, multi-head attention against
torch.nn.MultiheadAttention(batch_first=True) with copied weights, forward and backward, float32
(below 1e-5) and float64 (below 1e-10); masks, position encodings and their properties."""
import math

import pytest
import torch
import torch.nn.functional as F

from lib import attention
from lib.attention import MultiHeadAttention, causal_mask, padding_mask, scaled_dot_product_attention, tiled_attention

TOL = {torch.float32: 1e-5, torch.float64: 1e-10}
DTYPES = [torch.float32, torch.float64]


def randn(gen, *shape, dtype=torch.float64, device="cpu"):
    return torch.randn(*shape, generator=gen, dtype=torch.float64).to(device=device, dtype=dtype)


def outputs_and_grads(f, inputs, dout):
    """f(*inputs) and the gradients of sum(f * dout) with respect to each input (None if unused)."""
    leaves = [t.detach().clone().requires_grad_(True) for t in inputs]
    out = f(*leaves)
    return out.detach(), torch.autograd.grad((out * dout).sum(), leaves, allow_unused=True)


def assert_all_close(got, expected, dtype, what=""):
    assert len(got) == len(expected)
    for i, (g, e) in enumerate(zip(got, expected)):
        assert (g is None) == (e is None), f"{what}: item {i}"
        assert g is None or (g - e).abs().max().item() < TOL[dtype], f"{what}: item {i} differs"


def mask_kinds(gen, B, T, S, device, dtype):
    """{kind: (our mask, our causal flag, torch attn_mask, torch is_causal)} for the same masking."""
    lengths = torch.randint(max(1, S - T + 1), S + 1, (B,), generator=gen).to(device)
    lengths[0] = S
    pad = padding_mask(lengths, S)  # (B, 1, 1, S)
    both = pad & causal_mask(T, S, device=device)
    additive = randn(gen, B, 1, T, S, dtype=dtype, device=device)
    kinds = {"none": (None, False, None, False), "padding": (pad, False, pad, False),
             "causal and padding": (pad, True, both, False), "additive": (additive, False, additive, False)}
    if T == S:
        kinds["causal"] = (None, True, None, True)
    return kinds


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("T, S", [(7, 7), (3, 9)])
def test_attention_and_tiled_attention_equal_torch_for_every_mask(device, gen, dtype, T, S):
    B, H, hs = 3, 2, 8
    q, k, v = (randn(gen, B, H, n, hs, dtype=dtype, device=device) for n in (T, S, S))
    dout = randn(gen, B, H, T, hs, dtype=dtype, device=device)
    for kind, (mask, causal, torch_mask, is_causal) in mask_kinds(gen, B, T, S, device, dtype).items():
        expected = outputs_and_grads(lambda q, k, v: F.scaled_dot_product_attention(
            q, k, v, attn_mask=torch_mask, is_causal=is_causal), [q, k, v], dout)
        plain = outputs_and_grads(lambda q, k, v: scaled_dot_product_attention(q, k, v, mask, causal), [q, k, v], dout)
        tiled = outputs_and_grads(lambda q, k, v: tiled_attention(q, k, v, mask, causal, block_size=2), [q, k, v], dout)
        for got in (plain, tiled):
            assert_all_close([got[0], *got[1]], [expected[0], *expected[1]], dtype, kind)


def test_weights_are_a_softmax_over_keys_and_scale_replaces_sqrt(gen):
    q, k, v = randn(gen, 2, 5, 4), randn(gen, 2, 6, 4), randn(gen, 2, 6, 3)
    out, weights = scaled_dot_product_attention(q, k, v, need_weights=True)
    torch.testing.assert_close(weights.sum(-1), torch.ones(2, 5, dtype=torch.float64))
    torch.testing.assert_close(out, weights @ v)
    torch.testing.assert_close(scaled_dot_product_attention(q, k, v, scale=0.3),
                               F.scaled_dot_product_attention(q, k, v, scale=0.3))


def test_dropout_is_unbiased_and_reproducible(gen):
    q, k, v = randn(gen, 1, 4, 8), randn(gen, 1, 6, 8), randn(gen, 1, 6, 2)
    def draw(seed):
        return scaled_dot_product_attention(q, k, v, dropout_p=0.3, generator=torch.Generator().manual_seed(seed))
    torch.testing.assert_close(draw(5), draw(5))
    assert not torch.equal(draw(5), draw(6))
    mean = torch.stack([draw(s) for s in range(4000)]).mean(0)
    assert (mean - scaled_dot_product_attention(q, k, v)).abs().max() < 0.1


def test_causal_mask_puts_the_queries_last():
    assert torch.equal(causal_mask(3), torch.tensor([[1, 0, 0], [1, 1, 0], [1, 1, 1]], dtype=torch.bool))
    assert torch.equal(causal_mask(2, 4), torch.tensor([[1, 1, 1, 0], [1, 1, 1, 1]], dtype=torch.bool))
    with pytest.raises(ValueError, match="S must be at least T"):
        causal_mask(4, 2)


def test_padding_mask_marks_real_keys():
    mask = padding_mask(torch.tensor([1, 3]), 3)
    assert mask.shape == (2, 1, 1, 3)
    assert mask[:, 0, 0].tolist() == [[True, False, False], [True, True, True]]
    with pytest.raises(ValueError, match=r"lengths must be in \[1, 3\]"):
        padding_mask(torch.tensor([0, 2]), 3)


@pytest.mark.parametrize("fn", [scaled_dot_product_attention, tiled_attention])
def test_bad_shapes_and_masks_get_clear_errors(gen, fn):
    q, k, v = randn(gen, 2, 5, 4), randn(gen, 2, 6, 4), randn(gen, 2, 6, 3)
    with pytest.raises(ValueError, match="same leading"):
        fn(q, randn(gen, 2, 6, 5), v)
    with pytest.raises(ValueError, match="same leading"):
        fn(q, k, randn(gen, 2, 7, 3))
    with pytest.raises(ValueError, match="does not broadcast"):
        fn(q, k, v, mask=torch.ones(5, 5, dtype=torch.bool))
    with pytest.raises(TypeError, match="bool .* or float"):
        fn(q, k, v, mask=torch.ones(5, 6, dtype=torch.long))
    with pytest.raises(TypeError, match="share a dtype"):
        fn(q.float(), k, v)
    empty = torch.ones(5, 6, dtype=torch.bool)
    empty[3] = False
    with pytest.raises(ValueError, match=r"mask leaves query \(0, 3\) .*nothing to attend to"):
        fn(q, k, v, mask=empty)
    with pytest.raises(TypeError, match="float of q's dtype"):
        fn(q, k, v, mask=torch.zeros(5, 6, dtype=torch.float32))
    with pytest.raises(ValueError, match="at least one position"):
        fn(q[:, :0], k, v)


def test_online_softmax_update_folds_tiles_into_the_softmax(gen):
    scores, values = randn(gen, 3, 10) * 4, randn(gen, 10, 2)
    scores[1, :6] = -math.inf  # a row that sees nothing in the first tiles
    m, l, acc = torch.full((3, 1), -math.inf, dtype=torch.float64), torch.zeros(3, 1, dtype=torch.float64), torch.zeros(3, 2, dtype=torch.float64)
    for j in range(0, 10, 3):
        m, l, acc = attention.online_softmax_update(m, l, acc, scores[:, j:j + 3], values[j:j + 3])
    torch.testing.assert_close(acc / l, torch.softmax(scores, -1) @ values, rtol=0, atol=1e-12)
    torch.testing.assert_close(m[:, 0], scores.amax(-1))


def test_split_and_merge_heads_are_inverse_and_slice_channels(gen):
    x = randn(gen, 2, 5, 12)
    heads = attention.split_heads(x, 3)
    assert heads.shape == (2, 3, 5, 4)
    torch.testing.assert_close(heads[:, 1], x[..., 4:8])
    torch.testing.assert_close(attention.merge_heads(heads), x)
    with pytest.raises(ValueError, match="divisible by n_head"):
        attention.split_heads(x, 5)


def copy_from_torch(ours, theirs):
    """Copy nn.MultiheadAttention's weights into a MultiHeadAttention."""
    C = theirs.embed_dim
    with torch.no_grad():
        for i, proj in enumerate((ours.q_proj, ours.k_proj, ours.v_proj)):
            proj.weight.copy_(theirs.in_proj_weight[i * C:(i + 1) * C])
            proj.bias.copy_(theirs.in_proj_bias[i * C:(i + 1) * C])
        ours.out_proj.weight.copy_(theirs.out_proj.weight)
        ours.out_proj.bias.copy_(theirs.out_proj.bias)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("cross", [False, True])
def test_multi_head_attention_equals_torch_with_copied_weights(device, gen, dtype, cross):
    B, T, S, C, H = 3, 5, 7 if cross else 5, 16, 4
    theirs = torch.nn.MultiheadAttention(C, H, batch_first=True).to(device=device, dtype=dtype)
    ours = MultiHeadAttention(C, H).to(device=device, dtype=dtype)
    copy_from_torch(ours, theirs)
    x, ctx = randn(gen, B, T, C, dtype=dtype, device=device), randn(gen, B, S, C, dtype=dtype, device=device)
    lengths = torch.tensor([S, S - 2, 1], device=device)
    ignore = ~padding_mask(lengths, S)[:, 0, 0]  # torch's key_padding_mask: True = ignore
    dout = randn(gen, B, T, C, dtype=dtype, device=device)
    for causal in ([False] if cross else [False, True]):
        source = (lambda x, c: c) if cross else (lambda x, c: x)
        attn_mask = ~causal_mask(T, device=device) if causal else None
        expected = outputs_and_grads(lambda x, c: theirs(x, source(x, c), source(x, c), key_padding_mask=ignore,
                                                         attn_mask=attn_mask, need_weights=False)[0], [x, ctx], dout)
        got = outputs_and_grads(lambda x, c: ours(x, context=c if cross else None, mask=padding_mask(lengths, S),
                                                  causal=causal), [x, ctx], dout)
        assert_all_close([got[0], *got[1]], [expected[0], *expected[1]], dtype)


def test_multi_head_weights_are_per_head_and_torch_averages_them(gen):
    theirs = torch.nn.MultiheadAttention(8, 2, batch_first=True).double()
    ours = MultiHeadAttention(8, 2).double()
    copy_from_torch(ours, theirs)
    x = randn(gen, 2, 4, 8)
    _, weights = ours(x, need_weights=True)
    assert weights.shape == (2, 2, 4, 4)
    torch.testing.assert_close(weights.mean(1), theirs(x, x, x)[1])


@pytest.mark.parametrize("seed", range(5))
def test_causal_attention_never_looks_ahead(seed):
    gen = torch.Generator().manual_seed(seed)
    mha = MultiHeadAttention(12, 3).double()
    x = randn(gen, 2, 9, 12)
    changed = x.clone()
    changed[:, 6:] = randn(gen, 2, 3, 12)
    torch.testing.assert_close(mha(x, causal=True)[:, :6], mha(changed, causal=True)[:, :6], rtol=0, atol=0)
    assert not torch.allclose(mha(x, causal=True)[:, 6:], mha(changed, causal=True)[:, 6:])


@pytest.mark.parametrize("seed", range(5))
def test_attention_without_positions_is_permutation_equivariant(seed):
    gen = torch.Generator().manual_seed(seed)
    mha = MultiHeadAttention(12, 3).double()
    x, perm = randn(gen, 2, 9, 12), torch.randperm(9, generator=gen)
    torch.testing.assert_close(mha(x[:, perm]), mha(x)[:, perm], rtol=0, atol=1e-12)


@pytest.mark.parametrize("seed", range(5))
def test_rotary_scores_depend_only_on_relative_position(seed):
    gen = torch.Generator().manual_seed(seed)
    q, k = randn(gen, 1, 16), randn(gen, 1, 16)
    shift = int(torch.randint(1, 500, (), generator=gen))

    def score(i, j):
        return (attention.rotate(q, torch.tensor([i])) @ attention.rotate(k, torch.tensor([j])).T).item()
    for i, j in [(3, 1), (0, 7), (10, 10)]:
        assert score(i, j) == pytest.approx(score(i + shift, j + shift), abs=1e-9)
    assert score(3, 1) != pytest.approx(score(1, 3), abs=1e-6)
    norms = attention.rotate(q.expand(4, 16), torch.arange(4)).norm(dim=-1)
    torch.testing.assert_close(norms, q.norm().expand(4))


def test_sinusoidal_positions_equal_the_paper_formula():
    table = attention.sinusoidal_positions(50, 16, dtype=torch.float64)
    expected = torch.tensor([[math.sin(p / 10000 ** (i / 16)) if i % 2 == 0 else math.cos(p / 10000 ** ((i - 1) / 16))
                              for i in range(16)] for p in range(50)], dtype=torch.float64)
    torch.testing.assert_close(table, expected, rtol=0, atol=1e-12)
    with pytest.raises(ValueError, match="C must be even"):
        attention.sinusoidal_positions(4, 5)


def test_layer_cache_appends_keys_in_order_and_keeps_only_what_attention_accepted(gen):
    cache = attention.KVCache(2).layers[0]
    k1, v1, k2, v2 = (randn(gen, 1, 2, n, 4) for n in (3, 3, 1, 1))
    cache.keep(*cache.joined(k1, v1))
    k, v = cache.joined(k2, v2)
    assert cache.length == 3 and torch.equal(k, torch.cat([k1, k2], -2)) and torch.equal(v, torch.cat([v1, v2], -2))
    mha, layer = MultiHeadAttention(8, 2).double(), attention.LayerCache()
    mha(randn(gen, 1, 3, 8), causal=True, cache=layer)
    with pytest.raises(ValueError, match="does not broadcast"):
        mha(randn(gen, 1, 1, 8), mask=torch.ones(2, 2, dtype=torch.bool), cache=layer)
    assert layer.length == 3


def test_cross_attention_rejects_a_cache_and_inputs_must_have_the_width():
    with pytest.raises(ValueError, match="cross-attention takes no cache"):
        MultiHeadAttention(8, 2)(torch.zeros(1, 2, 8), context=torch.zeros(1, 3, 8), cache=attention.LayerCache())
    with pytest.raises(ValueError, match=r"x must be \(B, T, 8\)"):
        MultiHeadAttention(8, 2)(torch.zeros(1, 2, 6))


def test_tiled_attention_names_the_empty_query_in_a_later_tile(gen):
    q, k, v = randn(gen, 1, 6, 4), randn(gen, 1, 6, 4), randn(gen, 1, 6, 2)
    mask = torch.ones(6, 6, dtype=torch.bool)
    mask[4] = False
    with pytest.raises(ValueError, match=r"mask leaves query \(0, 4\)"):
        tiled_attention(q, k, v, mask=mask, block_size=2)


def test_rotary_turns_each_adjacent_channel_pair_by_its_own_angle():
    x = torch.tensor([[1.0, 0.0, 0.0, 1.0]], dtype=torch.float64)
    p = 3
    expected = [math.cos(p), math.sin(p), -math.sin(p / 100), math.cos(p / 100)]  # angles p and p / 10000^(2/4)
    torch.testing.assert_close(attention.rotate(x, torch.tensor([p]))[0], torch.tensor(expected, dtype=torch.float64))


def test_a_cpu_generator_drops_the_same_weights_on_every_device(gen, device):
    q, k, v = randn(gen, 2, 5, 8), randn(gen, 2, 7, 8), randn(gen, 2, 7, 3)
    here = scaled_dot_product_attention(q, k, v, dropout_p=0.4, generator=torch.Generator().manual_seed(3))
    there = scaled_dot_product_attention(q.to(device), k.to(device), v.to(device), dropout_p=0.4,
                                         generator=torch.Generator().manual_seed(3))
    assert there.device.type == device.type
    torch.testing.assert_close(there.cpu(), here)
