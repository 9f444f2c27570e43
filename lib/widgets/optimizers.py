"""Widget: optimizer trajectories on 2-D loss surfaces, several optimizers side by side.

compute() runs lib.optim's SGD, SGD with momentum, RMSprop and Adam from the same start on
the chosen surface (gradients from torch.autograd) and returns their paths; tests compare
every path with torch.optim. figure() draws the surface, its gradient field and the paths.
"""
import math

import torch

from lib import optim
from lib.widgets.live import live_view


def quadratic(p):
    """Ill-conditioned bowl 0.5 (x^2 + 20 y^2): curvature 20 times larger along y. p: (..., 2)."""
    return 0.5 * (p[..., 0] ** 2 + 20 * p[..., 1] ** 2)


def rosenbrock(p):
    """Rosenbrock's banana valley (1 - x)^2 + 100 (y - x^2)^2, minimum 0 at (1, 1). p: (..., 2)."""
    return (1 - p[..., 0]) ** 2 + 100 * (p[..., 1] - p[..., 0] ** 2) ** 2


def saddle(p):
    """Saddle x^2 - y^2 + y^4 / 4: a saddle point at 0, minima at y = ±sqrt(2). p: (..., 2)."""
    return p[..., 0] ** 2 - p[..., 1] ** 2 + p[..., 1] ** 4 / 4


# name -> (function, start point, plot box (xmin, xmax, ymin, ymax))
SURFACES = {
    "ill-conditioned quadratic": (quadratic, (-4.0, 1.5), (-5.0, 5.0, -2.5, 2.5)),
    "Rosenbrock": (rosenbrock, (-1.5, 2.0), (-2.0, 2.0, -1.0, 3.0)),
    "saddle": (saddle, (-2.0, 1e-3), (-2.5, 2.5, -2.5, 2.5)),
}


def optimizers(params, lr, momentum, beta1, beta2):
    """{label: lib.optim optimizer over `params`}: the four optimizers the widget compares."""
    return {
        "SGD": optim.SGD(params[0:1], lr=lr),
        "momentum": optim.SGD(params[1:2], lr=lr, momentum=momentum),
        "RMSprop": optim.RMSprop(params[2:3], lr=lr),
        "Adam": optim.Adam(params[3:4], lr=lr, betas=(beta1, beta2)),
    }


def trajectories(surface, lr, momentum, beta1, beta2, steps, make=optimizers):
    """Paths of the four optimizers: {label: (steps + 1, 2) float64 tensor}, starting point first.

    make(params, lr, momentum, beta1, beta2) -> {label: optimizer} builds the optimizers (tests
    pass one that builds torch.optim's); a path stops where it leaves the finite numbers.
    """
    f, start, _ = SURFACES[surface]
    params = [torch.tensor(start, dtype=torch.float64, requires_grad=True) for _ in range(4)]
    paths = {}
    for (label, opt), p in zip(make(params, lr, momentum, beta1, beta2).items(), params):
        path = [p.detach().clone()]
        for _ in range(steps):
            opt.zero_grad()
            f(p).backward()
            opt.step()
            if not torch.isfinite(p).all():
                break
            path.append(p.detach().clone())
        paths[label] = torch.stack(path)
    return paths


class OptimizerWidget:
    """Sliders for the learning rate, momentum, Adam's betas and the number of steps."""

    def compute(self, surface, lr, momentum, beta1, beta2, steps):
        """{"paths": {label: (k, 2) tensor}, "loss": {label: loss at the path's end (inf if it diverged)}}."""
        if surface not in SURFACES:
            raise ValueError(f"surface must be one of {sorted(SURFACES)}, got {surface!r}")
        paths = trajectories(surface, lr, momentum, beta1, beta2, steps)
        f = SURFACES[surface][0]
        loss = {k: float(f(p[-1])) if len(p) == steps + 1 else math.inf for k, p in paths.items()}
        return {"paths": paths, "loss": loss}

    def readout(self, surface, lr, momentum, beta1, beta2, steps):
        """The one-line text under the controls: each optimizer's final loss."""
        loss = self.compute(surface, lr, momentum, beta1, beta2, steps)["loss"]
        return "   ".join(f"{k} loss = {v:.3e}" for k, v in loss.items())

    def figure(self, surface, lr, momentum, beta1, beta2, steps):
        """Contours of the surface, arrows along -gradient, and the four paths."""
        import matplotlib.pyplot as plt

        f, _, (x0, x1, y0, y1) = SURFACES[surface]
        xs, ys = torch.linspace(x0, x1, 120, dtype=torch.float64), torch.linspace(y0, y1, 120, dtype=torch.float64)
        Y, X = torch.meshgrid(ys, xs, indexing="ij")
        Z = f(torch.stack([X, Y], dim=-1))
        fig, ax = plt.subplots(figsize=(8.5, 5))
        ax.contourf(X, Y, torch.log1p(Z - Z.min()), levels=30, cmap="Greys")
        qx = torch.stack(torch.meshgrid(torch.linspace(y0, y1, 15, dtype=torch.float64),
                                        torch.linspace(x0, x1, 19, dtype=torch.float64), indexing="ij")[::-1], dim=-1)
        qx.requires_grad_(True)
        (grad,) = torch.autograd.grad(f(qx).sum(), qx)
        arrows = -grad / grad.norm(dim=-1, keepdim=True).clamp_min(1e-12)
        ax.quiver(qx[..., 0].detach(), qx[..., 1].detach(), arrows[..., 0], arrows[..., 1], color="0.55",
                  scale=40, width=0.002)
        result = self.compute(surface, lr, momentum, beta1, beta2, steps)
        for label, path in result["paths"].items():
            ax.plot(path[:, 0], path[:, 1], ".-", ms=3, lw=1.5, label=f"{label} ({result['loss'][label]:.1e})")
        ax.set(xlim=(x0, x1), ylim=(y0, y1), xlabel="x", ylabel="y",
               title=f"{surface}: {steps} steps, lr = {lr:.3g}; arrows: -gradient direction")
        ax.legend(loc="upper right", fontsize=8, title="final loss")
        fig.tight_layout()
        return fig

    def show(self, surface="ill-conditioned quadratic", lr=0.05, momentum=0.9, beta1=0.9, beta2=0.999, steps=60):
        """Display the controls, the read-out and the live plot; returns the ipywidgets box."""
        import ipywidgets as widgets

        slider = dict(continuous_update=False, readout_format=".3f")
        controls = {
            "surface": widgets.Dropdown(options=list(SURFACES), value=surface, description="surface"),
            "lr": widgets.FloatLogSlider(value=lr, base=10, min=-4, max=0, step=0.1, description="lr", **slider),
            "momentum": widgets.FloatSlider(value=momentum, min=0, max=0.99, step=0.01, description="momentum",
                                            **slider),
            "beta1": widgets.FloatSlider(value=beta1, min=0, max=0.99, step=0.01, description="beta1", **slider),
            "beta2": widgets.FloatSlider(value=beta2, min=0.9, max=0.9999, step=0.0001, description="beta2",
                                         continuous_update=False, readout_format=".4f"),
            "steps": widgets.IntSlider(value=steps, min=5, max=300, description="steps", continuous_update=False),
        }
        return live_view(controls, self.readout, self.figure, "optim-readout")
