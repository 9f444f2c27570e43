"""lib.seq2seq: attention_step against a hand loop and torch, forward against decode_step,
beam_search against exhaustive search, greedy against a beam of one, and a short training run."""
import itertools
import math
import random

import pytest
import torch
import torch.nn.functional as F

from lib import optim
from lib.data.numbers import number_split, pairs
from lib.text import Vocab
from lib.seq2seq import (Hypothesis, Seq2Seq, Seq2SeqConfig, attention_step, batch_pairs, beam_search,
                         greedy_decode, model_step, translate)

TOL = {torch.float32: 1e-5, torch.float64: 1e-10}


def random_mask(lengths, S, device):
    return torch.arange(S, device=device)[None, :] < torch.tensor(lengths, device=device)[:, None]  # (B, S)


def random_model(gen, dtype, device, num_layers=1):
    torch.manual_seed(int(torch.randint(1000, (1,), generator=gen)))
    config = Seq2SeqConfig(src_vocab=7, tgt_vocab=6, embd=5, hidden=8, num_layers=num_layers)
    return Seq2Seq(config).to(device=device, dtype=dtype).eval()


def random_batch(gen, device, B=3, S=5):
    lengths = [S] + torch.randint(1, S + 1, (B - 1,), generator=gen).tolist()
    src = torch.randint(7, (B, S), generator=gen).to(device)
    return src, random_mask(lengths, S, device)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_attention_step_hand_loop_and_torch(dtype, device, gen):
    for _ in range(5):
        B, S, H = (int(v) for v in torch.randint(1, 7, (3,), generator=gen))
        query = torch.randn(B, H, generator=gen, dtype=dtype).to(device)
        memory = torch.randn(B, S, H, generator=gen, dtype=dtype).to(device)
        lengths = torch.randint(1, S + 1, (B,), generator=gen).tolist()
        mask = random_mask(lengths, S, device)
        context, weights = attention_step(query, memory, mask)
        for b, n in enumerate(lengths):  # by hand: softmax over the real tokens only
            scores = [float(memory[b, s] @ query[b]) / math.sqrt(H) for s in range(n)]
            top = max(scores)
            w = torch.tensor([math.exp(x - top) for x in scores], dtype=dtype, device=device)
            w = w / w.sum()
            torch.testing.assert_close(weights[b, :n], w, atol=TOL[dtype], rtol=TOL[dtype])
            torch.testing.assert_close(context[b], w @ memory[b, :n], atol=TOL[dtype], rtol=TOL[dtype])
            assert (weights[b, n:] == 0).all()  # pads get exactly 0
        expected = F.scaled_dot_product_attention(query[:, None], memory, memory, attn_mask=mask[:, None])[:, 0]
        torch.testing.assert_close(context, expected, atol=TOL[dtype], rtol=TOL[dtype])


@pytest.mark.parametrize("num_layers", [1, 2])
def test_forward_equals_decode_steps(num_layers, device, gen):
    """Teacher forcing in one call equals feeding the same tokens one decode_step at a time."""
    model = random_model(gen, torch.float64, device, num_layers)
    src, src_mask = random_batch(gen, device)
    tgt_in = torch.randint(6, (3, 4), generator=gen).to(device)
    logits = model(src, src_mask, tgt_in)
    assert logits.shape == (3, 4, 6) and logits.dtype == torch.float64
    memory, state = model.encode(src, src_mask)
    for t in range(4):
        log_probs, state, weights = model.decode_step(tgt_in[:, t], state, memory, src_mask)
        torch.testing.assert_close(log_probs, F.log_softmax(logits[:, t], dim=-1), atol=1e-10, rtol=1e-10)
        torch.testing.assert_close(log_probs.exp().sum(dim=-1), torch.ones(3, dtype=torch.float64, device=device),
                                   atol=1e-12, rtol=0)
        torch.testing.assert_close(weights.sum(dim=-1), torch.ones(3, dtype=torch.float64, device=device))
        assert (weights[~src_mask] == 0).all()


