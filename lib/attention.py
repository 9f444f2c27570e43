"""Attention: scaled dot-product attention with masks, the same computed in tiles with an online
softmax, splitting into heads, multi-head attention, a key/value cache, and position encodings
(sinusoidal and rotary; learned positions are an nn.Embedding in lib.gpt).

Shapes: B batch, H heads, T queries, S keys and values, hs head size, C = H * hs model width.
Masks follow torch.nn.functional.scaled_dot_product_attention: a boolean mask is True where a
query may attend, a float mask (of q's dtype) is added to the scores; either broadcasts to
(..., T, S). `causal=True` puts the T queries last among the S positions (causal_mask), as a
key/value cache needs; torch's is_causal puts them first, which differs when T != S.
A mask that leaves a query nothing to attend to is an error (torch would return NaN there).
Tested against torch's scaled_dot_product_attention and nn.MultiheadAttention in
tests/lib/test_attention.py.
"""
import math

import torch
from torch import nn

from lib import validate
from lib.device import draw_device


def causal_mask(T, S=None, device=None):
    """(T, S) bool mask, True where query i may attend key j: j <= i + S - T.

    The T queries are the last T of S positions (S = T when None): with a key/value cache, a new
    query sees every cached key and itself. For T = S it is torch's is_causal mask.
    """
    S = T if S is None else S
    validate.positive_int(T, "T")
    validate.positive_int(S, "S")
    if S < T:
        raise ValueError(f"S must be at least T (the queries are the last T of S positions), got T={T}, S={S}")
    return torch.ones(T, S, dtype=torch.bool, device=device).tril(diagonal=S - T)


def padding_mask(lengths, S):
    """lengths: (B,) ints in [1, S] -> (B, 1, 1, S) bool mask, True for each sequence's real keys."""
    validate.integers(lengths, "lengths", ndim=1)
    validate.positive_int(S, "S")
    if lengths.numel() and (int(lengths.min()) < 1 or int(lengths.max()) > S):
        raise ValueError(f"lengths must be in [1, {S}], got values from {int(lengths.min())} to {int(lengths.max())}")
    keys = torch.arange(S, device=lengths.device)
    return (keys[None, :] < lengths[:, None])[:, None, None, :]  # (B, 1, 1, S)


def _check_qkv(q, k, v):
    for name, t in (("q", q), ("k", k), ("v", v)):
        validate.tensor(t, name)
        if t.dim() < 2:
            raise ValueError(f"{name} must have at least 2 dimensions (..., length, size), got shape {tuple(t.shape)}")
    validate.same_device(q=q, k=k, v=v)
    if not (q.dtype == k.dtype == v.dtype):
        raise TypeError(f"q, k and v must share a dtype, got {q.dtype}, {k.dtype}, {v.dtype}")
    if q.shape[:-2] != k.shape[:-2] or k.shape[:-1] != v.shape[:-1] or q.shape[-1] != k.shape[-1]:
        raise ValueError("expected q (..., T, hs), k (..., S, hs) and v (..., S, hv) with the same leading "
                         f"dimensions, got q {tuple(q.shape)}, k {tuple(k.shape)}, v {tuple(v.shape)}")
    if 0 in (q.shape[-2], k.shape[-2], q.shape[-1]):
        raise ValueError(f"q and k need at least one position and one channel, got q {tuple(q.shape)}, "
                         f"k {tuple(k.shape)}")


def _check_mask(mask, scores_shape, q):
    """The mask, checked: a bool or float tensor that broadcasts to scores_shape (..., T, S)."""
    validate.tensor(mask, "mask", floating=False)
    if mask.dtype != torch.bool and mask.dtype != q.dtype:
        raise TypeError(f"mask must be bool (True = may attend) or float of q's dtype {q.dtype} (added to "
                        f"the scores), got {mask.dtype}")
    if mask.device != q.device:
        raise ValueError(f"mask must be on {q.device}, like q, got {mask.device}")
    try:
        fits = torch.broadcast_shapes(mask.shape, scores_shape) == scores_shape
    except RuntimeError:
        fits = False
    if not fits:
        raise ValueError(f"mask of shape {tuple(mask.shape)} does not broadcast to the scores' shape "
                         f"{tuple(scores_shape)} (..., T, S)")
    return mask


def _masked(scores, mask, causal):
    """scores (..., T, S) with the mask applied: -inf where a query may not attend."""
    if causal:
        scores = scores.masked_fill(~causal_mask(*scores.shape[-2:], device=scores.device), -math.inf)
    if mask is None:
        return scores
    if mask.dtype == torch.bool:
        return scores.masked_fill(~mask, -math.inf)
    return scores + mask


