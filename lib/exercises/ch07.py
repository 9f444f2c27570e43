"""Chapter 07 (language): the definitions of its exercises; the oracles are plain-Python references
for byte-pair encoding and beam search (written here, independently of lib.bpe and lib.seq2seq),
torch.nn.utils.rnn.pad_sequence, torch.nn.LSTMCell with the case's weights,
torch.nn.functional.scaled_dot_product_attention and sacrebleu.corpus_bleu.
"""

import math

import torch
import torch.nn.functional as F

from lib.exercises import operators as ops
from lib.exercises.base import Case, Exercise, Mistake, call, randn

F32 = dict(rtol=1e-5, atol=1e-5)
F64 = dict(rtol=1e-10, atol=1e-12)


def _dtype(dtype):
    """"float32" for torch.float32, for the cases' notes."""
    return str(dtype).removeprefix("torch.")


def _tolerance(dtype):
    return F32 if dtype == torch.float32 else F64


def _int(g, low, high):
    """One integer drawn uniformly from [low, high) with the generator `g`."""
    return int(torch.randint(low, high, (), generator=g))


# 1. one byte-pair-encoding merge


def _bpe_expected(ids, new_id):
    """Count adjacent pairs (overlapping ones too), take the most frequent (ties: the first seen),
    replace its non-overlapping occurrences left to right: (merged ids, pair)."""
    counts = {}
    for pair in zip(ids, ids[1:]):
        counts[pair] = counts.get(pair, 0) + 1
    best = max(counts.values())
    pair = next(p for p, n in counts.items() if n == best)
    merged, i = [], 0
    while i < len(ids):
        if ids[i:i + 2] == list(pair):
            merged.append(new_id)
            i += 2
        else:
            merged.append(ids[i])
            i += 1
    return merged, pair


def _bpe_cases(g):
    text = list("the cat sat on the mat".encode())
    cases = [Case(args, note) for args, note in [
        ((text, 256), "the UTF-8 bytes of 'the cat sat on the mat'"),
        (([97, 97, 97], 256), "'aaa': the pair (97, 97) occurs twice, overlapping, but only one merge fits"),
        (([97, 97, 97, 97, 98], 256), "'aaaab': (97, 97) counted 3 times, merged twice: [256, 256, 98]"),
        (([5, 5, 5, 7, 8, 7, 8], 300), "(5, 5) and (7, 8) both occur twice if overlaps count: the first seen wins"),
        (([3, 9, 1, 2, 1, 2, 3, 9], 10), "(3, 9) and (1, 2) tie at 2: (3, 9) is seen first, though (1, 2) is "
                                          "smaller and seen last"),
        (([4, 2], 7), "two ids: one pair"),
        (([6, 1, 4, 0, 2], 8), "every pair once: the first pair is merged"),
        (([1, 2, 1, 2, 1, 2, 5, 1, 2], 6), "(1, 2) four times, all merged"),
    ]]
    while len(cases) < 14:
        n, alphabet = _int(g, 2, 40), _int(g, 2, 6)
        ids = torch.randint(0, alphabet, (n,), generator=g).tolist()
        cases.append(Case((ids, alphabet), f"{n} random ids from {alphabet} symbols, new id {alphabet}"))
    return cases


BPE_COUNT = "for p in zip(ids, ids[1:]):\n        counts[p] = counts.get(p, 0) + 1"
BPE_COUNT_APART = """for p in dict.fromkeys(zip(ids, ids[1:])):
        n, i = 0, 0
        while i < len(ids) - 1:
            if (ids[i], ids[i + 1]) == p:
                n, i = n + 1, i + 2
            else:
                i += 1
        counts[p] = n"""
BPE_MERGE = """out, i = [], 0
    while i < len(ids):
        if i < len(ids) - 1 and (ids[i], ids[i + 1]) == pair:
            out.append(new_id)
            i += {skip}
        else:
            out.append(ids[i])
            i += 1
    return out, pair"""
BPE_MERGE_FIRST = """for i in range(len(ids) - 1):
        if (ids[i], ids[i + 1]) == pair:
            return ids[:i] + [new_id] + ids[i + 2:], pair"""


