"""The attention widget's weights against scaled_dot_product_attention's weights recomputed by
hand from the model's own layers, and its read-out and figure."""
import math

import matplotlib
import pytest
import torch

from lib.gpt import TinyGPT
from lib.tokenizer import CharTokenizer
from lib.transformer import TransformerConfig
from lib.widgets import AttentionWidget

matplotlib.use("Agg")
TEXT = "attention is all you need, they said"


def widget(seed=0):
    tok = CharTokenizer.train(TEXT + "xyz")
    torch.manual_seed(seed)
    model = TinyGPT(TransformerConfig(vocab_size=tok.vocab_size, block_size=24, n_layer=2, n_head=3, n_embd=12)).double()
    for p in model.parameters():  # larger weights than GPT-2's init, so the maps are not flat
        torch.nn.init.normal_(p, std=0.5)
    return AttentionWidget(model.eval(), tok)


def first_layer_weights(model, ids, head):
    """Layer 0's weights by hand: LayerNorm, projections, scores / sqrt(hs), causal softmax."""
    x = model.tok_emb(ids) + model.pos_emb(torch.arange(len(ids)))
    h = model.blocks[0].ln1(x)
    attn, hs = model.blocks[0].attn, 12 // 3
    q = (h @ attn.q_proj.weight.T + attn.q_proj.bias)[:, head * hs:(head + 1) * hs]
    k = (h @ attn.k_proj.weight.T + attn.k_proj.bias)[:, head * hs:(head + 1) * hs]
    scores = (q @ k.T / math.sqrt(hs)).masked_fill(~torch.ones(len(ids), len(ids), dtype=torch.bool).tril(), -math.inf)
    return torch.softmax(scores, -1)


@pytest.mark.parametrize("seed", range(3))
def test_weights_equal_the_first_layer_recomputed_by_hand(seed):
    w = widget(seed)
    text = TEXT[:20]
    for head in range(3):
        r = w.compute(text, 0, head, 7)
        expected = first_layer_weights(w.model, w.tokenizer.encode(text), head)
        torch.testing.assert_close(torch.tensor(r["weights"], dtype=torch.float64), expected.detach(), rtol=0, atol=1e-12)
        assert r["row"] == pytest.approx(expected[7, :8].tolist(), abs=1e-12)


def test_rows_are_causal_distributions_and_the_position_is_clipped():
    w = widget()
    r = w.compute(TEXT, 1, 2, 100)
    weights = torch.tensor(r["weights"], dtype=torch.float64)
    assert r["chars"] == list(TEXT[-24:]) and r["position"] == 23
    torch.testing.assert_close(weights.sum(-1), torch.ones(24, dtype=torch.float64))
    assert torch.equal(weights.triu(1), torch.zeros_like(weights))


def test_readout_names_the_strongest_key_and_bad_choices_are_refused():
    w = widget()
    r = w.compute("attention", 1, 0, 5)
    line = w.readout("attention", 1, 0, 5)
    top = max(range(6), key=r["row"].__getitem__)
    assert f"strongest key = {top}" in line and f"weight = {r['row'][top]:.3f}" in line and "char = 't'" in line
    with pytest.raises(ValueError, match=r"layer must be in \[0, 2\) and head in \[0, 3\)"):
        w.compute("attention", 2, 0, 0)
    with pytest.raises(ValueError, match="at least one character"):
        w.compute("", 0, 0, 0)
    with pytest.raises(ValueError, match="not in the vocabulary"):
        w.compute("ATTENTION", 0, 0, 0)


def test_figure_draws_the_map_and_the_row():
    fig = widget().figure("you need", 0, 1, 3)
    heat, bars = fig.axes[:2]
    assert heat.images[0].get_array().shape == (8, 8) and len(bars.patches) == 4
