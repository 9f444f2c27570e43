"""lib.cnn: the CNN against a torch.nn.Sequential of torch layers holding copied weights (logits,
feature maps, gradients of the input and of every weight; float32 below 1e-5, float64 below
1e-10), shapes and parameter counts worked out from the layer sizes, and the config's checks."""
import dataclasses

import pytest
import torch
from torch import nn

from lib.cnn import CNN, DEEPER, CNNConfig
from tests.lib.test_attention import DTYPES, assert_all_close, randn

CONFIGS = {
    "article": CNNConfig(),
    "deeper": DEEPER,
    "rgb, 5x5, dropout": CNNConfig(image_size=11, in_channels=3, channels=(4, 6), kernel_size=5, padding=2,
                                   pool_after=(1,), hidden=(7, 5), classes=3, dropout=0.3),
    "global average pool": CNNConfig(channels=(5, 6), padding=1, pool_after=(0,), global_avg_pool=True, hidden=()),
}


def torch_twin(config):
    """The same network from torch layers (lazy dense layers find their input width), and the
    indices of its layers whose outputs are the feature maps (each conv's ReLU)."""
    layers, maps, width = [], [], config.in_channels
    for i, f in enumerate(config.channels):
        layers += [nn.Conv2d(width, f, config.kernel_size, padding=config.padding), nn.ReLU()]
        maps.append(len(layers) - 1)
        layers += [nn.MaxPool2d(2)] if i in config.pool_after else []
        width = f
    layers += [nn.AdaptiveAvgPool2d(1)] if config.global_avg_pool else []
    layers.append(nn.Flatten())
    for h in config.hidden:
        layers += [nn.LazyLinear(h), nn.ReLU(), nn.Dropout(config.dropout)]
    layers.append(nn.LazyLinear(config.classes))
    return nn.Sequential(*layers), maps


def twins(config, device, dtype, gen, n=4):
    """A CNN and its torch twin with the same (random) weights, both in eval mode, the twin's
    feature-map indices, and n random images (N, C, H, W) for them."""
    theirs, maps = torch_twin(config)
    theirs(torch.zeros(1, config.in_channels, config.image_size, config.image_size))  # sizes the lazy layers
    ours = CNN(config)
    theirs, ours = theirs.to(device=device, dtype=dtype).eval(), ours.to(device=device, dtype=dtype).eval()
    mine, torch_params = list(ours.parameters()), list(theirs.parameters())
    assert [p.shape for p in mine] == [p.shape for p in torch_params]
    with torch.no_grad():
        for a, b in zip(mine, torch_params):
            scale = b[0].numel() ** -0.5 if b.dim() > 1 else 0.3  # keeps every layer's outputs near 1
            b.copy_(randn(gen, *b.shape, dtype=dtype, device=device) * scale)
            a.copy_(b)
    x = randn(gen, n, config.in_channels, config.image_size, config.image_size, dtype=dtype, device=device)
    return ours, theirs, maps, x


def run_torch(theirs, maps, x):
    outs = []
    for layer in theirs:
        x = layer(x)
        outs.append(x)
    return outs[-1], [outs[i] for i in maps]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", CONFIGS)
def test_cnn_equals_torch_layers_with_copied_weights(device, gen, dtype, name):
    config = CONFIGS[name]
    ours, theirs, maps, x = twins(config, device, dtype, gen)
    leaves = [x.clone().requires_grad_(True) for _ in range(2)]
    (logits, got_maps), (expected, expected_maps) = ours(leaves[0], need_maps=True), run_torch(theirs, maps, leaves[1])
    assert_all_close([logits, *got_maps], [expected, *expected_maps], dtype, "forward")
    dout = randn(gen, *logits.shape, dtype=dtype, device=device)
    got = torch.autograd.grad((logits * dout).sum(), [leaves[0], *ours.parameters()])
    want = torch.autograd.grad((expected * dout).sum(), [leaves[1], *theirs.parameters()])
    assert_all_close(got, want, dtype, "gradients")
    assert_all_close(ours.feature_maps(x), expected_maps, dtype, "feature_maps")