def _bpe(count=BPE_COUNT, choose="next(p for p, n in counts.items() if n == best)", merge=BPE_MERGE.format(skip=2)):
    return f"""
def bpe_step(ids, new_id):
    counts = {{}}
    {count}
    best = max(counts.values())
    pair = {choose}
    {merge}
"""


BPE_MERGE_STEP = Exercise(
    "ch07_bpe_merge",
    ("bpe_step",),
    _bpe_cases,
    call("bpe_step"),
    _bpe_expected,
    forbidden=("lib.bpe.get_stats", "lib.bpe.merge", "lib.bpe._merge", "lib.bpe._most_frequent",
               "lib.bpe.BPETokenizer.train"),
    mistakes=(
        Mistake("overlapping occurrences merged twice: after a merge, skip both ids of the pair ('aaa' with "
                "(97, 97) becomes [256, 97])", _bpe(merge=BPE_MERGE.format(skip=1))),
        Mistake("ties broken by the last pair seen instead of the first",
                _bpe(choose="[p for p, n in counts.items() if n == best][-1]")),
        Mistake("ties broken by the smallest pair instead of the first seen",
                _bpe(choose="min(p for p, n in counts.items() if n == best)")),
        Mistake("only the first occurrence of the pair replaced: merge every non-overlapping occurrence",
                _bpe(merge=BPE_MERGE_FIRST)),
        Mistake("pairs counted without overlaps: 'aaa' holds the pair (97, 97) twice",
                _bpe(count=BPE_COUNT_APART)),
    ),
)


# 2. padding a batch and the mean over real tokens


def _pad_case(g, lengths, pad_id, C, dtype, what):
    seqs = [torch.randint(0, 50, (n,), generator=g).tolist() for n in lengths]
    T = max(lengths)
    mask = torch.arange(T)[None, :] < torch.tensor(lengths)[:, None]  # (B, T)
    x = randn(g, len(lengths), T, C, dtype=dtype)
    note = f"lengths {lengths}, pad_id {pad_id}, x {tuple(x.shape)} {_dtype(dtype)}{what}"
    return Case((seqs, pad_id, x, mask), note, **_tolerance(dtype))


def _pad_cases(g):
    cases = [
        _pad_case(g, [3, 5, 1], 0, 4, torch.float32, ""),
        _pad_case(g, [2, 2, 2], 0, 3, torch.float64, ": no padding needed"),
        _pad_case(g, [4], 1, 2, torch.float64, ": one sequence"),
        _pad_case(g, [1, 6, 2, 6], 99, 5, torch.float64, ": pad_id 99, not 0"),
    ]
    for _ in range(3):
        B = _int(g, 1, 6)
        lengths = [_int(g, 1, 9) for _ in range(B)]
        cases.append(_pad_case(g, lengths, _int(g, 0, 4), _int(g, 1, 6), torch.float64, ": random lengths"))
    return cases


def _pad_run(fns, seqs, pad_id, x, mask):
    return fns["pad_batch"](seqs, pad_id), fns["masked_mean"](x, mask)


def _pad_expected(seqs, pad_id, x, mask):
    """torch's pad_sequence for the ids (a tensor of ones for the mask); each row's mean over the
    positions its mask keeps."""
    ids = torch.nn.utils.rnn.pad_sequence([torch.tensor(s, dtype=torch.int64) for s in seqs], batch_first=True,
                                          padding_value=pad_id)
    real = torch.nn.utils.rnn.pad_sequence([torch.ones(len(s), dtype=torch.bool) for s in seqs], batch_first=True)
    mean = torch.stack([x[b][mask[b]].mean(dim=0) for b in range(len(x))])
    return (ids, real), mean


