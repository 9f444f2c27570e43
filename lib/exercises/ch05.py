"""Chapter 05 (attention and Transformers): the definitions of its exercises; the oracles are
torch.nn.functional.scaled_dot_product_attention, torch.nn.MultiheadAttention, torch.softmax,
torch.tril and plain-Python references where torch has no function."""

import math

import torch
import torch.nn.functional as F

from lib.exercises import operators as ops
from lib.exercises.base import Case, Exercise, Mistake, randn, unpack

F64 = dict(rtol=1e-9, atol=1e-12)
SDPA = "torch.nn.functional.scaled_dot_product_attention"


def _pad(g, B, S):
    """(B, 1, S) bool padding mask: True for each row's first lengths[b] keys (the first row full)."""
    lengths = torch.randint(1, S + 1, (B,), generator=g)
    lengths[0] = S
    return (torch.arange(S)[None, :] < lengths[:, None])[:, None, :]


# 1. scaled dot-product attention


def _attention_cases(g):
    q, k, v = randn(g, 2, 4, 8, dtype=torch.float32), randn(g, 2, 6, 8, dtype=torch.float32), randn(g, 2, 6, 3, dtype=torch.float32)
    causal = torch.ones(5, 5, dtype=torch.bool).tril()
    return [
        Case((q, k, v, None), "q (2, 4, 8), k (2, 6, 8), v (2, 6, 3), no mask, float32"),
        Case((q * 6, k * 6, v, None), "large scores (q, k ~ 6 N(0, 1)): the sqrt(d_k) matters", rtol=1e-4, atol=1e-5),
        Case((randn(g, 3, 5, 16), randn(g, 3, 5, 16), randn(g, 3, 5, 4), causal), "a causal (5, 5) mask", **F64),
        Case((randn(g, 3, 4, 8), randn(g, 3, 7, 8), randn(g, 3, 7, 2), _pad(g, 3, 7)), "a padding mask (3, 1, 7)", **F64),
        Case((randn(g, 2, 5, 4), randn(g, 2, 5, 4), randn(g, 2, 5, 4), causal & _pad(g, 2, 5)),
             "causal and padding at once", **F64),
        Case((randn(g, 2, 3, 5, 8), randn(g, 2, 3, 5, 8), randn(g, 2, 3, 5, 2), causal),
             "4-D inputs (batch, heads, T, d_k) = (2, 3, 5, 8), a causal (5, 5) mask", **F64),
    ]


def _attention_expected(q, k, v, mask):
    return F.scaled_dot_product_attention(q, k, v, attn_mask=mask)


def _attention(body):
    return f"""
def attention(q, k, v, mask=None):
    {body}
"""


ATTENTION = Exercise(
    "ch05_attention",
    ("attention",),
    _attention_cases,
    lambda fns, q, k, v, mask: fns["attention"](q, k, v, mask),
    _attention_expected,
    forbidden_ops=ops.ATTENTION,
    forbidden=(SDPA, "torch.nn.functional.multi_head_attention_forward", "torch.nn.MultiheadAttention.forward",
               "lib.attention.scaled_dot_product_attention", "lib.attention.tiled_attention",
               "lib.attention.MultiHeadAttention.forward"),
    mistakes=(
        Mistake("no division by sqrt(d_k): the softmax saturates for large scores", _attention(
            "s = q @ k.transpose(-2, -1)\n    if mask is not None:\n        s = s.masked_fill(~mask, float('-inf'))\n"
            "    return torch.softmax(s, dim=-1) @ v")),
        Mistake("scores divided by d_k instead of sqrt(d_k), and the output by sqrt(d_k) (a formula some texts print)", _attention(
            "s = q @ k.transpose(-2, -1) / q.shape[-1]\n    if mask is not None:\n"
            "        s = s.masked_fill(~mask, float('-inf'))\n    return torch.softmax(s, dim=-1) @ v / math.sqrt(q.shape[-1])")),
        Mistake("softmax over the queries (dim -2) instead of the keys", _attention(
            "s = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])\n    if mask is not None:\n"
            "        s = s.masked_fill(~mask, float('-inf'))\n    return torch.softmax(s, dim=-2).nan_to_num() @ v")),
        Mistake("mask applied after the softmax (the weights no longer sum to 1)", _attention(
            "w = torch.softmax(q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1]), dim=-1)\n    if mask is not None:\n"
            "        w = w * mask\n    return w @ v")),
        Mistake("masked scores set to 0 instead of -inf (masked keys still get weight)", _attention(
            "s = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])\n    if mask is not None:\n"
            "        s = s.masked_fill(~mask, 0.0)\n    return torch.softmax(s, dim=-1) @ v")),
    ),
)


