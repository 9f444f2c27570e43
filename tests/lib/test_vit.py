"""lib.vit: the patch embedding against torch.nn.functional.conv2d with the reshaped weight; the
ViT against the same network from torch parts (conv2d patches, TransformerEncoderLayer blocks with
copied weights), forward and backward; what permuting the patches does with and without position
embeddings; parameter counts, the budget search and the config's checks."""
import dataclasses

import pytest
import torch
import torch.nn.functional as F

from lib.vit import PatchEmbedding, ViT, ViTConfig, config_for_budget, count_parameters
from tests.lib.test_attention import DTYPES, assert_all_close, randn
from tests.lib.test_transformer import copy_block


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("C, p, H, W", [(1, 2, 8, 8), (3, 4, 8, 12), (2, 1, 3, 5), (1, 3, 9, 6)])
def test_patch_embedding_is_a_conv_with_kernel_and_stride_p(device, gen, dtype, C, p, H, W):
    E = 5
    embed = PatchEmbedding(C, E, p).to(device=device, dtype=dtype)
    x = randn(gen, 2, C, H, W, dtype=dtype, device=device)
    dout = randn(gen, 2, (H // p) * (W // p), E, dtype=dtype, device=device)
    weight, bias = embed.proj.weight, embed.proj.bias
    leaves = [t.detach().clone().requires_grad_(True) for t in (x, weight, bias)]
    expected = F.conv2d(leaves[0], leaves[1].reshape(E, C, p, p), leaves[2], stride=p)  # (N, E, H/p, W/p)
    expected = expected.flatten(2).transpose(1, 2)  # (N, P, E), patches row by row
    got = embed(x.clone().requires_grad_(True))
    assert_all_close([got], [expected], dtype, "forward")
    want = torch.autograd.grad((expected * dout).sum(), leaves)
    x_leaf = x.clone().requires_grad_(True)
    grads = torch.autograd.grad((embed(x_leaf) * dout).sum(), [x_leaf, weight, bias])
    assert_all_close(grads, want, dtype, "gradients")


def torch_layers(model, gen):
    """One torch.nn.TransformerEncoderLayer per block of model, each with random weights that are
    copied into its block."""
    config, layers = model.config, []
    for block in model.blocks:
        layer = torch.nn.TransformerEncoderLayer(config.n_embd, config.n_head, config.transformer.hidden, dropout=0.0,
                                                 activation="gelu", batch_first=True, norm_first=True)
        layer = layer.to(device=model.head.weight.device, dtype=model.head.weight.dtype)
        with torch.no_grad():
            for p in layer.parameters():
                p.copy_(randn(gen, *p.shape, dtype=p.dtype, device=p.device) * 0.3)
        copy_block(block, layer)
        layers.append(layer)
    return layers


def torch_vit(model, layers, x):
    """model's network from torch parts: conv2d patches, the torch layers, layer_norm, linear."""
    config, E, p = model.config, model.config.n_embd, model.config.patch_size
    conv_weight = model.patch_embed.proj.weight.reshape(E, config.in_channels, p, p)
    tokens = F.conv2d(x, conv_weight, model.patch_embed.proj.bias, stride=p).flatten(2).transpose(1, 2)
    h = torch.cat([model.cls_token.expand(x.shape[0], 1, E), tokens], dim=1)
    h = h if model.pos_emb is None else h + model.pos_emb
    for layer in layers:
        h = layer(h)
    h = F.layer_norm(h[:, 0], (E,), model.ln_f.weight, model.ln_f.bias)
    return F.linear(h, model.head.weight, model.head.bias)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("positions", ["learned", "none"])
def test_vit_equals_the_network_from_torch_parts(device, gen, dtype, positions):
    config = ViTConfig(image_size=6, patch_size=2, in_channels=2, n_embd=12, n_head=3, n_layer=2, classes=4,
                       positions=positions)
    model = ViT(config).to(device=device, dtype=dtype)
    with torch.no_grad():
        for p in model.parameters():  # LayerNorms start at (1, 0) and the tokens near 0: make all matter
            p.copy_(randn(gen, *p.shape, dtype=dtype, device=device) * 0.3)
    layers = torch_layers(model, gen)
    x = randn(gen, 3, 2, 6, 6, dtype=dtype, device=device)
    expected_leaf, got_leaf = x.clone().requires_grad_(True), x.clone().requires_grad_(True)
    expected, got = torch_vit(model, layers, expected_leaf), model(got_leaf)
    assert got.shape == (3, 4)
    assert_all_close([got], [expected], dtype, "forward")
    dout = randn(gen, 3, 4, dtype=dtype, device=device)
    assert_all_close(torch.autograd.grad((got * dout).sum(), got_leaf),
                     torch.autograd.grad((expected * dout).sum(), expected_leaf), dtype, "input gradient")


def permute_patches(x, p, perm):
    """x (N, C, H, W) with its p x p patches (row-major) moved: patch i goes to place perm[i]."""
    N, C, H, W = x.shape
    patches = x.reshape(N, C, H // p, p, W // p, p).permute(0, 2, 4, 1, 3, 5).reshape(N, -1, C, p, p)
    moved = torch.empty_like(patches)
    moved[:, perm] = patches
    return moved.reshape(N, H // p, W // p, C, p, p).permute(0, 3, 1, 4, 2, 5).reshape(N, C, H, W)


def test_permute_patches_moves_whole_patches():
    x = torch.arange(16.0).reshape(1, 1, 4, 4)
    moved = permute_patches(x, 2, torch.tensor([3, 2, 1, 0]))
    assert moved[0, 0, :2, :2].tolist() == [[10.0, 11.0], [14.0, 15.0]]
    assert moved[0, 0, 2:, 2:].tolist() == [[0.0, 1.0], [4.0, 5.0]]


@pytest.mark.parametrize("seed", range(5))
def test_without_positions_the_class_token_ignores_where_the_patches_are(seed):
    gen = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    config = ViTConfig(image_size=8, patch_size=2, n_embd=16, n_head=4, n_layer=2, positions="none")
    model = ViT(config).double().eval()
    x, perm = randn(gen, 3, 1, 8, 8), torch.randperm(16, generator=gen)
    moved = permute_patches(x, 2, perm)
    assert not torch.equal(moved, x)
    torch.testing.assert_close(model(moved), model(x), rtol=0, atol=1e-12)
    with_positions = ViT(dataclasses.replace(config, positions="learned")).double().eval()
    with torch.no_grad():
        with_positions.load_state_dict(model.state_dict(), strict=False)
        with_positions.pos_emb.copy_(randn(gen, 1, 17, 16))
    assert (with_positions(moved) - with_positions(x)).abs().max() > 1e-3


@pytest.mark.parametrize("sizes", [{}, {"positions": "none"}, {"patch_size": 4, "in_channels": 3, "n_embd": 24,
                                                             "n_layer": 3, "ff_hidden": 40, "classes": 7}])
def test_parameter_count_is_the_models(sizes):
    config = ViTConfig(**sizes)
    assert count_parameters(config) == sum(p.numel() for p in ViT(config).parameters())


@pytest.mark.parametrize("budget, sizes", [(45162, {}), (19466, {"n_layer": 1}),
                                           (30000, {"n_head": 3, "patch_size": 4})])
def test_config_for_budget_picks_the_closest_width(budget, sizes):
    config = config_for_budget(budget, **sizes)
    assert all(getattr(config, k) == v for k, v in sizes.items())
    step = config.n_head
    assert config.n_embd % step == 0
    gap = abs(count_parameters(config) - budget)
    for E in (config.n_embd - step, config.n_embd + step):
        if E > 0:
            assert abs(count_parameters(dataclasses.replace(config, n_embd=E)) - budget) >= gap


def test_budget_search_rejects_unknown_sizes():
    with pytest.raises(ValueError, match=r"sizes must be ViTConfig fields other than n_embd, got \['n_embd'\]"):
        config_for_budget(1000, n_embd=8)
    with pytest.raises(ValueError, match="n_params must be a positive int"):
        config_for_budget(0)


@pytest.mark.parametrize("change, error, message", [
    ({"image_size": 9}, ValueError, r"image_size \(9\) must be divisible by patch_size \(2\)"),
    ({"patch_size": 0}, ValueError, "patch_size must be a positive int"),
    ({"n_embd": 30}, ValueError, r"n_embd \(30\) must be divisible by n_head \(4\)"),
    ({"n_layer": 0}, ValueError, "n_layer must be a positive int"),
    ({"dropout": 1.0}, ValueError, r"dropout must be in \[0, 1\)"),
    ({"positions": "sinusoidal"}, ValueError, r"positions must be one of \('learned', 'none'\)"),
])
def test_config_rejects_bad_sizes(change, error, message):
    with pytest.raises(error, match=message):
        ViTConfig(**change)


def test_modules_reject_bad_input():
    with pytest.raises(TypeError, match="config must be a lib.vit.ViTConfig"):
        ViT({"n_embd": 8})
    with pytest.raises(ValueError, match=r"x must be images \(N, 1, 8, 8\)"):
        ViT(ViTConfig())(torch.zeros(2, 1, 6, 6))
    with pytest.raises(ValueError, match="x must be images .* divisible by patch_size 2"):
        PatchEmbedding(1, 8, 2)(torch.zeros(2, 1, 5, 6))
    with pytest.raises(ValueError, match="n_embd must be a positive int"):
        PatchEmbedding(1, 0, 2)


def test_config_is_frozen_and_blocks_see_no_positions():
    config = ViTConfig()
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.n_embd = 64
    assert config.n_patches == 16 and config.transformer.positions == "none"
    assert config.transformer.block_size == 17 and ViT(config).config is config
