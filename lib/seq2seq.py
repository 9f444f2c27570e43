"""Sequence to sequence with attention: an LSTM encoder reads the source, an LSTM decoder writes the
target one token at a time, and at each step attends over the encoder's outputs (Bahdanau et al.
2015; the score is Luong et al. 2015's dot product, divided by sqrt(H) as in Vaswani et al. 2017).

    memory = LSTM_enc(embed(src))                              (B, S, H), one vector per source token
    h_t = LSTM_dec(embed(y_{t-1}), state_{t-1})                (B, H), the query
    context_t, weights_t = attention_step(h_t, memory, mask)   (B, H), (B, S)
    p(y_t | y_<t, src) = softmax(W [h_t; context_t] + b)       (B, V)

The decoder starts in every layer from the encoder's output at the last real source token, with a
zero cell. attention_step is chapter 05's lib.attention.scaled_dot_product_attention with one
query; padded source positions get weight exactly 0.

Decoding lives outside forward: greedy_decode (batched), beam_search (generic over a step
function, with length normalisation) and translate (one source sentence through the beam).
Shapes: B batch, S source length, T target length, E embedding, H hidden, V vocabulary,
L layers, K hypotheses in a beam. Masks are bool with True = a real token, right padding.
Tested in tests/lib/test_seq2seq.py: attention_step against a hand loop and torch's
scaled_dot_product_attention, forward against decode_step, beam_search against exhaustive search.
"""
from collections import namedtuple
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from lib import validate
from lib.attention import scaled_dot_product_attention
from lib.lstm import LSTM
from lib.text import pad_batch

Hypothesis = namedtuple("Hypothesis", "tokens log_prob score")
Hypothesis.__doc__ = """One finished beam hypothesis: tokens (list of ids generated after bos, eos
included when it was generated), log_prob (their total log probability), score = log_prob /
len(tokens) ** alpha."""
Translation = namedtuple("Translation", "tokens hypotheses weights")
Translation.__doc__ = """translate's result: tokens (the best hypothesis as target tokens, without
eos), hypotheses (beam_search's list, best first), weights (T, S) the best hypothesis' attention
over the source tokens, one row per generated token (eos included)."""


@dataclass(frozen=True)
class Seq2SeqConfig:
    """Sizes of a Seq2Seq model: src_vocab and tgt_vocab (V), embd (E), hidden (H), num_layers (L)
    of each LSTM; dropout on the embeddings and between LSTM layers during training."""

    src_vocab: int
    tgt_vocab: int
    embd: int = 32
    hidden: int = 64
    num_layers: int = 1
    dropout: float = 0.0

    def __post_init__(self):
        for name in ("src_vocab", "tgt_vocab", "embd", "hidden", "num_layers"):
            validate.positive_int(getattr(self, name), name)
        validate.number(self.dropout, "dropout", 0.0, 0.999)


def check_mask(mask, name, shape, device):
    """mask, checked: bool (B, S) on device, each row some True then only False (right padding)."""
    validate.tensor(mask, name, ndim=2, floating=False)
    if mask.dtype != torch.bool or tuple(mask.shape) != tuple(shape) or mask.device != torch.device(device):
        raise ValueError(f"{name} must be a bool tensor of shape {tuple(shape)} on {device} (True = real "
                         f"token), got {mask.dtype} {tuple(mask.shape)} on {mask.device}")
    lengths = mask.sum(dim=1)  # (B,)
    prefix = torch.arange(mask.shape[1], device=mask.device)[None, :] < lengths[:, None]  # (B, S)
    if not mask[:, 0].all() or not torch.equal(prefix, mask):
        raise ValueError(f"{name} must mark each row's real tokens as a non-empty prefix (right padding), "
                         f"got {mask.int().tolist()}")
    return mask