# 2. the causal mask


def _causal_cases(g):
    return [Case((T, S), f"causal_mask({T}, {S})") for T, S in [(4, 4), (1, 1), (3, 7), (1, 9), (16, 16)]]


def _causal_run(fns, T, S):
    mask = fns["causal_mask"](T, S)
    if isinstance(mask, torch.Tensor) and mask.dtype != torch.bool:
        raise TypeError(f"causal_mask must return a bool tensor, got dtype {mask.dtype}")
    return mask


def _causal_expected(T, S):
    """torch's lower-right causal bias, materialised as a (T, S) bool mask."""
    from torch.nn.attention.bias import causal_lower_right  # imports torch._dynamo (seconds): only when used

    return causal_lower_right(T, S)._materialize()


def _causal(body):
    return f"""
def causal_mask(T, S):
    {body}
"""


CAUSAL = Exercise(
    "ch05_causal_mask",
    ("causal_mask",),
    _causal_cases,
    _causal_run,
    _causal_expected,
    forbidden=("lib.attention.causal_mask", "torch.nn.Transformer.generate_square_subsequent_mask",
               "torch.nn.attention.bias.CausalBias._materialize"),
    mistakes=(
        Mistake("the future instead of the past (upper triangle)",
                _causal("return torch.ones(T, S, dtype=torch.bool).triu(diagonal=S - T)")),
        Mistake("a token may not attend to itself (diagonal excluded)",
                _causal("return torch.ones(T, S, dtype=torch.bool).tril(diagonal=S - T - 1)")),
        Mistake("the queries taken as the first T positions, not the last T (wrong with a cache)",
                _causal("return torch.ones(T, S, dtype=torch.bool).tril()")),
    ),
)


# 3. splitting into heads and merging them back


def _heads_cases(g):
    return [
        Case((randn(g, 2, 5, 12, dtype=torch.float32), 3, randn(g, 2, 3, 5, 4, dtype=torch.float32)),
             "x (2, 5, 12) into 3 heads; y (2, 3, 5, 4) merged"),
        Case((randn(g, 1, 7, 8), 1, randn(g, 1, 1, 7, 8)), "one head", **F64),
        Case((randn(g, 3, 4, 16), 8, randn(g, 3, 2, 4, 6)), "8 heads of 2; y (3, 2, 4, 6) merged", **F64),
    ]


def _heads_run(fns, x, n_head, y):
    return fns["split_heads"](x, n_head), fns["merge_heads"](y)


def _heads_expected(x, n_head, y):
    B, T, C = x.shape
    split = torch.stack(x.chunk(n_head, dim=-1), dim=1)  # head h: channels h*hs .. (h+1)*hs - 1
    return split, torch.cat(y.unbind(dim=1), dim=-1)


def _heads(split, merge):
    return f"""
def split_heads(x, n_head):
    B, T, C = x.shape
    return {split}


def merge_heads(x):
    B, H, T, hs = x.shape
    return {merge}
"""


HEADS = Exercise(
    "ch05_split_heads",
    ("split_heads", "merge_heads"),
    _heads_cases,
    _heads_run,
    _heads_expected,
    forbidden=("lib.attention.split_heads", "lib.attention.merge_heads"),
    mistakes=(
        Mistake("reshaped straight to (B, H, T, hs) without the transpose: heads get mixed positions",
                _heads("x.reshape(B, n_head, T, C // n_head)", "x.transpose(1, 2).reshape(B, T, H * hs)")),
        Mistake("merged by reshaping (B, H, T, hs) straight to (B, T, C) without the transpose",
                _heads("x.view(B, T, n_head, C // n_head).transpose(1, 2)", "x.reshape(B, T, H * hs)")),
    ),
)


