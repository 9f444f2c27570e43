"""The optimizer widget: every path equals the same run with torch.optim; divergence is reported."""
import math

import matplotlib
import pytest
import torch

from lib.widgets import OptimizerWidget
from lib.widgets.optimizers import SURFACES, trajectories

matplotlib.use("Agg")


def torch_optimizers(params, lr, momentum, beta1, beta2):
    return {
        "SGD": torch.optim.SGD(params[0:1], lr=lr),
        "momentum": torch.optim.SGD(params[1:2], lr=lr, momentum=momentum),
        "RMSprop": torch.optim.RMSprop(params[2:3], lr=lr),
        "Adam": torch.optim.Adam(params[3:4], lr=lr, betas=(beta1, beta2)),
    }


@pytest.mark.parametrize("surface, lr", [("ill-conditioned quadratic", 0.05), ("Rosenbrock", 1e-3),
                                         ("saddle", 0.1)])
def test_paths_equal_torch_optim(surface, lr):
    ours = trajectories(surface, lr, 0.8, 0.85, 0.99, 80)
    theirs = trajectories(surface, lr, 0.8, 0.85, 0.99, 80, make=torch_optimizers)
    assert ours.keys() == theirs.keys() == {"SGD", "momentum", "RMSprop", "Adam"}
    for label in ours:
        assert ours[label].shape == (81, 2)
        torch.testing.assert_close(ours[label], theirs[label], rtol=0, atol=1e-9)


def test_surfaces_have_their_known_minima_and_saddle():
    f = SURFACES["Rosenbrock"][0]
    assert float(f(torch.tensor([1.0, 1.0]))) == 0.0
    g = SURFACES["saddle"][0]
    p = torch.tensor([0.0, 0.0], requires_grad=True)
    (grad,) = torch.autograd.grad(g(p), p)
    assert grad.abs().max() == 0
    hessian = torch.autograd.functional.hessian(g, torch.tensor([0.0, 0.0]))
    assert hessian[0, 0] > 0 > hessian[1, 1]


def test_divergence_is_reported_as_inf_and_the_path_stops():
    widget = OptimizerWidget()
    r = widget.compute("Rosenbrock", 0.5, 0.9, 0.9, 0.999, 50)
    assert r["loss"]["SGD"] == math.inf and len(r["paths"]["SGD"]) < 51
    assert math.isfinite(r["loss"]["Adam"])
    assert "SGD loss = inf" in widget.readout("Rosenbrock", 0.5, 0.9, 0.9, 0.999, 50)


def test_momentum_beats_plain_sgd_on_the_ill_conditioned_bowl():
    loss = OptimizerWidget().compute("ill-conditioned quadratic", 0.01, 0.9, 0.9, 0.999, 100)["loss"]
    assert loss["momentum"] < 0.1 * loss["SGD"]


def test_controls_update_the_readout_and_figure_draws_four_paths():
    widget = OptimizerWidget()
    box = widget.show()
    controls = {c.description: c for c in box.children[0].children}
    assert list(controls) == ["surface", "lr", "momentum", "beta1", "beta2", "steps"]
    readout = box.children[1]
    assert widget.readout("ill-conditioned quadratic", 0.05, 0.9, 0.9, 0.999, 60) in readout.value
    controls["surface"].value = "saddle"
    controls["steps"].value = 20
    assert widget.readout("saddle", 0.05, 0.9, 0.9, 0.999, 20) in readout.value
    fig = widget.figure("saddle", 0.05, 0.9, 0.9, 0.999, 20)
    assert len(fig.axes[0].lines) == 4
    with pytest.raises(ValueError, match="surface must be one of"):
        widget.compute("bowl", 0.1, 0.9, 0.9, 0.999, 5)
