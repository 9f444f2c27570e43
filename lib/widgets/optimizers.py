"""Widget: optimizer trajectories on 2-D loss surfaces, several optimizers side by side.

compute() runs lib.optim's SGD, SGD with momentum, RMSprop and Adam from the same start on
the chosen surface (gradients from torch.autograd), each at its own learning rate, and returns
their paths; tests compare every path with torch.optim. figure() draws the surface, its
gradient field and the paths. tune() picks each optimizer's learning rate on a surface: the
rate of RATES with the lowest end-of-run loss (end_loss: the largest loss over the last 10% of
the surface's step budget, so that an optimizer that swings is not judged at the bottom of one
swing); TUNED records its picks, which are the widget's default rates (a test checks that they
still are tune()'s picks).
"""
import math
from typing import Callable, NamedTuple

import torch

from lib import optim
from lib.widgets.live import live_view


def quadratic(p):
    """Ill-conditioned bowl 0.5 (x^2 + 50 y^2): curvature 50 times larger along y. p: (..., 2)."""
    return 0.5 * (p[..., 0] ** 2 + 50 * p[..., 1] ** 2)


def rosenbrock(p):
    """Rosenbrock's banana valley (1 - x)^2 + 100 (y - x^2)^2, minimum 0 at (1, 1). p: (..., 2)."""
    return (1 - p[..., 0]) ** 2 + 100 * (p[..., 1] - p[..., 0] ** 2) ** 2


def saddle(p):
    """Saddle x^2 - y^2 + y^4 / 4: a saddle point at 0, minima at y = ±sqrt(2). p: (..., 2)."""
    return p[..., 0] ** 2 - p[..., 1] ** 2 + p[..., 1] ** 4 / 4


class Surface(NamedTuple):
    f: Callable  # (..., 2) -> (...)
    start: tuple  # the point every optimizer starts from
    box: tuple  # the plot's (xmin, xmax, ymin, ymax)
    steps: int  # the step budget for tuning, and the widget's default
    minimum: float  # the lowest value of f


SURFACES = {
    "ill-conditioned quadratic": Surface(quadratic, (-4.0, 1.5), (-5.0, 5.0, -2.5, 2.5), 100, 0.0),
    "Rosenbrock": Surface(rosenbrock, (-1.5, 2.0), (-2.0, 2.0, -1.0, 3.0), 500, 0.0),
    "saddle": Surface(saddle, (-2.0, 1e-3), (-2.5, 2.5, -2.5, 2.5), 100, -1.0),
}

LABELS = ("SGD", "momentum", "RMSprop", "Adam")

# the learning rates tune() tries: 10^-3 to 10^0.5, four per decade (the lr sliders step through them)
RATES = tuple(10 ** (k / 4) for k in range(-12, 3))

# best_rates(tune(surface), surface) at momentum 0.9 and betas (0.9, 0.999), judged by end_loss:
# {surface: {label: lr}}
TUNED = {
    "ill-conditioned quadratic": {"SGD": 10 ** -1.5, "momentum": 10 ** -2.0, "RMSprop": 10 ** -1.0,
                                  "Adam": 10 ** -0.25},
    "Rosenbrock": {"SGD": 10 ** -2.75, "momentum": 10 ** -2.75, "RMSprop": 10 ** -1.25, "Adam": 10 ** 0.0},
    "saddle": {"SGD": 10 ** -1.0, "momentum": 10 ** -0.5, "RMSprop": 10 ** -1.0, "Adam": 10 ** -1.25},
}


def optimizers(groups, momentum, beta1, beta2):
    """{label: lib.optim optimizer} for the four optimizers compared; groups: {label: param groups,
    each a dict {"params": [tensor], "lr": rate}}."""
    return {
        "SGD": optim.SGD(groups["SGD"]),
        "momentum": optim.SGD(groups["momentum"], momentum=momentum),
        "RMSprop": optim.RMSprop(groups["RMSprop"]),
        "Adam": optim.Adam(groups["Adam"], betas=(beta1, beta2)),
    }


def _check_surface(surface):
    if surface not in SURFACES:
        raise ValueError(f"surface must be one of {sorted(SURFACES)}, got {surface!r}")
    return SURFACES[surface]