# 4. multi-head attention


def _mha_params(g, C, dtype):
    names = ("w_q", "b_q", "w_k", "b_k", "w_v", "b_v", "w_o", "b_o")
    return {n: randn(g, *((C, C) if n[0] == "w" else (C,)), dtype=dtype, scale=C ** -0.5) for n in names}


def _mha_cases(g):
    return [
        Case((randn(g, 2, 5, 8, dtype=torch.float32), _mha_params(g, 8, torch.float32), 2, None),
             "x (2, 5, 8), 2 heads, no mask, float32"),
        Case((randn(g, 3, 6, 12), _mha_params(g, 12, torch.float64), 3, torch.ones(6, 6, dtype=torch.bool).tril()),
             "x (3, 6, 12), 3 heads, causal mask", **F64),
        Case((randn(g, 3, 4, 8), _mha_params(g, 8, torch.float64), 4, _pad(g, 3, 4)[:, None]),
             "x (3, 4, 8), 4 heads, padding mask (3, 1, 1, 4)", **F64),
    ]


def _mha_expected(x, params, n_head, mask):
    C = x.shape[-1]
    with torch.random.fork_rng(devices=[]):  # building the module draws initial weights: keep the caller's RNG
        mha = torch.nn.MultiheadAttention(C, n_head, batch_first=True).to(dtype=x.dtype, device=x.device)
    with torch.no_grad():
        mha.in_proj_weight.copy_(torch.cat([params["w_q"], params["w_k"], params["w_v"]]))
        mha.in_proj_bias.copy_(torch.cat([params["b_q"], params["b_k"], params["b_v"]]))
        mha.out_proj.weight.copy_(params["w_o"])
        mha.out_proj.bias.copy_(params["b_o"])
        if mask is None:
            return mha(x, x, x, need_weights=False)[0]
        if mask.dim() == 2:  # (T, S): torch's attn_mask is True where a query may NOT attend
            return mha(x, x, x, attn_mask=~mask, need_weights=False)[0]
        return mha(x, x, x, key_padding_mask=~mask[:, 0, 0], need_weights=False)[0]  # (B, 1, 1, S)


def _mha(project, finish="merge_heads(out) @ p['w_o'].T + p['b_o']"):
    return f"""
def mha_forward(x, p, n_head, mask=None):
    q, k, v = (split_heads(x @ p['w_' + n].T + p['b_' + n], n_head) for n in 'qkv')
    {project}
    out = attention(q, k, v, mask)
    return {finish}
"""


MHA = Exercise(
    "ch05_mha_forward",
    ("mha_forward",),
    _mha_cases,
    lambda fns, x, params, n_head, mask: fns["mha_forward"](x, params, n_head, mask),
    _mha_expected,
    forbidden_ops=ops.ATTENTION,
    forbidden=("torch.nn.MultiheadAttention.forward", "torch.nn.functional.multi_head_attention_forward",
               "lib.attention.MultiHeadAttention.forward"),
    context={"attention": "lib.attention.scaled_dot_product_attention", "split_heads": "lib.attention.split_heads",
             "merge_heads": "lib.attention.merge_heads"},
    mistakes=(
        Mistake("no output projection (w_o, b_o)", _mha("pass", "merge_heads(out)")),
        Mistake("one head over all channels instead of n_head heads", _mha(
            "q, k, v = (merge_heads(t)[:, None] for t in (q, k, v))", "out[:, 0] @ p['w_o'].T + p['b_o']")),
        Mistake("weights applied without the transpose (x @ W instead of x @ W^T)", _mha(
            "q, k, v = (split_heads(x @ p['w_' + n] + p['b_' + n], n_head) for n in 'qkv')")),
    ),
)


# 5. sinusoidal position encodings


def _sinusoid_cases(g):
    return [Case((T, C), f"sinusoidal_positions({T}, {C})", rtol=1e-5, atol=1e-5) for T, C in [(10, 8), (1, 2), (64, 32), (7, 6)]]


