"""Tokenizers: text <-> integer ids. Today one, by characters; chapter 07 adds byte-pair encoding.

    tok = CharTokenizer.train("hello world")   # vocabulary: the sorted distinct characters
    ids = tok.encode("hello")                  # (5,) int64 tensor
    tok.decode(ids) == "hello"
"""
import json

import torch


class CharTokenizer:
    """One token per character; ids follow the sorted order of the characters seen in training.

    chars: the vocabulary, a str of distinct characters (id i is chars[i]).
    """

    def __init__(self, chars):
        if not isinstance(chars, str) or not chars:
            raise ValueError(f"chars must be a non-empty str, got {chars!r}"[:200])
        if len(set(chars)) != len(chars):
            raise ValueError("chars must hold each character once")
        self.chars = chars
        self._ids = {c: i for i, c in enumerate(chars)}

    @classmethod
    def train(cls, text):
        """The tokenizer whose vocabulary is every distinct character of `text`, sorted."""
        if not isinstance(text, str) or not text:
            raise ValueError("text must be a non-empty str")
        return cls("".join(sorted(set(text))))

    @property
    def vocab_size(self):
        return len(self.chars)

    def encode(self, text):
        """text (str of length T) -> (T,) int64 tensor of ids; an unknown character is an error."""
        if not isinstance(text, str):
            raise TypeError(f"text must be a str, got {type(text).__name__}")
        try:
            return torch.tensor([self._ids[c] for c in text], dtype=torch.long)
        except KeyError as e:
            at = text.index(e.args[0])
            raise ValueError(f"text: character {e.args[0]!r} at position {at} is not in the vocabulary "
                             f"of {self.vocab_size} characters") from None

    def decode(self, ids):
        """(T,) integer tensor or list of ids -> str; an id outside [0, vocab_size) is an error."""
        if isinstance(ids, torch.Tensor):
            if ids.dim() != 1 or ids.is_floating_point() or ids.dtype == torch.bool:
                raise ValueError(f"ids must be a 1-D integer tensor, got {ids.dtype} of shape {tuple(ids.shape)}")
            ids = ids.tolist()
        bad = [i for i in ids if isinstance(i, bool) or not isinstance(i, int) or not 0 <= i < self.vocab_size]
        if bad:
            raise ValueError(f"ids must be ints in [0, {self.vocab_size}), got {bad[0]!r}")
        return "".join(self.chars[i] for i in ids)

    def save(self, path):
        """Write the vocabulary to `path` as JSON."""
        with open(path, "w", encoding="utf-8") as f:
            json.dump({"kind": "char", "version": 1, "chars": self.chars}, f)

    @classmethod
    def load(cls, path):
        """The tokenizer saved at `path` by `save`."""
        with open(path, encoding="utf-8") as f:
            saved = json.load(f)
        if not isinstance(saved, dict) or saved.get("kind") != "char" or saved.get("version") != 1:
            raise ValueError(f"{path} is not a saved CharTokenizer (version 1)")
        return cls(saved["chars"])