def _pad(fill="pad_id", place="b, :len(s)", real="True", mask_dtype="", mean="(x * m).sum(dim=1) / m.sum(dim=1)"):
    """A loop answer, right but for the part given."""
    return f"""
def pad_batch(seqs, pad_id):
    T = max(len(s) for s in seqs)
    ids = torch.full((len(seqs), T), {fill}, dtype=torch.int64)
    mask = torch.full((len(seqs), T), not {real}, dtype=torch.bool)
    for b, s in enumerate(seqs):
        ids[{place}] = torch.tensor(s, dtype=torch.int64)
        mask[{place}] = {real}
    return ids, mask{mask_dtype}


def masked_mean(x, mask):
    m = mask.unsqueeze(-1).to(x.dtype)
    return {mean}
"""


PAD_MASK = Exercise(
    "ch07_pad_mask",
    ("pad_batch", "masked_mean"),
    _pad_cases,
    _pad_run,
    _pad_expected,
    forbidden_ops=ops.PADDING,
    forbidden=("torch.nn.utils.rnn.pad_sequence", "torch._C._nn.pad_sequence", "torch.nn.utils.rnn.pack_sequence",
               "torch.nn.utils.rnn.pad_packed_sequence", "torch.nested.to_padded_tensor",
               "torch.nested.nested_tensor", "torch.nested.as_nested_tensor", "torch.Tensor.to_padded_tensor",
               "lib.text.pad_batch",
               "lib.text.masked_mean"),
    mistakes=(
        Mistake("padding counted in the mean: average over the real tokens only", _pad(mean="x.mean(dim=1)")),
        Mistake("the sum divided by T (the padded length) instead of each row's number of real tokens",
                _pad(mean="(x * m).sum(dim=1) / x.shape[1]")),
        Mistake("the mask inverted: True must mark the real tokens, False the padding", _pad(real="False")),
        Mistake("left padding: the course pads on the right, the real tokens come first",
                _pad(place="b, T - len(s):")),
        Mistake("padded with 0 instead of pad_id", _pad(fill="0")),
        Mistake("the mask as 0/1 integers instead of a bool tensor", _pad(mask_dtype=".long()")),
    ),
)


# 3. the LSTM cell


def _lstm_case(g, B, I, H, dtype, bias, what):
    scale = H ** -0.5  # torch's init range
    w_ih, w_hh = randn(g, 4 * H, I, dtype=dtype, scale=scale), randn(g, 4 * H, H, dtype=dtype, scale=scale)
    b_ih, b_hh = (randn(g, 4 * H, dtype=dtype, scale=scale), randn(g, 4 * H, dtype=dtype, scale=scale)) if bias \
        else (None, None)
    state = (randn(g, B, H, dtype=dtype), randn(g, B, H, dtype=dtype))
    note = f"x ({B}, {I}), H = {H}, {'biases' if bias else 'no biases'}, {_dtype(dtype)}{what}"
    return Case((randn(g, B, I, dtype=dtype), state, w_ih, w_hh, b_ih, b_hh), note, **_tolerance(dtype))


def _lstm_cases(g):
    cases = [
        _lstm_case(g, 3, 5, 4, torch.float32, True, ""),
        _lstm_case(g, 2, 3, 6, torch.float64, True, ": the input smaller than the state"),
        _lstm_case(g, 4, 7, 3, torch.float64, False, ": bias_ih and bias_hh are None"),
        _lstm_case(g, 1, 1, 1, torch.float64, True, ": one input, one unit"),
    ]
    for _ in range(2):
        B, I, H = _int(g, 1, 6), _int(g, 1, 9), _int(g, 1, 9)
        cases.append(_lstm_case(g, B, I, H, torch.float64, True, ": random sizes"))
    return cases


def _lstm_run(fns, x, state, weight_ih, weight_hh, bias_ih, bias_hh):
    return tuple(fns["lstm_cell"](x, state, weight_ih, weight_hh, bias_ih, bias_hh))


def _lstm_expected(x, state, weight_ih, weight_hh, bias_ih, bias_hh):
    """torch.nn.LSTMCell holding the case's weights."""
    H, I = weight_hh.shape[1], weight_ih.shape[1]
    with torch.device("meta"):  # no initial weights drawn: the case's tensors are assigned below
        cell = torch.nn.LSTMCell(I, H, bias=bias_ih is not None)
    weights = {"weight_ih": weight_ih, "weight_hh": weight_hh}
    if bias_ih is not None:
        weights.update(bias_ih=bias_ih, bias_hh=bias_hh)
    cell.load_state_dict(weights, assign=True)
    with torch.no_grad():
        return cell(x, state)


