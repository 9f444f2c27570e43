"""Make chapter 07's pre-trained review model (reviews_gpt.pt) and the numbers the chapter shows
(reviews_results.json), on ONE thread:

    OMP_NUM_THREADS=1 python lib/checkpoints/train_reviews.py

1. Pre-training: a word-level TinyGPT (PRETRAIN config) learns to predict the next word of
   PRETRAIN_REVIEWS unlabeled reviews from lib.data.sentiment.review_stream, each review with
   its closing sentence, one review per row starting at position 0 (as a classifier reads
   them), for PRETRAIN_STEPS AdamW steps. Saved: float32 weights, config, vocabulary. Recorded:
   the validation loss and how often the most likely closing word has the review's label
   (on the labelled validation reviews every PRETRAIN_EVERY steps, and on the test reviews at
   the end). It jumps from 50 % to about 100 % within a few hundred steps, after 1400 to 3200
   steps depending on the seed (seeds 0, 2, 1 of the probes), hence the margin in PRETRAIN_STEPS.
2. Classifiers: BagOfEmbeddings, LSTMClassifier and TransformerClassifier trained on the same
   labelled reviews (sentiment_corpus(CORPUS, seed 0), pair_split 60/20/20) for EPOCHS epochs
   at each rate of LRS; the rate with the best validation accuracy is kept; test accuracy,
   test accuracy on the contrast reviews, and the training seconds on one thread.
3. Few labels: a GPTClassifier on the pre-trained body against the same architecture from
   scratch, trained on the first n labelled training reviews (n in FEW_LABELS) for FEW_EPOCHS,
   each at its best rate of FEW_LRS (validation accuracy), for each seed of FEW_SEEDS.
"""
import dataclasses
import json
import platform
import time
from pathlib import Path

import torch
import torch.nn.functional as F

from lib.classifiers import (BagOfEmbeddings, ClassifierConfig, GPTClassifier, LSTMClassifier, TransformerClassifier,
                             accuracy, last_real, train_classifier)
from lib.data.sentiment import CLOSINGS, pair_split, review_stream, sentiment_corpus
from lib.gpt import TinyGPT
from lib.text import Vocab, pad_batch
from lib.transformer import TransformerConfig

HERE = Path(__file__).parent
PRETRAIN_REVIEWS, PRETRAIN_SEED, PRETRAIN_VAL = 20000, 1, 1000
PRETRAIN = dict(block_size=24, n_layer=2, n_head=2, n_embd=48)
PRETRAIN_STEPS, PRETRAIN_BATCH, PRETRAIN_LR, PRETRAIN_EVERY = 5000, 32, 3e-3, 250
CORPUS, EPOCHS, BATCH, LRS = 2000, 8, 32, (3e-3, 1e-2)
SIZES = dict(n_embd=32, hidden=32)
TRANSFORMER = dict(block_size=24, n_layer=2, n_head=2, n_embd=32)
FEW_LABELS, FEW_SEEDS, FEW_EPOCHS, FEW_LRS = (16, 32, 64), (0, 1, 2), 20, (1e-3, 3e-3)


def encode(examples, vocab):
    """(tokens, label) pairs -> ids (N, T), mask (N, T), labels (N,)."""
    ids, mask = pad_batch([vocab.encode(tokens) for tokens, _ in examples], vocab.pad_id)
    return ids, mask, torch.tensor([label for _, label in examples])


def lm_loss(model, ids, mask):
    """Mean next-word cross-entropy of model over the real tokens of ids, mask (B, T)."""
    logits, _ = model(ids[:, :-1])  # (B, T - 1, V)
    targets = ids[:, 1:].masked_fill(~mask[:, 1:], -100)  # pads ignored
    return F.cross_entropy(logits.flatten(0, 1), targets.flatten(), ignore_index=-100)


def pretrain(vocab, stream, probe):
    """The pre-trained TinyGPT and its record: PRETRAIN_STEPS AdamW steps (constant rate) on
    batches of whole reviews drawn from all but the last PRETRAIN_VAL of stream; every
    PRETRAIN_EVERY steps the closing accuracy on probe = (ids, mask, labels) is recorded."""
    ids, mask = pad_batch([vocab.encode(tokens) for tokens in stream], vocab.pad_id)
    torch.manual_seed(PRETRAIN_SEED)
    model = TinyGPT(TransformerConfig(vocab_size=len(vocab), **PRETRAIN))
    optimizer = torch.optim.AdamW(model.parameters(), lr=PRETRAIN_LR, weight_decay=0.01)
    generator, n_train = torch.Generator().manual_seed(PRETRAIN_SEED), len(stream) - PRETRAIN_VAL
    curve, seconds = [], 0.0
    for step in range(1, PRETRAIN_STEPS + 1):
        start = time.perf_counter()
        rows = torch.randint(0, n_train, (PRETRAIN_BATCH,), generator=generator)
        T = int(mask[rows].sum(dim=1).max())
        loss = lm_loss(model, ids[rows, :T], mask[rows, :T])
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        seconds += time.perf_counter() - start
        if step % PRETRAIN_EVERY == 0:
            curve.append([step, round(loss.item(), 4), round(closing_accuracy(model, vocab, *probe), 4)])
    model.eval()
    with torch.no_grad():
        val = float(lm_loss(model, ids[n_train:], mask[n_train:]))
    return model, dict(reviews=PRETRAIN_REVIEWS, seed=PRETRAIN_SEED, steps=PRETRAIN_STEPS, batch_size=PRETRAIN_BATCH,
                       lr=PRETRAIN_LR, config=dataclasses.asdict(model.config), val_loss=round(val, 4),
                       seconds=round(seconds, 1), curve_step_loss_closing_accuracy=curve)