def attention_step(query, memory, mask):
    """Scaled dot-product attention of one query per example over the encoder outputs.

    query (B, H), memory (B, S, H), mask (B, S) bool, True = real token -> (context (B, H),
    weights (B, S)): weights = softmax(memory query / sqrt(H)) over the real tokens (exactly 0
    at pads), context = weights @ memory. Computed by lib.attention.scaled_dot_product_attention
    with the query as a length-1 sequence.
    """
    validate.tensor(query, "query", ndim=2)
    validate.tensor(memory, "memory", ndim=3)
    if memory.shape[0] != query.shape[0] or memory.shape[2] != query.shape[1]:
        raise ValueError(f"memory must have shape (B, S, H) = ({query.shape[0]}, S, {query.shape[1]}) to "
                         f"match query (B, H), got {tuple(memory.shape)}")
    check_mask(mask, "mask", memory.shape[:2], memory.device)
    context, weights = scaled_dot_product_attention(query[:, None, :], memory, memory, mask=mask[:, None, :],
                                                    need_weights=True)  # (B, 1, H), (B, 1, S)
    return context[:, 0], weights[:, 0]  # (B, H), (B, S)


class Seq2Seq(nn.Module):
    """Encoder-decoder with attention: embeddings, an LSTM encoder (lib.lstm.LSTM), an LSTM decoder
    and a linear layer from [h; context] (2H) to the target vocabulary (V)."""

    def __init__(self, config):
        super().__init__()
        if not isinstance(config, Seq2SeqConfig):
            raise TypeError(f"config must be a Seq2SeqConfig, got {type(config).__name__}")
        c = self.config = config
        self.src_embedding = nn.Embedding(c.src_vocab, c.embd)
        self.tgt_embedding = nn.Embedding(c.tgt_vocab, c.embd)
        self.encoder = LSTM(c.embd, c.hidden, c.num_layers, dropout=c.dropout)
        self.decoder = LSTM(c.embd, c.hidden, c.num_layers, dropout=c.dropout)
        self.drop = nn.Dropout(c.dropout)
        self.out = nn.Linear(2 * c.hidden, c.tgt_vocab)

    def encode(self, src, src_mask):
        """src (B, S) int64 ids, src_mask (B, S) bool -> (memory (B, S, H), state (h (L, B, H),
        c (L, B, H))): the encoder's outputs and the decoder's start state (the output at each
        source's last real token in every layer, a zero cell)."""
        validate.token_ids(src, "src", 2, self.config.src_vocab)
        check_mask(src_mask, "src_mask", src.shape, src.device)
        memory, _ = self.encoder(self.drop(self.src_embedding(src)))  # (B, S, H)
        last = memory[torch.arange(src.shape[0], device=src.device), src_mask.sum(dim=1) - 1]  # (B, H)
        h = last[None].expand(self.config.num_layers, -1, -1).contiguous()  # (L, B, H)
        return memory, (h, torch.zeros_like(h))

    def forward(self, src, src_mask, tgt_in):
        """Teacher forcing: src (B, S), src_mask (B, S), tgt_in (B, T) the target shifted right (bos
        first) -> logits (B, T, V) for the next target token at each position."""
        memory, state = self.encode(src, src_mask)
        validate.token_ids(tgt_in, "tgt_in", 2, self.config.tgt_vocab)
        if tgt_in.shape[0] != src.shape[0] or 0 in tgt_in.shape:
            raise ValueError(f"tgt_in must have shape ({src.shape[0]}, T) with T > 0, got {tuple(tgt_in.shape)}")
        h, _ = self.decoder(self.drop(self.tgt_embedding(tgt_in)), state)  # (B, T, H)
        context = scaled_dot_product_attention(h, memory, memory, mask=src_mask[:, None, :])  # (B, T, H)
        return self.out(torch.cat([h, context], dim=-1))  # (B, T, V)

    def decode_step(self, token, state, memory, src_mask):
        """One decoder step: token (B,) the previous target token, state (h, c) each (L, B, H),
        memory (B, S, H), src_mask (B, S) -> (log_probs (B, V) of the next token, the new state,
        weights (B, S) the attention over the source)."""
        validate.token_ids(token, "token", 1, self.config.tgt_vocab)
        x = self.tgt_embedding(token)[:, None, :]  # (B, 1, E)
        h, state = self.decoder(x, state)  # (B, 1, H)
        context, weights = attention_step(h[:, 0], memory, src_mask)  # (B, H), (B, S)
        logits = self.out(torch.cat([h[:, 0], context], dim=-1))  # (B, V)
        return F.log_softmax(logits, dim=-1), state, weights


