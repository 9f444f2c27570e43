"""Sequence classifiers for chapter 07: a bag of embeddings, an LSTM, a Transformer encoder, and
a pre-trained TinyGPT with a classification head; a short training loop and accuracy for them.

    model = LSTMClassifier(ClassifierConfig(vocab_size=len(vocab)))
    logits = model(ids, mask)          # ids (B, T) int64, mask (B, T) bool -> (B, n_classes)
    losses = train_classifier(model, ids, mask, y, epochs=10, lr=1e-2, generator=g)
    body, vocab, results = reviews_gpt()    # the TinyGPT pre-trained on unlabeled reviews
    model = GPTClassifier(body)             # fine-tune it on a few labels

Every forward takes right-padded ids (B, T) and a mask (B, T), True at real tokens (as
lib.text.pad_batch makes them; each row at least one real token, all before the pads), and
returns logits (B, n_classes) that do not depend on the pad columns.
Shapes: B batch, T length, C embedding width, H hidden units, V vocabulary.
"""
import json
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from lib import validate
from lib.gpt import TinyGPT
from lib.lstm import LSTM
from lib.text import Vocab, masked_mean
from lib.transformer import Block, TransformerConfig, check_config

CHECKPOINTS = Path(__file__).parent / "checkpoints"


@dataclass(frozen=True)
class ClassifierConfig:
    """Sizes of BagOfEmbeddings and LSTMClassifier: vocab_size V, n_embd C, hidden H (the MLP's
    hidden layer, or the LSTM's state), n_classes."""

    vocab_size: int
    n_embd: int = 32
    hidden: int = 32
    n_classes: int = 2

    def __post_init__(self):
        for name in ("vocab_size", "n_embd", "hidden", "n_classes"):
            validate.positive_int(getattr(self, name), name)


def _check_config(config):
    if not isinstance(config, ClassifierConfig):
        raise TypeError(f"config must be a lib.classifiers.ClassifierConfig, got {type(config).__name__}")


def check_batch(ids, mask, vocab_size):
    """Raise unless ids is (B, T) int64 in [0, vocab_size) and mask a (B, T) bool tensor on ids'
    device whose rows are right-padded: at least one True, and no True after a False."""
    validate.token_ids(ids, "ids", 2, vocab_size)
    _check_mask(mask, ids, "ids")


def _check_mask(mask, like, name):
    validate.tensor(mask, "mask", ndim=2, floating=False)
    if mask.dtype != torch.bool or mask.shape != like.shape[:2] or mask.device != like.device:
        raise ValueError(f"mask must be a bool tensor of shape {tuple(like.shape[:2])} (B, T) on {like.device}, "
                         f"like {name}, got {mask.dtype} {tuple(mask.shape)} on {mask.device}")
    if mask.shape[1] == 0 or not mask[:, 0].all() or (mask[:, 1:] & ~mask[:, :-1]).any():
        raise ValueError("mask must mark each row's real tokens first (True), then its pads (False), "
                         "with at least one real token per row")


def last_real(x, mask):
    """x (B, T, C) at each row's last real position, mask (B, T) right-padded -> (B, C)."""
    validate.tensor(x, "x", ndim=3)
    _check_mask(mask, x, "x")
    last = mask.sum(dim=1) - 1  # (B,)
    return x[torch.arange(x.shape[0], device=x.device), last]  # (B, C)


class BagOfEmbeddings(nn.Module):
    """The mean of the real tokens' embeddings (word order lost), then an MLP:
    Linear(C, H), ReLU, Linear(H, n_classes)."""

    def __init__(self, config):
        super().__init__()
        _check_config(config)
        self.config = config
        self.tok_emb = nn.Embedding(config.vocab_size, config.n_embd)
        self.head = nn.Sequential(nn.Linear(config.n_embd, config.hidden), nn.ReLU(),
                                  nn.Linear(config.hidden, config.n_classes))

    def forward(self, ids, mask):
        """ids, mask: (B, T) -> logits (B, n_classes)."""
        check_batch(ids, mask, self.config.vocab_size)
        return self.head(masked_mean(self.tok_emb(ids), mask))  # (B, C) -> (B, n_classes)


class LSTMClassifier(nn.Module):
    """Embeddings, a one-layer lib.lstm.LSTM, and a Linear(H, n_classes) on the LSTM's output at
    the last real token (the pads after it never reach it)."""

    def __init__(self, config):
        super().__init__()
        _check_config(config)
        self.config = config
        self.tok_emb = nn.Embedding(config.vocab_size, config.n_embd)
        self.lstm = LSTM(config.n_embd, config.hidden, batch_first=True)
        self.head = nn.Linear(config.hidden, config.n_classes)

    def forward(self, ids, mask):
        """ids, mask: (B, T) -> logits (B, n_classes)."""
        check_batch(ids, mask, self.config.vocab_size)
        out, _ = self.lstm(self.tok_emb(ids))  # (B, T, H)
        return self.head(last_real(out, mask))  # (B, n_classes)


