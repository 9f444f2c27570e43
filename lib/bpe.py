"""Byte-level byte-pair encoding (Sennrich et al. 2016; GPT-2's byte-level variant, Radford et al.
2019), in the style of minbpe.

    tok = BPETokenizer.train(text, vocab_size=512)   # 256 byte tokens + 256 merges
    ids = tok.encode("Hello world")                  # list of ints
    tok.decode(ids) == "Hello world"                 # for every str
    tok.merge_log[0]                                 # on the prose corpus: ((32, 116), 256, count), " t"

Training cuts the text into chunks with PATTERN (a word with its leading space, a number, a run of
punctuation, whitespace), starts every chunk from its UTF-8 bytes (ids 0..255) and merges, again
and again, the most frequent adjacent pair over all chunks into a new id (256, 257, ...). Merges
never cross a chunk boundary. Encoding cuts the same way and, inside each chunk, applies the merge
with the lowest id (the earliest learnt) among the pairs present until none applies, as GPT-2 and
tiktoken do. Decoding joins the tokens' bytes.
"""
import json
import math
import re
from collections import Counter

import torch

from lib import validate

# GPT-2's split written for Python's `re` (which has no \p{L}): English contractions, letters,
# decimal digits, punctuation (underscore included), whitespace. `\s+(?!\S)` leaves the last
# space of a run to the next word, so "    return" gives "   " and " return". Every character
# is a letter, a digit, whitespace or punctuation, so the chunks always cover the whole text.
PATTERN = r"'(?:[sdmt]|ll|ve|re)| ?[^\W\d_]+| ?\d+| ?(?:[^\w\s]|_)+|\s+(?!\S)|\s+"
# The same split for Rust's regex engine (tiktoken's), where \w and \s mean other sets than in
# Python: Python's letters [^\W\d_] are \p{L}, \p{Nl} and \p{No}, its \d is \p{Nd}, and its \s
# adds the separators \x1c-\x1f (checked for every code point of Python 3.11's Unicode 14.0;
# characters added later may differ). tests/lib/test_bpe.py checks both give the same tokens.
_L, _S, _NOT_S, _P = r"[\p{L}\p{Nl}\p{No}]", r"[\s\x1c-\x1f]", r"[^\s\x1c-\x1f]", r"[^\p{L}\p{N}\s\x1c-\x1f]"
RUST_PATTERN = rf"'(?:[sdmt]|ll|ve|re)| ?{_L}+| ?\p{{Nd}}+| ?{_P}+|{_S}+(?!{_NOT_S})|{_S}+"
FORMAT_VERSION = 1
_CACHE_SIZE = 100_000
_SPLIT = re.compile(PATTERN)


def get_stats(ids, counts=None):
    """Counts of adjacent pairs in ids, in first-seen order; added into `counts` when given.

    ids: list of ints. Overlapping pairs all count:
        get_stats([1, 1, 1, 2]) == {(1, 1): 2, (1, 2): 1}
        get_stats([3, 1], {(1, 1): 2}) == {(1, 1): 2, (3, 1): 1}   (the dict passed in, updated)
    """
    _check_ids(ids, "ids")
    if counts is not None and not isinstance(counts, dict):
        raise TypeError(f"counts must be a dict or None, got {type(counts).__name__}")
    counts = {} if counts is None else counts
    for pair in zip(ids, ids[1:]):
        counts[pair] = counts.get(pair, 0) + 1
    return counts


def merge(ids, pair, idx):
    """ids with every occurrence of `pair`, scanned left to right without overlap, replaced by idx.

        merge([1, 1, 1, 2], (1, 1), 9) == [9, 1, 2]        ("aaa" -> [X, a])
        merge([5, 6, 5, 6, 7], (5, 6), 9) == [9, 9, 7]
    """
    _check_ids(ids, "ids")
    if not (isinstance(pair, tuple) and len(pair) == 2):
        raise TypeError(f"pair must be a tuple of two ints, got {pair!r}")
    _check_ids(pair, "pair")
    _check_ids([idx], "idx")
    return _merge(ids, pair, idx)


def _merge(ids, pair, idx):
    out, i = [], 0
    while i < len(ids):
        if i + 1 < len(ids) and ids[i] == pair[0] and ids[i + 1] == pair[1]:
            out.append(idx)
            i += 2
        else:
            out.append(ids[i])
            i += 1
    return out