def _runs(surface, rates, momentum, beta1, beta2, steps, make):
    """{label: [path for each rate in rates[label]]}, every path a (k, 2) float64 tensor from the
    start; all runs advance together, one backward pass per step; a path stops where it leaves
    the finite numbers (its parameter then gets no more gradients, so no more updates)."""
    f, start = _check_surface(surface)[:2]
    params = {label: [torch.tensor(start, dtype=torch.float64, requires_grad=True) for _ in rates[label]]
              for label in LABELS}
    opts = make({label: [{"params": [p], "lr": lr} for p, lr in zip(params[label], rates[label])]
                 for label in LABELS}, momentum, beta1, beta2)
    paths = {label: [[p.detach().clone()] for p in params[label]] for label in LABELS}
    running = [(p, path) for label in LABELS for p, path in zip(params[label], paths[label])]
    for _ in range(steps):
        if not running:
            break
        for opt in opts.values():
            opt.zero_grad()
        f(torch.stack([p for p, _ in running])).sum().backward()  # each p gets the gradient of its own f(p)
        for opt in opts.values():
            opt.step()
        for p, path in running:
            if torch.isfinite(p).all():
                path.append(p.detach().clone())
        running = [(p, path) for p, path in running if torch.isfinite(p).all()]
    return {label: [torch.stack(path) for path in paths[label]] for label in LABELS}


def _check_rates(lrs):
    if not isinstance(lrs, dict) or set(lrs) != set(LABELS):
        raise ValueError(f"lrs must be a dict with a learning rate for each of {list(LABELS)}, got {lrs!r}")
    for label, lr in lrs.items():
        if isinstance(lr, bool) or not isinstance(lr, (int, float)) or not lr > 0:
            raise ValueError(f"lrs[{label!r}] must be a positive number, got {lr!r}")


def trajectories(surface, lrs, momentum, beta1, beta2, steps, make=optimizers):
    """Paths of the four optimizers: {label: (steps + 1, 2) float64 tensor}, starting point first.

    lrs: {label: learning rate}. make(groups, momentum, beta1, beta2) -> {label: optimizer} builds
    the optimizers (tests pass one that builds torch.optim's); a path stops where it leaves the
    finite numbers.
    """
    _check_rates(lrs)
    runs = _runs(surface, {label: [lrs[label]] for label in LABELS}, momentum, beta1, beta2, steps, make)
    return {label: runs[label][0] for label in LABELS}


def final_loss(surface, path, steps):
    """The loss at the end of `path` if it lasted all `steps` steps, else inf (it diverged)."""
    f = _check_surface(surface)[0]
    return float(f(path[-1])) if len(path) == steps + 1 else math.inf