def _lstm(order="i, f, g, o", g_act="torch.tanh", h="torch.tanh(c_new)"):
    return f"""
def lstm_cell(x, state, weight_ih, weight_hh, bias_ih=None, bias_hh=None):
    h, c = state
    z = x @ weight_ih.T + h @ weight_hh.T
    if bias_ih is not None:
        z = z + bias_ih + bias_hh
    {order} = z.chunk(4, dim=1)
    i, f, o, g = torch.sigmoid(i), torch.sigmoid(f), torch.sigmoid(o), {g_act}(g)
    c_new = f * c + i * g
    return o * {h}, c_new
"""


LSTM_CELL = Exercise(
    "ch07_lstm_cell",
    ("lstm_cell",),
    _lstm_cases,
    _lstm_run,
    _lstm_expected,
    forbidden_ops=ops.LSTM,
    forbidden=("torch.lstm_cell", "torch.lstm", "torch.quantized_lstm_cell", "torch._lstm_mps",
               "torch.nn.LSTMCell.forward", "torch.nn.LSTM.forward", "lib.lstm.lstm_cell", "lib.lstm._step",
               "lib.lstm.LSTMCell.forward", "lib.lstm.LSTM.forward"),
    mistakes=(
        Mistake("the input and forget gates swapped: torch's rows are i, f, g, o", _lstm(order="f, i, g, o")),
        Mistake("CS231n's gate order i, f, o, g: torch's (and this course's) is i, f, g, o",
                _lstm(order="i, f, o, g")),
        Mistake("no tanh on the new cell state: h = o * tanh(c)", _lstm(h="c_new")),
        Mistake("h computed from the old cell state instead of the new one", _lstm(h="torch.tanh(c)")),
        Mistake("the candidate g through a sigmoid instead of tanh", _lstm(g_act="torch.sigmoid")),
    ),
)


# 4. one attention step of the decoder


def _step_case(g, B, S, H, dtype, lengths, what, scale=1.0):
    mask = torch.arange(S)[None, :] < torch.tensor(lengths)[:, None]  # (B, S), True = a real source token
    note = f"query ({B}, {H}), memory ({B}, {S}, {H}), source lengths {lengths}, {_dtype(dtype)}{what}"
    args = (randn(g, B, H, dtype=dtype, scale=scale), randn(g, B, S, H, dtype=dtype, scale=scale), mask)
    return Case(args, note, **_tolerance(dtype))


def _step_cases(g):
    cases = [
        _step_case(g, 2, 5, 4, torch.float32, [5, 3], ""),
        _step_case(g, 3, 6, 8, torch.float64, [6, 1, 4], ": a source of one token gets all the weight"),
        _step_case(g, 1, 4, 16, torch.float64, [4], ": one sentence, no padding"),
        _step_case(g, 2, 7, 9, torch.float64, [7, 2], ": large scores (x 3), the 1/sqrt(H) matters", scale=3.0),
    ]
    for _ in range(2):
        B, S, H = _int(g, 2, 5), _int(g, 2, 9), _int(g, 1, 9)
        lengths = [S] + [_int(g, 1, S + 1) for _ in range(B - 1)]
        cases.append(_step_case(g, B, S, H, torch.float64, lengths, ": random sizes"))
    return cases


def _step_run(fns, query, memory, mask):
    return tuple(fns["attention_step"](query, memory, mask))


def _step_expected(query, memory, mask):
    """torch's scaled_dot_product_attention of the query (as one position) over the memory; the
    weights are its output when the values are the identity matrix."""
    B, S, _ = memory.shape
    q, m = query[:, None, :], mask[:, None, :]  # (B, 1, H), (B, 1, S)
    eye = torch.eye(S, dtype=memory.dtype, device=memory.device).expand(B, S, S)
    context = F.scaled_dot_product_attention(q, memory, memory, attn_mask=m)
    weights = F.scaled_dot_product_attention(q, memory, eye, attn_mask=m)
    return context[:, 0], weights[:, 0]