def test_padding_does_not_change_the_output(device, gen):
    """A source padded with any ids gives the same logits as the same source alone."""
    model = random_model(gen, torch.float64, device)
    src, src_mask = random_batch(gen, device, B=4, S=6)
    tgt_in = torch.randint(6, (4, 3), generator=gen).to(device)
    logits = model(src, src_mask, tgt_in)
    for b in range(4):
        n = int(src_mask[b].sum())
        alone = model(src[b:b + 1, :n], src_mask[b:b + 1, :n], tgt_in[b:b + 1])
        torch.testing.assert_close(logits[b:b + 1], alone, atol=1e-10, rtol=1e-10)


def markov_step(table):
    """A step function over a (max_len, V, V) table of log probabilities: the state is the position."""
    def step(tokens, position):
        return table[position, tokens], position + 1
    return step


def exhaustive(table, bos_id, eos_id, max_len, alpha):
    """Every sequence with eos only at its end that ends with eos or has max_len tokens, scored."""
    V = table.shape[-1]
    found = []
    for n in range(1, max_len + 1):
        for seq in itertools.product(range(V), repeat=n):
            if eos_id in seq[:-1] or (n < max_len and seq[-1] != eos_id):
                continue
            prev = (bos_id,) + seq[:-1]
            lp = sum(float(table[t, p, s]) for t, (p, s) in enumerate(zip(prev, seq)))
            found.append((list(seq), lp, lp / n ** alpha))
    return sorted(found, key=lambda h: -h[2])


@pytest.mark.parametrize("alpha", [0.0, 0.7, 1.0])
def test_beam_search_large_beam_is_exhaustive(alpha, device, gen):
    for V, max_len in [(3, 3), (4, 3), (2, 5)]:
        table = torch.log_softmax(2 * torch.randn(max_len, V, V, generator=gen, dtype=torch.float64), -1).to(device)
        start = torch.zeros(1, dtype=torch.long, device=device)
        got = beam_search(markov_step(table), start, 0, V - 1, V ** max_len, max_len, alpha)
        want = exhaustive(table, 0, V - 1, max_len, alpha)
        assert [h.tokens for h in got] == [w[0] for w in want]
        for h, (_, lp, score) in zip(got, want):
            assert isinstance(h, Hypothesis)
            assert math.isclose(h.log_prob, lp, abs_tol=1e-10) and math.isclose(h.score, score, abs_tol=1e-10)


def test_beam_search_rule_on_a_small_table(device):
    """The documented rule by hand, with beam_size 2, max_len 4 and bos = b: from b, the two best
    extensions are a (0.5) and eos (0.3): eos finishes and the beam narrows to one; from a, the
    best is a a (0.4; a eos has 0.1); then a a a (0.32) over a a eos (0.08); then a a a a (0.256),
    live after max_len steps, so finished without eos. The unnormalised order is eos, a a a a."""
    probs = torch.tensor([[1.0, 0.0, 0.0], [0.2, 0.8, 0.0], [0.3, 0.5, 0.2]], dtype=torch.float64)  # eos=0, a=1, b=2
    table = probs.log()[None].expand(4, 3, 3).to(device)
    got = beam_search(markov_step(table), torch.zeros(1, dtype=torch.long, device=device), 2, 0, 2, 4, alpha=0.0)
    assert [h.tokens for h in got] == [[0], [1, 1, 1, 1]]
    assert [round(math.exp(h.log_prob), 12) for h in got] == [0.3, 0.256]
    got = beam_search(markov_step(table), torch.zeros(1, dtype=torch.long, device=device), 2, 0, 2, 4, alpha=1.0)
    assert [h.tokens for h in got] == [[1, 1, 1, 1], [0]]  # log(0.256) / 4 = -0.34 > log(0.3) = -1.20


def test_length_normalisation_changes_the_winner(device):
    """eos at once has probability 0.4; a then eos has 0.6 * 0.6 = 0.36: alpha = 0 prefers the
    short one, alpha = 1 the long one (log 0.36 / 2 = -0.51 > log 0.4 = -0.92)."""
    probs = torch.tensor([[1.0, 0.0, 0.0], [0.6, 0.4, 0.0], [0.4, 0.6, 0.0]], dtype=torch.float64)  # eos=0, a=1, bos=2
    table = probs.log()[None].expand(4, 3, 3).to(device)
    start = torch.zeros(1, dtype=torch.long, device=device)
    short = beam_search(markov_step(table), start, 2, 0, 3, 4, alpha=0.0)
    long = beam_search(markov_step(table), start, 2, 0, 3, 4, alpha=1.0)
    assert short[0].tokens == [0] and long[0].tokens == [1, 0]
    assert math.isclose(long[0].score, math.log(0.36) / 2) and math.isclose(short[0].score, math.log(0.4))


