"""Widget: one sigmoid neuron on 2-D data, with live loss, gradient and decision boundary.

compute() holds all the numbers (tested against torch.autograd); figure() draws them;
show() wires three sliders (w1, w2, b) to the figure and a printed read-out.
"""
import torch

from lib import activations, neuron
from lib.widgets.live import live_view, symmetric_sliders


def loss_surface(x, y, b, w_range, steps):
    """MSE of the sigmoid neuron over a (steps, steps) grid of (w1, w2) in w_range^2, bias b.

    x: (N, 2); y: (N,). Returns (w1 (steps,), w2 (steps,), loss (steps, steps)) where
    loss[i, j] is the loss at w = (w1[j], w2[i]).
    """
    lo, hi = w_range
    w1 = torch.linspace(lo, hi, steps, dtype=x.dtype, device=x.device)
    w2 = torch.linspace(lo, hi, steps, dtype=x.dtype, device=x.device)
    W2, W1 = torch.meshgrid(w2, w1, indexing="ij")
    grid = torch.stack([W1.reshape(-1), W2.reshape(-1)], dim=1)
    p = activations.sigmoid(x @ grid.T + b)
    loss = ((p - y[:, None]) ** 2).mean(dim=0)
    return w1, w2, loss.reshape(steps, steps)


class NeuronWidget:
    """Sliders for the weights w = (w1, w2) and bias b of p = sigmoid(w . x + b).

    x: (N, 2) points; y: (N,) labels in {0, 1}; the loss is MSE between p and y.
    """

    def __init__(self, x, y, limit=4.0):
        if x.dim() != 2 or x.shape[1] != 2:
            raise ValueError(f"x must have shape (N, 2), got {tuple(x.shape)}")
        if y.shape != (x.shape[0],):
            raise ValueError(f"y must have shape ({x.shape[0]},), got {tuple(y.shape)}")
        self.x, self.y, self.limit = x, y, float(limit)

    def compute(self, w1, w2, b):
        """Loss, gradients, accuracy and boundary for the neuron with weights (w1, w2), bias b.

        Returns a dict of Python floats: loss, grad_w1, grad_w2, grad_b, accuracy, and
        boundary: ((x1, x2), (x1', x2')), two points of the line w . x + b = 0, or None
        when w = 0 (no boundary).
        """
        w = torch.tensor([w1, w2], dtype=self.x.dtype, device=self.x.device)
        loss, grad_w, grad_b = neuron.neuron_mse_grads(self.x, self.y, w, b)
        p = neuron.neuron_forward(self.x, w, b)
        accuracy = ((p >= 0.5).to(self.y.dtype) == self.y).to(torch.float64).mean()
        return {
            "loss": float(loss), "grad_w1": float(grad_w[0]), "grad_w2": float(grad_w[1]),
            "grad_b": float(grad_b), "accuracy": float(accuracy),
            "boundary": self._boundary(w1, w2, b),
        }

    def _boundary(self, w1, w2, b):
        """Two points of w1 x1 + w2 x2 + b = 0 spanning the plot box, or None if w = 0."""
        L = self.limit
        if w1 == 0 and w2 == 0:
            return None
        if abs(w2) >= abs(w1):
            return ((-L, (-b + w1 * L) / w2), (L, (-b - w1 * L) / w2))
        return (((-b + w2 * L) / w1, -L), ((-b - w2 * L) / w1, L))

    def readout(self, w1, w2, b):
        """The one-line text the widget prints under the sliders."""
        r = self.compute(w1, w2, b)
        return (f"loss = {r['loss']:.4f}   dL/dw1 = {r['grad_w1']:+.4f}   "
                f"dL/dw2 = {r['grad_w2']:+.4f}   dL/db = {r['grad_b']:+.4f}   "
                f"accuracy = {r['accuracy']:.2f}")

    def figure(self, w1, w2, b):
        """A matplotlib figure: data with boundary (left), loss surface with -gradient (right)."""
        import matplotlib.pyplot as plt

        r = self.compute(w1, w2, b)
        L = self.limit
        x, y = self.x.cpu(), self.y.cpu()
        fig, (ax_data, ax_loss) = plt.subplots(1, 2, figsize=(10, 4.2))
        for label, colour in ((0, "tab:blue"), (1, "tab:orange")):
            pts = x[y == label]
            ax_data.scatter(pts[:, 0], pts[:, 1], s=14, c=colour, label=f"y = {label}")
        if r["boundary"] is not None:
            (a1, a2), (c1, c2) = r["boundary"]
            ax_data.plot([a1, c1], [a2, c2], "k-", lw=2, label="w . x + b = 0")
        ax_data.set(xlim=(-L, L), ylim=(-L, L), xlabel="x1", ylabel="x2", title="data and decision boundary")
        ax_data.legend(loc="upper left", fontsize=8)

        w1s, w2s, loss = loss_surface(x, y, b, (-L, L), 61)
        cs = ax_loss.contourf(w1s, w2s, loss, levels=20, cmap="viridis")
        fig.colorbar(cs, ax=ax_loss, label="MSE loss")
        ax_loss.plot([w1], [w2], "wo")
        ax_loss.annotate("", xy=(w1 - r["grad_w1"] * 10, w2 - r["grad_w2"] * 10), xytext=(w1, w2),
                         arrowprops={"arrowstyle": "->", "color": "white", "lw": 2})
        ax_loss.set(xlabel="w1", ylabel="w2", title=f"loss at b = {b:.2f}; arrow: -dL/dw (x10)")
        fig.tight_layout()
        return fig

    def show(self, w1=1.0, w2=-1.0, b=0.0):
        """Display sliders, the read-out and the live figure; returns the ipywidgets box."""
        sliders = symmetric_sliders({"w1": w1, "w2": w2, "b": b}, self.limit)
        return live_view(sliders, self.readout, self.figure, "neuron-readout")
