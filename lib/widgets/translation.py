"""Widget: a trained English-to-Chinese number translator at work. Type a number; see the beam's
candidates with their scores and the attention alignment of the best one: for each Chinese
character written (rows), how much the decoder looked at each English word (columns).

compute() is lib.seq2seq.translate on english(number) (tests/lib/test_widget_translation.py
checks its numbers against translate called directly); figure() draws them; show() wires a
number slider (whose read-out takes a typed number) to the read-out and the figure.
"""
from lib import validate
from lib.data.numbers import MAX_N, chinese, english
from lib.seq2seq import Seq2Seq, check_vocab, translate
from lib.widgets.live import live_view

CHINESE_FONTS = ("WenQuanYi Zen Hei", "Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC",  # Linux (README)
                 "PingFang SC", "Heiti SC", "STHeiti", "Hiragino Sans GB", "Arial Unicode MS",  # macOS
                 "Microsoft YaHei", "SimHei", "SimSun")  # Windows


def chinese_font():
    """FontProperties of the first installed font of CHINESE_FONTS (read from its file, so that
    matplotlib does not search by name and log), or None: the characters then show as boxes."""
    from matplotlib import font_manager

    found = {f.name: f.fname for f in font_manager.fontManager.ttflist}
    name = next((n for n in CHINESE_FONTS if n in found), None)
    return None if name is None else font_manager.FontProperties(fname=found[name])


class TranslationWidget:
    """model: a lib.seq2seq.Seq2Seq in eval mode trained on lib.data.numbers.pairs; src_vocab and
    tgt_vocab: its vocabularies (lib.text.Vocab); beam_size, max_len, alpha: as in translate."""

    def __init__(self, model, src_vocab, tgt_vocab, beam_size=4, max_len=16, alpha=1.0):
        if not isinstance(model, Seq2Seq):
            raise TypeError(f"model must be a lib.seq2seq.Seq2Seq, got {type(model).__name__}")
        if model.training:
            raise ValueError("model must be in eval mode (call model.eval()), so that the translation does not "
                             "change from one redraw to the next")
        check_vocab(src_vocab, "src_vocab")
        check_vocab(tgt_vocab, "tgt_vocab")
        validate.positive_int(beam_size, "beam_size")
        validate.positive_int(max_len, "max_len")
        validate.number(alpha, "alpha", 0.0)
        self.model, self.src_vocab, self.tgt_vocab = model, src_vocab, tgt_vocab
        self.beam_size, self.max_len, self.alpha = beam_size, max_len, alpha

    def compute(self, number):
        """{"number", "source": english(number) as words (S), "reference": chinese(number) as
        characters, "translation": the best hypothesis' characters, "right": translation ==
        reference, "rows": the best hypothesis' tokens as text, "<eos>" included (T),
        "weights": (T, S) its attention, each row summing to 1, "candidates": [(text, log_prob,
        score)] the beam's hypotheses best first}; lists, str and Python numbers."""
        if isinstance(number, bool) or not isinstance(number, int) or not 0 <= number <= MAX_N:
            raise ValueError(f"number must be an int in [0, {MAX_N}], got {number!r}")
        source, reference = english(number).split(), list(chinese(number))
        result = translate(self.model, self.src_vocab, self.tgt_vocab, source, self.beam_size, self.max_len,
                           self.alpha)
        candidates = [("".join(self.tgt_vocab.decode(h.tokens)), h.log_prob, h.score) for h in result.hypotheses]
        return {"number": number, "source": source, "reference": reference, "translation": result.tokens,
                "right": result.tokens == reference, "rows": self.tgt_vocab.decode(result.hypotheses[0].tokens),
                "weights": result.weights.tolist(), "candidates": candidates}

    def readout(self, number):
        """One line: the number, the best translation, the reference, right (1/0), the best score."""
        r = self.compute(number)
        return (f"number = {number}   translation = {''.join(r['translation'])}   "
                f"reference = {''.join(r['reference'])}   right = {int(r['right'])}   "
                f"score = {r['candidates'][0][2]:.4f}   candidates = {len(r['candidates'])}")

    def figure(self, number):
        """Left: the alignment heatmap (target characters x source words); right: the beam's
        candidates as bars of their score, best on top, with log_prob and score written out."""
        import matplotlib.pyplot as plt

        r = self.compute(number)
        font = chinese_font()
        fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4), gridspec_kw={"width_ratios": [1.3, 1]})
        fig.colorbar(left.imshow(r["weights"], cmap="Blues", vmin=0, vmax=1), ax=left, shrink=0.8,
                     label="attention weight")
        left.set(xlabel="English word read (source)", ylabel="character written")
        left.set_xticks(range(len(r["source"])), r["source"], rotation=45, ha="right")
        left.set_yticks(range(len(r["rows"])), r["rows"], fontproperties=font)
        left.set_title(f"attention of each character written for {number}", fontsize=9)
        texts, scores = [c[0] for c in r["candidates"]], [c[2] for c in r["candidates"]]
        right.barh(range(len(texts)), scores, color="lightsteelblue")
        right.set_yticks(range(len(texts)), texts, fontproperties=font)
        right.invert_yaxis()
        right.set_xlabel("score (higher is better)")
        for k, (_, log_prob, score) in enumerate(r["candidates"]):
            right.text(min(scores), k, f" log p = {log_prob:.3f}, score = {score:.3f}", va="center", fontsize=8)
        right.set_title(f"beam of {self.beam_size}: score = log p / length ** {self.alpha}", fontsize=9)
        fig.tight_layout()
        return fig

    def show(self, number=305):
        """Display a number slider (its read-out takes a typed number), the read-out and the figure;
        returns the ipywidgets box."""
        import ipywidgets as widgets

        slider = widgets.IntSlider(value=number, min=0, max=MAX_N, description="number", continuous_update=False)
        return live_view({"number": slider}, self.readout, self.figure, "translation-readout")
