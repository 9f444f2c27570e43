"""The Vision Transformer (ViT, Dosovitskiy et al. 2021): cut the image into non-overlapping
patches, map each to a token, prepend a class token, add learned position embeddings, run
chapter 05's Transformer blocks without a causal mask, and classify from the class token.

    model = ViT(ViTConfig(image_size=8, patch_size=2))   # 16 patches of 2x2 pixels
    logits = model(x)                                     # x: (N, C, H, W) -> (N, classes)
    config = config_for_budget(45_000)                    # a ViT with about 45k parameters

Shapes: N images, C channels, H x W pixels, p = patch_size, P = (H / p) (W / p) patches,
E = n_embd. Tested in tests/lib/test_vit.py (the patch embedding against
torch.nn.functional.conv2d, permutation properties, validation).
"""
import itertools
from dataclasses import dataclass, fields

import torch
from torch import nn

from lib import validate
from lib.cnn import check_images
from lib.conv import im2col
from lib.transformer import Block, TransformerConfig

POSITIONS = ("learned", "none")


@dataclass(frozen=True)
class ViTConfig:
    """Sizes of a ViT. image_size: H = W; patch_size: p, dividing image_size; in_channels: C;
    n_embd, n_head, n_layer, ff_hidden (4 E when 0), dropout: of the Transformer blocks;
    classes: the output width; positions: "learned" position embeddings or "none"."""

    image_size: int = 8
    patch_size: int = 2
    in_channels: int = 1
    n_embd: int = 32
    n_head: int = 4
    n_layer: int = 2
    ff_hidden: int = 0
    classes: int = 10
    dropout: float = 0.0
    positions: str = "learned"

    def __post_init__(self):
        for name in ("image_size", "patch_size", "in_channels", "classes"):
            validate.positive_int(getattr(self, name), name)
        if self.image_size % self.patch_size:
            raise ValueError(f"image_size ({self.image_size}) must be divisible by patch_size ({self.patch_size})")
        if self.positions not in POSITIONS:
            raise ValueError(f"positions must be one of {POSITIONS}, got {self.positions!r}")
        _blocks_config(self)  # TransformerConfig checks n_embd, n_head, n_layer, ff_hidden and dropout

    @property
    def n_patches(self):
        """P = (image_size / patch_size)^2, the number of patch tokens (the class token is one more)."""
        return (self.image_size // self.patch_size) ** 2

    @property
    def transformer(self):
        """The TransformerConfig of the blocks: non-causal, and positions="none" because the ViT
        adds its own position embeddings (vocab_size is unused by Block; it is set to classes)."""
        return _blocks_config(self)


def _blocks_config(config):
    return TransformerConfig(vocab_size=config.classes, block_size=config.n_patches + 1, n_layer=config.n_layer,
                             n_head=config.n_head, n_embd=config.n_embd, ff_hidden=config.ff_hidden,
                             dropout=config.dropout, positions="none")


class PatchEmbedding(nn.Module):
    """Non-overlapping p x p patches, each flattened (channel, row, column) and mapped linearly to
    E numbers: the same as a convolution with kernel = stride = p whose weight (E, C, p, p) is
    proj.weight reshaped, its outputs read row by row."""

    def __init__(self, in_channels, n_embd, patch_size):
        super().__init__()
        for name, value in (("in_channels", in_channels), ("n_embd", n_embd), ("patch_size", patch_size)):
            validate.positive_int(value, name)
        self.in_channels, self.patch_size = in_channels, patch_size
        self.proj = nn.Linear(in_channels * patch_size * patch_size, n_embd)

    def forward(self, x):
        """x: (N, C, H, W), H and W divisible by p -> (N, P, E), patches in row-major order."""
        p, c = self.patch_size, self.in_channels
        if validate.tensor(x, "x").dim() != 4 or x.shape[1] != c or x.shape[2] % p or x.shape[3] % p:
            raise ValueError(f"x must be images (N, {c}, H, W) with H and W divisible by patch_size {p}, "
                             f"got shape {tuple(x.shape)}")
        patches = im2col(x, p, stride=p)  # (N, C*p*p, P)
        return self.proj(patches.transpose(1, 2))  # (N, P, E)


class ViT(nn.Module):
    """Patch embedding, a class token, position embeddings, n_layer Blocks, a final LayerNorm and
    a linear head on the class token. Class token and position embeddings start as N(0, 0.02^2)."""

    def __init__(self, config):
        super().__init__()
        if not isinstance(config, ViTConfig):
            raise TypeError(f"config must be a lib.vit.ViTConfig, got {type(config).__name__}")
        self.config = config
        E = config.n_embd
        self.patch_embed = PatchEmbedding(config.in_channels, E, config.patch_size)
        self.cls_token = nn.Parameter(torch.randn(1, 1, E) * 0.02)
        positions = config.n_patches + 1 if config.positions == "learned" else 0
        self.pos_emb = nn.Parameter(torch.randn(1, positions, E) * 0.02) if positions else None
        self.drop = nn.Dropout(config.dropout)
        self.blocks = nn.ModuleList(Block(config.transformer) for _ in range(config.n_layer))
        self.ln_f = nn.LayerNorm(E)
        self.head = nn.Linear(E, config.classes)

    def forward(self, x):
        """x: (N, C, H, W) images of config's size -> logits (N, classes)."""
        check_images(x, self.config)
        tokens = self.patch_embed(x)  # (N, P, E)
        cls = self.cls_token.expand(x.shape[0], -1, -1)  # (N, 1, E)
        h = torch.cat([cls, tokens], dim=1)  # (N, P + 1, E)
        if self.pos_emb is not None:
            h = h + self.pos_emb
        h = self.drop(h)
        for block in self.blocks:
            h = block(h)  # (N, P + 1, E), every token attends to every token
        return self.head(self.ln_f(h[:, 0]))  # (N, classes)


def count_parameters(config):
    """The number of parameters of ViT(config), from its sizes (nothing is built)."""
    if not isinstance(config, ViTConfig):
        raise TypeError(f"config must be a lib.vit.ViTConfig, got {type(config).__name__}")
    E, hidden, p = config.n_embd, config.transformer.hidden, config.patch_size
    positions = config.n_patches + 1 if config.positions == "learned" else 0
    embedding = (config.in_channels * p * p + 1) * E + E + positions * E  # patches, class token, positions
    block = 2 * 2 * E + 4 * (E + 1) * E + (E + 1) * hidden + (hidden + 1) * E  # LayerNorms, attention, MLP
    return embedding + config.n_layer * block + 2 * E + (E + 1) * config.classes  # final LayerNorm, head


def config_for_budget(n_params, **sizes):
    """The ViTConfig with the given sizes (any ViTConfig field but n_embd) whose n_embd, a multiple
    of n_head, brings its parameter count closest to n_params (the smaller n_embd on a tie).

    Example: config_for_budget(45_000, patch_size=2, n_layer=2) -> ViTConfig(n_embd=44, ...)."""
    validate.positive_int(n_params, "n_params")
    allowed = {f.name for f in fields(ViTConfig)} - {"n_embd"}
    if set(sizes) - allowed:
        raise ValueError(f"sizes must be ViTConfig fields other than n_embd, got {sorted(set(sizes) - allowed)}")
    step = sizes.get("n_head", ViTConfig.n_head)
    best = None
    for k in itertools.count(1):  # the count grows with n_embd: stop at the first one at or above n_params
        config = ViTConfig(**sizes, n_embd=k * step)
        gap = count_parameters(config) - n_params
        if best is None or abs(gap) < abs(best[0]):
            best = (gap, config)
        if gap >= 0:
            return best[1]
