"""lib.bpe: the pure helpers on hand-worked cases, the Wikipedia example, round trips on random
Unicode, training against a brute-force minbpe loop over every chunk of the text, encoding
against a brute-force "apply every merge in order" encoder and against tiktoken 0.14.0 built from
our merges, special tokens, save/load."""
import json
import random

import pytest
import tiktoken
import torch

from lib import bpe
from lib.bpe import BPETokenizer, chunks, get_stats, merge
from lib.data import corpus

# Letters of several scripts, digits, punctuation, whitespace kinds, emoji with a skin tone and a
# zero-width joiner, combining accents, and the odd cases for the chunk pattern (numerals that are
# not decimal digits, the ASCII separators Python calls whitespace, NEL, the line separator).
ALPHABET = (list("abcdefghijklmnopqrstuvwxyzABCXYZ0123456789 .,;:!?'\"-_()[]{}#@*/\\") + [" "] * 10
            + list("\n\t\r\u00a0\u3000éßΩж中文字语言😀👍🏽\u200d\u0301\u0308²½٣Ⅻ一\x1c\u2028\x85"))


def random_text(rng, n_max=60):
    return "".join(rng.choice(ALPHABET) for _ in range(rng.randrange(n_max + 1)))


def random_prose(rng, words, n_words=80):
    """Corpus words glued by random separators and sprinkled with random characters."""
    glue = [" ", " ", " ", "  ", "\n", ", ", ". ", "\n\n    ", "_", "'s "]
    return "".join(rng.choice(words) + rng.choice(glue) + (rng.choice(ALPHABET) if rng.random() < 0.1 else "")
                   for _ in range(n_words))


@pytest.fixture
def prose():
    return corpus.prose()[:60_000]


@pytest.fixture
def prose_tok(prose):
    return BPETokenizer.train(prose, 400)


@pytest.fixture
def words(prose):
    return prose.split()[:3000]


def brute_force_train(text, n_merges):
    """minbpe's loop: recount every pair over every chunk occurrence of the text, merge the top one."""
    parts = [list(c.encode("utf-8")) for c in chunks(text)]
    log = []
    for idx in range(256, 256 + n_merges):
        stats = {}
        for part in parts:
            get_stats(part, stats)
        if not stats:
            break
        pair = max(stats, key=stats.get)  # the first of the most frequent in first-seen order
        log.append((pair, idx, stats[pair]))
        parts = [merge(part, pair, idx) for part in parts]
    return log


def brute_force_encode(tok, text):
    """Every merge applied in the order learnt to each chunk's bytes."""
    ids = []
    for chunk in chunks(text):
        part = list(chunk.encode("utf-8"))
        for pair, idx in tok.merges.items():
            part = merge(part, pair, idx)
        ids.extend(part)
    return ids


def tiktoken_of(tok):
    """tiktoken's Encoding with our tokens as its ranks, or None if two merges give the same bytes."""
    ranks = {tok.vocab[i]: i for i in range(256 + len(tok.merges))}
    if len(ranks) < 256 + len(tok.merges):
        return None
    return tiktoken.Encoding(name="lib_bpe", pat_str=bpe.RUST_PATTERN, mergeable_ranks=ranks, special_tokens={})


def test_get_stats_counts_overlapping_pairs_in_first_seen_order():
    stats = get_stats([97, 97, 97, 98, 97, 97])  # "aaabaa"
    assert stats == {(97, 97): 3, (97, 98): 1, (98, 97): 1}
    assert list(stats) == [(97, 97), (97, 98), (98, 97)]
    assert get_stats([5]) == {} and get_stats([]) == {}
    counts = {(1, 2): 4}
    assert get_stats([3, 1, 2], counts) is counts and counts == {(1, 2): 5, (3, 1): 1}


def test_merge_replaces_pairs_left_to_right_without_overlap():
    assert merge([97, 97, 97], (97, 97), 256) == [256, 97]  # "aaa" -> [X, a]
    assert merge([97, 97, 97, 97], (97, 97), 256) == [256, 256]
    assert merge([1, 2, 3, 1, 2], (1, 2), 9) == [9, 3, 9]
    assert merge([2, 1], (1, 2), 9) == [2, 1]
    ids = [1, 2, 1]
    assert merge(ids, (1, 2), 9) == [9, 1] and ids == [1, 2, 1]


