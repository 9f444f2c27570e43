"""TinyGPT: a decoder-only Transformer language model (GPT-2's layout, a few hundred thousand
parameters), and generation from it with temperature, top-k and top-p and a key/value cache.

    model = TinyGPT(TransformerConfig(vocab_size=96, block_size=64))
    logits, loss = model(idx, targets)          # idx, targets: (B, T) ids -> (B, T, V), 0-D
    out = generate(model, idx, 100, top_k=10, generator=torch.Generator().manual_seed(0))

Shapes: B batch, T length, C = n_embd, V = vocab_size.
"""
import math

import torch
import torch.nn.functional as F
from torch import nn

from lib import validate
from lib.device import draw_device
from lib.attention import KVCache, sinusoidal_positions
from lib.transformer import Block, check_config


class TinyGPT(nn.Module):
    """Token embedding + positions, n_layer causal Blocks, a final LayerNorm, and an output head
    that shares the token embedding's weights (weight tying, Press and Wolf 2017)."""

    def __init__(self, config):
        super().__init__()
        check_config(config)
        self.config = config
        self.tok_emb = nn.Embedding(config.vocab_size, config.n_embd)
        self.pos_emb = nn.Embedding(config.block_size, config.n_embd) if config.positions == "learned" else None
        if config.positions == "sinusoidal":
            self.register_buffer("pos_table", sinusoidal_positions(config.block_size, config.n_embd), persistent=False)
        self.drop = nn.Dropout(config.dropout)
        self.blocks = nn.ModuleList(Block(config) for _ in range(config.n_layer))
        self.ln_f = nn.LayerNorm(config.n_embd, bias=config.bias) if config.layer_norm else nn.Identity()
        self.head = nn.Linear(config.n_embd, config.vocab_size, bias=False)
        self.head.weight = self.tok_emb.weight
        self.apply(_init_weights)

    def forward(self, idx, targets=None, cache=None):
        """idx: (B, T) int64 ids; targets: (B, T) next ids or None; cache: a KVCache whose
        positions come before idx. Returns logits (B, T, V) and the mean cross-entropy (None
        without targets)."""
        start = 0 if cache is None else cache.length
        logits = self.head(self.hidden(idx, cache))  # (B, T, V)
        if targets is None:
            return logits, None
        self._check_ids(targets, "targets", start, like=idx)
        return logits, F.cross_entropy(logits.flatten(0, 1), targets.flatten())

    def hidden(self, idx, cache=None):
        """idx: (B, T) ids -> (B, T, C): the last block's output after the final LayerNorm, the
        hidden states the head turns into logits (a classifier reads them); cache as in forward."""
        x = self.embed(idx, 0 if cache is None else cache.length)  # (B, T, C)
        for i, block in enumerate(self.blocks):
            x = block(x, causal=True, cache=None if cache is None else cache.layers[i])
        return self.ln_f(x)

    def embed(self, idx, start=0):
        """idx: (B, T) ids at positions start .. start + T - 1 -> (B, T, C): token embeddings plus
        position encodings (none here for rotary and none), then dropout."""
        self._check_ids(idx, "idx", start)
        return self.drop(self.tok_emb(idx) + self._positions(start, idx.shape[1], idx.device))  # (B, T, C)

    def _positions(self, start, T, device):
        """(T, C) position encodings of positions start .. start + T - 1 (zeros for rotary and none)."""
        if self.pos_emb is not None:
            return self.pos_emb(torch.arange(start, start + T, device=device))
        if self.config.positions == "sinusoidal":
            return self.pos_table[start:start + T]
        return torch.zeros((), device=device)

    def _check_ids(self, ids, name, start, like=None):
        validate.token_ids(ids, name, 2, self.config.vocab_size)
        if like is not None and ids.shape != like.shape:
            raise ValueError(f"{name} must have idx's shape {tuple(like.shape)}, got {tuple(ids.shape)}")
        if start + ids.shape[1] > self.config.block_size and self.config.positions in ("learned", "sinusoidal"):
            raise ValueError(f"{name}: positions up to {start + ids.shape[1]} exceed block_size "
                             f"{self.config.block_size}")


def _init_weights(module):
    """GPT-2's initialisation, without its 1/sqrt(2 n_layer) scaling of the residual projections:
    normal(0, 0.02) weights, zero biases."""
    if isinstance(module, (nn.Linear, nn.Embedding)):
        nn.init.normal_(module.weight, mean=0.0, std=0.02)
    if isinstance(module, nn.Linear) and module.bias is not None:
        nn.init.zeros_(module.bias)


def _check_sampling(temperature=1.0, top_k=None, top_p=None):
    if not isinstance(temperature, (int, float)) or isinstance(temperature, bool) or temperature < 0:
        raise ValueError(f"temperature must be a number >= 0, got {temperature!r}")
    if top_k is not None and (isinstance(top_k, bool) or not isinstance(top_k, int) or top_k < 1):
        raise ValueError(f"top_k must be a positive int or None, got {top_k!r}")
    if top_p is not None and (not isinstance(top_p, (int, float)) or isinstance(top_p, bool) or not 0 < top_p <= 1):
        raise ValueError(f"top_p must be a number in (0, 1] or None, got {top_p!r}")