def test_beam_of_one_is_greedy(device, gen):
    for num_layers in (1, 2):
        model = random_model(gen, torch.float64, device, num_layers)
        src, src_mask = random_batch(gen, device, B=4)
        tokens, weights = greedy_decode(model, src, src_mask, bos_id=2, eos_id=3, max_len=6)
        for b in range(4):
            n = int(src_mask[b].sum())
            memory, (h, c) = model.encode(src[b:b + 1, :n], src_mask[b:b + 1, :n])
            start = (h.transpose(0, 1), c.transpose(0, 1))  # (1, L, H) each
            best = beam_search(model_step(model, memory, src_mask[b:b + 1, :n]), start, 2, 3, 1, 6)
            assert len(best) == 1 and best[0].tokens == tokens[b]
            assert weights[b].shape == (len(tokens[b]), src.shape[1])
            assert tokens[b][-1] == 3 or len(tokens[b]) == 6


def test_greedy_stops_after_eos_and_translate_weights(device, gen):
    model = random_model(gen, torch.float64, device)
    with torch.no_grad():
        model.out.bias[3] = 50.0  # eos always wins
    tokens, weights = greedy_decode(model, *random_batch(gen, device), bos_id=2, eos_id=3, max_len=5)
    assert tokens == [[3]] * 3 and [w.shape[0] for w in weights] == [1, 1, 1]
    src_vocab, tgt_vocab = Vocab.build([list("abc")]), Vocab.build([list("xy")])
    result = translate(model, src_vocab, tgt_vocab, ["a", "c", "b"], beam_size=3, max_len=5)
    assert result.tokens == [] and result.hypotheses[0].tokens == [3]
    assert result.weights.shape == (1, 3)
    torch.testing.assert_close(result.weights.sum(dim=-1), torch.ones(1, dtype=torch.float64, device=device))


def test_batch_pairs():
    src_vocab, tgt_vocab = Vocab.build([["one", "two", "hundred"]]), Vocab.build([list("一二百")])
    src, mask, tgt_in, tgt_out = batch_pairs([(["two", "hundred"], ["二", "百"]), (["one"], ["一"])],
                                             src_vocab, tgt_vocab)
    assert src.tolist() == [[src_vocab.stoi["two"], src_vocab.stoi["hundred"]], [src_vocab.stoi["one"], 0]]
    assert mask.tolist() == [[True, True], [True, False]]
    two, hundred, one = (tgt_vocab.stoi[c] for c in "二百一")
    assert tgt_in.tolist() == [[2, two, hundred], [2, one, 0]]
    assert tgt_out.tolist() == [[two, hundred, 3], [one, 3, 0]]


@pytest.mark.slow  # about 3 s of training on one thread
def test_training_translates_held_out_numbers():
    """A small model trained briefly on numbers below 100 translates most unseen ones exactly."""
    torch.manual_seed(0)
    train, _, test = number_split(99, (0.8, 0.0, 0.2), seed=0)
    data = pairs(train)
    src_vocab = Vocab.build([s for s, _ in data])
    tgt_vocab = Vocab.build([t for _, t in data])
    model = Seq2Seq(Seq2SeqConfig(len(src_vocab), len(tgt_vocab), embd=16, hidden=32))
    opt = optim.Adam(model.parameters(), lr=1e-2)
    rng = random.Random(0)
    for _ in range(150):
        src, mask, tgt_in, tgt_out = batch_pairs(rng.sample(data, 32), src_vocab, tgt_vocab)
        loss = F.cross_entropy(model(src, mask, tgt_in).flatten(0, 1), tgt_out.flatten(), ignore_index=0)
        opt.zero_grad()
        loss.backward()
        opt.step()
    model.eval()
    right = sum(translate(model, src_vocab, tgt_vocab, s, beam_size=3).tokens == t for s, t in pairs(test))
    assert right >= 0.6 * len(test), f"{right} of {len(test)} held-out numbers right"
