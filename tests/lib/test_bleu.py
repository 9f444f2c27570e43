"""lib.bleu against sacrebleu 2.6.0 (tokenize="none", tokens joined with spaces): corpus and
sentence BLEU on many random corpora from a five-word vocabulary (so n-grams match often), 1-3
references per sentence, max_n 1-4, every smoothing method: the score (to 1e-8), the precisions,
the brevity penalty, the lengths and the sufficient statistics; a hypothesis equal to its
reference scores 100; two cases worked out by hand (n-gram counts in the comments); empty
hypotheses, no matches and length ties; the inputs are unchanged after every call."""
import copy
import math
import random

import pytest
import sacrebleu
from sacrebleu.metrics import BLEU

from lib import bleu

VOCAB = ["the", "cat", "sat", "on", "mat"]


def sentence(rng, low=0):
    return [rng.choice(VOCAB) for _ in range(rng.randint(low, 9))]


def corpus(rng):
    """Random hypotheses and 1-3 references for each (some of them empty)."""
    n = rng.randint(1, 6)
    return [sentence(rng) for _ in range(n)], [[sentence(rng) for _ in range(rng.randint(1, 3))] for _ in range(n)]


def streams(references):
    """lib's references (one list per hypothesis) as sacrebleu's streams (one per reference
    position, None where a hypothesis has fewer references)."""
    most = max(len(r) for r in references)
    return [[" ".join(r[k]) if k < len(r) else None for r in references] for k in range(most)]


def assert_same(ours, theirs, what):
    assert abs(ours.score - theirs.score) < 1e-8, f"{what}: score {ours.score} != {theirs.score}"
    assert len(ours.precisions) == len(theirs.precisions), what
    assert all(abs(a - b) < 1e-8 for a, b in zip(ours.precisions, theirs.precisions)), \
        f"{what}: precisions {ours.precisions} != {theirs.precisions}"
    assert abs(ours.brevity_penalty - theirs.bp) < 1e-12, f"{what}: bp {ours.brevity_penalty} != {theirs.bp}"
    assert (ours.hyp_len, ours.ref_len) == (theirs.sys_len, theirs.ref_len), what


SMOOTHING = ["none", "exp", "floor", "add-k"]


@pytest.mark.parametrize("smooth", SMOOTHING)
def test_corpus_bleu_equals_sacrebleu(smooth):
    rng = random.Random(0)
    for trial in range(250):
        hypotheses, references = corpus(rng)
        max_n = rng.randint(1, 4)
        theirs = BLEU(tokenize="none", smooth_method=smooth, max_ngram_order=max_n).corpus_score(
            [" ".join(h) for h in hypotheses], streams(references))
        ours = bleu.corpus_bleu(hypotheses, references, max_n=max_n, smooth=smooth)
        assert_same(ours, theirs, f"trial {trial}: {hypotheses} {references} max_n={max_n}")


@pytest.mark.parametrize("smooth", SMOOTHING)
def test_sentence_bleu_equals_sacrebleu(smooth):
    rng = random.Random(1)
    for trial in range(400):
        hypothesis, references = sentence(rng), [sentence(rng) for _ in range(rng.randint(1, 3))]
        max_n = rng.randint(1, 4)
        theirs = BLEU(tokenize="none", smooth_method=smooth, max_ngram_order=max_n, effective_order=True)
        theirs = theirs.sentence_score(" ".join(hypothesis), [" ".join(r) for r in references])
        ours = bleu.sentence_bleu(hypothesis, references, max_n=max_n, smooth=smooth)
        assert_same(ours, theirs, f"trial {trial}: {hypothesis} {references} max_n={max_n}")


def test_defaults_equal_sacrebleus_functions():
    """corpus_bleu's default is no smoothing; sentence_bleu's are sacrebleu.sentence_bleu's."""
    rng = random.Random(2)
    for trial in range(100):
        hypotheses, references = corpus(rng)
        joined = [" ".join(h) for h in hypotheses]
        theirs = sacrebleu.corpus_bleu(joined, streams(references), smooth_method="none", tokenize="none")
        assert_same(bleu.corpus_bleu(hypotheses, references), theirs, f"corpus trial {trial}")
        theirs = sacrebleu.sentence_bleu(joined[0], [" ".join(r) for r in references[0]], tokenize="none")
        assert_same(bleu.sentence_bleu(hypotheses[0], references[0]), theirs, f"sentence trial {trial}")


def test_bleu_stats_equal_sacrebleus_counts():
    rng = random.Random(3)
    for _ in range(300):
        hypothesis, references = sentence(rng), [sentence(rng) for _ in range(rng.randint(1, 3))]
        theirs = BLEU(tokenize="none", smooth_method="none").corpus_score(
            [" ".join(hypothesis)], [[" ".join(r)] for r in references])
        ours = bleu.bleu_stats(hypothesis, references)
        assert (list(ours.matches), list(ours.totals)) == (theirs.counts, theirs.totals)
        assert (ours.hyp_len, ours.ref_len) == (theirs.sys_len, theirs.ref_len)


def test_summed_statistics_score_the_corpus():
    rng = random.Random(4)
    for _ in range(50):
        hypotheses, references = corpus(rng)
        stats = [bleu.bleu_stats(h, r) for h, r in zip(hypotheses, references)]
        total = stats[0]
        for s in stats[1:]:
            total = total + s
        assert total.hyp_len == sum(len(h) for h in hypotheses)
        assert total.totals[0] == total.hyp_len
        assert bleu.bleu_from_stats(total) == bleu.corpus_bleu(hypotheses, references)


