"""A generated corpus of short restaurant reviews whose label depends on word order, so that a
bag of words cannot tell the classes apart where a sequence model can.

    data = sentiment_corpus(2000, seed=0)          # [(tokens, label), ...], label 1 = positive
    train, val, test = pair_split(data, (0.6, 0.2, 0.2))
    stream = review_stream(20000, seed=1)          # unlabeled reviews, each with a closing sentence

A clause is "the <aspect> was [<modifier>] <adjective>": its sentiment is the adjective's
polarity, flipped by a negator ("not", "hardly", "never") and kept by an intensifier ("very",
"really") or no modifier. A review is one of three kinds, always ending in ".":

    contrast  "A but B"   A and B of opposite sentiment      share CONTRAST_SHARE
    agree     "A and B"   A and B of the same sentiment      share AGREE_SHARE
    single    "A"                                             the rest

A and B are about two different aspects; an opener ("honestly ,", "overall ,", "i think") comes
first in OPENER_SHARE of the reviews. The label rule: the sentiment of the last clause (for every
kind, the clause after "but" when there is one).

Examples come in twin pairs (indices 2k and 2k + 1) of opposite labels: a contrast review's
twin is "B but A", the same words in another order; an agree review's twin negates both
clauses; a single review's twin negates its clause (a negator becomes an intensifier and the
other way round). A bag-of-words model sees the same input for both contrast twins, so it is
right on exactly one of them: at most 50 % on contrast reviews, at most
1 - (contrast share) / 2 overall. No review occurs twice in a corpus, so pair_split's parts
share no review; a pair with a review seen before is drawn again, which makes the single kind
(fewer distinct reviews) a little rarer: sentiment_corpus(2000) holds 62.4 % contrast, 27.0 %
agree and 10.6 % single reviews, so a bag of words gets at most 68.8 % of it right.

A clause is drawn negated with probability NEGATED_SHARE (a twin that negates its clauses
turns that around), so in the unlabeled stream an adjective's polarity alone predicts the label most of the time: a language
model finds that first-order cue, then the negations, rather than having to find the parity of
the two at once. The unlabeled stream (for pre-training a language model) follows each review
with a closing sentence that agrees with its label ("five stars ." / "one star ." ...), so
predicting the word after the review's "." needs the review's sentiment.
"""
import random

from lib import validate
from lib.data.splits import split_counts

ADJECTIVES = {  # aspect -> (positive adjectives, negative adjectives)
    "food": (("tasty", "fresh"), ("bland", "cold")),
    "service": (("fast", "attentive"), ("slow", "sloppy")),
    "staff": (("friendly", "helpful"), ("rude", "careless")),
    "price": (("fair", "reasonable"), ("steep", "unfair")),
    "room": (("clean", "cozy"), ("dirty", "cramped")),
    "music": (("pleasant", "lovely"), ("loud", "annoying")),
}
GENERIC = (("good", "great"), ("bad", "awful"))
POSITIVE = frozenset(w for pos, _ in (*ADJECTIVES.values(), GENERIC) for w in pos)
NEGATIVE = frozenset(w for _, neg in (*ADJECTIVES.values(), GENERIC) for w in neg)
NEGATORS = ("not", "hardly", "never")
INTENSIFIERS = ("very", "really")
OPENERS = (("honestly", ","), ("overall", ","), ("i", "think"))
OPENER_SHARE, CONTRAST_SHARE, AGREE_SHARE, NEGATED_SHARE = 0.3, 0.6, 0.25, 0.25
CLOSINGS = {  # label -> closing sentences of the unlabeled stream; their first words tell the label
    1: (("loved", "it", "."), ("five", "stars", "."), ("highly", "recommended", ".")),
    0: (("avoid", "it", "."), ("one", "star", "."), ("sadly", "not", "recommended", ".")),
}


def _clause(rng, aspect, sentiment):
    """A clause (aspect, modifier or None, adjective) about aspect whose sentiment is +1 or -1."""
    negated = rng.random() < NEGATED_SHARE
    modifier = rng.choice(NEGATORS) if negated else rng.choice((None, *INTENSIFIERS))
    polarity = -sentiment if negated else sentiment
    choices = ADJECTIVES[aspect][polarity < 0] + GENERIC[polarity < 0]
    return aspect, modifier, rng.choice(choices)


