"""The Transformer block: pre-LayerNorm multi-head attention and a feed-forward network, each
added back through a residual connection (the GPT-2 arrangement).

    x = x + attention(LayerNorm(x))
    x = x + feed_forward(LayerNorm(x))

The sizes live in a frozen TransformerConfig that every module reads. Its three switches
(residual, layer_norm, feed_forward) take parts away, so that chapter 05 can measure what each
part buys; with all three on and no dropout, Block equals
torch.nn.TransformerEncoderLayer(norm_first=True, batch_first=True) with copied weights
(tests/lib/test_transformer.py; torch also drops out inside the feed-forward network).
"""
from dataclasses import dataclass

from torch import nn

from lib import validate
from lib.attention import MultiHeadAttention

ACTIVATIONS = {"relu": nn.ReLU, "gelu": nn.GELU}
POSITIONS = ("learned", "sinusoidal", "rotary", "none")


@dataclass(frozen=True)
class TransformerConfig:
    """Sizes and switches of a Transformer (B batch, T length, C = n_embd, V = vocab_size).

    block_size: the longest sequence; ff_hidden: width of the feed-forward layer (4 C when 0);
    positions: "learned" (an embedding), "sinusoidal", "rotary" (inside attention) or "none".
    """

    vocab_size: int = 96
    block_size: int = 64
    n_layer: int = 2
    n_head: int = 4
    n_embd: int = 64
    ff_hidden: int = 0
    dropout: float = 0.0
    bias: bool = True
    activation: str = "gelu"
    positions: str = "learned"
    residual: bool = True
    layer_norm: bool = True
    feed_forward: bool = True

    def __post_init__(self):
        for name in ("vocab_size", "block_size", "n_layer", "n_head", "n_embd"):
            validate.positive_int(getattr(self, name), name)
        if self.n_embd % self.n_head:
            raise ValueError(f"n_embd ({self.n_embd}) must be divisible by n_head ({self.n_head})")
        if isinstance(self.ff_hidden, bool) or not isinstance(self.ff_hidden, int) or self.ff_hidden < 0:
            raise ValueError(f"ff_hidden must be an int >= 0 (0 means 4 * n_embd), got {self.ff_hidden!r}")
        if not 0.0 <= self.dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {self.dropout!r}")
        if self.activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {tuple(ACTIVATIONS)}, got {self.activation!r}")
        if self.positions not in POSITIONS:
            raise ValueError(f"positions must be one of {POSITIONS}, got {self.positions!r}")
        if self.positions == "rotary" and (self.n_embd // self.n_head) % 2:
            raise ValueError("rotary positions need an even head size, got n_embd / n_head = "
                             f"{self.n_embd // self.n_head}")
        if self.positions == "sinusoidal" and self.n_embd % 2:
            raise ValueError(f"sinusoidal positions need an even n_embd, got {self.n_embd}")
        for name in ("bias", "residual", "layer_norm", "feed_forward"):
            if not isinstance(getattr(self, name), bool):
                raise TypeError(f"{name} must be True or False, got {getattr(self, name)!r}")

    @property
    def hidden(self):
        """The feed-forward width: ff_hidden, or 4 * n_embd when it is 0."""
        return self.ff_hidden or 4 * self.n_embd


def check_config(config):
    """Raise unless config is a TransformerConfig."""
    if not isinstance(config, TransformerConfig):
        raise TypeError(f"config must be a lib.transformer.TransformerConfig, got {type(config).__name__}")


class FeedForward(nn.Module):
    """Position-wise feed-forward network: Linear(C, hidden), activation, Linear(hidden, C), dropout."""

    def __init__(self, config):
        super().__init__()
        check_config(config)
        self.net = nn.Sequential(nn.Linear(config.n_embd, config.hidden, bias=config.bias),
                                 ACTIVATIONS[config.activation](),
                                 nn.Linear(config.hidden, config.n_embd, bias=config.bias),
                                 nn.Dropout(config.dropout))

    def forward(self, x):
        """x: (B, T, C) -> (B, T, C)."""
        return self.net(x)


class Block(nn.Module):
    """One pre-LN Transformer block; the switches of `config` remove parts (see the module doc)."""

    def __init__(self, config):
        super().__init__()
        check_config(config)
        norm = (lambda: nn.LayerNorm(config.n_embd, bias=config.bias)) if config.layer_norm else nn.Identity
        self.ln1, self.ln2 = norm(), norm() if config.feed_forward else None
        self.attn = MultiHeadAttention(config.n_embd, config.n_head, bias=config.bias, dropout=config.dropout,
                                       rotary=config.positions == "rotary")
        self.drop = nn.Dropout(config.dropout)
        self.ff = FeedForward(config) if config.feed_forward else None
        self.residual = config.residual

    def forward(self, x, mask=None, causal=False, cache=None):
        """x: (B, T, C) -> (B, T, C); mask, causal, cache as in MultiHeadAttention."""
        a = self.drop(self.attn(self.ln1(x), mask=mask, causal=causal, cache=cache))
        x = x + a if self.residual else a
        if self.ff is None:
            return x
        f = self.ff(self.ln2(x))
        return x + f if self.residual else f
