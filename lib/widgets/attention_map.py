"""Widget: what a trained TinyGPT attends to. Type a text; pick a layer, a head and a position;
see that head's attention weights over the whole text as a heat map, and the row of the chosen
position as bars (which earlier characters it reads from).

compute() is lib.gpt.attention_maps on the encoded text (tests/lib/test_widget_attention_map.py
checks it against weights recomputed by torch.nn.functional.scaled_dot_product_attention).
"""
import math

from lib.gpt import attention_maps
from lib.widgets.live import live_view


class AttentionWidget:
    """model: a TinyGPT in eval mode; tokenizer: its CharTokenizer."""

    def __init__(self, model, tokenizer):
        self.model, self.tokenizer = model, tokenizer
        self.cache = {}

    def compute(self, text, layer, head, position):
        """{"chars": the text's characters (at most block_size, the last ones), "weights": (T, T)
        nested lists of this layer's and head's weights, "row": the weights of `position`
        (clipped to the text) over positions 0..position, "position": that position}."""
        config = self.model.config
        if not text:
            raise ValueError("text must hold at least one character")
        if not (0 <= layer < config.n_layer and 0 <= head < config.n_head):
            raise ValueError(f"layer must be in [0, {config.n_layer}) and head in [0, {config.n_head}), "
                             f"got layer={layer}, head={head}")
        text = text[-config.block_size:]
        if text not in self.cache:
            self.cache[text] = attention_maps(self.model, self.tokenizer.encode(text)[None])[0]
        weights = self.cache[text][layer, head]  # (T, T)
        position = max(0, min(int(position), len(text) - 1))
        return {"chars": list(text), "weights": weights.tolist(), "row": weights[position, :position + 1].tolist(),
                "position": position}

    def readout(self, text, layer, head, position):
        """One line: the chosen position and character, its strongest key, and the row's entropy."""
        r = self.compute(text, layer, head, position)
        row, chars = r["row"], r["chars"]
        top = max(range(len(row)), key=row.__getitem__)
        entropy = -sum(w * math.log(w) for w in row if w > 0)
        return (f"layer = {layer}   head = {head}   position = {r['position']}   "
                f"char = {chars[r['position']]!r}   strongest key = {top}   "
                f"weight = {row[top]:.3f}   entropy = {entropy:.3f}")

    def figure(self, text, layer, head, position):
        import matplotlib.pyplot as plt

        r = self.compute(text, layer, head, position)
        labels = [c if c != "\n" else "\\n" for c in r["chars"]]
        fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.6), gridspec_kw={"width_ratios": [1, 1.4]})
        left.imshow(r["weights"], cmap="viridis", vmin=0, vmax=1)
        left.axhline(r["position"], color="w", lw=0.8)
        left.set(title=f"layer {layer}, head {head}: query (row) over key (column)", xlabel="key", ylabel="query")
        ticks = range(len(labels))
        for ax in (left, right):
            ax.set_xticks(ticks, labels, fontsize=7, family="monospace")
        left.set_yticks(ticks, labels, fontsize=7, family="monospace")
        right.bar(range(len(r["row"])), r["row"], color="C1")
        right.set(xlim=(-0.5, len(labels) - 0.5), ylim=(0, 1), ylabel="attention weight",
                  title=f"what position {r['position']} ({labels[r['position']]!r}) reads from")
        fig.tight_layout()
        return fig

    def show(self, text="The interpreter reads the source file.", layer=0, head=0, position=20):
        """Display a text box, layer/head/position sliders, the read-out and the figure."""
        import ipywidgets as widgets

        config = self.model.config
        controls = {
            "text": widgets.Text(value=text, description="text", continuous_update=False,
                                 layout=widgets.Layout(width="520px")),
            "layer": widgets.IntSlider(value=layer, min=0, max=config.n_layer - 1, description="layer",
                                       continuous_update=False),
            "head": widgets.IntSlider(value=head, min=0, max=config.n_head - 1, description="head",
                                      continuous_update=False),
            "position": widgets.IntSlider(value=position, min=0, max=config.block_size - 1, description="position",
                                          continuous_update=False),
        }
        return live_view(controls, self.readout, self.figure, "attention-readout")