def _attend(scale=" / math.sqrt(query.shape[-1])", masking="scores = scores.masked_fill(~mask, float('-inf'))",
            dim="-1"):
    return f"""
def attention_step(query, memory, mask):
    scores = torch.einsum("bsh,bh->bs", memory, query){scale}
    {masking}
    weights = torch.softmax(scores, dim={dim})
    return torch.einsum("bs,bsh->bh", weights, memory), weights
"""


ATTENTION_STEP = Exercise(
    "ch07_attention_step",
    ("attention_step",),
    _step_cases,
    _step_run,
    _step_expected,
    forbidden_ops=ops.ATTENTION,
    forbidden=("torch.nn.functional.scaled_dot_product_attention", "torch._scaled_dot_product_attention_math",
               "torch._scaled_dot_product_flash_attention_for_cpu", "torch.nn.functional.multi_head_attention_forward",
               "torch.nn.MultiheadAttention.forward", "lib.attention.scaled_dot_product_attention",
               "lib.attention.tiled_attention", "lib.attention.MultiHeadAttention.forward",
               "lib.seq2seq.attention_step", "lib.seq2seq.Seq2Seq.decode_step"),
    mistakes=(
        Mistake("the mask ignored: padding positions of the source get attention weight", _attend(masking="pass")),
        Mistake("the mask inverted: True marks the real source tokens, which may be attended to",
                _attend(masking="scores = scores.masked_fill(mask, float('-inf'))")),
        Mistake("no division by sqrt(H): the softmax saturates for large scores", _attend(scale="")),
        Mistake("softmax over the batch (dim 0) instead of the source positions", _attend(dim="0")),
        Mistake("padding scores set to 0 instead of -inf (padding still gets weight)",
                _attend(masking="scores = scores.masked_fill(~mask, 0.0)")),
    ),
)


# 5. beam search


def _chain(g, V, eos_id, eos_bias):
    """(V, V, V, V) float64 log-probabilities of a third-order Markov chain: [a, b, c, v] is
    log p(next = v | the three tokens before are a, b, c); eos_bias is added to eos's logit."""
    logits = randn(g, V, V, V, V, scale=2.0)
    logits[..., eos_id] += eos_bias
    return torch.log_softmax(logits, dim=-1)


def _beam_case(g, V, beam_size, max_len, alpha, what, eos_bias=0.0):
    eos_id = _int(g, 1, V)
    note = (f"a random 3rd-order Markov chain over {V} tokens (bos 0, eos {eos_id}), beam_size {beam_size}, "
            f"max_len {max_len}, alpha {alpha}{what}")
    return Case((_chain(g, V, eos_id, eos_bias), 0, eos_id, beam_size, max_len, alpha), note, **F64)


def _beam_cases(g):
    cases = [
        _beam_case(g, 5, 3, 6, 1.0, ""),
        _beam_case(g, 5, 1, 6, 1.0, ": a beam of 1 is greedy decoding"),
        _beam_case(g, 6, 4, 5, 0.0, ": alpha 0 ranks by log_prob alone"),
        _beam_case(g, 4, 3, 7, 0.7, ": eos likely, hypotheses finish early", eos_bias=2.0),
        _beam_case(g, 4, 2, 4, 1.0, ": eos unlikely, hypotheses still live at max_len count as finished",
                   eos_bias=-8.0),
        _beam_case(g, 3, 27, 3, 1.0, ": a beam as wide as all 27 sequences of 3 tokens: exhaustive search"),
    ]
    for _ in range(2):
        V, beam_size, max_len = _int(g, 3, 7), _int(g, 1, 6), _int(g, 1, 7)
        alpha = round(float(torch.rand((), generator=g, dtype=torch.float64)) * 1.5, 2)
        cases.append(_beam_case(g, V, beam_size, max_len, alpha, ": random sizes", eos_bias=1.0))
    return cases


