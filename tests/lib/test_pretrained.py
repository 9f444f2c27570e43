"""lib.pretrained: the shipped checkpoint loads, matches what train.py recorded (validation loss,
corpus, sizes), and the recorded ladder is complete."""
import pytest

from lib import lm, pretrained
from lib.data import corpus


def test_the_checkpoint_scores_the_recorded_validation_loss():
    model, tokenizer, info = pretrained.tinygpt()
    _, val_text = corpus.prose_split()
    loss = lm.evaluate(model, tokenizer.encode(val_text), model.config.block_size)
    assert loss == pytest.approx(info["val_loss"], abs=2e-3)
    assert sum(p.numel() for p in model.parameters()) == info["params"] and not model.training


def test_the_results_name_the_corpus_and_beat_the_bigram():
    results = pretrained.results()
    assert results["corpus_sha256"] == corpus.SHA256
    ladder = pretrained.ladder()
    assert [r["name"] for r in ladder["rungs"]][0] == "bigram" and len(ladder["rungs"]) == 5
    assert all(str(r["lr"]) in r["val_loss_by_lr"] or repr(r["lr"]) in r["val_loss_by_lr"] for r in ladder["rungs"])
    assert all(r["val_loss"] == min(r["val_loss_by_lr"].values()) for r in ladder["rungs"])
    live = results["live"]
    assert live["parts"] == ladder["rungs"][-1]["parts"] and live["val_loss"] == min(live["val_loss_by_lr"].values())
    assert results["checkpoint"]["val_loss"] < ladder["rungs"][-1]["val_loss"] < live["val_loss"]
    assert live["val_loss"] < results["counted_bigram_val_loss"] - 0.2