def test_the_wikipedia_example():
    # "aaabdaaabac" is one chunk. By hand: "aa" occurs 4 times (overlaps count) -> X = 256;
    # "XabdXabac": "Xa" and "ab" both occur twice, "Xa" is seen first -> Y = 257; "YbdYbac": "Yb"
    # twice -> Z = 258 = "aaab", and the text is Z d Z a c.
    tok = BPETokenizer.train("aaabdaaabac", 256 + 3)
    a, b, c, d = map(ord, "abcd")
    assert tok.merge_log == [((a, a), 256, 4), ((256, a), 257, 2), ((257, b), 258, 2)]
    ids = tok.encode("aaabdaaabac")
    assert [tok.vocab[i] for i in ids] == [b"aaab", b"d", b"aaab", b"a", b"c"]
    assert tok.decode(ids) == "aaabdaaabac"


def test_ties_go_to_the_pair_seen_first():
    assert BPETokenizer.train("xyab", 257).merge_log == [((ord("x"), ord("y")), 256, 1)]
    assert BPETokenizer.train("ab xy", 257).merge_log == [((ord("a"), ord("b")), 256, 1)]
    # chunks "cd", " ab", " ab", " cd": "cd", " a" and "ab" all occur twice; "cd" comes first
    assert BPETokenizer.train("cd ab ab cd", 257).merge_log == [((ord("c"), ord("d")), 256, 2)]
    # " a" and "ab" tie in the first chunk that holds them: " a" is further left
    assert BPETokenizer.train("x ab ab", 257).merge_log == [((ord(" "), ord("a")), 256, 2)]


def test_chunks_cover_the_text():
    assert chunks("Hi  there!") == ["Hi", " ", " there", "!"]
    assert chunks("    return x_1") == ["   ", " return", " x", "_", "1"]
    assert chunks("don't 3.14\n\n") == ["don", "'t", " 3", ".", "14", "\n\n"]
    assert chunks("a<s>b <s>", ["<s>"]) == ["a", "<s>", "b", " ", "<s>"]
    rng = random.Random(0)
    for _ in range(300):
        text = random_text(rng)
        assert "".join(chunks(text)) == text
        assert "".join(chunks(text, ["ab", "b c"])) == text


def test_training_equals_the_brute_force_loop_on_random_text(words):
    rng = random.Random(1)
    for k in range(12):
        text = random_prose(rng, words, 30) if k % 2 else random_text(rng, 200)
        n_merges = rng.randrange(1, 60)
        tok = BPETokenizer.train(text, 256 + n_merges)
        assert tok.merge_log == brute_force_train(text, n_merges), repr(text)


def test_round_trip_on_random_unicode(prose_tok):
    rng = random.Random(2)
    small = BPETokenizer.train("".join(random_text(rng, 300) for _ in range(5)), 300)
    cases = ["", " ", "\n", "   \n\n\t ", "中文", "😀👍🏽", "e\u0301", "a" * 1000, " " * 1000]
    cases += [random_text(rng) for _ in range(200)]
    cases += ["".join(chr(rng.choice([rng.randrange(0xD800), rng.randrange(0xE000, 0x110000)])) for _ in range(20))
              for _ in range(50)]
    for tok in (prose_tok, small):
        for text in cases:
            ids = tok.encode(text)
            assert all(0 <= i < tok.vocab_size for i in ids)
            assert tok.decode(ids) == text, repr(text)


def test_encoding_equals_applying_every_merge_in_order(prose_tok, words):
    rng = random.Random(3)
    for _ in range(10):
        text = random_prose(rng, words) + random_text(rng)
        assert prose_tok.encode(text) == brute_force_encode(prose_tok, text)
        assert prose_tok.encode(text) == prose_tok.encode(text)  # the cache changes nothing


def test_encoding_equals_tiktoken_built_from_our_merges(prose_tok, prose, words):
    rng = random.Random(4)
    toks = [prose_tok] + [BPETokenizer.train(random_prose(rng, words, 400), 256 + rng.randrange(20, 200))
                          for _ in range(4)]
    encodings = [tiktoken_of(tok) for tok in toks]
    assert encodings[0] is not None  # the prose tokenizer has no two tokens with the same bytes
    for tok, enc in zip(toks, encodings):
        if enc is None:  # two merges made the same bytes: tiktoken cannot hold both ranks
            continue
        assert enc.encode_ordinary(prose[:20_000]) == tok.encode(prose[:20_000])
        for _ in range(40):
            text = random_prose(rng, words, 20) + random_text(rng)
            assert enc.encode_ordinary(text) == tok.encode(text), repr(text)
    assert sum(enc is not None for enc in encodings) >= 3


def test_each_merge_adds_one_token_made_of_its_pair(prose):
    text = prose[:5000]
    previous = None
    for vocab_size in range(256, 290, 3):
        tok = BPETokenizer.train(text, vocab_size)
        assert tok.vocab_size == vocab_size == 256 + len(tok.merges) and list(tok.vocab) == list(range(vocab_size))
        assert previous is None or tok.merge_log[:len(previous)] == previous
        for (a, b), idx in tok.merges.items():
            assert tok.vocab[idx] == tok.vocab[a] + tok.vocab[b] and a < idx and b < idx
        previous = tok.merge_log
    assert [n for _, _, n in previous] == sorted((n for _, _, n in previous), reverse=True)


