"""BLEU (Papineni et al. 2002) from sufficient statistics, computed as sacrebleu 2.6.0 does.

Tokens are lists of str; references[i] is the list of reference token lists of hypothesis i.
Each hypothesis reduces to statistics (bleu_stats): its length c, the reference length r closest
to c (ties: the shorter), and for each order n = 1..N (N = max_n) the hypothesis' n-gram count
(totals) and its clipped matches: each n-gram counts at most as often as it occurs in the one
reference that holds it most often. A corpus sums the statistics, then

    p_n  = matches_n / totals_n                         (modified precision, shown in percent)
    BP   = 1 if c >= r, else exp(1 - r / c)             (brevity penalty; 0 when c = 0)
    BLEU = 100 BP exp((1/N) sum_n log p_n)              (geometric mean of the p_n)

No match at all gives 0. Smoothing (Chen & Cherry 2014, as sacrebleu) replaces a zero p_n:
"none" keeps it (BLEU = 0), "exp" uses 1 / (2^k totals_n) for the k-th zero order, "floor" uses
smooth_value / totals_n (default 0.1), "add-k" adds smooth_value (default 1) to matches_n and
totals_n for n >= 2. With effective_order (sentence_bleu's default, as sacrebleu's) the mean runs
over the orders 1..n the hypothesis has n-grams of, so a 2-token hypothesis is scored on n <= 2.
Tested against sacrebleu (tokenize="none") in tests/lib/test_bleu.py. No function changes its
inputs.
"""
import math
from collections import Counter
from dataclasses import dataclass

from lib import validate

SMOOTHING = {"none": None, "exp": None, "floor": 0.1, "add-k": 1.0}  # method: default smooth_value


@dataclass(frozen=True)
class BLEUStats:
    """One hypothesis' (or, summed with +, a corpus') sufficient statistics: hyp_len, ref_len
    (the closest reference length), matches and totals (N,) clipped matches and n-gram counts."""
    hyp_len: int
    ref_len: int
    matches: tuple
    totals: tuple

    def __post_init__(self):
        brevity_penalty(self.hyp_len, self.ref_len)  # checks both lengths
        for name in ("matches", "totals"):
            counts = getattr(self, name)
            if not isinstance(counts, tuple) or not counts or len(counts) != len(self.matches) or any(
                    isinstance(k, bool) or not isinstance(k, int) or k < 0 for k in counts):
                raise ValueError(f"{name} must be a non-empty tuple of ints >= 0, one per order like matches, "
                                 f"got {counts!r}")

    def __add__(self, other):
        if not isinstance(other, BLEUStats) or len(other.matches) != len(self.matches):
            raise TypeError(f"other must be a BLEUStats of the same max_n, got {other!r}")
        add = lambda a, b: tuple(x + y for x, y in zip(a, b))  # noqa: E731
        return BLEUStats(self.hyp_len + other.hyp_len, self.ref_len + other.ref_len,
                         add(self.matches, other.matches), add(self.totals, other.totals))


@dataclass(frozen=True)
class BLEUScore:
    """score in 0-100, precisions (N,) in percent, brevity_penalty, hyp_len, ref_len."""
    score: float
    precisions: tuple
    brevity_penalty: float
    hyp_len: int
    ref_len: int


def _check_tokens(tokens, name):
    if not isinstance(tokens, (list, tuple)) or not all(isinstance(t, str) for t in tokens):
        raise TypeError(f"{name} must be a list of str tokens, got {type(tokens).__name__} {tokens!r:.60}")


def _check_references(references, name):
    if not isinstance(references, (list, tuple)) or not references:
        raise ValueError(f"{name} must be a non-empty list of reference token lists, got {references!r:.60}")
    for k, reference in enumerate(references):
        _check_tokens(reference, f"{name}[{k}]")


def ngram_counts(tokens, max_n):
    """Counter of every n-gram (a tuple of n tokens) of tokens, n = 1..max_n:
    ngram_counts(["a", "b", "a"], 2) -> {("a",): 2, ("b",): 1, ("a", "b"): 1, ("b", "a"): 1}."""
    _check_tokens(tokens, "tokens")
    validate.positive_int(max_n, "max_n")
    return Counter(tuple(tokens[i:i + n]) for n in range(1, max_n + 1) for i in range(len(tokens) - n + 1))


