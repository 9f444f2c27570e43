"""lib.bpe against tiktoken and Hugging Face tokenizers: BPE training and encoding throughput.

    python bench/bench_bpe.py [--repeats 5] [--train-kb 300] [--vocab-size 512]

Training: BPETokenizer.train against a byte-level BPE of `tokenizers` (models.BPE +
pre_tokenizers.ByteLevel + trainers.BpeTrainer, 256 byte symbols to start, nothing downloaded),
both to the same vocabulary size on the same first --train-kb KB of lib.data.corpus.prose().
Encoding, of the next --train-kb KB: lib's tokenizer with its chunk cache warm (as in a training
loop) and cold (a fresh tokenizer each call), against tiktoken built from OUR merges (checked to
give the same ids before timing) and against the `tokenizers` model just trained (its own merges,
so other ids). Calls take turns so that machine noise hits all alike; prints the medians in MB/s
and lib's time over the other's. One thread: TOKENIZERS_PARALLELISM=false unless set.

What remains: both libraries run compiled Rust; lib is Python. Training counts each distinct
chunk once and updates only the chunks a merge touches, as tokenizers does, but each update is
interpreted Python. Encoding merges the lowest-ranked pair of a chunk in a Python loop; tiktoken
does the same in Rust (its regex split included), so the gap is the interpreter, and the cache
narrows it on text whose chunks repeat.
"""
import argparse
import os

os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")  # before tokenizers starts its threads

import tiktoken  # noqa: E402
from tokenizers import Tokenizer, models, pre_tokenizers, trainers  # noqa: E402

from lib import bpe  # noqa: E402
from lib.data import corpus  # noqa: E402
from timing import alternating_medians  # noqa: E402


def hf_train(text, vocab_size):
    """A byte-level BPE of tokenizers trained on text to vocab_size tokens."""
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, show_progress=False,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator([text], trainer=trainer)
    return tok


def tiktoken_of(tok):
    """tiktoken's Encoding with lib's tokens as its ranks and lib's chunk pattern."""
    ranks = {tok.vocab[i]: i for i in range(tok.vocab_size)}
    if len(ranks) != tok.vocab_size:
        raise SystemExit("two merges give the same bytes: tiktoken cannot hold both ranks")
    return tiktoken.Encoding(name="lib_bpe", pat_str=bpe.RUST_PATTERN, mergeable_ranks=ranks, special_tokens={})


def report(rows, megabytes, repeats):
    """Print each (name, ours, theirs) pair's medians (MB/s) and lib's time over theirs."""
    for name, ours, theirs in rows:
        mine, other = alternating_medians([ours, theirs], "cpu", repeats, warmup=1)
        print(f"{name:<42}{megabytes / mine:>9.3f}{megabytes / other:>11.3f}{mine / other:>10.1f}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--train-kb", type=int, default=300)
    parser.add_argument("--vocab-size", type=int, default=512)
    args = parser.parse_args()
    prose, n = corpus.prose(), args.train_kb * 1000
    train_text, encode_text = prose[:n], prose[n:2 * n]
    ours = bpe.BPETokenizer.train(train_text, args.vocab_size)
    theirs, hf = tiktoken_of(ours), hf_train(train_text, args.vocab_size)
    assert theirs.encode_ordinary(encode_text) == ours.encode(encode_text), "tiktoken's ids differ from lib's"
    ids = ours.encode(encode_text)
    print(f"{len(train_text) / 1e6:.2f} MB to train on, {len(encode_text) / 1e6:.2f} MB to encode, vocab_size "
          f"{args.vocab_size} (hf {hf.get_vocab_size()}), lib {len(encode_text) / len(ids):.2f} bytes/token "
          f"(hf {len(encode_text) / len(hf.encode(encode_text).ids):.2f}), one thread, {args.repeats} repeats")
    print(f"{'':<42}{'lib MB/s':>9}{'other MB/s':>11}{'lib/other':>10}")
    report([("train: lib vs tokenizers", lambda: bpe.BPETokenizer.train(train_text, args.vocab_size),
             lambda: hf_train(train_text, args.vocab_size))], len(train_text) / 1e6, args.repeats)
    report([("encode: lib (warm cache) vs tiktoken", lambda: ours.encode(encode_text),
             lambda: theirs.encode_ordinary(encode_text)),
            ("encode: lib (cold cache) vs tiktoken", lambda: bpe.BPETokenizer(ours.merge_log).encode(encode_text),
             lambda: theirs.encode_ordinary(encode_text)),
            ("encode: lib (warm cache) vs tokenizers", lambda: ours.encode(encode_text),
             lambda: hf.encode(encode_text))], len(encode_text) / 1e6, args.repeats)


if __name__ == "__main__":
    main()