def _check_decoding(model, bos_id, eos_id, max_len):
    if not isinstance(model, Seq2Seq):
        raise TypeError(f"model must be a Seq2Seq, got {type(model).__name__}")
    for name, i in (("bos_id", bos_id), ("eos_id", eos_id)):
        if isinstance(i, bool) or not isinstance(i, int) or not 0 <= i < model.config.tgt_vocab:
            raise ValueError(f"{name} must be a target token id in [0, {model.config.tgt_vocab}), got {i!r}")
    validate.positive_int(max_len, "max_len")


@torch.no_grad()
def greedy_decode(model, src, src_mask, bos_id, eos_id, max_len):
    """The most probable next token at every step, for a batch: src (B, S), src_mask (B, S) ->
    (tokens, weights): tokens[b] the ids generated after bos up to and including the first eos
    (at most max_len of them), weights[b] (len(tokens[b]), S) the attention of each step."""
    _check_decoding(model, bos_id, eos_id, max_len)
    memory, state = model.encode(src, src_mask)
    token = torch.full((src.shape[0],), bos_id, dtype=torch.long, device=src.device)  # (B,)
    steps, attention = [], []
    for _ in range(max_len):
        log_probs, state, weights = model.decode_step(token, state, memory, src_mask)
        token = log_probs.argmax(dim=-1)  # (B,), the first maximum on ties
        steps.append(token)
        attention.append(weights)
        if (torch.stack(steps) == eos_id).any(dim=0).all():
            break
    tokens, weights = torch.stack(steps, dim=1).tolist(), torch.stack(attention, dim=1)  # (B, T), (B, T, S)
    lengths = [row.index(eos_id) + 1 if eos_id in row else len(row) for row in tokens]
    return [row[:n] for row, n in zip(tokens, lengths)], [w[:n] for w, n in zip(weights, lengths)]


def _map_states(states, fn):
    """fn applied to every tensor of states: a tensor or nested tuples/lists of tensors."""
    if isinstance(states, torch.Tensor):
        return fn(states)
    if isinstance(states, (tuple, list)) and states:
        return type(states)(_map_states(s, fn) for s in states)
    raise TypeError(f"states must be a tensor or a non-empty tuple/list of tensors, got {type(states).__name__}")


def _check_beam(step, bos_id, eos_id, beam_size, max_len, alpha):
    if not callable(step):
        raise TypeError(f"step must be a function (tokens (K,), states) -> (log_probs (K, V), states), got "
                        f"{type(step).__name__}")
    for name, i in (("bos_id", bos_id), ("eos_id", eos_id)):
        if isinstance(i, bool) or not isinstance(i, int) or i < 0:
            raise ValueError(f"{name} must be a token id (an int >= 0), got {i!r}")
    validate.positive_int(beam_size, "beam_size")
    validate.positive_int(max_len, "max_len")
    validate.number(alpha, "alpha", 0.0)


