"""Chapter 07 submissions for the batch test (see corpus.py): honest ones, and hostile ones that
are specific to language: answers that reach what an exercise asks the student to write (a BPE
merge, padding, the LSTM cell, an attention step, beam search, corpus BLEU) through another name
(an alias, torch's C binding, a computed attribute name, a nested tensor, torch's math kernel
that also returns the weights, sacrebleu's own pieces, the lib version or its private helpers)
or through the grader's own reference code in lib.exercises.ch07 (reached, for beam search,
through the step function's closure), and results that such an answer can abuse.

CHEATS are the answers that would be right if calling was allowed: test_cheats checks that each
one gives the reference result when nobody watches, so its zero in the batch is the rule's doing.
Chapter-independent hostility (tampering, forged records, crashes) is in corpus01.py.
"""
from tests.grading.conftest import notebooks, solved
from tests.grading.corpus import Batch

CHAPTER = "07_language"
LAST_SEEN = """
def bpe_step(ids, new_id):
    counts = {}
    for pair in zip(ids, ids[1:]):
        counts[pair] = counts.get(pair, 0) + 1
    best = max(counts.values())
    pair = [p for p, n in counts.items() if n == best][-1]
    out, i = [], 0
    while i < len(ids):
        if ids[i:i + 2] == list(pair):
            out.append(new_id)
            i += 2
        else:
            out.append(ids[i])
            i += 1
    return out, pair
"""
WRONG = {
    "ch07_bpe_merge": LAST_SEEN,
    "ch07_pad_mask": ("def pad_batch(seqs, pad_id):\n    return torch.zeros(1, 1, dtype=torch.int64), "
                      "torch.ones(1, 1, dtype=torch.bool)\n\n\n"
                      "def masked_mean(x, mask):\n    return x.mean(dim=1)\n"),
    "ch07_lstm_cell": ("def lstm_cell(x, state, weight_ih, weight_hh, bias_ih=None, bias_hh=None):\n"
                       "    return state\n"),
    "ch07_attention_step": ("def attention_step(query, memory, mask):\n"
                            "    weights = torch.softmax((memory @ query[:, :, None])[:, :, 0], dim=-1)\n"
                            "    return (weights[:, None] @ memory)[:, 0], weights\n"),
    "ch07_beam_search": ("def beam_search(step, start_state, bos_id, eos_id, beam_size, max_len, alpha=1.0):\n"
                         "    return []\n"),
    "ch07_corpus_bleu": "def corpus_bleu(hypotheses, references):\n    return 0.0\n",
}
BATCH = Batch(CHAPTER, {"ch07_bpe_merge": 2, "ch07_pad_mask": 2, "ch07_lstm_cell": 3, "ch07_attention_step": 2,
                        "ch07_beam_search": 3, "ch07_corpus_bleu": 3}, WRONG)

MEAN = """

def masked_mean(x, mask):
    m = mask.unsqueeze(-1).to(x.dtype)
    return (x * m).sum(dim=1) / m.sum(dim=1)
"""
# pad_batch with the ids from `ids` (a tensor expression) and the mask from the lengths.
PADDED = """
def pad_batch(seqs, pad_id):
    lengths = torch.tensor([len(s) for s in seqs])
    mask = torch.arange(int(lengths.max()))[None, :] < lengths[:, None]
    return {ids}, mask
""" + MEAN
# attention_step from (context, weights) of shape (B, 1, H) and (B, 1, S) that `both` computes.
ONE_QUERY = """
def attention_step(query, memory, mask):
    context, weights = {both}
    return context[:, 0], weights[:, 0]
"""
# corpus_bleu by the sentence strings sacrebleu reads.
STREAMS = """
def streams(hypotheses, references):
    refs = [[" ".join(r[k]) for r in references] for k in range(len(references[0]))]
    return [" ".join(h) for h in hypotheses], refs
"""