def test_hypotheses_equal_to_references_score_100():
    rng = random.Random(5)
    for _ in range(50):
        references = [[sentence(rng, low=1) for _ in range(rng.randint(1, 3))] for _ in range(rng.randint(1, 5))]
        hypotheses = [list(r[rng.randrange(len(r))]) for r in references]
        assert abs(bleu.sentence_bleu(hypotheses[0], references[0]).score - 100) < 1e-9
        if max(len(h) for h in hypotheses) >= 4:  # every order has n-grams somewhere in the corpus
            score = bleu.corpus_bleu(hypotheses, [[h] for h in hypotheses])
            assert abs(score.score - 100) < 1e-9 and score.brevity_penalty == 1.0


REFS = ["the cat is on the mat".split(), "there is a cat on the mat".split()]


def test_hand_worked_case():
    # hypothesis "the cat the cat on the mat" (7 tokens); references of 6 and 7 tokens, r = 7, BP = 1.
    # 1-grams: the x3 (at most 2 in one reference) -> 2, cat x2 (1) -> 1, on 1, mat 1:   5 / 7
    # 2-grams: "the cat" x2 -> 1, "cat the" 0, "cat on" 1 (ref 2), "on the" 1, "the mat" 1:  4 / 6
    # 3-grams: "the cat the" 0, "cat the cat" 0, "the cat on" 0, "cat on the" 1, "on the mat" 1:  2 / 5
    # 4-grams: "the cat the cat", "cat the cat on", "the cat on the" 0, "cat on the mat" 1:  1 / 4
    score = bleu.corpus_bleu(["the cat the cat on the mat".split()], [REFS])
    stats = bleu.bleu_stats("the cat the cat on the mat".split(), REFS)
    assert stats == bleu.BLEUStats(7, 7, (5, 4, 2, 1), (7, 6, 5, 4))
    assert abs(score.score - 100 * (5 / 7 * 4 / 6 * 2 / 5 * 1 / 4) ** 0.25) < 1e-10  # 46.71
    assert score.brevity_penalty == 1.0


def test_hand_worked_brevity_penalty():
    # hypothesis "the cat on the mat" (5 tokens); closest reference 6 tokens: BP = exp(1 - 6/5).
    # 1-grams 5 / 5 (the x2, as in reference 1); 2-grams 4 / 4 ("cat on" from reference 2);
    # 3-grams "the cat on" 0, "cat on the" 1, "on the mat" 1: 2 / 3; 4-grams "cat on the mat": 1 / 2.
    score = bleu.corpus_bleu(["the cat on the mat".split()], [REFS])
    assert (score.hyp_len, score.ref_len) == (5, 6)
    assert abs(score.brevity_penalty - math.exp(-0.2)) < 1e-15
    assert abs(score.score - 100 * math.exp(-0.2) * (2 / 3 * 1 / 2) ** 0.25) < 1e-10  # 62.21


def test_closest_reference_length_ties_go_to_the_shorter():
    for refs in ([["a"] * 4, ["a"] * 6], [["a"] * 6, ["a"] * 4]):
        assert bleu.bleu_stats(["a"] * 5, refs).ref_len == 4
    assert bleu.bleu_stats(["a"] * 5, [["a"] * 7, ["a"] * 2]).ref_len == 7


def test_empty_hypothesis_and_no_match_score_zero():
    for smooth in SMOOTHING:
        empty = bleu.corpus_bleu([[]], [[["a", "b"]]], smooth=smooth)
        assert (empty.score, empty.brevity_penalty, empty.hyp_len) == (0.0, 0.0, 0)
        assert bleu.sentence_bleu([], [["a"]], smooth=smooth).score == 0.0
        assert bleu.corpus_bleu([["x", "y", "z", "w"]], [[["a", "b", "c", "d"]]], smooth=smooth).score == 0.0
    assert bleu.corpus_bleu([["a", "b", "c", "d"]], [[["a", "b", "d", "c"]]]).score == 0.0  # no 4-gram match
    assert bleu.corpus_bleu([["a", "b", "c", "d"]], [[["a", "b", "d", "c"]]], smooth="exp").score > 0.0


def test_inputs_are_unchanged():
    rng = random.Random(6)
    for _ in range(30):
        hypotheses, references = corpus(rng)
        before = copy.deepcopy((hypotheses, references))
        for smooth in SMOOTHING:
            bleu.corpus_bleu(hypotheses, references, smooth=smooth)
            bleu.sentence_bleu(hypotheses[0], references[0], smooth=smooth)
        stats = bleu.bleu_stats(hypotheses[0], references[0])
        frozen = copy.deepcopy(stats)
        bleu.bleu_from_stats(stats, smooth="add-k")
        assert (hypotheses, references) == before and stats == frozen


@pytest.mark.parametrize("call, match", [
    (lambda: bleu.corpus_bleu([["a"]], [["a"]]), r"references\[0\]"),
    (lambda: bleu.corpus_bleu([["a"], ["b"]], [[["a"]]]), "references"),
    (lambda: bleu.corpus_bleu([], []), "hypotheses"),
    (lambda: bleu.corpus_bleu(["a b"], [[["a"]]]), "hypothesis"),
    (lambda: bleu.sentence_bleu(["a"], []), "references"),
    (lambda: bleu.sentence_bleu(["a"], [["a"]], smooth="add"), "smooth"),
    (lambda: bleu.sentence_bleu(["a"], [["a"]], max_n=0), "max_n"),
    (lambda: bleu.bleu_from_stats(bleu.bleu_stats(["a"], [["a"]]), smooth="floor", smooth_value=-1), "smooth_value"),
    (lambda: bleu.bleu_stats(["a"], [["a"]]) + bleu.bleu_stats(["a"], [["a"]], max_n=2), "other"),
])
def test_bad_input_is_named(call, match):
    with pytest.raises((TypeError, ValueError), match=match):
        call()
