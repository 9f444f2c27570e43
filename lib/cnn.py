"""A convolutional network (LeCun et al. 1998) for small images, built from lib.conv's Conv2d and
MaxPool2d: a stack of 3x3 convolutions, each followed by a ReLU and some by a 2x2 max pool, then
a classifier head of dense layers.

    model = CNN(CNNConfig())                    # the source article's small CNN on 8x8 digits
    logits = model(x)                           # x: (N, C, H, W) -> (N, classes)
    logits, maps = model(x, need_maps=True)     # and every conv layer's output after its ReLU

Two configurations for 8x8 digits:
- CNNConfig(): one conv of 32 3x3 filters without padding (8x8 -> 6x6), a 2x2 max pool (3x3),
  dense 64, dense 10;
- DEEPER: convs of 32, 32 and 64 3x3 filters with padding 1, a 2x2 max pool after the second
  (8x8 -> 4x4) and the third (-> 2x2), dense 64, dense 10.
With global_avg_pool=True the head first averages each feature map over its positions (Lin et al.
2013); with no hidden layers that head is the one of the class activation map (Zhou et al. 2016).

Shapes: N images, C channels, H x W pixels, F_l filters of conv l and H_l x W_l its output.
Tested against torch.nn.Sequential of torch layers with copied weights in tests/lib/test_cnn.py.
"""
import numbers
from dataclasses import dataclass

import torch
from torch import nn

from lib import validate
from lib.conv import AvgPool2d, Conv2d, MaxPool2d, conv_output_size


def _int_tuple(value, name, allow_empty):
    """Raise unless value is a tuple of positive ints (a list is refused: the config is frozen)."""
    if not isinstance(value, tuple) or (not value and not allow_empty):
        raise TypeError(f"{name} must be a {'' if allow_empty else 'non-empty '}tuple of positive ints, "
                        f"got {value!r}")
    for v in value:
        validate.positive_int(v, name)


def _check_pool_after(pool_after, n_conv):
    """Raise unless pool_after is a tuple of distinct conv indices in [0, n_conv)."""
    fine = isinstance(pool_after, tuple) and len(set(pool_after)) == len(pool_after) and all(
        not isinstance(i, bool) and isinstance(i, int) and 0 <= i < n_conv for i in pool_after)
    if not fine:
        raise ValueError(f"pool_after must be a tuple of distinct conv indices in [0, {n_conv}), got {pool_after!r}")


@dataclass(frozen=True)
class CNNConfig:
    """Sizes of a CNN; the defaults are the source article's small CNN on 8x8 digits.

    image_size: H = W of the input; in_channels: C; channels: F_l of each conv layer;
    kernel_size, padding: of every conv (stride 1); pool_after: indices of the conv layers
    followed by a 2x2 max pool; global_avg_pool: average each final feature map over its
    positions before the head; hidden: widths of the dense layers before the output layer;
    classes: the output width; dropout: probability after each hidden dense layer.
    """

    image_size: int = 8
    in_channels: int = 1
    channels: tuple = (32,)
    kernel_size: int = 3
    padding: int = 0
    pool_after: tuple = (0,)
    global_avg_pool: bool = False
    hidden: tuple = (64,)
    classes: int = 10
    dropout: float = 0.0

    def __post_init__(self):
        for name in ("image_size", "in_channels", "kernel_size", "classes"):
            validate.positive_int(getattr(self, name), name)
        _int_tuple(self.channels, "channels", allow_empty=False)
        _int_tuple(self.hidden, "hidden", allow_empty=True)
        if isinstance(self.padding, bool) or not isinstance(self.padding, int) or self.padding < 0:
            raise ValueError(f"padding must be an int >= 0, got {self.padding!r}")
        _check_pool_after(self.pool_after, len(self.channels))
        if not isinstance(self.global_avg_pool, bool):
            raise TypeError(f"global_avg_pool must be True or False, got {self.global_avg_pool!r}")
        if isinstance(self.dropout, bool) or not isinstance(self.dropout, numbers.Real) or not 0 <= self.dropout < 1:
            raise ValueError(f"dropout must be a number in [0, 1), got {self.dropout!r}")
        _feature_sizes(self)  # raises if the image is too small for the layers

    @property
    def feature_sizes(self):
        """(H_0, ..., H_{L-1}, H_out): each conv layer's output size, then the size the head gets."""
        return _feature_sizes(self)

    @property
    def head_features(self):
        """The width the head's first dense layer reads: F_last (global pool) or F_last * H_out^2."""
        size = 1 if self.global_avg_pool else self.feature_sizes[-1]
        return self.channels[-1] * size * size


