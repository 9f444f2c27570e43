"""Make the shipped TinyGPT checkpoint and the ladder results that chapter 05 shows.

    python lib/checkpoints/train.py                  # every part: about 25 minutes on 2 CPU cores
    python lib/checkpoints/train.py --part ladder    # one part; results.json keeps the others

1. The ladder: a bigram table, then one attention head, four heads, feed-forward layers in two
   blocks, and residual connections with LayerNorm, each trained with the same budget
   (LADDER_STEPS steps of BATCH windows of BLOCK characters) at each learning rate of
   LADDER_LRS; the validation loss of the best rate is kept for each rung.
2. Live: the last rung with the chapter's shorter budget (LIVE_STEPS, the best of LIVE_LRS),
   which the chapter trains live with the same seed and settings, to check its number there.
3. The checkpoint: a larger TinyGPT (CHECKPOINT config, CHECKPOINT_BLOCK positions) trained for
   CHECKPOINT_STEPS, saved to tinygpt_prose.pt (float32 weights, config, vocabulary).
results.json records every number, the settings, torch's version and the run times.
"""
import argparse
import dataclasses
import json
import platform
import time
from pathlib import Path

import torch

from lib import lm
from lib.data import corpus
from lib.gpt import TinyGPT
from lib.tokenizer import CharTokenizer
from lib.transformer import TransformerConfig

HERE = Path(__file__).parent
SEED, BATCH, BLOCK = 0, 16, 32
LADDER_STEPS, LADDER_LRS = 3000, (3e-3, 1e-2, 3e-2)
LIVE_STEPS, LIVE_LRS = 800, (1e-3, 3e-3, 1e-2)
BARE = dict(n_layer=1, n_head=1, n_embd=64, feed_forward=False, residual=False, layer_norm=False)
RUNGS = [
    ("bigram", None),
    ("one head", BARE),
    ("four heads", {**BARE, "n_head": 4}),
    ("+ feed-forward, two blocks", {**BARE, "n_head": 4, "n_layer": 2, "feed_forward": True}),
    ("+ residual and LayerNorm", {**BARE, "n_head": 4, "n_layer": 2, "feed_forward": True,
                                  "residual": True, "layer_norm": True}),
]
CHECKPOINT = dict(n_layer=3, n_head=4, n_embd=96)
CHECKPOINT_BLOCK, CHECKPOINT_BATCH, CHECKPOINT_STEPS, CHECKPOINT_LR = 64, 32, 5000, 3e-3


def build(tokenizer, parts, block_size=BLOCK):
    """The rung's model, seeded: lm.Bigram for parts None, else a TinyGPT with those parts."""
    torch.manual_seed(SEED)
    if parts is None:
        return lm.Bigram(tokenizer.vocab_size)
    return TinyGPT(TransformerConfig(vocab_size=tokenizer.vocab_size, block_size=block_size, **parts))


def run(model, train_ids, val_ids, steps, block_size, batch_size, lr):
    """Train from SEED; returns (validation loss, training losses every 100 steps, seconds)."""
    start = time.perf_counter()
    losses = lm.train(model, train_ids, steps, block_size, batch_size, lr,
                      generator=torch.Generator().manual_seed(SEED))
    seconds = time.perf_counter() - start
    curve = [round(sum(losses[i:i + 100]) / len(losses[i:i + 100]), 4) for i in range(0, steps, 100)]
    return lm.evaluate(model, val_ids, block_size), curve, seconds


def sweep(name, parts, steps, lrs, data):
    """Train `parts` for `steps` at each rate of lrs; the record of the best (validation loss)."""
    tries = [(lr, *run(build(data[0], parts), *data[1:], steps, BLOCK, BATCH, lr)) for lr in lrs]
    lr, val, curve, seconds = min(tries, key=lambda t: t[1])
    params = sum(p.numel() for p in build(data[0], parts).parameters())
    print(f"{name:30s} {params:7d} params  lr {lr:g}  val {val:.4f}  ({seconds:.1f} s)", flush=True)
    return dict(name=name, parts=parts, params=params, lr=lr, val_loss=round(val, 4), train_curve=curve,
                seconds=round(seconds, 1), val_loss_by_lr={str(t[0]): round(t[1], 4) for t in tries})


def ladder(*data):
    """Every rung for LADDER_STEPS at each of LADDER_LRS."""
    rungs = [sweep(name, parts, LADDER_STEPS, LADDER_LRS, data) for name, parts in RUNGS]
    return dict(settings=dict(seed=SEED, batch_size=BATCH, block_size=BLOCK, steps=LADDER_STEPS,
                              lrs=list(LADDER_LRS)), rungs=rungs)


def live(*data):
    """The last rung as the chapter trains it live: LIVE_STEPS, the best of LIVE_LRS."""
    name, parts = RUNGS[-1]
    return dict(settings=dict(seed=SEED, batch_size=BATCH, block_size=BLOCK, steps=LIVE_STEPS,
                              lrs=list(LIVE_LRS)), **sweep(f"{name} (live)", parts, LIVE_STEPS, LIVE_LRS, data))


def checkpoint(tokenizer, train_ids, val_ids):
    model = build(tokenizer, CHECKPOINT, CHECKPOINT_BLOCK)
    val, curve, seconds = run(model, train_ids, val_ids, CHECKPOINT_STEPS, CHECKPOINT_BLOCK, CHECKPOINT_BATCH,
                              CHECKPOINT_LR)
    config = dataclasses.asdict(model.config)
    torch.save({"config": config, "chars": tokenizer.chars, "state_dict": model.state_dict()},
               HERE / "tinygpt_prose.pt")
    print(f"checkpoint: val {val:.4f} ({seconds:.0f} s)", flush=True)
    return dict(config=config, params=sum(p.numel() for p in model.parameters()), steps=CHECKPOINT_STEPS,
                batch_size=CHECKPOINT_BATCH, lr=CHECKPOINT_LR, val_loss=round(val, 4), train_curve=curve,
                seconds=round(seconds))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--part", choices=("all", "ladder", "live", "checkpoint"), default="all")
    part = parser.parse_args().part
    torch.set_num_threads(2)
    train_text, val_text = corpus.prose_split()
    tokenizer = CharTokenizer.train(train_text)
    train_ids, val_ids = tokenizer.encode(train_text), tokenizer.encode(val_text)
    bigram = lm.bigram_loss(train_ids, val_ids, tokenizer.vocab_size)
    print(f"counted bigram: val {bigram:.4f}", flush=True)
    path = HERE / "results.json"
    results = json.loads(path.read_text()) if part != "all" else {}
    results.update(machine=f"{platform.machine()}, {torch.get_num_threads()} threads", torch=torch.__version__,
                   corpus_sha256=corpus.SHA256, counted_bigram_val_loss=round(bigram, 4))
    for name, make in (("ladder", ladder), ("live", live), ("checkpoint", checkpoint)):
        if part in ("all", name):
            start = time.perf_counter()
            results[name] = make(tokenizer, train_ids, val_ids)
            results[name]["script_seconds"] = round(time.perf_counter() - start)
    path.write_text(json.dumps(results, indent=1) + "\n")


if __name__ == "__main__":
    main()