CHEATS = {
    "bpe_from_lib": ("ch07_bpe_merge", """
from lib.bpe import get_stats, merge

def bpe_step(ids, new_id):
    counts = get_stats(ids)
    pair = max(counts, key=counts.get)
    return merge(ids, pair, new_id), pair
"""),
    "bpe_from_libs_private_merge": ("ch07_bpe_merge", """
from lib import bpe

def bpe_step(ids, new_id):
    counts = {}
    for pair in zip(ids, ids[1:]):
        counts[pair] = counts.get(pair, 0) + 1
    pair = max(counts, key=counts.get)
    return bpe._merge(ids, pair, new_id), pair
"""),
    "bpe_from_the_graders_reference": ("ch07_bpe_merge", """
from lib.exercises.ch07 import _bpe_expected as bpe_step
"""),
    "pad_sequence_renamed": ("ch07_pad_mask", "from torch.nn.utils.rnn import pad_sequence as stack_up\n"
                             + PADDED.format(ids="stack_up([torch.tensor(s) for s in seqs], batch_first=True, "
                                                 "padding_value=pad_id)")),
    "pad_sequence_through_the_c_binding": ("ch07_pad_mask", PADDED.format(
        ids="torch._C._nn.pad_sequence([torch.tensor(s) for s in seqs], True, float(pad_id), 'right')")),
    "pad_by_a_nested_tensor": ("ch07_pad_mask", PADDED.format(
        ids="torch.nested.nested_tensor([torch.tensor(s) for s in seqs]).to_padded_tensor(pad_id)")),
    "pad_from_the_graders_reference": ("ch07_pad_mask", """
from lib.exercises import ch07

def pad_batch(seqs, pad_id):
    x = torch.zeros(len(seqs), max(map(len, seqs)), 1)
    return ch07._pad_expected(seqs, pad_id, x, x[:, :, 0] == 0)[0]
""" + MEAN),
    "lstm_cell_renamed": ("ch07_lstm_cell", """
from torch import lstm_cell as step

def lstm_cell(x, state, weight_ih, weight_hh, bias_ih=None, bias_hh=None):
    return step(x, state, weight_ih, weight_hh, bias_ih, bias_hh)
"""),
    "lstm_cell_by_computed_name": ("ch07_lstm_cell", """
def lstm_cell(x, state, weight_ih, weight_hh, bias_ih=None, bias_hh=None):
    return getattr(torch._VF, "lstm" + "_cell")(x, state, weight_ih, weight_hh, bias_ih, bias_hh)
"""),
    "lstm_cell_through_the_operator_registry": ("ch07_lstm_cell", """
def lstm_cell(x, state, weight_ih, weight_hh, bias_ih=None, bias_hh=None):
    return torch.ops.aten.lstm_cell(x, list(state), weight_ih, weight_hh, bias_ih, bias_hh)
"""),
    "pad_by_a_jagged_tensor": ("ch07_pad_mask", PADDED.format(
        ids="torch.nested.as_nested_tensor([torch.tensor(s) for s in seqs], layout=torch.jagged)"
            ".to_padded_tensor(pad_id)")),
    "lstm_cell_by_torchs_module": ("ch07_lstm_cell", """
def lstm_cell(x, state, weight_ih, weight_hh, bias_ih=None, bias_hh=None):
    cell = torch.nn.LSTMCell(weight_ih.shape[1], weight_hh.shape[1], bias=bias_ih is not None)
    cell = cell.to(dtype=x.dtype, device=x.device)
    with torch.no_grad():
        cell.weight_ih.copy_(weight_ih)
        cell.weight_hh.copy_(weight_hh)
        if bias_ih is not None:
            cell.bias_ih.copy_(bias_ih)
            cell.bias_hh.copy_(bias_hh)
        return cell(x, state)
"""),
    "lstm_as_one_step_of_torchs_lstm": ("ch07_lstm_cell", """
def lstm_cell(x, state, weight_ih, weight_hh, bias_ih=None, bias_hh=None):
    weights = [weight_ih, weight_hh] + ([bias_ih, bias_hh] if bias_ih is not None else [])
    out, h, c = torch.lstm(x[None], (state[0][None], state[1][None]), weights, bias_ih is not None, 1, 0.0,
                           False, False, False)
    return h[0], c[0]
"""),
    "lstm_from_libs_private_step": ("ch07_lstm_cell", """
from lib.lstm import _step

def lstm_cell(x, state, weight_ih, weight_hh, bias_ih=None, bias_hh=None):
    return _step(x, state[0], state[1], weight_ih, weight_hh, bias_ih, bias_hh)
"""),
    "lstm_from_the_graders_reference": ("ch07_lstm_cell", """
from lib.exercises.ch07 import _lstm_expected as lstm_cell
"""),
    "attention_by_sdpa_on_the_identity": ("ch07_attention_step", """
from torch.nn.functional import scaled_dot_product_attention as blend

def attention_step(query, memory, mask):
    q, m = query[:, None], mask[:, None]
    eye = torch.eye(memory.shape[1], dtype=memory.dtype).expand(len(memory), -1, -1)
    return blend(q, memory, memory, attn_mask=m)[:, 0], blend(q, memory, eye, attn_mask=m)[:, 0]
"""),
    "attention_from_torchs_math_kernel": ("ch07_attention_step", "import math\n" + ONE_QUERY.format(
        both="torch._scaled_dot_product_attention_math(query[:, None], memory, memory, "
             "attn_mask=torch.zeros_like(mask, dtype=memory.dtype).masked_fill(~mask, -math.inf)[:, None])")),
    "attention_from_lib_attention": ("ch07_attention_step", "from lib import attention\n" + ONE_QUERY.format(
        both="attention.scaled_dot_product_attention(query[:, None], memory, memory, mask=mask[:, None], "
             "need_weights=True)")),
    "attention_from_lib_seq2seq": ("ch07_attention_step", """
import importlib

def attention_step(query, memory, mask):
    return importlib.import_module("lib.seq2seq").attention_step(query, memory, mask)
"""),
    "attention_from_the_graders_reference": ("ch07_attention_step", """
from lib.exercises.ch07 import _step_expected as attention_step
"""),
    "beam_from_lib": ("ch07_beam_search", """
from lib.seq2seq import beam_search as search

def beam_search(step, start_state, bos_id, eos_id, beam_size, max_len, alpha=1.0):
    return [tuple(h) for h in search(step, start_state, bos_id, eos_id, beam_size, max_len, alpha)]
"""),
    "beam_from_lib_by_computed_name": ("ch07_beam_search", """
import importlib

def beam_search(step, start_state, bos_id, eos_id, beam_size, max_len, alpha=1.0):
    search = getattr(importlib.import_module("lib." + "seq2seq"), "beam_" + "search")
    return search(step, start_state, bos_id, eos_id, beam_size, max_len, alpha)
"""),
    "beam_from_the_graders_reference_and_the_steps_closure": ("ch07_beam_search", """
from lib.exercises.ch07 import _beam_expected

def beam_search(step, start_state, bos_id, eos_id, beam_size, max_len, alpha=1.0):
    table = step.__closure__[0].cell_contents  # the chain's log-probabilities, inside the step function
    return _beam_expected(table, bos_id, eos_id, beam_size, max_len, alpha)
"""),
    "bleu_from_sacrebleu": ("ch07_corpus_bleu", "import sacrebleu\n" + STREAMS + """
def corpus_bleu(hypotheses, references):
    return sacrebleu.corpus_bleu(*streams(hypotheses, references), tokenize="none", smooth_method="none").score
"""),
    "bleu_from_sacrebleus_metric_object": ("ch07_corpus_bleu", "from sacrebleu.metrics import BLEU\n" + STREAMS + """
def corpus_bleu(hypotheses, references):
    return BLEU(tokenize="none", smooth_method="none").corpus_score(*streams(hypotheses, references)).score
"""),
    "bleu_from_sacrebleus_formula": ("ch07_corpus_bleu", """
from collections import Counter
from sacrebleu.metrics.bleu import BLEU

def corpus_bleu(hypotheses, references):
    matches, totals, hyp_len, ref_len = [0] * 4, [0] * 4, 0, 0
    for hyp, refs in zip(hypotheses, references):
        hyp_len += len(hyp)
        ref_len += min((abs(len(r) - len(hyp)), len(r)) for r in refs)[1]
        for n in range(1, 5):
            grams = lambda t: Counter(tuple(t[i:i + n]) for i in range(len(t) - n + 1))
            most = Counter()
            for r in refs:
                most |= grams(r)
            matches[n - 1] += sum((grams(hyp) & most).values())
            totals[n - 1] += max(len(hyp) - n + 1, 0)
    return BLEU.compute_bleu(matches, totals, hyp_len, ref_len, smooth_method="none").score
"""),
    "bleu_from_lib": ("ch07_corpus_bleu", """
from lib.bleu import corpus_bleu as bleu

def corpus_bleu(hypotheses, references):
    return bleu(hypotheses, references).score
"""),
    "bleu_from_the_graders_reference": ("ch07_corpus_bleu", """
from lib.exercises.ch07 import _bleu_expected as corpus_bleu
"""),
}
NAMED = {
    "lstm_cell_through_the_operator_registry": ("ch07_lstm_cell", "`.ops` reaches torch's operators"),
    "bpe_from_libs_private_merge": ("ch07_bpe_merge", "`._merge` is a private attribute"),
    "bpe_from_the_graders_reference": ("ch07_bpe_merge", "imports lib.exercises.ch07"),
    "pad_sequence_through_the_c_binding": ("ch07_pad_mask", "`._C` is a private attribute"),
    "pad_by_a_nested_tensor": ("ch07_pad_mask", "calls torch.nested.nested_tensor"),
    "lstm_cell_by_computed_name": ("ch07_lstm_cell", "calls `getattr` with a computed attribute name"),
    "lstm_as_one_step_of_torchs_lstm": ("ch07_lstm_cell", "calls torch.lstm"),
    "lstm_from_libs_private_step": ("ch07_lstm_cell", "`._step` is a private attribute"),
    "attention_from_torchs_math_kernel": ("ch07_attention_step", "`._scaled_dot_product_attention_math`"),
    "attention_from_lib_seq2seq": ("ch07_attention_step", "imports importlib"),
    "beam_from_lib_by_computed_name": ("ch07_beam_search", "imports importlib"),
    "beam_from_the_graders_reference_and_the_steps_closure": ("ch07_beam_search", "imports lib.exercises.ch07"),
    "bleu_from_sacrebleus_formula": ("ch07_corpus_bleu", "imports sacrebleu.metrics.bleu"),
    "bleu_from_lib": ("ch07_corpus_bleu", "calls lib.bleu.corpus_bleu"),
    "forged_bleu_score": ("ch07_corpus_bleu", "not plain data"),
    "hypotheses_as_named_records": ("ch07_beam_search", "list of (tokens, log_prob, score) tuples"),
    "endless_merge": ("ch07_bpe_merge", "time limit"),
}
STOPPED = {"honest_solved": "graded", "endless_merge": "graded"}