@torch.no_grad()
def closing_accuracy(model, vocab, ids, mask, y):
    """How often the more likely closing (positive vs negative first words, summed probability)
    after each review's last token is the review's label: sentiment without any label."""
    was_training = model.training
    model.eval()
    probs = last_real(model(ids)[0], mask).softmax(dim=-1)  # (N, V)
    model.train(was_training)
    words = {label: [vocab.stoi[c[0]] for c in CLOSINGS[label]] for label in (0, 1)}
    guess = (probs[:, words[1]].sum(dim=1) > probs[:, words[0]].sum(dim=1)).long()  # (N,)
    return float((guess == y).float().mean())


def sweep(make, train, val, test, lrs, epochs, seed=0):
    """Train make() (seeded) at each rate of lrs; the record of the best on validation."""
    tries = []
    for lr in lrs:
        torch.manual_seed(seed)
        model = make()
        start = time.perf_counter()
        train_classifier(model, *train, epochs=epochs, lr=lr, batch_size=min(BATCH, len(train[2])),
                         generator=torch.Generator().manual_seed(seed))
        tries.append(dict(lr=lr, seconds=round(time.perf_counter() - start, 2), val=round(accuracy(model, *val), 4),
                          test=round(accuracy(model, *test), 4), model=model))
    best = max(tries, key=lambda t: t["val"])
    return best, {str(t["lr"]): t["val"] for t in tries}


def classifiers(vocab, train, val, test, contrast):
    """The three classifiers on the full labelled training set."""
    V, out = len(vocab), {}
    makers = {"bag of embeddings": lambda: BagOfEmbeddings(ClassifierConfig(vocab_size=V, **SIZES)),
              "LSTM": lambda: LSTMClassifier(ClassifierConfig(vocab_size=V, **SIZES)),
              "Transformer": lambda: TransformerClassifier(TransformerConfig(vocab_size=V, **TRANSFORMER))}
    for name, make in makers.items():
        best, by_lr = sweep(make, train, val, test, LRS, EPOCHS)
        best["contrast_test"] = round(accuracy(best.pop("model"), *contrast), 4)
        out[name] = dict(best, val_by_lr=by_lr)
        print(f"{name:18s} lr {best['lr']:g}  test {best['test']:.3f}  contrast {best['contrast_test']:.3f}  "
              f"({best['seconds']:.1f} s)", flush=True)
    return dict(settings=dict(corpus=CORPUS, epochs=EPOCHS, batch_size=BATCH, lrs=list(LRS), sizes=SIZES,
                              transformer=TRANSFORMER, train=len(train[2]), val=len(val[2]), test=len(test[2])),
                results=out)


def few_labels(body, train, val, test):
    """Fine-tuning the pre-trained body against training the same architecture from scratch."""
    rows = []
    for n in FEW_LABELS:
        for seed in FEW_SEEDS:
            few = tuple(t[seed * n: (seed + 1) * n] for t in train)
            row = dict(labels=n, seed=seed)
            for name, make in (("pretrained", lambda: GPTClassifier(_copy(body))),
                               ("scratch", lambda: GPTClassifier(TinyGPT(body.config)))):
                best, _ = sweep(make, few, val, test, FEW_LRS, FEW_EPOCHS, seed)
                row[name] = dict(lr=best["lr"], test=best["test"], seconds=best["seconds"])
            rows.append(row)
            print(f"{n:3d} labels seed {seed}: pre-trained {row['pretrained']['test']:.3f} "
                  f"(lr {row['pretrained']['lr']:g})  scratch {row['scratch']['test']:.3f} "
                  f"(lr {row['scratch']['lr']:g})", flush=True)
    return dict(settings=dict(labels=list(FEW_LABELS), seeds=list(FEW_SEEDS), epochs=FEW_EPOCHS,
                              lrs=list(FEW_LRS)), runs=rows)


def _copy(body):
    model = TinyGPT(body.config)
    model.load_state_dict(body.state_dict())
    return model


def main():
    torch.set_num_threads(1)
    stream = review_stream(PRETRAIN_REVIEWS, PRETRAIN_SEED)
    vocab = Vocab.build(stream)
    train, val, test = (encode(part, vocab) for part in pair_split(sentiment_corpus(CORPUS, 0), (0.6, 0.2, 0.2)))
    contrast = tuple(t[(test[0] == vocab.stoi["but"]).any(dim=1)] for t in test)
    body, record = pretrain(vocab, stream, val)
    record["closing_accuracy_test"] = round(closing_accuracy(body, vocab, *test[:2], test[2]), 4)
    print(f"pre-trained: val loss {record['val_loss']:.4f}, closing accuracy {record['closing_accuracy_test']:.3f} "
          f"({record['seconds']:.0f} s)", flush=True)
    torch.save({"config": record["config"], "itos": vocab.itos, "state_dict": body.state_dict()},
               HERE / "reviews_gpt.pt")
    results = dict(machine=f"{platform.machine()}, {torch.get_num_threads()} thread", torch=torch.__version__,
                   pretrain=record, classifiers=classifiers(vocab, train, val, test, contrast),
                   few_labels=few_labels(body, train, val, test))
    (HERE / "reviews_results.json").write_text(json.dumps(results, indent=1) + "\n")


if __name__ == "__main__":
    main()
