"""Text for models: cleaning, word tokens, a vocabulary, and padded batches with their masks.

    tokens = words("The cat sat.")                 # ["the", "cat", "sat", "."]
    vocab = Vocab.build([tokens, ...])             # <pad> 0, <unk> 1, <bos> 2, <eos> 3, then words
    ids, mask = pad_batch([vocab.encode(t) for t in batch], vocab.pad_id)   # (B, T), (B, T)
    sentence = masked_mean(embeddings, mask)       # (B, T, C) -> (B, C), pads left out

Masks follow the course's convention: bool, True = a real token (may be attended to).
"""
import re
import unicodedata
from collections import Counter

import torch

from lib import validate

PAD, UNK, BOS, EOS = "<pad>", "<unk>", "<bos>", "<eos>"
SPECIALS = (PAD, UNK, BOS, EOS)
_WORD = re.compile(r"\w+|[^\w\s]")


def clean(text):
    """text -> Unicode NFKC form (full-width "Ａ" -> "A", "ﬁ" -> "fi"), lower case, every run of
    whitespace one space, no space at either end."""
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, got {type(text).__name__}")
    return " ".join(unicodedata.normalize("NFKC", text).lower().split())


def words(text):
    """clean(text) cut into words (runs of letters, digits and "_") and single punctuation marks.

        words("Don't panic!") == ["don", "'", "t", "panic", "!"]
    Scripts written without spaces (Chinese) stay one word per run of characters.
    """
    return _WORD.findall(clean(text))


class Vocab:
    """Tokens <-> ids. itos: list of distinct str tokens, id i is itos[i].

    pad_id, unk_id, bos_id, eos_id: the ids of "<pad>", "<unk>", "<bos>" and "<eos>"
    (a ValueError if the vocabulary lacks that token).
    """

    def __init__(self, itos):
        if not isinstance(itos, (list, tuple)) or not all(isinstance(t, str) for t in itos):
            raise TypeError(f"itos must be a list of str tokens, got {type(itos).__name__}")
        if len(set(itos)) != len(itos):
            raise ValueError("itos must hold each token once")
        self.itos = list(itos)
        self.stoi = {t: i for i, t in enumerate(self.itos)}

    @classmethod
    def build(cls, token_lists, min_count=1, specials=SPECIALS):
        """The specials (ids 0.. in their order), then every token seen at least min_count times
        in token_lists (lists of str), by descending count, ties alphabetical."""
        if not isinstance(token_lists, (list, tuple)) or not all(isinstance(t, (list, tuple)) for t in token_lists):
            raise TypeError("token_lists must be a list of token lists (lists of str)")
        validate.positive_int(min_count, "min_count")
        if not isinstance(specials, (list, tuple)) or not all(isinstance(s, str) for s in specials):
            raise TypeError(f"specials must be a tuple of str, got {specials!r}")
        if len(set(specials)) != len(specials):
            raise ValueError(f"specials must be distinct, got {specials!r}")
        counts = Counter(t for tokens in token_lists for t in _check_tokens(tokens, "token_lists"))
        kept = sorted((t for t, n in counts.items() if n >= min_count and t not in specials),
                      key=lambda t: (-counts[t], t))
        return cls(list(specials) + kept)

    def __len__(self):
        return len(self.itos)

    def encode(self, tokens):
        """list of str tokens -> list of ids; a token not in the vocabulary gets unk_id."""
        _check_tokens(tokens, "tokens")
        unk = self.stoi.get(UNK)
        if unk is None and any(t not in self.stoi for t in tokens):
            raise ValueError(f"tokens: {next(t for t in tokens if t not in self.stoi)!r} is not in the "
                             f"vocabulary, which has no {UNK} token")
        return [self.stoi.get(t, unk) for t in tokens]

    def decode(self, ids):
        """list of ids (or a 1-D integer tensor) -> list of str tokens."""
        if isinstance(ids, torch.Tensor):
            ids = validate.integers(ids, "ids", ndim=1).tolist()
        if not isinstance(ids, (list, tuple)):
            raise TypeError(f"ids must be a list of ints, got {type(ids).__name__}")
        bad = [i for i in ids if isinstance(i, bool) or not isinstance(i, int) or not 0 <= i < len(self)]
        if bad:
            raise ValueError(f"ids must be ints in [0, {len(self)}), got {bad[0]!r}")
        return [self.itos[i] for i in ids]

    def _id(self, token):
        if token not in self.stoi:
            raise ValueError(f"this vocabulary has no {token} token")
        return self.stoi[token]

    @property
    def pad_id(self):
        return self._id(PAD)

    @property
    def unk_id(self):
        return self._id(UNK)

    @property
    def bos_id(self):
        return self._id(BOS)

    @property
    def eos_id(self):
        return self._id(EOS)