class TransformerClassifier(nn.Module):
    """Token embeddings plus learned positions, config.n_layer Blocks (chapter 05) in which no
    token attends to a pad, a final LayerNorm, the mean over real tokens, Linear(C, n_classes).
    config: a lib.transformer.TransformerConfig (block_size bounds T)."""

    def __init__(self, config, n_classes=2):
        super().__init__()
        check_config(config)
        self.config, self.n_classes = config, validate.positive_int(n_classes, "n_classes")
        self.tok_emb = nn.Embedding(config.vocab_size, config.n_embd)
        self.pos_emb = nn.Embedding(config.block_size, config.n_embd)
        self.blocks = nn.ModuleList(Block(config) for _ in range(config.n_layer))
        self.ln_f = nn.LayerNorm(config.n_embd, bias=config.bias)
        self.head = nn.Linear(config.n_embd, n_classes)

    def forward(self, ids, mask):
        """ids, mask: (B, T) with T <= block_size -> logits (B, n_classes)."""
        check_batch(ids, mask, self.config.vocab_size)
        if ids.shape[1] > self.config.block_size:
            raise ValueError(f"ids: length {ids.shape[1]} exceeds block_size {self.config.block_size}")
        x = self.tok_emb(ids) + self.pos_emb(torch.arange(ids.shape[1], device=ids.device))  # (B, T, C)
        keys = mask[:, None, None, :]  # (B, 1, 1, T): every query attends to the real tokens only
        for block in self.blocks:
            x = block(x, mask=keys)
        return self.head(masked_mean(self.ln_f(x), mask))  # (B, C) -> (B, n_classes)


class GPTClassifier(nn.Module):
    """A (pre-trained) TinyGPT body and a Linear(C, n_classes) on its final hidden state
    (TinyGPT.hidden) at the last real token: causal attention keeps the pads after it out.
    The body is used, not copied: fine-tuning changes it."""

    def __init__(self, body, n_classes=2):
        super().__init__()
        if not isinstance(body, TinyGPT):
            raise TypeError(f"body must be a lib.gpt.TinyGPT, got {type(body).__name__}")
        self.body, self.n_classes = body, validate.positive_int(n_classes, "n_classes")
        self.head = nn.Linear(body.config.n_embd, n_classes)

    def forward(self, ids, mask):
        """ids, mask: (B, T) with T <= the body's block_size -> logits (B, n_classes)."""
        check_batch(ids, mask, self.body.config.vocab_size)
        return self.head(last_real(self.body.hidden(ids), mask))  # (B, T, C) -> (B, n_classes)


def _check_data(model, ids, mask, y):
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    validate.tensor(mask, "mask", ndim=2, floating=False)
    validate.token_ids(ids, "ids", 2)
    validate.class_indices(y, "y")
    if y.shape[0] != ids.shape[0]:
        raise ValueError(f"y must have shape ({ids.shape[0]},), one label per row of ids, got {tuple(y.shape)}")


@torch.no_grad()
def accuracy(model, ids, mask, y, batch_size=512):
    """The share of rows whose largest logit is at y (N,), in eval mode; ids, mask (N, T)."""
    _check_data(model, ids, mask, y)
    was_training, right = model.training, 0
    model.eval()
    try:
        for i in range(0, ids.shape[0], batch_size):
            logits = model(ids[i:i + batch_size], mask[i:i + batch_size])  # (b, n_classes)
            right += int((logits.argmax(dim=1) == y[i:i + batch_size]).sum())
    finally:
        model.train(was_training)
    return right / ids.shape[0]


def train_classifier(model, ids, mask, y, epochs, lr, batch_size=32, generator=None, weight_decay=0.01):
    """Train model with AdamW (learning rate lr) on the cross-entropy for `epochs` shuffled passes
    (torch.randperm with `generator`) over ids, mask (N, T) and labels y (N,), in mini-batches of
    batch_size; each batch is cut to its longest row. Returns every step's loss (list of float)."""
    _check_data(model, ids, mask, y)
    validate.positive_int(epochs, "epochs")
    validate.positive_int(batch_size, "batch_size")
    validate.number(lr, "lr", 0.0)
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay)
    model.train()
    losses = []
    for _ in range(epochs):
        order = torch.randperm(ids.shape[0], generator=generator).to(ids.device)  # (N,)
        for batch in order.split(batch_size):
            T = int(mask[batch].sum(dim=1).max())
            loss = F.cross_entropy(model(ids[batch, :T], mask[batch, :T]), y[batch])
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
    return losses


def reviews_gpt():
    """(body, vocab, results): the word-level TinyGPT that lib/checkpoints/train_reviews.py
    pre-trained on lib.data.sentiment.review_stream (on the CPU, eval mode; .to(device) to move
    it), its Vocab, and everything that script recorded (reviews_results.json)."""
    saved = torch.load(CHECKPOINTS / "reviews_gpt.pt", map_location="cpu", weights_only=True)
    body = TinyGPT(TransformerConfig(**saved["config"]))
    body.load_state_dict(saved["state_dict"])
    body.eval()
    return body, Vocab(saved["itos"]), json.loads((CHECKPOINTS / "reviews_results.json").read_text())