def _feature_sizes(config):
    """config.feature_sizes, or a ValueError naming image_size when a layer gets maps too small."""
    sizes, size = [], config.image_size
    for i in range(len(config.channels)):
        try:
            size = conv_output_size(size, config.kernel_size, padding=config.padding)
        except ValueError:
            raise ValueError(f"image_size {config.image_size} is too small: conv layer {i} gets {size}x{size} "
                             f"maps, smaller than kernel_size {config.kernel_size} (padding {config.padding})"
                             ) from None
        sizes.append(size)
        if i in config.pool_after:
            if size < 2:
                raise ValueError(f"image_size {config.image_size} is too small: the max pool after conv layer "
                                 f"{i} gets 1x1 maps")
            size //= 2
    return (*sizes, size)


DEEPER = CNNConfig(channels=(32, 32, 64), padding=1, pool_after=(1, 2))


def check_images(x, config):
    """Raise unless x is a float tensor of images (N, C, H, W) with C = config.in_channels and
    H = W = config.image_size (config: a CNNConfig or a lib.vit.ViTConfig)."""
    c, s = config.in_channels, config.image_size
    if validate.tensor(x, "x").dim() != 4 or tuple(x.shape[1:]) != (c, s, s):
        raise ValueError(f"x must be images (N, {c}, {s}, {s}), got shape {tuple(x.shape)}; flat images "
                         f"(N, {c * s * s}) become images with x.reshape(-1, {c}, {s}, {s})")
    return x


class CNN(nn.Module):
    """Convolutions (each with a ReLU, some with a 2x2 max pool) and a head: flatten (or global
    average pool), dense layers with ReLU and dropout, and a linear output layer.

    convs: the Conv2d layers; head: an nn.Sequential from the last pooled maps to the logits.
    """

    def __init__(self, config):
        super().__init__()
        if not isinstance(config, CNNConfig):
            raise TypeError(f"config must be a lib.cnn.CNNConfig, got {type(config).__name__}")
        self.config = config
        widths = (config.in_channels, *config.channels)
        self.convs = nn.ModuleList(Conv2d(widths[i], widths[i + 1], config.kernel_size, padding=config.padding)
                                   for i in range(len(config.channels)))
        self.pool = MaxPool2d(2)
        self.head = nn.Sequential(*self._head_layers())

    def _head_layers(self):
        """[global average pool,] flatten, (Linear, ReLU[, Dropout]) per hidden width, Linear."""
        config = self.config
        layers = [AvgPool2d(config.feature_sizes[-1])] if config.global_avg_pool else []
        layers, width = layers + [nn.Flatten()], config.head_features
        for h in config.hidden:
            layers += [nn.Linear(width, h), nn.ReLU()] + ([nn.Dropout(config.dropout)] if config.dropout else [])
            width = h
        return layers + [nn.Linear(width, config.classes)]

    def forward(self, x, need_maps=False):
        """x: (N, C, H, W) images -> logits (N, classes); with need_maps also the list of every conv
        layer's output after its ReLU, maps[l] (N, F_l, H_l, W_l), part of the same graph (so a
        gradient of the logits with respect to them can be taken, as Grad-CAM does)."""
        check_images(x, self.config)
        maps = []
        for i, conv in enumerate(self.convs):
            x = torch.relu(conv(x))  # (N, F_i, H_i, W_i)
            maps.append(x)
            if i in self.config.pool_after:
                x = self.pool(x)  # (N, F_i, H_i // 2, W_i // 2)
        logits = self.head(x)  # (N, classes)
        return (logits, maps) if need_maps else logits

    def feature_maps(self, x):
        """x: (N, C, H, W) -> [maps[l] (N, F_l, H_l, W_l) for each conv layer l], after the ReLU."""
        return self(x, need_maps=True)[1]