def _chain_step(table):
    """The step function of the chain: states (the token fed one step before (K,), and the one
    before that (K,))."""
    def step(tokens, states):
        before, earlier = (s.to(table.device) for s in states)
        tokens = tokens.to(table.device)
        return table[earlier, before, tokens], (tokens, before)  # (K, V)
    return step


def _beam_run(fns, table, bos_id, eos_id, beam_size, max_len, alpha):
    start = (torch.tensor([bos_id], device=table.device), torch.tensor([bos_id], device=table.device))
    found = fns["beam_search"](_chain_step(table), start, bos_id, eos_id, beam_size, max_len, alpha)
    if not isinstance(found, list) or not all(isinstance(h, tuple) and len(h) == 3 for h in found):
        raise TypeError(f"beam_search must return a list of (tokens, log_prob, score) tuples, got {found!r}"[:300])
    return [tuple(h) for h in found]  # lib.seq2seq's Hypothesis (a named tuple) as a plain tuple


def _beam_expected(table, bos_id, eos_id, beam_size, max_len, alpha):
    """The rule of lib.seq2seq.beam_search, in plain Python over the chain's table."""
    logp, V = table.tolist(), table.shape[-1]
    live, finished = [([], 0.0)], []
    for _ in range(max_len):
        extended = []
        for k, (tokens, lp) in enumerate(live):
            a, b, c = ([bos_id] * 3 + tokens)[-3:]
            extended += [(lp + logp[a][b][c][v], k, v) for v in range(V)]
        kept = sorted(extended, key=lambda e: (-e[0], e[1], e[2]))[:beam_size - len(finished)]
        finished += [(live[k][0] + [v], lp) for lp, k, v in kept if v == eos_id]
        live = [(live[k][0] + [v], lp) for lp, k, v in kept if v != eos_id]
        if not live:
            break
    else:
        finished += live
    scored = [(tokens, lp, lp / len(tokens) ** alpha) for tokens, lp in finished]
    return sorted(scored, key=lambda h: -h[2])


def _beam(keep="beam_size - len(finished)", finish="finished += [(live[k][0] + [v], lp) for k, v, lp in kept if v == eos_id]",
          reorder="tuple(s.index_select(0, torch.tensor(origins, device=s.device)) for s in states)",
          length="len(t)"):
    """A loop answer, right but for the part given."""
    return f"""
def beam_search(step, start_state, bos_id, eos_id, beam_size, max_len, alpha=1.0):
    live, states, finished = [([], 0.0)], start_state, []
    for _ in range(max_len):
        log_probs, states = step(torch.tensor([t[-1] if t else bos_id for t, _ in live]), states)
        total = torch.tensor([lp for _, lp in live], dtype=log_probs.dtype)[:, None] + log_probs.cpu()
        V = total.shape[1]
        best = total.flatten().sort(descending=True, stable=True).indices[:{keep}].tolist()
        kept = [(i // V, i % V, float(total.flatten()[i])) for i in best]
        {finish}
        origins = [k for k, v, _ in kept if v != eos_id]
        live = [(live[k][0] + [v], lp) for k, v, lp in kept if v != eos_id]
        if not live:
            break
        states = {reorder}
    else:
        finished += live
    return sorted(((t, lp, lp / {length} ** alpha) for t, lp in finished), key=lambda h: -h[2])
"""


BEAM_SEARCH = Exercise(
    "ch07_beam_search",
    ("beam_search",),
    _beam_cases,
    _beam_run,
    _beam_expected,
    forbidden=("lib.seq2seq.beam_search", "lib.seq2seq.greedy_decode", "lib.seq2seq.translate"),
    mistakes=(
        Mistake("no length normalisation (alpha ignored): the score is log_prob / len(tokens) ** alpha",
                _beam(length="1")),
        Mistake("bos counted in the length: len(tokens) counts the generated tokens only, eos included",
                _beam(length="(len(t) + 1)")),
        Mistake("hypotheses that end in eos dropped instead of set aside as finished", _beam(finish="pass")),
        Mistake("one extension too few kept at each step: beam_size minus the finished ones",
                _beam(keep="beam_size - 1 - len(finished)")),
        Mistake("the states not reordered with their hypotheses: each kept extension continues from the "
                "state of the hypothesis it extends", _beam(reorder="tuple(s[:len(origins)] for s in states)")),
    ),
)


