"""Widget: how large each layer's weight gradient is, as depth, activation and the scale of
the initial weights change (vanishing and exploding gradients).

compute() runs one forward/backward pass of a deep MLP with lib.mlp.mlp_backward (tested
against torch.autograd) and returns the norm of dL/dW for every layer.
"""
import math

import torch

from lib import mlp
from lib.layers import ACTIVATION_LAYERS
from lib.widgets.live import live_view


def gaussian_mlp(sizes, scale, generator, dtype=torch.float64):
    """Parameters W_l ~ N(0, scale^2 / fan_in), b_l = 0: scale 1 is LeCun init, sqrt(2) is He init.

    sizes: layer widths, inputs first. Returns [(W (fan_in, fan_out), b (fan_out,)), ...].
    """
    return [(torch.randn(i, o, generator=generator, dtype=dtype) * (scale / math.sqrt(i)),
             torch.zeros(o, dtype=dtype)) for i, o in zip(sizes[:-1], sizes[1:])]


class GradientFlowWidget:
    """Per-layer gradient norms ||dL/dW_l|| of an MLP with `depth` layers of `width` units.

    The inputs (N, width) and labels (N,) in [0, classes) are drawn once from `seed`; the
    weights are redrawn from the same seed for every setting, so only the setting changes.
    """

    def __init__(self, width=32, n=64, classes=4, seed=0):
        g = torch.Generator().manual_seed(seed)
        self.width, self.classes, self.seed = width, classes, seed
        self.x = torch.randn(n, width, generator=g, dtype=torch.float64)
        self.y = torch.randint(0, classes, (n,), generator=g)

    def params(self, depth, scale):
        """The network's parameters for this depth (number of weight layers) and init scale."""
        if not isinstance(depth, int) or depth < 1:
            raise ValueError(f"depth must be a positive int, got {depth!r}")
        sizes = [self.width] * depth + [self.classes]
        return gaussian_mlp(sizes, scale, torch.Generator().manual_seed(self.seed + 1))

    def compute(self, depth, activation, scale):
        """{"loss": float, "norms": [||dL/dW_1||, ..., ||dL/dW_depth||]} (layer 1 next to the input)."""
        loss, grads = mlp.mlp_backward(self.x, self.y, self.params(depth, scale), activation)
        return {"loss": float(loss), "norms": [float(torch.linalg.vector_norm(dW)) for dW, _ in grads]}

    def readout(self, depth, activation, scale):
        """The one-line text the widget prints under the controls."""
        norms = self.compute(depth, activation, scale)["norms"]
        return (f"depth = {depth}   activation = {activation}   scale = {scale:.2f}   "
                f"first layer |dW| = {norms[0]:.3e}   last layer |dW| = {norms[-1]:.3e}   "
                f"first/last = {norms[0] / norms[-1]:.3e}")

    def figure(self, depth, activation, scale):
        """Gradient norm per layer (log scale): the chosen activation bold, the others faint."""
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(8, 3.6))
        layers = range(1, depth + 1)
        for name in ACTIVATION_LAYERS:
            norms = self.compute(depth, name, scale)["norms"]
            bold = name == activation
            ax.plot(layers, norms, "o-" if bold else "--", lw=2.5 if bold else 1, alpha=1 if bold else 0.5,
                    label=name)
        ax.set_yscale("log")
        ax.set(xlabel="layer (1 = next to the input)", ylabel="||dL/dW||",
               title=f"gradient norm per layer, weights ~ N(0, {scale:.2f}² / fan_in)")
        ax.grid(alpha=0.3, which="both")
        ax.legend()
        fig.tight_layout()
        return fig

    def show(self, depth=10, activation="sigmoid", scale=1.0):
        """Display the controls, the read-out and the live plot; returns the ipywidgets box."""
        import ipywidgets as widgets

        controls = {
            "depth": widgets.IntSlider(value=depth, min=2, max=30, description="depth",
                                       continuous_update=False),
            "activation": widgets.Dropdown(options=list(ACTIVATION_LAYERS), value=activation,
                                           description="activation"),
            "scale": widgets.FloatSlider(value=scale, min=0.25, max=3.0, step=0.05, description="scale",
                                         continuous_update=False),
        }
        return live_view(controls, self.readout, self.figure, "flow-readout")