FORGED_SCORE = """
class Always(float):
    def __eq__(self, other):
        return True

    __hash__ = float.__hash__

def corpus_bleu(hypotheses, references):
    return Always(0.0)
"""
# The judge's reference, patched in the sandbox: the judge recomputes it in its own process.
PATCHED_REFERENCE = """
from lib.exercises import ch07
object.__setattr__(ch07.BLEU, "expected", lambda hypotheses, references: 0.0)
ch07._bleu_expected = lambda hypotheses, references: 0.0
"""
NAMED_RECORDS = """
class Found:
    def __init__(self, tokens, log_prob, score):
        self.tokens, self.log_prob, self.score = tokens, log_prob, score

def beam_search(step, start_state, bos_id, eos_id, beam_size, max_len, alpha=1.0):
    return [Found([eos_id], 0.0, 0.0)]
"""
ENDLESS_MERGE = """
def bpe_step(ids, new_id):
    while True:
        ids = ids + []
"""
HUGE_PADDING = """
def pad_batch(seqs, pad_id):
    ids = torch.full((2 ** 18, 2 ** 16), pad_id, dtype=torch.int64)  # 128 GiB, past the sandbox's memory limit
    return ids[:len(seqs), :max(map(len, seqs))], ids[:len(seqs), :max(map(len, seqs))] == pad_id
""" + MEAN
ALTERNATIVES = {
    "ch07_bpe_merge": """
from collections import Counter
import lib.bpe
print(lib.bpe.merge([97, 97, 97], (97, 97), 256))  # looking at the lib version outside the answer is allowed

def bpe_step(ids, new_id):
    pair = Counter(zip(ids, ids[1:])).most_common(1)[0][0]  # among equal counts, the first inserted
    merged, i = [], 0
    while i < len(ids):
        merged.append(new_id if tuple(ids[i:i + 2]) == pair else ids[i])
        i += 2 if tuple(ids[i:i + 2]) == pair else 1
    return merged, pair
""",
    "ch07_pad_mask": """
import torch.nn.functional as F


def pad_batch(seqs, pad_id):
    T = max(len(s) for s in seqs)
    ids = torch.stack([F.pad(torch.tensor(s, dtype=torch.int64), (0, T - len(s)), value=pad_id) for s in seqs])
    mask = torch.stack([torch.arange(T) < len(s) for s in seqs])
    return ids, mask


def masked_mean(x, mask):
    total = torch.where(mask[:, :, None], x, torch.zeros((), dtype=x.dtype, device=x.device)).sum(dim=1)
    return total / mask.sum(dim=1, keepdim=True)
""",
    "ch07_lstm_cell": """
from torch.nn import functional


def lstm_cell(x, state, weight_ih, weight_hh, bias_ih=None, bias_hh=None):
    h, c = state
    z = functional.linear(x, weight_ih, bias_ih) + functional.linear(h, weight_hh, bias_hh)
    H = h.shape[1]
    i, f, g, o = z[:, :H].sigmoid(), z[:, H:2 * H].sigmoid(), z[:, 2 * H:3 * H].tanh(), z[:, 3 * H:].sigmoid()
    c = f * c + i * g
    return o * c.tanh(), c
""",
    "ch07_attention_step": """
import math

import torch.nn.functional as F


def attention_step(query, memory, mask):
    scores = torch.bmm(memory, query[:, :, None])[:, :, 0] / query.shape[1] ** 0.5
    scores = torch.where(mask, scores, torch.full_like(scores, -math.inf))
    weights = F.softmax(scores, dim=1)
    return torch.bmm(weights[:, None, :], memory)[:, 0], weights
""",
    "ch07_beam_search": """
def beam_search(step, start_state, bos_id, eos_id, beam_size, max_len, alpha=1.0):
    live, states, finished = [([], 0.0)], start_state, []
    for _ in range(max_len):
        log_probs, states = step(torch.tensor([t[-1] if t else bos_id for t, _ in live]), states)
        total = torch.tensor([lp for _, lp in live], dtype=log_probs.dtype)[:, None] + log_probs.cpu()
        V = total.shape[1]
        best = total.flatten().sort(descending=True, stable=True).indices[:beam_size - len(finished)].tolist()
        kept = [(i // V, i % V, float(total.flatten()[i])) for i in best]
        finished += [(live[k][0] + [v], lp) for k, v, lp in kept if v == eos_id]
        origins = [k for k, v, _ in kept if v != eos_id]
        live = [(live[k][0] + [v], lp) for k, v, lp in kept if v != eos_id]
        if not live:
            break
        states = tuple(s[torch.tensor(origins, device=s.device)] for s in states)
    else:
        finished += live
    return sorted(((t, lp, lp / len(t) ** alpha) for t, lp in finished), key=lambda h: -h[2])
""",
    "ch07_corpus_bleu": """
import math
from collections import Counter


def corpus_bleu(hypotheses, references):
    stats = [0] * 10  # hyp_len, ref_len, then matches and totals for n = 1..4
    for hyp, refs in zip(hypotheses, references):
        stats[0] += len(hyp)
        stats[1] += len(sorted(refs, key=lambda r: (abs(len(r) - len(hyp)), len(r)))[0])
        for n in range(1, 5):
            grams = Counter(tuple(hyp[i:i + n]) for i in range(len(hyp) - n + 1))
            best = {g: max(sum(tuple(r[i:i + n]) == g for i in range(len(r) - n + 1)) for r in refs)
                    for g in grams}
            stats[2 * n] += sum(min(c, best[g]) for g, c in grams.items())
            stats[2 * n + 1] += sum(grams.values())
    precisions = [stats[2 * n] / stats[2 * n + 1] if stats[2 * n + 1] else 0.0 for n in range(1, 5)]
    if min(precisions) == 0:
        return 0.0
    bp = min(1.0, math.exp(1 - stats[1] / stats[0]))
    return 100 * bp * math.prod(precisions) ** 0.25
""",
}