# 6. corpus BLEU


def _sentence(g, words, n):
    return [words[k] for k in torch.randint(0, len(words), (n,), generator=g).tolist()]


def _edited(g, words, tokens, rate):
    """`tokens` with each one replaced by a random word with probability `rate`."""
    swap = (torch.rand(len(tokens), generator=g) < rate).tolist()
    return [_sentence(g, words, 1)[0] if s else t for t, s in zip(tokens, swap)]


def _corpus(g, n_sent, n_refs, words, cut=0, rate=0.25):
    """(hypotheses, references): references edited from one source sentence each, of random
    lengths; the hypothesis an edit of one of them, `cut` tokens shorter."""
    hyps, refs = [], []
    for _ in range(n_sent):
        base = _sentence(g, words, _int(g, 6, 16))
        group = [_edited(g, words, base, rate)[: len(base) - _int(g, 0, 3)] for _ in range(n_refs)]
        hyp = _edited(g, words, group[_int(g, 0, n_refs)], rate)
        hyps.append(hyp[: max(1, len(hyp) - cut)])
        refs.append(group)
    return hyps, refs


def _bleu_cases(g):
    words = ["the", "cat", "sat", "on", "mat", "a", "dog", "ran", "to", "it"]
    hyps, refs = _corpus(g, 6, 2, words)
    five = [["the", "cat", "the", "cat", "the", "the", "the"], ["on", "the", "mat", "the", "end"]]
    five_refs = [[["the", "cat", "sat", "on", "the", "cat"], ["the", "cat", "ran", "the", "cat"]],
                 [["on", "the", "mat", "the", "end", "x"], ["on", "the", "mat", "the", "end"]]]
    six = ["a", "b", "c", "d", "e", "f"]
    cases = [Case(args, note, rtol=1e-9, atol=1e-9) for args, note in [
        ((hyps, refs), "6 sentences, 2 references each"),
        (_corpus(g, 5, 1, words, cut=4), "5 sentences, 1 reference each, hypotheses 4 tokens short: brevity penalty"),
        (_corpus(g, 4, 3, words[:5], rate=0.1), "4 sentences, 3 references each, 5 words: repeated n-grams"),
        ((five, five_refs), "'the' 5 times, twice in each reference: clipped to 2, the most one reference holds"),
        (([six], [[six + ["g"], six[:5]]]), "references of 7 and 5 tokens for a hypothesis of 6: the tie goes to "
                                            "the shorter, no brevity penalty"),
        (([six[1:]], [[["x", "y"], six + ["g"]]]), "references of 2 and 7 tokens for a hypothesis of 5: the closest "
                                                   "is 7, and the brevity penalty applies"),
        (([["a", "b", "c", "d"], ["e", "f", "g"]], [[["a", "b", "x", "d"]], [["e", "f", "g", "h"]]]),
         "no 4-gram in common: BLEU (without smoothing) is 0"),
        (([["a", "b", "c", "d", "e", "f", "g", "h", "i"]], [[["a", "b", "c", "d", "e", "f", "g", "h", "i"]]]),
         "one hypothesis equal to its reference: 100"),
    ]]
    for _ in range(2):
        n_refs = _int(g, 1, 4)
        cases.append(Case(_corpus(g, _int(g, 2, 8), n_refs, words, cut=_int(g, 0, 3)),
                          f"a random corpus, {n_refs} reference(s) per sentence", rtol=1e-9, atol=1e-9))
    return cases


def _bleu_expected(hypotheses, references):
    """sacrebleu's corpus BLEU on the tokens joined by spaces, its tokenizer off, no smoothing."""
    import sacrebleu  # only when grading: the notebook's first cell does not need it

    streams = [[" ".join(refs[k]) for refs in references] for k in range(len(references[0]))]
    return sacrebleu.corpus_bleu([" ".join(h) for h in hypotheses], streams, tokenize="none",
                                 smooth_method="none").score