def chunks(text, special_tokens=()):
    """text cut into the pieces that BPE works inside: PATTERN's chunks, each special token whole.

        chunks("Hi  there!") == ["Hi", " ", " there", "!"]
        "".join(chunks(text, special_tokens)) == text    for every str
    """
    _check_text(text)
    specials = _check_specials(special_tokens)
    if not specials:
        return _SPLIT.findall(text)
    split = re.compile("(" + "|".join(re.escape(s) for s in sorted(specials, key=len, reverse=True)) + ")")
    parts = split.split(text)  # odd positions: the special tokens
    return [c for k, part in enumerate(parts) for c in ([part] if k % 2 else _SPLIT.findall(part))]


class BPETokenizer:
    """A byte-level BPE tokenizer: 256 byte tokens, then one token per merge, then special tokens.

    merge_log: sequence of ((a, b), idx, count), the merges in the order learnt: ids a and b
        (both < idx) become idx = 256, 257, ...; count is the pair's frequency when it was chosen.
    special_tokens: distinct non-empty strs, given the ids after the merges; encode turns each
        occurrence in a text into its id, and BPE never merges across them.
    """

    def __init__(self, merge_log, special_tokens=()):
        self.merge_log = _check_merge_log(merge_log)
        specials = _check_specials(special_tokens)
        self.merges = {pair: idx for pair, idx, _ in self.merge_log}
        self.vocab = {i: bytes([i]) for i in range(256)}
        for (a, b), idx in self.merges.items():
            self.vocab[idx] = self.vocab[a] + self.vocab[b]
        self.special_tokens = {s: 256 + len(self.merges) + k for k, s in enumerate(specials)}
        self.vocab.update({i: s.encode("utf-8") for s, i in self.special_tokens.items()})
        self._cache = {}

    @property
    def vocab_size(self):
        return len(self.vocab)

    @classmethod
    def train(cls, text, vocab_size, special_tokens=()):
        """The tokenizer with vocab_size tokens (256 bytes + merges + special tokens) learnt on text.

        Each merge takes the most frequent adjacent pair over all chunks; ties go to the pair seen
        first in the text (the earliest chunk holding it, then the earliest position in that chunk).
        Training counts each distinct chunk once, weighted by how often it occurs, and updates the
        pair counts of only the chunks a merge touches. It stops early, with a smaller
        vocab_size, when no pair is left (every chunk a single token).
        """
        specials = _check_specials(special_tokens)
        if isinstance(vocab_size, bool) or not isinstance(vocab_size, int) or vocab_size < 256 + len(specials):
            raise ValueError(f"vocab_size must be an int >= 256 + {len(specials)} (bytes + special tokens), "
                             f"got {vocab_size!r}")
        counts = Counter(c for c in chunks(text, specials) if c not in specials)
        words = [list(c.encode("utf-8")) for c in counts]
        log = _learn_merges(words, list(counts.values()), vocab_size - 256 - len(specials))
        return cls(log, specials)

    def encode(self, text):
        """text (str) -> list of ids; each special token string becomes its id.

        decode(encode(text)) == text for every str that UTF-8 can encode (lone surrogates cannot).
        Chunks seen before come from a cache.
        """
        ids = []
        for chunk in chunks(text, self.special_tokens):
            ids.extend(self._encode_special_or_chunk(chunk))
        return ids

    def _encode_special_or_chunk(self, chunk):
        if chunk in self.special_tokens:
            return [self.special_tokens[chunk]]
        if chunk not in self._cache:
            if len(self._cache) >= _CACHE_SIZE:
                self._cache.clear()
            self._cache[chunk] = self._encode_bytes(chunk.encode("utf-8"))
        return self._cache[chunk]

    def _encode_bytes(self, data):
        """One chunk's bytes -> ids: merge the lowest-id pair present until no merge applies."""
        ids = list(data)
        while len(ids) > 1:
            pair = min(zip(ids, ids[1:]), key=lambda p: self.merges.get(p, math.inf))
            if pair not in self.merges:
                break
            ids = _merge(ids, pair, self.merges[pair])
        return ids

    def decode(self, ids):
        """list of ids (or a 1-D integer tensor) -> str; an id outside the vocabulary is an error.

        The tokens' bytes are joined and read as UTF-8 with errors="replace": ids from encode give
        the text back exactly; an arbitrary sequence may cut a character, whose bytes become U+FFFD.
        """
        if isinstance(ids, torch.Tensor):
            ids = validate.integers(ids, "ids", ndim=1).tolist()
        _check_ids(ids, "ids")
        unknown = [i for i in ids if i not in self.vocab]
        if unknown:
            raise ValueError(f"ids must be in the vocabulary [0, {self.vocab_size}), got {unknown[0]}")
        return b"".join(self.vocab[i] for i in ids).decode("utf-8", errors="replace")

    def save(self, path):
        """Write the merges (with their counts) and special tokens to `path`, a versioned JSON file."""
        saved = {"kind": "bpe", "version": FORMAT_VERSION, "pattern": PATTERN,
                 "merges": [[a, b, idx, count] for (a, b), idx, count in self.merge_log],
                 "special_tokens": list(self.special_tokens)}
        with open(path, "w", encoding="utf-8") as f:
            json.dump(saved, f, indent=0)

    @classmethod
    def load(cls, path):
        """The tokenizer written to `path` by save."""
        with open(path, encoding="utf-8") as f:
            saved = json.load(f)
        if not isinstance(saved, dict) or saved.get("kind") != "bpe" or saved.get("version") != FORMAT_VERSION:
            raise ValueError(f"path: {path} is not a saved BPETokenizer (version {FORMAT_VERSION})")
        if saved.get("pattern") != PATTERN:
            raise ValueError(f"path: {path} was saved with another chunk pattern: {saved.get('pattern')!r}")
        merges = saved.get("merges")
        if not isinstance(merges, list) or not all(isinstance(m, list) and len(m) == 4 for m in merges):
            raise ValueError(f"path: {path} must hold merges as [a, b, idx, count] lists")
        return cls([((a, b), idx, count) for a, b, idx, count in merges], saved.get("special_tokens", ()))


