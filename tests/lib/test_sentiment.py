"""lib.data.sentiment: determinism, balance and twin pairs, the order property (a contrast review's
twin has the same words and the opposite label), the label rule checked by a separate parser
with its own word lists, pair_split, the unlabeled stream's closings, and bad input."""
import random
import re
from collections import Counter

import pytest

from lib.data.sentiment import CLOSINGS, pair_split, review_stream, sentiment_corpus

# The test's own lexicon, written out here (not imported), so the label rule is checked independently.
GOOD = {"tasty", "fresh", "fast", "attentive", "friendly", "helpful", "fair", "reasonable", "clean", "cozy",
        "pleasant", "lovely", "good", "great"}
BAD = {"bland", "cold", "slow", "sloppy", "rude", "careless", "steep", "unfair", "dirty", "cramped", "loud",
       "annoying", "bad", "awful"}
FLIP = {"not", "hardly", "never"}


def clause_sentiment(words):
    """+1 or -1 for one clause's words: the one adjective's polarity, times -1 per negator."""
    adjectives = [w for w in words if w in GOOD | BAD]
    assert len(adjectives) == 1, words
    sign = 1 if adjectives[0] in GOOD else -1
    return sign * (-1) ** sum(w in FLIP for w in words)


def clauses(tokens):
    """The review's clauses (word lists) and the joiner between them: split at "but" / "and"."""
    assert tokens[-1] == "."
    body = tokens[:-1]
    joiners = [w for w in body if w in ("but", "and")]
    assert len(joiners) <= 1, tokens
    if not joiners:
        return [body], None
    cut = body.index(joiners[0])
    return [body[:cut], body[cut + 1:]], joiners[0]


def without_opener(parts):
    """The clauses from their "the" on (an opener such as "honestly ," precedes the first)."""
    return [p[p.index("the"):] for p in parts]


def expected_label(tokens):
    parts, _ = clauses(tokens)
    return int(clause_sentiment(parts[-1]) > 0)


@pytest.mark.parametrize("seed", range(3))
def test_the_corpus_is_deterministic_and_a_longer_one_extends_a_shorter(seed):
    assert sentiment_corpus(200, seed) == sentiment_corpus(200, seed)
    assert sentiment_corpus(400, seed)[:200] == sentiment_corpus(200, seed)
    assert sentiment_corpus(200, seed) != sentiment_corpus(200, seed + 1)


@pytest.mark.parametrize("seed", range(3))
def test_twins_have_opposite_labels_so_the_labels_balance_and_no_review_repeats(seed):
    data = sentiment_corpus(1000, seed)
    assert len(data) == 1000 and sum(label for _, label in data) == 500
    assert all(data[i][1] + data[i + 1][1] == 1 for i in range(0, 1000, 2))
    assert len({tuple(tokens) for tokens, _ in data}) == 1000
    assert all(isinstance(w, str) for tokens, _ in data for w in tokens)


@pytest.mark.parametrize("seed", range(3))
def test_the_label_is_the_sentiment_of_the_last_clause(seed):
    data = sentiment_corpus(1000, seed)
    assert all(label == expected_label(tokens) for tokens, label in data)


@pytest.mark.parametrize("seed", range(3))
def test_contrast_twins_have_the_same_words_in_another_order(seed):
    data, contrast = sentiment_corpus(1000, seed), 0
    for (a, label_a), (b, label_b) in zip(data[::2], data[1::2]):
        (parts_a, joiner_a), (parts_b, joiner_b) = clauses(a), clauses(b)
        assert joiner_a == joiner_b
        if joiner_a == "but":
            contrast += 1
            assert Counter(a) == Counter(b) and a != b and label_a != label_b
            assert [clause_sentiment(p) for p in parts_a] in ([1, -1], [-1, 1])
            assert without_opener(parts_b) == without_opener(parts_a)[::-1]
        elif joiner_a == "and":
            assert clause_sentiment(parts_a[0]) == clause_sentiment(parts_a[1])
    assert 0.5 < contrast / 500 < 0.7  # CONTRAST_SHARE is 0.6


def test_a_bag_of_words_is_right_on_exactly_half_of_the_contrast_reviews():
    """Any rule that sees only the bag of words (here: a random one) gives both contrast twins
    the same answer, so it is right on exactly one of each pair."""
    data, rng, memo = sentiment_corpus(600, 0), random.Random(0), {}
    guess = lambda tokens: memo.setdefault(tuple(sorted(tokens)), rng.randrange(2))  # noqa: E731
    contrast = [(t, y) for t, y in data if "but" in t]
    assert sum(guess(t) == y for t, y in contrast) * 2 == len(contrast)


def test_pair_split_cuts_whole_pairs_in_order():
    data = sentiment_corpus(200, 0)
    train, val, test = pair_split(data, (0.6, 0.2, 0.2))
    assert (len(train), len(val), len(test)) == (120, 40, 40)
    assert train + val + test == data
    for part in (train, val, test):
        assert all(part[i][1] + part[i + 1][1] == 1 for i in range(0, len(part), 2))
    assert not {tuple(t) for t, _ in train} & {tuple(t) for t, _ in test}
    assert [len(p) for p in pair_split(sentiment_corpus(10, 1), (0.5, 0.5))] == [6, 4]  # 5 pairs: 3 + 2


@pytest.mark.parametrize("seed", range(3))
def test_each_review_of_the_stream_ends_with_a_closing_of_its_label(seed):
    stream = review_stream(300, seed)
    assert stream == review_stream(300, seed) and len(stream) == 300
    closings = {tuple(c): label for label, cs in CLOSINGS.items() for c in cs}
    labels = []
    for tokens in stream:
        cut = tokens.index(".") + 1
        review, closing = tokens[:cut], tuple(tokens[cut:])
        assert closings[closing] == expected_label(review)
        labels.append(closings[closing])
    assert 100 < sum(labels) < 200
    first_words = {label: {c[0] for c in cs} for label, cs in CLOSINGS.items()}
    assert not first_words[0] & first_words[1]  # the word after the review's "." tells the label


def test_the_stream_negates_a_quarter_of_its_clauses():
    """So the stream's adjectives alone predict the label most of the time (a first cue for a
    language model)."""
    def negated_share(reviews):
        parts = [p for tokens in reviews for p in clauses(tokens[:tokens.index(".") + 1])[0]]
        return sum(bool(FLIP & set(p)) for p in parts) / len(parts)
    assert 0.22 < negated_share(review_stream(2000, 0)) < 0.28


@pytest.mark.parametrize("call, message", [
    (lambda: sentiment_corpus(7), "n"),
    (lambda: sentiment_corpus(0), "n"),
    (lambda: sentiment_corpus(4, seed="0"), "seed"),
    (lambda: pair_split("abc"), "examples"),
    (lambda: pair_split(sentiment_corpus(4)[:3]), "len(examples)"),
    (lambda: pair_split(sentiment_corpus(4), (0.5, 0.6)), "fractions"),
    (lambda: review_stream(-1), "n"),
    (lambda: review_stream(3, seed=1.5), "seed"),
])
def test_bad_input_gets_a_clear_error(call, message):
    with pytest.raises((TypeError, ValueError), match=re.escape(message)):
        call()