def _no_empty_rows(row_max, offset=0):
    """Raise if a query's scores are all -inf. row_max: (..., t, 1) the largest score per query,
    for queries offset .. offset + t - 1."""
    empty = torch.isneginf(row_max)
    if empty.any():
        where = [int(i) for i in torch.nonzero(empty)[0][:-1]]
        where = (*where[:-1], where[-1] + offset)
        raise ValueError(f"mask leaves query {where} (batch..., position) nothing to attend to; "
                         "every query needs at least one key it may attend")


def scaled_dot_product_attention(q, k, v, mask=None, causal=False, dropout_p=0.0, scale=None,
                                 generator=None, need_weights=False):
    """softmax(q k^T / sqrt(hs) + mask) v; matches torch.nn.functional.scaled_dot_product_attention.

    q: (..., T, hs); k: (..., S, hs); v: (..., S, hv); mask: bool or float, broadcasts to
    (..., T, S); causal: also apply causal_mask(T, S); dropout_p: probability of dropping each
    attention weight (the rest scaled by 1 / (1 - p)), drawn from `generator`; scale: replaces
    1 / sqrt(hs). Returns out (..., T, hv), and the weights (..., T, S) if need_weights.
    """
    _check_qkv(q, k, v)
    scale = 1.0 / math.sqrt(q.shape[-1]) if scale is None else scale
    if not 0.0 <= dropout_p < 1.0:
        raise ValueError(f"dropout_p must be in [0, 1), got {dropout_p!r}")
    scores = q @ k.transpose(-2, -1) * scale  # (..., T, S)
    if mask is not None:
        _check_mask(mask, scores.shape, q)
    scores = _masked(scores, mask, causal)
    _no_empty_rows(scores.amax(dim=-1, keepdim=True))
    weights = torch.softmax(scores, dim=-1)  # (..., T, S)
    if dropout_p > 0:
        at = draw_device(generator, q.device)
        keep = torch.rand(weights.shape, generator=generator, device=at, dtype=q.dtype).to(q.device) >= dropout_p
        weights = weights * keep / (1 - dropout_p)
    out = weights @ v  # (..., T, hv)
    return (out, weights) if need_weights else out


def online_softmax_update(m, l, acc, scores, values):
    """Fold one tile of keys into a running softmax-weighted sum, without the earlier scores.

    m: (..., T, 1) largest score so far (-inf before any); l: (..., T, 1) sum of exp(score - m);
    acc: (..., T, hv) sum of exp(score - m) * value; scores: (..., T, s) this tile's scores
    (-inf where masked); values: (..., s, hv). Returns the new (m, l, acc). After the last
    tile, acc / l is softmax(all scores) @ all values.
    """
    for name, t in (("m", m), ("l", l), ("acc", acc), ("scores", scores), ("values", values)):
        validate.tensor(t, name, ndim=range(2, 9))
    T, s = scores.shape[-2:]
    if m.shape[-2:] != (T, 1) or l.shape[-2:] != (T, 1) or values.shape[-2] != s or acc.shape[-1] != values.shape[-1]:
        raise ValueError(f"shapes do not fit: scores (..., {T}, {s}) needs m and l (..., {T}, 1), values "
                         f"(..., {s}, hv) and acc (..., {T}, hv); got m {tuple(m.shape)}, l {tuple(l.shape)}, "
                         f"acc {tuple(acc.shape)}, values {tuple(values.shape)}")
    m_new = torch.maximum(m, scores.amax(dim=-1, keepdim=True))  # (..., T, 1)
    shift = m_new.masked_fill(torch.isneginf(m_new), 0.0)  # a row masked so far contributes 0
    rescale = torch.exp(m - shift)  # the old sums were relative to m
    p = torch.exp(scores - shift)  # (..., T, s)
    return m_new, rescale * l + p.sum(dim=-1, keepdim=True), rescale * acc + p @ values