def test_training_stops_when_no_pair_is_left():
    tok = BPETokenizer.train("ab ab", 1000)
    assert [pair for pair, _, _ in tok.merge_log] == [(97, 98), (32, 256)]
    assert tok.vocab_size == 258 and tok.encode("ab ab") == [256, 257]
    assert BPETokenizer.train("", 300).vocab_size == 256


def test_special_tokens():
    # chunks "hello", " world", "<|endoftext|>", ..., "hi": 4 + 5 + 1 merges make each one token
    text = "hello world<|endoftext|>" * 20 + "hi"
    tok = BPETokenizer.train(text, 300, special_tokens=["<|endoftext|>", "<pad>"])
    n = 256 + 10
    assert len(tok.merges) == 10 and tok.vocab_size == n + 2
    assert tok.special_tokens == {"<|endoftext|>": n, "<pad>": n + 1}
    assert all(b"<" not in tok.vocab[i] and b"|" not in tok.vocab[i] for i in range(256, n))  # never trained on
    ids = tok.encode("hi<pad> world<|endoftext|><pad>")
    assert ids[-2:] == [n, n + 1] and n + 1 in ids[:-2] and tok.decode(ids) == "hi<pad> world<|endoftext|><pad>"
    assert tok.vocab[n] == b"<|endoftext|>"
    assert tok.encode("<|endoftext|>") == [n]


def test_decode_errors_and_invalid_utf8(prose_tok):
    with pytest.raises(ValueError, match=r"ids must be in the vocabulary \[0, 400\), got 400"):
        prose_tok.decode([1, 400])
    with pytest.raises(ValueError, match="ids must hold ints >= 0"):
        prose_tok.decode([-1])
    assert prose_tok.decode([0xFF]) == "\ufffd"  # never a UTF-8 byte
    assert prose_tok.decode([0xE4, 0xB8]) == "\ufffd"  # the first two of the three bytes of 中
    assert prose_tok.decode([0xE4, 0xB8, 0xAD]) == "中"
    assert prose_tok.decode(torch.tensor(prose_tok.encode("a tensor"))) == "a tensor"
    with pytest.raises(ValueError, match="lone surrogate at position 1"):
        prose_tok.encode("a\ud800")


def test_save_and_load_give_the_same_tokenizer(tmp_path, prose, words):
    tok = BPETokenizer.train(prose[:20_000], 320, special_tokens=["<|endoftext|>"])
    tok.save(tmp_path / "bpe.json")
    again = BPETokenizer.load(tmp_path / "bpe.json")
    assert again.merge_log == tok.merge_log and again.vocab == tok.vocab
    assert again.special_tokens == tok.special_tokens
    rng = random.Random(5)
    for _ in range(20):
        text = random_prose(rng, words, 30) + "<|endoftext|>" + random_text(rng)
        assert again.encode(text) == tok.encode(text)
    (tmp_path / "char.json").write_text('{"kind": "char", "version": 1, "chars": "ab"}')
    with pytest.raises(ValueError, match="not a saved BPETokenizer"):
        BPETokenizer.load(tmp_path / "char.json")
    bad = {"kind": "bpe", "version": 1, "pattern": bpe.PATTERN, "merges": [[97, 98, 300, 1]]}
    (tmp_path / "bad.json").write_text(json.dumps(bad))
    with pytest.raises(ValueError, match=r"merge_log\[0\] must merge two earlier ids into 256"):
        BPETokenizer.load(tmp_path / "bad.json")


def test_bad_arguments_get_clear_errors():
    with pytest.raises(ValueError, match="vocab_size must be an int >= 256"):
        BPETokenizer.train("abc", 255)
    with pytest.raises(ValueError, match=r"vocab_size must be an int >= 256 \+ 2"):
        BPETokenizer.train("abc", 257, special_tokens=["<a>", "<b>"])
    with pytest.raises(ValueError, match="special_tokens must be distinct"):
        BPETokenizer.train("abc", 300, special_tokens=["<a>", "<a>"])
    with pytest.raises(TypeError, match="special_tokens must be a list"):
        BPETokenizer.train("abc", 300, special_tokens="<a>")
    with pytest.raises(TypeError, match="text must be a str"):
        BPETokenizer.train(b"abc", 300)
    with pytest.raises(TypeError, match="pair must be a tuple"):
        merge([1, 2], [1, 2], 3)
    with pytest.raises(TypeError, match="counts must be a dict"):
        get_stats([1, 2], counts=[])