@torch.no_grad()
def beam_search(step, start_state, bos_id, eos_id, beam_size, max_len, alpha=1.0):
    """Beam search with length normalisation, for any step function.

    step(tokens (K,) int64, states) -> (log_probs (K, V), states): the next-token log
    probabilities of K hypotheses given each one's last token (bos for the empty one); states is
    a tensor or nested tuple/list of tensors with the K hypotheses along dimension 0, and
    start_state is that of the empty hypothesis (K = 1). The rule:
      1. start with the empty hypothesis, log_prob 0, and no finished ones;
      2. extend every live hypothesis by every token and keep the beam_size - (number finished)
         extensions with the largest log_prob (ties: the earlier hypothesis, then the smaller id);
      3. a kept extension that ends with eos_id is finished and set aside; the others live on, so
         the beam narrows by one for each finished hypothesis;
      4. stop when none live; after max_len steps the live hypotheses count as finished (no eos).
    Returns the finished hypotheses (at most beam_size) as Hypothesis(tokens, log_prob, score), by
    score = log_prob / len(tokens) ** alpha, largest first (ties: the one finished first).
    alpha = 0 ranks by log_prob; alpha = 1 by the mean log_prob per token. With beam_size = 1
    this is greedy decoding; with beam_size >= V ** max_len, exhaustive search.
    """
    _check_beam(step, bos_id, eos_id, beam_size, max_len, alpha)
    device = _first_tensor(start_state).device
    live, states, finished = [([], 0.0)], start_state, []
    for _ in range(max_len):
        last = torch.tensor([t[-1] if t else bos_id for t, _ in live], device=device)  # (K,)
        log_probs, states = step(last, states)  # (K, V)
        if validate.tensor(log_probs, "log_probs", ndim=2).shape[0] != len(live):
            raise ValueError(f"step must return log_probs of shape (K, V) = ({len(live)}, V), got {tuple(log_probs.shape)}")
        total = log_probs.new_tensor([lp for _, lp in live])[:, None] + log_probs  # (K, V)
        flat = total.flatten()  # (K V,)
        best = flat.sort(descending=True, stable=True).indices[:beam_size - len(finished)]  # (beam_size - finished,)
        kept = [(divmod(i, total.shape[1]), lp) for i, lp in zip(best.tolist(), flat[best].tolist())]
        finished += [(live[k][0] + [v], lp) for (k, v), lp in kept if v == eos_id]
        kept = [((k, v), lp) for (k, v), lp in kept if v != eos_id]
        live = [(live[k][0] + [v], lp) for (k, v), lp in kept]
        if not live:
            break
        index = torch.tensor([k for (k, _), _ in kept], device=device)  # (K',)
        states = _map_states(states, lambda t: t.index_select(0, index.to(t.device)))
    else:
        finished += live
    return sorted((Hypothesis(t, lp, lp / len(t) ** alpha) for t, lp in finished), key=lambda h: -h.score)


def _first_tensor(states):
    """The first tensor in states (a tensor or nested tuples/lists of tensors), for the device."""
    leaf = states
    while isinstance(leaf, (tuple, list)) and leaf:
        leaf = leaf[0]
    if not isinstance(leaf, torch.Tensor):
        raise TypeError(f"start_state must be a tensor or a non-empty tuple/list of tensors, got {states!r}")
    return leaf


def model_step(model, memory, src_mask):
    """A beam_search step function for one source sentence: memory (1, S, H) and src_mask (1, S)
    from model.encode; the states are (h, c) with the K hypotheses first, (K, L, H) each."""
    if not isinstance(model, Seq2Seq):
        raise TypeError(f"model must be a Seq2Seq, got {type(model).__name__}")
    validate.tensor(memory, "memory", ndim=3)
    if memory.shape[0] != 1 or memory.shape[2] != model.config.hidden:
        raise ValueError(f"memory must have shape (1, S, {model.config.hidden}) for one source sentence, got "
                         f"{tuple(memory.shape)}")
    check_mask(src_mask, "src_mask", memory.shape[:2], memory.device)

    def step(tokens, states):
        k = tokens.shape[0]
        state = tuple(s.transpose(0, 1).contiguous() for s in states)  # (L, K, H) each
        log_probs, state, _ = model.decode_step(tokens, state, memory.expand(k, -1, -1), src_mask.expand(k, -1))
        return log_probs, tuple(s.transpose(0, 1) for s in state)  # (K, L, H) each
    return step