def bleu_stats(hypothesis, references, max_n=4):
    """BLEUStats of one hypothesis (a token list) against its references (a list of token lists)."""
    _check_tokens(hypothesis, "hypothesis")
    _check_references(references, "references")
    hyp, most = ngram_counts(hypothesis, max_n), Counter()
    for reference in references:
        most |= ngram_counts(reference, max_n)  # | keeps each n-gram's largest count
    matches, totals = [0] * max_n, [0] * max_n
    for gram, count in hyp.items():
        totals[len(gram) - 1] += count
        matches[len(gram) - 1] += min(count, most[gram])
    ref_len = min((len(r) for r in references), key=lambda r: (abs(r - len(hypothesis)), r))
    return BLEUStats(len(hypothesis), ref_len, tuple(matches), tuple(totals))


def brevity_penalty(hyp_len, ref_len):
    """1 when hyp_len >= ref_len, else exp(1 - ref_len / hyp_len) (0 for an empty hypothesis)."""
    for name, value in (("hyp_len", hyp_len), ("ref_len", ref_len)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError(f"{name} must be an int >= 0, got {value!r}")
    if hyp_len >= ref_len:
        return 1.0
    return math.exp(1 - ref_len / hyp_len) if hyp_len > 0 else 0.0


def _precisions(stats, smooth, value):
    """Percent precisions of orders 1.. up to the first order without n-grams, smoothed."""
    precisions, zeros = [], 0
    for n, (m, t) in enumerate(zip(stats.matches, stats.totals), start=1):
        if smooth == "add-k" and n > 1:
            m, t = m + value, t + value
        if t == 0:
            break
        if m > 0:
            precisions.append(100.0 * m / t)
        elif smooth == "exp":
            zeros += 1
            precisions.append(100.0 / (2 ** zeros * t))
        else:
            precisions.append(100.0 * value / t if smooth == "floor" else 0.0)
    return precisions


def bleu_from_stats(stats, smooth="none", smooth_value=None, effective_order=False):
    """BLEUScore from (summed) BLEUStats; smooth one of SMOOTHING, smooth_value None for its default."""
    if not isinstance(stats, BLEUStats):
        raise TypeError(f"stats must be a BLEUStats, got {type(stats).__name__}")
    if smooth not in SMOOTHING:
        raise ValueError(f"smooth must be one of {sorted(SMOOTHING)}, got {smooth!r}")
    value = SMOOTHING[smooth] if smooth_value is None else validate.number(smooth_value, "smooth_value", 0.0)
    if not isinstance(effective_order, bool):
        raise TypeError(f"effective_order must be True or False, got {effective_order!r}")
    max_n, bp = len(stats.matches), brevity_penalty(stats.hyp_len, stats.ref_len)
    found = _precisions(stats, smooth, value) if any(stats.matches) else []
    precisions = tuple(found) + (0.0,) * (max_n - len(found))
    order = len(found) if effective_order and found else max_n
    if 0.0 in precisions[:order]:
        return BLEUScore(0.0, precisions, bp, stats.hyp_len, stats.ref_len)
    score = bp * math.exp(sum(math.log(p) for p in precisions[:order]) / order)
    return BLEUScore(score, precisions, bp, stats.hyp_len, stats.ref_len)


def corpus_bleu(hypotheses, references, max_n=4, smooth="none", smooth_value=None):
    """BLEUScore of a corpus: hypotheses a list of token lists, references[i] the list of
    reference token lists of hypotheses[i]; the statistics are summed before scoring. Equals
    sacrebleu.corpus_bleu(..., tokenize="none", smooth_method=smooth) on space-joined tokens."""
    if not isinstance(hypotheses, (list, tuple)) or not hypotheses:
        raise ValueError(f"hypotheses must be a non-empty list of token lists, got {hypotheses!r:.60}")
    if not isinstance(references, (list, tuple)) or len(references) != len(hypotheses):
        raise ValueError(f"references must be a list with one list of references per hypothesis "
                         f"({len(hypotheses)}), got {references!r:.60}")
    stats = [bleu_stats(h, r, max_n) for h, r in zip(hypotheses, references)]
    return bleu_from_stats(sum(stats[1:], stats[0]), smooth, smooth_value)


def sentence_bleu(hypothesis, references, max_n=4, smooth="exp", smooth_value=None):
    """BLEUScore of one hypothesis against its references with sacrebleu's sentence defaults
    (exp smoothing, effective order): equals sacrebleu.sentence_bleu(..., tokenize="none")."""
    return bleu_from_stats(bleu_stats(hypothesis, references, max_n), smooth, smooth_value, effective_order=True)