def end_loss(surface, path, steps):
    """The end-of-run loss of `path`: the largest loss over its last 10% of `steps` steps (steps
    90 to 100 of 100; the last point alone for fewer than 10 steps), inf if the path did not last
    all `steps` steps (it diverged). Unlike the loss at one exact step, it does not depend on where
    in a swing the run happens to stop."""
    f = _check_surface(surface)[0]
    if len(path) != steps + 1:
        return math.inf
    return float(f(path[steps - steps // 10:]).max())


def tune(surface, rates=RATES, momentum=0.9, beta1=0.9, beta2=0.999, steps=None, make=optimizers):
    """{label: {lr: end-of-run loss of `steps` steps (end_loss; inf if diverged)}} for every lr in
    `rates`.

    steps defaults to the surface's step budget (SURFACES); each optimizer's tuned rate is the lr
    with the lowest end-of-run loss (best_rates).
    """
    steps = _check_surface(surface).steps if steps is None else steps
    runs = _runs(surface, {label: list(rates) for label in LABELS}, momentum, beta1, beta2, steps, make)
    return {label: {lr: end_loss(surface, path, steps) for lr, path in zip(rates, runs[label])}
            for label in LABELS}


SOLVED = 1e-10  # an end-of-run loss within this of the surface's minimum counts as having reached it


def best_rates(table, surface):
    """{label: the lr with the lowest end-of-run loss} from tune(surface)'s table; every loss within
    SOLVED of the minimum counts as reaching it, and among the rates that reach it (or any tie)
    the smallest is kept."""
    floor = SURFACES[surface].minimum + SOLVED
    return {label: min(losses, key=lambda lr: (max(losses[lr], floor), lr)) for label, losses in table.items()}


def tuning_table(table, surface):
    """A tune() table as text: one row per learning rate, one column per optimizer, the kept
    rate of each (best_rates) marked with *; "diverged" where the path left the finite numbers."""
    best = best_rates(table, surface)

    def cell(label, lr):
        loss = table[label][lr]
        return ("diverged" if math.isinf(loss) else f"{loss:.2e}") + ("*" if best[label] == lr else " ")

    rates = next(iter(table.values()))
    lines = ["lr      " + "".join(f"{label:>12} " for label in table)]
    lines += [f"{lr:<7.3g} " + "".join(f"{cell(label, lr):>13}" for label in table) for lr in rates]
    return "\n".join(lines)


class OptimizerWidget:
    """Sliders for each optimizer's learning rate, momentum, Adam's betas and the number of steps."""

    def compute(self, surface, lr_sgd, lr_momentum, lr_rmsprop, lr_adam, momentum, beta1, beta2, steps):
        """{"paths": {label: (k, 2) tensor}, "loss": {label: end-of-run loss (end_loss: the largest
        over the last 10% of the steps; inf if it diverged)}, "lr": {label: its learning rate}}."""
        _check_surface(surface)
        lrs = dict(zip(LABELS, (lr_sgd, lr_momentum, lr_rmsprop, lr_adam)))
        paths = trajectories(surface, lrs, momentum, beta1, beta2, steps)
        loss = {k: end_loss(surface, p, steps) for k, p in paths.items()}
        return {"paths": paths, "loss": loss, "lr": lrs}

    def readout(self, surface, lr_sgd, lr_momentum, lr_rmsprop, lr_adam, momentum, beta1, beta2, steps):
        """The one-line text under the controls: each optimizer's end-of-run loss (end_loss)."""
        loss = self.compute(surface, lr_sgd, lr_momentum, lr_rmsprop, lr_adam, momentum, beta1, beta2,
                            steps)["loss"]
        return "   ".join(f"{k} loss = {v:.3e}" for k, v in loss.items())

    def figure(self, surface, lr_sgd, lr_momentum, lr_rmsprop, lr_adam, momentum, beta1, beta2, steps, only=LABELS):
        """Contours of the surface, arrows along -gradient, and the paths of the optimizers in `only`."""
        import matplotlib.pyplot as plt

        f, _, (x0, x1, y0, y1) = _check_surface(surface)[:3]
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
        result = self.compute(surface, lr_sgd, lr_momentum, lr_rmsprop, lr_adam, momentum, beta1, beta2, steps)
        # half-transparent paths, so that one drawn later does not hide another, and each path's end
        # point marked with a marker of its own on top of all the paths
        marker = dict(zip(LABELS, ("o", "s", "^", "D")))
        ends = []
        for label in only:
            path = result["paths"][label]
            (line,) = ax.plot(path[:, 0], path[:, 1], ".-", ms=3, lw=1.5, alpha=0.6)
            ends.append((label, path[-1], line.get_color()))
        # the markers in reverse order, each smaller than the one before, so that ends at the same spot stay
        # visible one inside the other; the legend shows each optimizer's end marker
        for size, (label, end, color) in zip((115, 95, 75, 55), reversed(ends)):
            ax.scatter([float(end[0])], [float(end[1])], s=size, marker=marker[label], facecolor=color,
                       edgecolor="black", linewidth=1, zorder=5,
                       label=f"{label}, lr {result['lr'][label]:.3g}: {result['loss'][label]:.1e}")
        ax.set(xlim=(x0, x1), ylim=(y0, y1), xlabel="x", ylabel="y",
               title=f"{surface}: {steps} steps; arrows: -gradient direction; markers: end points")
        handles, labels = ax.get_legend_handles_labels()
        ax.legend(handles[::-1], labels[::-1], loc="upper right", fontsize=8, title="end-of-run loss")
        fig.tight_layout()
        return fig

    def show(self, surface="ill-conditioned quadratic", lrs=None, momentum=0.9, beta1=0.9, beta2=0.999, steps=None):
        """Display the controls, the read-out and the live plot; returns the ipywidgets box.

        lrs: {label: learning rate}, by default the rates tuned for `surface` (TUNED); steps: by
        default the surface's step budget.
        """
        import ipywidgets as widgets

        budget = _check_surface(surface).steps
        lrs = TUNED[surface] if lrs is None else lrs
        _check_rates(lrs)
        slider = dict(continuous_update=False, readout_format=".3f")
        rate = dict(base=10, min=-4, max=math.log10(RATES[-1]), step=0.25, continuous_update=False,
                    readout_format=".3g", style={"description_width": "initial"})  # 10^-4 to 10^0.5: RATES and below
        controls = {
            "surface": widgets.Dropdown(options=list(SURFACES), value=surface, description="surface"),
            **{f"lr_{label.lower()}": widgets.FloatLogSlider(value=lrs[label], description=f"lr {label}", **rate)
               for label in LABELS},
            "momentum": widgets.FloatSlider(value=momentum, min=0, max=0.99, step=0.01, description="momentum",
                                            **slider),
            "beta1": widgets.FloatSlider(value=beta1, min=0, max=0.99, step=0.01, description="beta1", **slider),
            "beta2": widgets.FloatSlider(value=beta2, min=0.9, max=0.9999, step=0.0001, description="beta2",
                                         continuous_update=False, readout_format=".4f"),
            "steps": widgets.IntSlider(value=budget if steps is None else steps, min=5, max=500, description="steps",
                                       continuous_update=False),
        }
        return live_view(controls, self.readout, self.figure, "optim-readout")
