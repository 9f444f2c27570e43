"""lib.transformer: the pre-LN Block against torch.nn.TransformerEncoderLayer(norm_first=True,
batch_first=True) with copied weights, forward and backward, float32 and float64; the config's
checks and switches."""
import dataclasses

import pytest
import torch

from lib.attention import causal_mask, padding_mask
from lib.transformer import Block, TransformerConfig
from tests.lib.test_attention import TOL, assert_all_close, copy_from_torch, outputs_and_grads, randn


def copy_block(ours, theirs):
    copy_from_torch(ours.attn, theirs.self_attn)
    pairs = [(ours.ln1, theirs.norm1), (ours.ln2, theirs.norm2),
             (ours.ff.net[0], theirs.linear1), (ours.ff.net[2], theirs.linear2)]
    with torch.no_grad():
        for a, b in pairs:
            a.weight.copy_(b.weight)
            a.bias.copy_(b.bias)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("activation", ["relu", "gelu"])
def test_block_equals_torch_encoder_layer(device, gen, dtype, activation):
    config = TransformerConfig(n_embd=16, n_head=4, ff_hidden=24, activation=activation)
    theirs = torch.nn.TransformerEncoderLayer(16, 4, 24, dropout=0.0, activation=activation, batch_first=True,
                                              norm_first=True).to(device=device, dtype=dtype)
    ours = Block(config).to(device=device, dtype=dtype)
    for p in theirs.parameters():  # LayerNorm starts at (1, 0): make every weight matter
        with torch.no_grad():
            p.copy_(randn(gen, *p.shape, dtype=dtype, device=device) * 0.3)
    copy_block(ours, theirs)
    x, dout = randn(gen, 3, 6, 16, dtype=dtype, device=device), randn(gen, 3, 6, 16, dtype=dtype, device=device)
    lengths = torch.tensor([6, 4, 2], device=device)
    for causal in (False, True):
        attn_mask = ~causal_mask(6, device=device) if causal else None
        expected = outputs_and_grads(lambda x: theirs(x, src_mask=attn_mask, src_key_padding_mask=~padding_mask(lengths, 6)[:, 0, 0]), [x], dout)
        got = outputs_and_grads(lambda x: ours(x, mask=padding_mask(lengths, 6), causal=causal), [x], dout)
        assert_all_close([got[0], *got[1]], [expected[0], *expected[1]], dtype, f"causal={causal}")


def test_switches_take_parts_away(gen):
    base = TransformerConfig(n_embd=8, n_head=2)
    full = Block(base)
    assert isinstance(full.ln1, torch.nn.LayerNorm) and full.ff is not None and full.residual
    bare = Block(dataclasses.replace(base, residual=False, layer_norm=False, feed_forward=False))
    assert isinstance(bare.ln1, torch.nn.Identity) and bare.ff is None and bare.ln2 is None
    x = randn(gen, 2, 3, 8, dtype=torch.float32)
    torch.testing.assert_close(bare(x), bare.attn(x))
    with_ff = Block(dataclasses.replace(base, residual=False))
    torch.testing.assert_close(with_ff(x), with_ff.ff(with_ff.ln2(with_ff.attn(with_ff.ln1(x)))))


@pytest.mark.parametrize("field, value, message", [
    ("n_head", 3, "divisible by n_head"), ("n_embd", 0, "n_embd must be a positive int"),
    ("dropout", 1.0, r"dropout must be in \[0, 1\)"), ("activation", "tanh", "activation must be one of"),
    ("positions", "alibi", "positions must be one of"), ("ff_hidden", -1, "ff_hidden must be an int >= 0"),
])
def test_config_rejects_bad_values(field, value, message):
    with pytest.raises(ValueError, match=message):
        TransformerConfig(**{field: value})


def test_config_checks_what_the_positions_need():
    with pytest.raises(ValueError, match="rotary positions need an even head size"):
        TransformerConfig(n_embd=12, n_head=4, positions="rotary")
    with pytest.raises(ValueError, match="sinusoidal positions need an even n_embd"):
        TransformerConfig(n_embd=9, n_head=3, positions="sinusoidal")
    with pytest.raises(TypeError, match="residual must be True or False"):
        TransformerConfig(residual=1)


def test_config_is_frozen_and_hidden_defaults_to_four_times_the_width():
    config = TransformerConfig(n_embd=32, n_head=4)
    assert config.hidden == 128 and dataclasses.replace(config, ff_hidden=10).hidden == 10
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.n_embd = 8
