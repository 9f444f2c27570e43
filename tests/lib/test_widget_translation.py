"""The translation widget's numbers against lib.seq2seq.translate called directly, its read-out,
its figure (heatmap and candidate bars), and its number box driving the read-out."""
import matplotlib
import pytest
import torch

from lib.data.numbers import chinese, english, pairs
from lib.seq2seq import Seq2Seq, Seq2SeqConfig, translate
from lib.widgets.translation import TranslationWidget
from lib.text import Vocab

matplotlib.use("Agg")

NUMBERS = pairs(range(0, 10000, 7))
SRC, TGT = Vocab.build([s for s, _ in NUMBERS]), Vocab.build([t for _, t in NUMBERS])


def widget(seed=0, beam_size=3):
    torch.manual_seed(seed)
    model = Seq2Seq(Seq2SeqConfig(len(SRC), len(TGT), embd=8, hidden=16)).double().eval()
    return TranslationWidget(model, SRC, TGT, beam_size=beam_size, max_len=6)


@pytest.mark.parametrize("number", [0, 305, 9999])
def test_compute_equals_translate(number):
    w = widget()
    r = w.compute(number)
    result = translate(w.model, SRC, TGT, english(number).split(), beam_size=3, max_len=6)
    assert r["source"] == english(number).split() and r["reference"] == list(chinese(number))
    assert r["translation"] == result.tokens and r["right"] == (result.tokens == list(chinese(number)))
    assert r["rows"] == TGT.decode(result.hypotheses[0].tokens)
    torch.testing.assert_close(torch.tensor(r["weights"], dtype=torch.float64), result.weights, rtol=0, atol=0)
    assert len(r["weights"]) == len(r["rows"]) and all(len(row) == len(r["source"]) for row in r["weights"])
    assert all(abs(sum(row) - 1) < 1e-12 for row in r["weights"])
    assert [(c[1], c[2]) for c in r["candidates"]] == [(h.log_prob, h.score) for h in result.hypotheses]
    assert [c[0] for c in r["candidates"]] == ["".join(TGT.decode(h.tokens)) for h in result.hypotheses]
    assert 1 <= len(r["candidates"]) <= 3


def test_readout_holds_the_numbers_of_compute():
    w = widget()
    r = w.compute(1005)
    parts = dict(p.split(" = ") for p in w.readout(1005).split("   "))
    assert parts == {"number": "1005", "translation": "".join(r["translation"]), "reference": "一千零五",
                     "right": str(int(r["right"])), "score": f"{r['candidates'][0][2]:.4f}",
                     "candidates": str(len(r["candidates"]))}


def test_figure_draws_the_alignment_and_the_candidates():
    w = widget()
    r = w.compute(305)
    fig = w.figure(305)
    heat, bars, _ = fig.axes  # the third is the colour bar
    assert heat.images[0].get_array().shape == (len(r["rows"]), 4)
    assert [t.get_text() for t in heat.get_xticklabels()] == ["three", "hundred", "and", "five"]
    assert [t.get_text() for t in heat.get_yticklabels()] == r["rows"]
    assert [p.get_width() for p in bars.patches] == [c[2] for c in r["candidates"]]
    assert [t.get_text() for t in bars.get_yticklabels()] == [c[0] for c in r["candidates"]]


def test_typing_a_number_updates_the_readout():
    w = widget()
    box = w.show(number=12)
    number, readout = box.children[0].children[0], box.children[1]
    assert number.description == "number" and (number.min, number.max) == (0, 9999)
    assert "translation-readout" in readout._dom_classes and w.readout(12) in readout.value
    number.value = 4006
    assert w.readout(4006) in readout.value


def test_bad_numbers_and_models_are_refused():
    w = widget()
    for bad in (10000, -1, 3.0, "305", True):
        with pytest.raises(ValueError, match=r"number must be an int in \[0, 9999\]"):
            w.compute(bad)
    with pytest.raises(ValueError, match="model must be in eval mode"):
        TranslationWidget(Seq2Seq(Seq2SeqConfig(5, 5)), SRC, TGT)
    with pytest.raises(TypeError, match="model must be a lib.seq2seq.Seq2Seq"):
        TranslationWidget(torch.nn.Linear(2, 2), SRC, TGT)
    with pytest.raises(TypeError, match="tgt_vocab must be a vocabulary"):
        TranslationWidget(w.model, SRC, ["a"])
    with pytest.raises(ValueError, match="beam_size"):
        TranslationWidget(w.model, SRC, TGT, beam_size=0)