def _negated(rng, clause):
    """The clause with the opposite sentiment: its negator swapped for an intensifier (or none),
    or a negator put in."""
    aspect, modifier, adjective = clause
    new = rng.choice((None, *INTENSIFIERS)) if modifier in NEGATORS else rng.choice(NEGATORS)
    return aspect, new, adjective


def _words(clause):
    aspect, modifier, adjective = clause
    return ["the", aspect, "was", *([modifier] if modifier else []), adjective]


def _review(opener, clauses, joiner):
    """Tokens: opener, the clauses joined by joiner, a final "."."""
    tokens = list(opener)
    for i, clause in enumerate(clauses):
        tokens += ([joiner] if i else []) + _words(clause)
    return tokens + ["."]


def _twins(rng):
    """One twin pair [(tokens, label), (tokens, 1 - label)] of a random kind."""
    opener = rng.choice(OPENERS) if rng.random() < OPENER_SHARE else ()
    label = rng.randrange(2)
    sentiment = 1 if label else -1
    kind, (first, second) = rng.random(), rng.sample(sorted(ADJECTIVES), 2)
    if kind < CONTRAST_SHARE:
        a, b = _clause(rng, first, -sentiment), _clause(rng, second, sentiment)
        return [(_review(opener, (a, b), "but"), label), (_review(opener, (b, a), "but"), 1 - label)]
    if kind < CONTRAST_SHARE + AGREE_SHARE:
        a, b = _clause(rng, first, sentiment), _clause(rng, second, sentiment)
        twin = (_negated(rng, a), _negated(rng, b))
        return [(_review(opener, (a, b), "and"), label), (_review(opener, twin, "and"), 1 - label)]
    a = _clause(rng, first, sentiment)
    return [(_review(opener, (a,), None), label), (_review(opener, (_negated(rng, a),), None), 1 - label)]


def _check_n(n, name="n"):
    validate.positive_int(n, name)
    if n % 2:
        raise ValueError(f"{name} must be even (reviews come in twin pairs), got {n}")


def sentiment_corpus(n, seed=0):
    """n labelled reviews as a list of (tokens, label): tokens a list of str, label 1 for
    positive and 0 for negative; twin pairs at indices (2k, 2k + 1) with opposite labels (see
    the module doc), so exactly half are positive. n: an even int > 0; seed: an int. No review
    occurs twice. Deterministic for a given (n, seed); a larger n extends a smaller one."""
    _check_n(n)
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise TypeError(f"seed must be an int, got {type(seed).__name__}")
    rng, seen, out = random.Random(seed), set(), []
    for _ in range(50 * n):
        pair = _twins(rng)
        keys = [tuple(tokens) for tokens, _ in pair]
        if not seen.intersection(keys):
            seen.update(keys)
            out += pair
        if len(out) == n:
            return out
    raise ValueError(f"n={n} is more distinct reviews than the generator makes easily; use a smaller n")


def pair_split(examples, fractions=(0.6, 0.2, 0.2)):
    """Cut examples (a list of twin pairs, as sentiment_corpus returns) into consecutive parts
    of whole pairs, pair counts by lib.data.splits.split_counts; twins stay together. The
    corpus is already in random order, so the cut is deterministic. Returns a tuple of lists."""
    if not isinstance(examples, list):
        raise TypeError(f"examples must be a list of (tokens, label), got {type(examples).__name__}")
    _check_n(len(examples), "len(examples)")
    parts, start = [], 0
    for count in split_counts(len(examples) // 2, fractions):
        parts.append(examples[start:start + 2 * count])
        start += 2 * count
    return tuple(parts)


def review_stream(n, seed=0):
    """n unlabeled reviews, each a token list: a review (the first of a sentiment_corpus twin
    pair, so NEGATED_SHARE of its clauses are negated) followed by a closing sentence of its
    label from CLOSINGS. Reviews may repeat. For language-model pre-training."""
    validate.positive_int(n, "n")
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise TypeError(f"seed must be an int, got {type(seed).__name__}")
    rng, out = random.Random(seed), []
    for _ in range(n):
        tokens, label = _twins(rng)[0]
        out.append(tokens + list(rng.choice(CLOSINGS[label])))
    return out