BLEU_STATS = """from collections import Counter


def ngrams(tokens, n):
    return Counter(tuple(tokens[i:i + n]) for i in range(len(tokens) - n + 1))


def bleu_parts(hypotheses, references):
    matches, totals, hyp_len, ref_len = [0] * 4, [0] * 4, 0, 0
    for hyp, refs in zip(hypotheses, references):
        hyp_len += len(hyp)
        ref_len += {ref_len}
        for n in range(1, 5):
            counts, most = ngrams(hyp, n), Counter()
            for r in refs:
                most {combine} ngrams(r, n)
            matches[n - 1] += {matched}
            totals[n - 1] += max(len(hyp) - n + 1, 0)
    return matches, totals, hyp_len, ref_len


def bleu(hypotheses, references):
    matches, totals, hyp_len, ref_len = bleu_parts(hypotheses, references)
    if min(matches) == 0:
        return 0.0
    log_p = {log_p}
    bp = {bp}
    return {scale}bp * math.exp(log_p)
"""


def _bleu(ref_len="min((abs(len(r) - len(hyp)), len(r)) for r in refs)[1]", combine="|=",
          matched="sum((counts & most).values())", log_p="sum(math.log(m / t) for m, t in zip(matches, totals)) / 4",
          bp="1.0 if hyp_len >= ref_len else math.exp(1 - ref_len / hyp_len)", scale="100 * ",
          corpus="bleu(hypotheses, references)"):
    return BLEU_STATS.format(ref_len=ref_len, combine=combine, matched=matched, log_p=log_p, bp=bp,
                             scale=scale) + f"""

def corpus_bleu(hypotheses, references):
    return {corpus}
"""


BLEU = Exercise(
    "ch07_corpus_bleu",
    ("corpus_bleu",),
    _bleu_cases,
    call("corpus_bleu"),
    _bleu_expected,
    forbidden=("sacrebleu.corpus_bleu", "sacrebleu.sentence_bleu", "sacrebleu.raw_corpus_bleu",
               "sacrebleu.metrics.bleu.BLEU.corpus_score", "sacrebleu.metrics.bleu.BLEU.sentence_score",
               "sacrebleu.metrics.bleu.BLEU.compute_bleu", "sacrebleu.metrics.bleu.BLEU._compute_score_from_stats",
               "sacrebleu.metrics.bleu.BLEU._extract_corpus_statistics",
               "sacrebleu.metrics.bleu.BLEU._get_closest_ref_len", "sacrebleu.metrics.helpers.extract_all_word_ngrams",
               "lib.bleu.corpus_bleu", "lib.bleu.sentence_bleu", "lib.bleu.bleu_stats", "lib.bleu.bleu_from_stats",
               "lib.bleu.brevity_penalty", "lib.bleu.ngram_counts"),
    mistakes=(
        Mistake("n-gram matches not clipped: a hypothesis n-gram counts at most as often as in one reference",
                _bleu(matched="sum(c for gram, c in counts.items() if gram in most)")),
        Mistake("n-gram counts summed over the references instead of their maximum", _bleu(combine="+=")),
        Mistake("the shortest reference length instead of the closest", _bleu(ref_len="min(len(r) for r in refs)")),
        Mistake("brevity penalty missing: short hypotheses must be penalised", _bleu(bp="1.0")),
        Mistake("the mean of sentence BLEUs instead of corpus BLEU from summed counts",
                _bleu(corpus="sum(bleu([h], [r]) for h, r in zip(hypotheses, references)) / len(hypotheses)")),
        Mistake("the arithmetic mean of the n-gram precisions instead of the geometric mean",
                _bleu(log_p="math.log(sum(m / t for m, t in zip(matches, totals)) / 4)")),
        Mistake("the score on a 0-1 scale: BLEU is reported from 0 to 100", _bleu(scale="")),
    ),
)

EXERCISES = [BPE_MERGE_STEP, PAD_MASK, LSTM_CELL, ATTENTION_STEP, BEAM_SEARCH, BLEU]  # notebook order