def _sinusoid_expected(T, C):
    return torch.tensor([[math.sin(p / 10000 ** (i / C)) if i % 2 == 0 else math.cos(p / 10000 ** ((i - 1) / C))
                          for i in range(C)] for p in range(T)], dtype=torch.float32)


def _sinusoid(angles, table):
    return f"""
def sinusoidal_positions(T, C):
    pos = torch.arange(T, dtype=torch.float64)[:, None]
    {angles}
    return {table}.float()
"""


INTERLEAVED = "torch.stack([a.sin(), a.cos()], dim=-1).reshape(T, C)"
SINUSOID = Exercise(
    "ch05_sinusoidal",
    ("sinusoidal_positions",),
    _sinusoid_cases,
    lambda fns, T, C: fns["sinusoidal_positions"](T, C),
    _sinusoid_expected,
    forbidden=("lib.attention.sinusoidal_positions",),
    mistakes=(
        Mistake("all sines first, then all cosines, instead of interleaved (sin, cos) pairs",
                _sinusoid("a = pos / 10000 ** (torch.arange(0, C, 2, dtype=torch.float64) / C)",
                          "torch.cat([a.sin(), a.cos()], dim=-1)")),
        Mistake("exponent i / C for pair i instead of 2i / C",
                _sinusoid("a = pos / 10000 ** (torch.arange(0, C // 2, dtype=torch.float64) / C)", INTERLEAVED)),
        Mistake("positions counted from 1 instead of 0",
                _sinusoid("a = (pos + 1) / 10000 ** (torch.arange(0, C, 2, dtype=torch.float64) / C)", INTERLEAVED)),
    ),
)


# 6. top-k and top-p filtering


def _filter_cases(g):
    logits = randn(g, 4, 10, dtype=torch.float32, scale=2)
    return [
        Case((logits, 3, None), "top_k=3"),
        Case((logits, None, 0.6), "top_p=0.6"),
        Case((randn(g, 5, 20, scale=3), 8, 0.9), "top_k=8 then top_p=0.9", **F64),
        Case((randn(g, 2, 6), None, 1.0), "top_p=1.0 keeps everything", **F64),
        Case((torch.tensor([[3.0, 1.0, 1.0, 0.5, -1.0]]), 2, None), "top_k=2 with a tie at the cut: keep both"),
        Case((randn(g, 2, 6, dtype=torch.float32), 50, None), "top_k=50 with only 6 logits: keep all"),
        Case((randn(g, 2, 6, dtype=torch.float32), None, None), "neither top_k nor top_p: keep all"),
        Case((torch.tensor([[2.0, 2.0 - math.log(3), -5.0, -5.5]], dtype=torch.float64), None, 0.75),
             "top_p=0.75 where the first token alone has 0.74: the second must be kept", **F64),
    ]


def kept_indices(row, top_k, top_p):
    """Plain-Python reference for one row of logits (a list): the indices that top-k, then top-p,
    keep, sorted; ties at either cut are kept."""
    order = sorted(range(len(row)), key=lambda i: -row[i])
    if top_k is not None:
        order = [i for i in order if row[i] >= row[order[min(top_k, len(row)) - 1]]]
    if top_p is not None:
        weights = [math.exp(row[i] - row[order[0]]) for i in order]
        probs, kept, mass = [w / sum(weights) for w in weights], [], 0.0
        for i, p in zip(order, probs):
            if mass >= top_p and p < probs[len(kept) - 1]:
                break
            kept.append(i)
            mass += p
        order = kept
    return sorted(order)


def _filter_expected(logits, top_k, top_p):
    out = torch.full_like(logits, -math.inf)
    for r, row in enumerate(logits.tolist()):
        kept = kept_indices(row, top_k, top_p)
        out[r, kept] = logits[r, kept]
    return out


def _filter(top_p_lines):
    return f"""
def filter_logits(logits, top_k=None, top_p=None):
    if top_k is not None:
        kth = torch.topk(logits, top_k, dim=-1).values[:, -1:]
        logits = logits.masked_fill(logits < kth, float('-inf'))
    if top_p is not None:
        {top_p_lines}
    return logits
"""