def _check_tokens(tokens, name):
    if isinstance(tokens, str) or not isinstance(tokens, (list, tuple)):
        raise TypeError(f"{name} must be a list of str tokens (see words()), got {type(tokens).__name__}")
    if not all(isinstance(t, str) for t in tokens):
        raise TypeError(f"{name} must hold str tokens only")
    return tokens


def pad_batch(seqs, pad_id, device=None):
    """B sequences of ids -> (ids (B, T) int64, mask (B, T) bool), padded on the right to T = the
    longest length; mask is True at real tokens.

    seqs: non-empty list of non-empty int lists or 1-D integer tensors; pad_id: int >= 0.
    device: where the results live; by default the tensors' device (the CPU for lists).
    """
    if not isinstance(seqs, (list, tuple)) or not seqs:
        raise ValueError(f"seqs must be a non-empty list of id sequences, got {seqs!r}"[:200])
    if isinstance(pad_id, bool) or not isinstance(pad_id, int) or pad_id < 0:
        raise ValueError(f"pad_id must be an int >= 0, got {pad_id!r}")
    rows = [_as_ids(s, f"seqs[{b}]") for b, s in enumerate(seqs)]
    if device is None:
        validate.same_device(**{f"seqs[{b}]": r for b, r in enumerate(rows)})
        device = rows[0].device
    lengths = torch.tensor([len(r) for r in rows], device=device)  # (B,)
    ids = torch.full((len(rows), max(len(r) for r in rows)), pad_id, dtype=torch.long, device=device)  # (B, T)
    for b, r in enumerate(rows):
        ids[b, :len(r)] = r.to(device)
    mask = torch.arange(ids.shape[1], device=device)[None, :] < lengths[:, None]  # (B, T)
    return ids, mask


def _as_ids(seq, name):
    """One sequence as a 1-D int64 tensor (on its own device), or a clear error."""
    if isinstance(seq, torch.Tensor):
        validate.integers(seq, name, ndim=1, what="token ids")
        seq = seq.long()
    elif isinstance(seq, (list, tuple)) and all(isinstance(i, int) and not isinstance(i, bool) for i in seq):
        seq = torch.tensor(seq, dtype=torch.long)
    else:
        raise TypeError(f"{name} must be a list of ints or a 1-D integer tensor, got {seq!r}"[:200])
    if len(seq) == 0:
        raise ValueError(f"{name} must hold at least one token")
    return seq


def masked_mean(x, mask):
    """x (B, T, C), mask (B, T) bool (True = real token) -> (B, C), the mean over real tokens.

    Pads never matter, whatever their values (inf and nan included), and get zero gradient.
    Every row needs at least one real token.
    """
    validate.tensor(x, "x", ndim=3)
    validate.tensor(mask, "mask", ndim=2, floating=False)
    if mask.dtype != torch.bool or mask.shape != x.shape[:2]:
        raise ValueError(f"mask must be bool of shape {tuple(x.shape[:2])} (B, T), got {mask.dtype} "
                         f"of shape {tuple(mask.shape)}")
    validate.same_device(x=x, mask=mask)
    counts = mask.sum(dim=1, keepdim=True)  # (B, 1)
    if bool((counts == 0).any()):
        raise ValueError("mask must mark at least one real token in every row")
    kept = torch.where(mask[:, :, None], x, torch.zeros((), dtype=x.dtype, device=x.device))  # (B, T, C)
    return kept.sum(dim=1) / counts.to(x.dtype)  # (B, C)
