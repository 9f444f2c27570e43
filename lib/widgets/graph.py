"""Widget: the computational graph of one tanh neuron and its squared error, with every
node's value (forward pass) and gradient dL/d(node) (backward pass).

    n = x1 w1 + x2 w2 + b,   o = tanh(n),   L = (o - y)^2

compute() builds the expression with lib.autograd and runs backward() (tested against
torch.autograd); figure() draws the graph; show() wires sliders for w1, w2 and b.
"""
import torch

from lib.autograd import Tensor
from lib.widgets.live import live_view, symmetric_sliders

# node name -> (label drawn in the box, parents, (column, row) in the drawing)
NODES = {
    "x1": ("x1", (), (0, 0)),
    "w1": ("w1", (), (0, 1)),
    "x2": ("x2", (), (0, 2)),
    "w2": ("w2", (), (0, 3)),
    "b": ("b", (), (0, 4)),
    "x1*w1": ("x1·w1", ("x1", "w1"), (1, 0.5)),
    "x2*w2": ("x2·w2", ("x2", "w2"), (1, 2.5)),
    "n": ("n = Σ + b", ("x1*w1", "x2*w2", "b"), (2, 2.75)),
    "o": ("o = tanh(n)", ("n",), (3, 2.75)),
    "y": ("y (target)", (), (3, 4)),
    "L": ("L = (o − y)²", ("o", "y"), (4, 3.4)),
}


def neuron_graph(x1, w1, x2, w2, b, y):
    """The forward and backward pass of the graph above, on float64 engine Tensors.

    All arguments are numbers. Returns {name: (value, gradient dL/d(name))} for every
    node in NODES, as Python floats.
    """
    leaves = {k: Tensor(torch.tensor(float(v), dtype=torch.float64), requires_grad=True)
              for k, v in dict(x1=x1, w1=w1, x2=x2, w2=w2, b=b, y=y).items()}
    nodes = dict(leaves)
    nodes["x1*w1"] = leaves["x1"] * leaves["w1"]
    nodes["x2*w2"] = leaves["x2"] * leaves["w2"]
    nodes["n"] = nodes["x1*w1"] + nodes["x2*w2"] + leaves["b"]
    nodes["o"] = nodes["n"].tanh()
    nodes["L"] = (nodes["o"] - leaves["y"]) ** 2
    nodes["L"].backward()
    return {k: (float(t.data), float(t.grad)) for k, t in nodes.items()}


class GraphWidget:
    """Sliders for w1, w2 and b of L = (tanh(x1 w1 + x2 w2 + b) - y)^2 with fixed x1, x2, y."""

    def __init__(self, x1=2.0, x2=-1.0, y=0.5, limit=3.0):
        self.x1, self.x2, self.y, self.limit = float(x1), float(x2), float(y), float(limit)

    def compute(self, w1, w2, b):
        """{node name: (value, dL/d node)} for the graph at these parameters (Python floats)."""
        return neuron_graph(self.x1, w1, self.x2, w2, b, self.y)

    def readout(self, w1, w2, b):
        """The one-line text the widget prints under the sliders."""
        r = self.compute(w1, w2, b)
        return (f"L = {r['L'][0]:.4f}   o = {r['o'][0]:+.4f}   dL/dw1 = {r['w1'][1]:+.4f}   "
                f"dL/dw2 = {r['w2'][1]:+.4f}   dL/db = {r['b'][1]:+.4f}")

    def figure(self, w1, w2, b):
        """A matplotlib figure of the graph: each box shows the node, its value and its gradient."""
        import matplotlib.pyplot as plt

        r = self.compute(w1, w2, b)
        fig, ax = plt.subplots(figsize=(11, 4.6))
        for _, parents, (col, row) in NODES.values():
            for p in parents:
                pc, pr = NODES[p][2]
                ax.annotate("", xy=(col * 2.6 - 0.62, -row), xytext=(pc * 2.6 + 0.62, -pr),
                            arrowprops={"arrowstyle": "->", "color": "0.45"})
        for name, (label, parents, (col, row)) in NODES.items():
            value, grad = r[name]
            colour = "#dbe9f6" if parents else ("#fde9c9" if name in ("w1", "w2", "b") else "#eeeeee")
            ax.text(col * 2.6, -row, f"{label}\nvalue {value:+.3f}\ngrad {grad:+.3f}", ha="center",
                    va="center", fontsize=9, family="monospace",
                    bbox={"boxstyle": "round", "fc": colour, "ec": "0.3"})
        ax.set(xlim=(-0.9, 4 * 2.6 + 0.9), ylim=(-4.6, 0.6))
        ax.axis("off")
        ax.set_title("forward: values left to right · backward: grad = dL/d(node), right to left")
        fig.tight_layout()
        return fig

    def show(self, w1=0.5, w2=-1.0, b=0.2):
        """Display sliders, the read-out and the live graph; returns the ipywidgets box."""
        sliders = symmetric_sliders({"w1": w1, "w2": w2, "b": b}, self.limit)
        return live_view(sliders, self.readout, self.figure, "graph-readout")