def check_vocab(vocab, name):
    """vocab, checked to have what batch_pairs and translate use: encode, decode, pad_id, bos_id, eos_id."""
    if not all(hasattr(vocab, a) for a in ("encode", "decode", "pad_id", "bos_id", "eos_id")):
        raise TypeError(f"{name} must be a vocabulary with encode, decode, pad_id, bos_id and eos_id "
                        f"(lib.text.Vocab), got {type(vocab).__name__}")
    return vocab


def batch_pairs(pairs, src_vocab, tgt_vocab, device=None):
    """Token pairs -> the tensors of one training batch, with right padding.

    pairs: list of (source tokens, target tokens), e.g. lib.data.numbers.pairs; src_vocab and
    tgt_vocab: vocabularies with encode(tokens) -> ids and pad_id (both), bos_id and eos_id (the
    target's), e.g. lib.text.Vocab. Returns src (B, S) int64 (the source ids, no specials),
    src_mask (B, S) bool, tgt_in (B, T) = bos + target, tgt_out (B, T) = target + eos, padded
    with tgt_vocab.pad_id (ignore it in the loss); padded by lib.text.pad_batch.
    """
    if not isinstance(pairs, (list, tuple)) or not pairs or any(len(p) != 2 or not p[0] or not p[1] for p in pairs):
        raise ValueError("pairs must be a non-empty list of (source tokens, target tokens) with both non-empty")
    check_vocab(src_vocab, "src_vocab")
    check_vocab(tgt_vocab, "tgt_vocab")
    src_ids, src_mask = pad_batch([src_vocab.encode(s) for s, _ in pairs], src_vocab.pad_id, device)  # (B, S)
    tgt = [tgt_vocab.encode(t) for _, t in pairs]
    tgt_in, _ = pad_batch([[tgt_vocab.bos_id] + t for t in tgt], tgt_vocab.pad_id, device)  # (B, T)
    tgt_out, _ = pad_batch([t + [tgt_vocab.eos_id] for t in tgt], tgt_vocab.pad_id, device)  # (B, T)
    return src_ids, src_mask, tgt_in, tgt_out


@torch.no_grad()
def translate(model, src_vocab, tgt_vocab, src_tokens, beam_size=4, max_len=16, alpha=1.0):
    """Translate one source sentence with beam_search: src_tokens, a non-empty list of source
    tokens (unknown ones become src_vocab's unk) -> Translation(tokens, hypotheses, weights (T, S)),
    the vocabularies as in batch_pairs; beam_size=1 is greedy decoding."""
    if not isinstance(src_tokens, (list, tuple)) or not src_tokens:
        raise ValueError(f"src_tokens must be a non-empty list of tokens, got {src_tokens!r}")
    check_vocab(src_vocab, "src_vocab")
    check_vocab(tgt_vocab, "tgt_vocab")
    _check_decoding(model, tgt_vocab.bos_id, tgt_vocab.eos_id, max_len)
    device = model.out.weight.device
    src = torch.tensor([src_vocab.encode(list(src_tokens))], device=device)  # (1, S)
    src_mask = torch.ones_like(src, dtype=torch.bool)  # (1, S)
    memory, state = model.encode(src, src_mask)
    start = tuple(s.transpose(0, 1) for s in state)  # (1, L, H) each
    hypotheses = beam_search(model_step(model, memory, src_mask), start, tgt_vocab.bos_id, tgt_vocab.eos_id,
                             beam_size, max_len, alpha)
    best = hypotheses[0].tokens
    weights = []
    for token in [tgt_vocab.bos_id] + best[:-1]:
        _, state, w = model.decode_step(torch.tensor([token], device=device), state, memory, src_mask)
        weights.append(w[0])
    words = tgt_vocab.decode(best[:-1] if best[-1] == tgt_vocab.eos_id else best)
    return Translation(words, hypotheses, torch.stack(weights))  # weights (T, S)