FILTER = Exercise(
    "ch05_top_k_top_p",
    ("filter_logits",),
    _filter_cases,
    lambda fns, logits, top_k, top_p: fns["filter_logits"](logits, top_k, top_p),
    _filter_expected,
    forbidden=("lib.gpt.filter_logits", "lib.gpt.sample"),
    mistakes=(
        Mistake("the nucleus stops before the token that crosses top_p (keeps cumulative <= p only)", _filter(
            "probs, order = torch.sort(torch.softmax(logits, -1), dim=-1, descending=True)\n"
            "        drop = probs.cumsum(-1) > top_p\n"
            "        logits = logits.scatter(-1, order, logits.gather(-1, order).masked_fill(drop, float('-inf')))")),
        Mistake("top_p compared with the logits instead of the probabilities", _filter(
            "vals, order = torch.sort(logits, dim=-1, descending=True)\n"
            "        drop = vals.cumsum(-1) - vals >= top_p\n"
            "        logits = logits.scatter(-1, order, vals.masked_fill(drop, float('-inf')))")),
        Mistake("filtered logits set to 0 instead of -inf (they can still be drawn)", _filter(
            "probs, order = torch.sort(torch.softmax(logits, -1), dim=-1, descending=True)\n"
            "        drop = probs.cumsum(-1) - probs >= top_p\n"
            "        logits = logits.scatter(-1, order, logits.gather(-1, order).masked_fill(drop, 0.0))")),
    ),
)


# 7. one decoding step with a key/value cache


def _decode_cases(g):
    return [
        Case((randn(g, 1, 2, 9, 4, dtype=torch.float32), 3), "B=1, 2 heads, hs=4: a prompt of 3, then 6 steps"),
        Case((randn(g, 2, 3, 8, 5), 1), "B=2, 3 heads: a prompt of 1, then 7 steps", **F64),
        Case((randn(g, 1, 1, 12, 2), 6), "one head of size 2: a prompt of 6, then 6 steps", **F64),
    ]


def _decode_run(fns, qkv, prompt):
    """Feed positions prompt.. one at a time; qkv (B, H, T, hs) serves as queries, keys and values
    (scaled differently). Returns each step's output and the final caches."""
    q, k, v = qkv, qkv * 0.7 + 0.1, qkv.flip(-1)
    k_cache, v_cache, outs = k[:, :, :prompt], v[:, :, :prompt], []
    for t in range(prompt, qkv.shape[2]):
        out, k_cache, v_cache = unpack(fns["decode_step"](q[:, :, t:t + 1], k[:, :, t:t + 1], v[:, :, t:t + 1],
                                                          k_cache, v_cache), 3, "decode_step")
        outs.append(out)
    return outs, k_cache, v_cache


def _decode_expected(qkv, prompt):
    q, k, v = qkv, qkv * 0.7 + 0.1, qkv.flip(-1)
    full = F.scaled_dot_product_attention(q, k, v, is_causal=True)  # every position at once
    return [full[:, :, t:t + 1] for t in range(prompt, qkv.shape[2])], k, v


def _decode(body):
    return f"""
def decode_step(q, k_new, v_new, k_cache, v_cache):
    {body}
"""


DECODE = Exercise(
    "ch05_kv_decode",
    ("decode_step",),
    _decode_cases,
    _decode_run,
    _decode_expected,
    forbidden=("lib.attention.LayerCache.joined", "lib.gpt.generate"),
    context={"attention": "lib.attention.scaled_dot_product_attention"},
    mistakes=(
        Mistake("the new key and value are attended to only from the next step on (the cache forgets them)", _decode(
            "out = attention(q, k_cache, v_cache)\n"
            "    return out, torch.cat([k_cache, k_new], dim=2), torch.cat([v_cache, v_new], dim=2)")),
        Mistake("the grown cache is not returned (each step sees only the prompt and itself)", _decode(
            "k, v = torch.cat([k_cache, k_new], dim=2), torch.cat([v_cache, v_new], dim=2)\n"
            "    return attention(q, k, v), k_cache, v_cache")),
        Mistake("torch's is_causal with one query: its causal mask puts the query first, so it sees only the "
                "first key", _decode(
            "k, v = torch.cat([k_cache, k_new], dim=2), torch.cat([v_cache, v_new], dim=2)\n"
            "    return F.scaled_dot_product_attention(q, k, v, is_causal=True), k, v")),
        Mistake("the new key and value put first in the cache instead of last (the output is right, the cache "
                "order is not)", _decode(
            "k, v = torch.cat([k_new, k_cache], dim=2), torch.cat([v_new, v_cache], dim=2)\n"
            "    return attention(q, k, v), k, v")),
    ),
)