def tiled_attention(q, k, v, mask=None, causal=False, scale=None, block_size=128):
    """Scaled dot-product attention in (block_size x block_size) tiles with an online softmax:
    the (T, S) score matrix never exists, only one tile of it at a time (the idea of
    FlashAttention, Dao et al. 2022). Same arguments and result as scaled_dot_product_attention
    (without dropout); `causal` builds each tile's mask, so no (T, S) tensor is needed at all.
    """
    _check_qkv(q, k, v)
    validate.positive_int(block_size, "block_size")
    scale = 1.0 / math.sqrt(q.shape[-1]) if scale is None else scale
    T, S = q.shape[-2], k.shape[-2]
    if mask is not None:
        mask = _check_mask(mask, (*q.shape[:-1], S), q).expand(*q.shape[:-1], S)  # (..., T, S), a view
    rows = []
    for i in range(0, T, block_size):
        qi = q[..., i:i + block_size, :]  # (..., t, hs)
        m = qi.new_full((*qi.shape[:-1], 1), -math.inf)
        l, acc = torch.zeros_like(m), qi.new_zeros((*qi.shape[:-1], v.shape[-1]))
        for j in range(0, S, block_size):
            scores = qi @ k[..., j:j + block_size, :].transpose(-2, -1) * scale  # (..., t, s)
            scores = _tile_masked(scores, mask, causal, i, j, T, S)
            m, l, acc = online_softmax_update(m, l, acc, scores, v[..., j:j + block_size, :])
        _no_empty_rows(m, offset=i)
        rows.append(acc / l)  # (..., t, hv)
    return torch.cat(rows, dim=-2)  # (..., T, hv)


def _tile_masked(scores, mask, causal, i, j, T, S):
    """One tile's scores (..., t, s) at query offset i, key offset j, with the mask applied."""
    t, s = scores.shape[-2:]
    if causal:
        allowed = (torch.arange(j, j + s, device=scores.device)[None, :]
                   <= torch.arange(i, i + t, device=scores.device)[:, None] + S - T)  # (t, s)
        scores = scores.masked_fill(~allowed, -math.inf)
    if mask is None:
        return scores
    return _masked(scores, mask[..., i:i + t, j:j + s], False)