def test_output_and_feature_map_shapes_of_both_configs(gen):
    x = randn(gen, 5, 1, 8, 8, dtype=torch.float32)
    logits, maps = CNN(CNNConfig())(x, need_maps=True)  # 8 - 3 + 1 = 6, pooled to 3
    assert logits.shape == (5, 10) and [m.shape for m in maps] == [(5, 32, 6, 6)]
    logits, maps = CNN(DEEPER)(x, need_maps=True)  # padding 1 keeps 8; pools after the 2nd and 3rd: 4, then 2
    assert logits.shape == (5, 10) and [m.shape for m in maps] == [(5, 32, 8, 8), (5, 32, 8, 8), (5, 64, 4, 4)]
    assert CNNConfig().feature_sizes == (6, 3) and DEEPER.feature_sizes == (8, 8, 4, 2)


def count(model):
    return sum(p.numel() for p in model.parameters())


def test_parameter_counts_follow_from_the_layer_sizes():
    conv = lambda c, f, k=3: (c * k * k + 1) * f  # noqa: E731 (weights and biases)
    dense = lambda i, o: (i + 1) * o  # noqa: E731
    assert count(CNN(CNNConfig())) == conv(1, 32) + dense(32 * 3 * 3, 64) + dense(64, 10) == 19466
    expected = conv(1, 32) + conv(32, 32) + conv(32, 64) + dense(64 * 2 * 2, 64) + dense(64, 10)
    assert count(CNN(DEEPER)) == expected == 45162
    gap = CONFIGS["global average pool"]
    assert count(CNN(gap)) == conv(1, 5) + conv(5, 6) + dense(6, 10)


def test_dropout_acts_in_training_only(gen):
    model = CNN(CONFIGS["rgb, 5x5, dropout"]).double()
    x = randn(gen, 3, 3, 11, 11)
    torch.manual_seed(0)
    assert not torch.equal(model(x), model(x))
    model.eval()
    assert torch.equal(model(x), model(x))


def test_config_is_frozen_and_the_model_keeps_it():
    config = CNNConfig()
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.channels = (8,)
    assert CNN(config).config is config and config == CNNConfig()


@pytest.mark.parametrize("change, error, message", [
    ({"channels": [32]}, TypeError, "channels must be a non-empty tuple"),
    ({"channels": ()}, TypeError, "channels must be a non-empty tuple"),
    ({"channels": (32, 0)}, ValueError, "channels must be a positive int"),
    ({"hidden": (64, -1)}, ValueError, "hidden must be a positive int"),
    ({"hidden": 64}, TypeError, "hidden must be a tuple"),
    ({"pool_after": (1,)}, ValueError, r"pool_after must be a tuple of distinct conv indices in \[0, 1\)"),
    ({"pool_after": (0, 0)}, ValueError, "pool_after must be a tuple of distinct"),
    ({"padding": -1}, ValueError, "padding must be an int >= 0"),
    ({"kernel_size": 0}, ValueError, "kernel_size must be a positive int"),
    ({"classes": 1.5}, ValueError, "classes must be a positive int"),
    ({"dropout": 1.0}, ValueError, r"dropout must be a number in \[0, 1\)"),
    ({"global_avg_pool": 1}, TypeError, "global_avg_pool must be True or False"),
    ({"image_size": 2}, ValueError, "image_size 2 is too small: conv layer 0"),
    ({"image_size": 4, "channels": (4, 4)}, ValueError, "image_size 4 is too small: conv layer 1 gets 1x1"),
    ({"image_size": 3}, ValueError, "image_size 3 is too small: the max pool after conv layer 0"),
])
def test_config_rejects_bad_sizes(change, error, message):
    with pytest.raises(error, match=message):
        CNNConfig(**change)


def test_model_takes_images_only():
    with pytest.raises(TypeError, match="config must be a lib.cnn.CNNConfig"):
        CNN({"channels": (32,)})
    model = CNN(CNNConfig())
    flat = r"x must be images \(N, 1, 8, 8\), got shape \(2, 64\); .* x.reshape\(-1, 1, 8, 8\)"
    with pytest.raises(ValueError, match=flat):
        model(torch.zeros(2, 64))
    with pytest.raises(ValueError, match=r"x must be images \(N, 1, 8, 8\)"):
        model(torch.zeros(2, 3, 8, 8))
    with pytest.raises(TypeError, match="x must have a floating-point dtype"):
        model(torch.zeros(2, 1, 8, 8, dtype=torch.long))