# 8. the online-softmax update


def _online_cases(g):
    scores = randn(g, 3, 12, dtype=torch.float32, scale=3)
    masked = randn(g, 4, 10, scale=5)
    masked[1, :6] = -math.inf  # a row that sees nothing in the first two tiles
    return [
        Case((scores, randn(g, 12, 2, dtype=torch.float32), 4), "3 queries, 12 keys in tiles of 4, float32"),
        Case((randn(g, 3, 8, dtype=torch.float32, scale=100), randn(g, 8, 2, dtype=torch.float32), 4),
             "scores ~ 100 N(0, 1), float32: exp overflows unless the maximum is subtracted"),
        Case((randn(g, 2, 9, scale=40), randn(g, 9, 3), 2), "scores ~ 40 N(0, 1), tiles of 2", **F64),
        Case((masked, randn(g, 10, 1), 3), "a row whose first two tiles are all -inf (masked)", **F64),
    ]


def _online_run(fns, scores, values, tile):
    T = scores.shape[0]
    m = torch.full((T, 1), -math.inf, dtype=scores.dtype, device=scores.device)
    l, acc = torch.zeros_like(m), torch.zeros(T, values.shape[1], dtype=scores.dtype, device=scores.device)
    for j in range(0, scores.shape[1], tile):
        m, l, acc = unpack(fns["online_softmax_update"](m, l, acc, scores[:, j:j + tile], values[j:j + tile]),
                           3, "online_softmax_update")
    return m, acc / l


def _online_expected(scores, values, tile):
    return scores.amax(dim=-1, keepdim=True), torch.softmax(scores, dim=-1) @ values


def _online(body):
    return f"""
def online_softmax_update(m, l, acc, scores, values):
    m_new = torch.maximum(m, scores.amax(dim=-1, keepdim=True))
    {body}
"""


ONLINE = Exercise(
    "ch05_online_softmax",
    ("online_softmax_update",),
    _online_cases,
    _online_run,
    _online_expected,
    forbidden_ops=ops.SOFTMAX + ops.ATTENTION,
    forbidden=("lib.attention.online_softmax_update", "lib.attention.tiled_attention", "torch.softmax",
               "torch.Tensor.softmax", "torch.nn.functional.softmax", SDPA),
    mistakes=(
        Mistake("no maximum subtracted: exp overflows to inf for large scores", _online(
            "p = torch.exp(scores)\n    return m_new, l + p.sum(-1, keepdim=True), acc + p @ values")),
        Mistake("the old sums are not rescaled when the maximum grows", _online(
            "p = torch.exp(scores - m_new)\n    return m_new, l + p.sum(-1, keepdim=True), acc + p @ values")),
        Mistake("acc is rescaled but l is not", _online(
            "r, p = torch.exp(m - m_new), torch.exp(scores - m_new)\n"
            "    return m_new, l + p.sum(-1, keepdim=True), r * acc + p @ values")),
        Mistake("no guard for rows that are all -inf so far: exp(-inf - (-inf)) = nan", _online(
            "r, p = torch.exp(m - m_new), torch.exp(scores - m_new)\n"
            "    return m_new, r * l + p.sum(-1, keepdim=True), r * acc + p @ values")),
    ),
)

EXERCISES = [ATTENTION, CAUSAL, HEADS, MHA, SINUSOID, FILTER, DECODE, ONLINE]