def split_heads(x, n_head):
    """x: (B, T, C) -> (B, H, T, hs), hs = C / H: head h gets channels h*hs .. (h+1)*hs - 1."""
    validate.tensor(x, "x", ndim=3)
    validate.positive_int(n_head, "n_head")
    B, T, C = x.shape
    if C % n_head:
        raise ValueError(f"x's last dimension ({C}) must be divisible by n_head ({n_head})")
    return x.view(B, T, n_head, C // n_head).transpose(1, 2)  # (B, H, T, hs)


def merge_heads(x):
    """x: (B, H, T, hs) -> (B, T, H * hs), the inverse of split_heads."""
    validate.tensor(x, "x", ndim=4)
    B, H, T, hs = x.shape
    return x.transpose(1, 2).reshape(B, T, H * hs)  # (B, T, C)


def sinusoidal_positions(T, C, base=10000.0, device=None, dtype=torch.float32):
    """(T, C) encodings of "Attention is all you need": PE[p, 2i] = sin(p / base^(2i/C)),
    PE[p, 2i+1] = cos(p / base^(2i/C)). C must be even."""
    validate.positive_int(T, "T")
    validate.positive_int(C, "C")
    if C % 2:
        raise ValueError(f"C must be even (sine and cosine pairs), got {C}")
    if not base > 0 or not dtype.is_floating_point:
        raise ValueError(f"base must be > 0 and dtype floating, got base={base!r}, dtype={dtype}")
    angles = _angles(torch.arange(T, device=device, dtype=torch.float64), C, base)  # (T, C/2)
    return torch.stack([angles.sin(), angles.cos()], dim=-1).flatten(-2).to(dtype)  # (T, C)


def _angles(positions, size, base):
    """positions: (T,) float64 -> (T, size/2) angles p / base^(2i/size)."""
    freqs = base ** (-torch.arange(0, size, 2, device=positions.device, dtype=torch.float64) / size)
    return positions[:, None] * freqs[None, :]


def rotate(x, positions, base=10000.0):
    """Rotary position encoding (RoFormer, Su et al. 2021): rotate each channel pair (2i, 2i+1)
    of x by the angle p / base^(2i/hs). Then q·k depends on positions only through their
    difference. x: (..., T, hs), hs even; positions: (T,) ints. Returns (..., T, hs)."""
    validate.tensor(x, "x")
    validate.tensor(positions, "positions", ndim=1, floating=False)
    if x.dim() < 2 or x.shape[-1] % 2 or positions.shape[0] != x.shape[-2]:
        raise ValueError(f"expected x (..., T, hs) with hs even and positions (T,), "
                         f"got x {tuple(x.shape)} and positions {tuple(positions.shape)}")
    validate.same_device(x=x, positions=positions)
    if not base > 0:
        raise ValueError(f"base must be > 0, got {base!r}")
    angles = _angles(positions.to(torch.float64), x.shape[-1], base)  # (T, hs/2)
    cos, sin = angles.cos().to(x.dtype), angles.sin().to(x.dtype)  # (T, hs/2)
    even, odd = x[..., 0::2], x[..., 1::2]  # (..., T, hs/2) each
    return torch.stack([even * cos - odd * sin, even * sin + odd * cos], dim=-1).flatten(-2)  # (..., T, hs)


class LayerCache:
    """One attention layer's cached keys and values, (B, H, S, hs) each (None before the first step)."""

    def __init__(self):
        self.k = self.v = None

    @property
    def length(self):
        """S, the number of positions cached."""
        return 0 if self.k is None else self.k.shape[-2]

    def joined(self, k, v):
        """The cached keys and values followed by k, v: (B, H, t, hs); (B, H, S + t, hs) each.
        The cache itself is unchanged until `keep`."""
        if self.k is None:
            return k, v
        return torch.cat([self.k, k], dim=-2), torch.cat([self.v, v], dim=-2)  # (B, H, S + t, hs)

    def keep(self, k, v):
        """Store k, v: (B, H, S, hs) as the cache."""
        self.k, self.v = k, v


class KVCache:
    """The key/value cache of a whole model: one LayerCache per layer."""

    def __init__(self, n_layer):
        validate.positive_int(n_layer, "n_layer")
        self.layers = [LayerCache() for _ in range(n_layer)]

    @property
    def length(self):
        return self.layers[0].length


class MultiHeadAttention(nn.Module):
    """Multi-head attention (Vaswani et al. 2017): project to queries, keys and values, attend in
    n_head heads of size C / n_head, merge, project. Self-attention when `context` is None,
    cross-attention to `context` otherwise. Weights copy from torch.nn.MultiheadAttention:
    in_proj_weight = cat(q_proj, k_proj, v_proj weights), out_proj as is.
    rotary: apply rotary position encoding to queries and keys.
    """

    def __init__(self, n_embd, n_head, bias=True, dropout=0.0, rotary=False):
        super().__init__()
        validate.positive_int(n_embd, "n_embd")
        validate.positive_int(n_head, "n_head")
        if n_embd % n_head:
            raise ValueError(f"n_embd ({n_embd}) must be divisible by n_head ({n_head})")
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {dropout!r}")
        self.n_embd, self.n_head, self.dropout, self.rotary = n_embd, n_head, dropout, rotary
        self.q_proj, self.k_proj, self.v_proj, self.out_proj = (nn.Linear(n_embd, n_embd, bias=bias) for _ in range(4))

    def forward(self, x, context=None, mask=None, causal=False, cache=None, need_weights=False):
        """x: (B, T, C); context: (B, S, C) or None (self-attention); mask: bool or float,
        broadcasts to (B, H, T, S); causal: queries see no later keys; cache: a LayerCache that
        this step's keys and values are appended to (self-attention only).
        Returns (B, T, C), and the weights (B, H, T, S) if need_weights."""
        source = x if context is None else validate.tensor(context, "context", ndim=3)
        for name, t in (("x", x), ("context", source)):
            if validate.tensor(t, name, ndim=3).shape[-1] != self.n_embd:
                raise ValueError(f"{name} must be (B, T, {self.n_embd}), got shape {tuple(t.shape)}")
        if context is not None and (cache is not None or self.rotary):
            raise ValueError("context: cross-attention takes no cache and no rotary positions")
        q = split_heads(self.q_proj(x), self.n_head)  # (B, H, T, hs)
        k, v = split_heads(self.k_proj(source), self.n_head), split_heads(self.v_proj(source), self.n_head)  # (B, H, S, hs)
        if self.rotary:
            q, k = self._rotated(q, k, 0 if cache is None else cache.length)
        if cache is not None:
            k, v = cache.joined(k, v)  # (B, H, S_cached + T, hs)
        out = scaled_dot_product_attention(q, k, v, mask=mask, causal=causal, need_weights=need_weights,
                                           dropout_p=self.dropout if self.training else 0.0)
        if cache is not None:
            cache.keep(k, v)  # only once attention has accepted them
        if need_weights:
            out, weights = out
        out = self.out_proj(merge_heads(out))  # (B, T, C)
        return (out, weights) if need_weights else out

    def _rotated(self, q, k, start):
        """q, k rotated for their positions; the new positions start at `start` (cached before)."""
        positions = torch.arange(start, start + q.shape[-2], device=q.device)
        return rotate(q, positions), rotate(k, positions)