def filter_logits(logits, top_k=None, top_p=None):
    """Keep the top_k largest logits of each row, then the smallest set of the rest whose
    probabilities sum to at least top_p (nucleus sampling, Holtzman et al. 2020); the others
    become -inf. Ties at the cut are all kept. logits: (B, V) -> (B, V)."""
    validate.tensor(logits, "logits", ndim=2)
    _check_sampling(top_k=top_k, top_p=top_p)
    if top_k is not None:
        kth = torch.topk(logits, min(top_k, logits.shape[-1]), dim=-1).values[:, -1:]  # (B, 1)
        logits = logits.masked_fill(logits < kth, -math.inf)
    if top_p is not None and top_p < 1:  # 1 keeps everything (a float32 running sum may round to 1 early)
        probs = torch.softmax(logits, dim=-1)  # (B, V)
        sorted_probs, _ = torch.sort(probs, dim=-1, descending=True)
        before = sorted_probs.cumsum(dim=-1) - sorted_probs  # mass of the strictly larger ones
        cut = sorted_probs.masked_fill(before >= top_p, math.inf).amin(dim=-1, keepdim=True)  # (B, 1)
        logits = logits.masked_fill(probs < cut, -math.inf)
    return logits


def sample(logits, temperature=1.0, top_k=None, top_p=None, generator=None):
    """One id per row from logits (B, V): divided by temperature, filtered (top-k, top-p),
    softmax, drawn with `generator` (temperature 0 takes the argmax). Returns (B,) int64."""
    validate.tensor(logits, "logits", ndim=2)
    _check_sampling(temperature, top_k, top_p)
    if temperature == 0:
        return logits.argmax(dim=-1)
    probs = torch.softmax(filter_logits(logits / temperature, top_k, top_p), dim=-1)  # (B, V)
    drawn = torch.multinomial(probs.to(draw_device(generator, probs.device)), 1, generator=generator)
    return drawn[:, 0].to(probs.device)


@torch.no_grad()
def generate(model, idx, max_new_tokens, temperature=1.0, top_k=None, top_p=None, generator=None,
             use_cache=True, return_logits=False):
    """Extend idx (B, T) by max_new_tokens sampled ids: returns (B, T + max_new_tokens), and the
    logits each new id was drawn from, (B, max_new_tokens, V), if return_logits.

    With use_cache the prompt runs once and each step feeds only the newest id, its keys and
    values appended to a KVCache; without it every step runs the whole sequence (the last
    block_size ids). The logits returned are the model's, before temperature and filtering.
    Both give the same ids and logits while the sequence fits block_size;
    beyond it (rotary or no positions only: learned and sinusoidal ones refuse the cache
    there) the cache keeps every earlier position and the window does not.
    """
    validate.positive_int(max_new_tokens, "max_new_tokens")
    model._check_ids(idx, "idx", 0)
    _check_sampling(temperature, top_k, top_p)
    limit = model.config.block_size
    if use_cache and model.config.positions in ("learned", "sinusoidal") and idx.shape[1] + max_new_tokens > limit:
        raise ValueError(f"max_new_tokens: with the cache, prompt + new ids must fit block_size {limit}, "
                         f"got {idx.shape[1]} + {max_new_tokens}; use use_cache=False to slide a window")
    was_training, cache, seen = model.training, KVCache(model.config.n_layer) if use_cache else None, []
    model.eval()
    try:
        step_input = idx
        for _ in range(max_new_tokens):
            logits, _ = model(step_input if use_cache else idx[:, -limit:], cache=cache)  # (B, t, V)
            seen.append(logits[:, -1])
            nxt = sample(logits[:, -1], temperature, top_k, top_p, generator)  # (B,)
            idx = torch.cat([idx, nxt[:, None]], dim=1)  # (B, T + 1)
            step_input = nxt[:, None]  # (B, 1)
    finally:
        model.train(was_training)
    return (idx, torch.stack(seen, dim=1)) if return_logits else idx


@torch.no_grad()
def attention_maps(model, idx):
    """The attention weights of every layer and head of a TinyGPT on idx (B, T), in eval mode
    (no dropout): (B, n_layer, H, T, T), row t the weights of query t over keys 0..t.
    Each block's attention runs twice, once for its weights and once inside the block."""
    was_training = model.training
    model.eval()
    try:
        x, maps = model.embed(idx), []  # (B, T, C)
        for block in model.blocks:
            maps.append(block.attn(block.ln1(x), causal=True, need_weights=True)[1])  # (B, H, T, T)
            x = block(x, causal=True)
    finally:
        model.train(was_training)
    return torch.stack(maps, dim=1)  # (B, n_layer, H, T, T)