def corpus(root):
    """{student: (file name, content, expected scores, honest?)}; `root` is the course root."""
    name, release = BATCH.name, notebooks(CHAPTER)[0]
    honest = {
        "honest_solved": (name, solved(CHAPTER), BATCH.scores()),
        "honest_untouched": (name, release, BATCH.scores(*BATCH.points)),
        "honest_partial": (name, BATCH.with_answers(ch07_bpe_merge=LAST_SEEN), BATCH.scores("ch07_bpe_merge")),
        "honest_other_routes": (name, BATCH.with_answers(**ALTERNATIVES), BATCH.scores()),
    }
    bad = {student: BATCH.hostile(gid, "", source) for student, (gid, source) in CHEATS.items()}
    others = {
        "forged_bleu_score": ("ch07_corpus_bleu", FORGED_SCORE),
        "patched_reference": ("ch07_corpus_bleu", PATCHED_REFERENCE + WRONG["ch07_corpus_bleu"]),
        "hypotheses_as_named_records": ("ch07_beam_search", NAMED_RECORDS),
        "endless_merge": ("ch07_bpe_merge", ENDLESS_MERGE),
        "huge_padding": ("ch07_pad_mask", HUGE_PADDING),
    }
    bad.update({student: BATCH.hostile(gid, "", source) for student, (gid, source) in others.items()})
    failed = {student: [gid] for student, (gid, _) in {**CHEATS, **others}.items()}
    return BATCH.entries(honest, bad, failed)