def _learn_merges(words, weights, n_merges):
    """The merge log of n_merges merges over words (lists of ids) occurring weights times each.

    stats: pair -> weighted count over all words; where: pair -> indices of the words holding it.
    """
    stats, where = Counter(), {}
    for i in range(len(words)):
        _count_pairs(words[i], weights[i], i, stats, where)
    log = []
    for idx in range(256, 256 + n_merges):
        if not stats:
            break
        pair = _most_frequent(stats, where, words)
        log.append((pair, idx, stats[pair]))
        for i in sorted(where[pair]):
            _count_pairs(words[i], -weights[i], i, stats, where)
            words[i] = _merge(words[i], pair, idx)
            _count_pairs(words[i], weights[i], i, stats, where)
    return log


def _count_pairs(word, weight, i, stats, where):
    """Add word i's pairs, weight times each, to stats and where (a negative weight removes them)."""
    for pair, n in Counter(zip(word, word[1:])).items():
        stats[pair] += n * weight
        if weight > 0:
            where.setdefault(pair, set()).add(i)
        elif stats[pair] == 0:
            del stats[pair], where[pair]
        else:
            where[pair].discard(i)


def _most_frequent(stats, where, words):
    """The pair with the highest count; ties: the earliest word holding it, then the earliest position."""
    top = max(stats.values())
    tied = [pair for pair, n in stats.items() if n == top]
    return min(tied, key=lambda pair: _first_seen(pair, where[pair], words))


def _first_seen(pair, holders, words):
    i = min(holders)
    word = words[i]
    return i, next(k for k in range(len(word) - 1) if (word[k], word[k + 1]) == pair)


def _check_text(text):
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, got {type(text).__name__}")
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError as e:
            raise ValueError(f"text must be encodable as UTF-8, got a lone surrogate at position {e.start}") from None


def _check_ids(ids, name):
    if not isinstance(ids, (list, tuple)):
        raise TypeError(f"{name} must be a list of ints, got {type(ids).__name__}")
    bad = [i for i in ids if isinstance(i, bool) or not isinstance(i, int) or i < 0]
    if bad:
        raise ValueError(f"{name} must hold ints >= 0, got {bad[0]!r}")


def _check_specials(special_tokens):
    if isinstance(special_tokens, str) or not isinstance(special_tokens, (list, tuple, dict)):
        raise TypeError(f"special_tokens must be a list or tuple of strs, got {special_tokens!r}"[:200])
    specials = list(special_tokens)
    if not all(isinstance(s, str) and s for s in specials) or len(set(specials)) != len(specials):
        raise ValueError(f"special_tokens must be distinct non-empty strs, got {specials!r}"[:200])
    return specials


def _check_merge_log(merge_log):
    if not isinstance(merge_log, (list, tuple)):
        raise TypeError(f"merge_log must be a list of ((a, b), idx, count), got {type(merge_log).__name__}")
    log = []
    for k, entry in enumerate(merge_log):
        try:
            (a, b), idx, count = entry
        except (TypeError, ValueError):
            raise ValueError(f"merge_log[{k}] must be ((a, b), idx, count), got {entry!r}"[:200]) from None
        _check_ids([a, b, idx, count], f"merge_log[{k}]")
        if idx != 256 + k or a >= idx or b >= idx:
            raise ValueError(f"merge_log[{k}] must merge two earlier ids into {256 + k}, got {entry!r}")
        log.append(((a, b), idx, count))
    return log
