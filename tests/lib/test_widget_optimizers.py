"""The optimizer widget: every path equals the same run with torch.optim, each optimizer at its
own learning rate; the default rates are the tuning grid's picks; the valley shows what chapter
03 says it shows; divergence is reported."""
import math

import matplotlib
import pytest
import torch

from lib.widgets import OptimizerWidget
from lib.widgets.optimizers import (LABELS, RATES, SURFACES, TUNED, best_rates, end_loss, final_loss, quadratic,
                                    trajectories, tune, tuning_table)

matplotlib.use("Agg")

VALLEY = "ill-conditioned quadratic"


def torch_optimizers(groups, momentum, beta1, beta2):
    return {
        "SGD": torch.optim.SGD(groups["SGD"]),
        "momentum": torch.optim.SGD(groups["momentum"], momentum=momentum),
        "RMSprop": torch.optim.RMSprop(groups["RMSprop"]),
        "Adam": torch.optim.Adam(groups["Adam"], betas=(beta1, beta2)),
    }


def args(surface, lrs, momentum=0.9, beta1=0.9, beta2=0.999, steps=None):
    """The widget's arguments, in its controls' order."""
    steps = SURFACES[surface].steps if steps is None else steps
    return (surface, *(lrs[label] for label in LABELS), momentum, beta1, beta2, steps)


@pytest.mark.parametrize("surface, lrs", [
    (VALLEY, {"SGD": 0.03, "momentum": 0.005, "RMSprop": 0.1, "Adam": 0.2}),
    ("Rosenbrock", {"SGD": 1e-3, "momentum": 5e-4, "RMSprop": 2e-3, "Adam": 0.01}),
    ("saddle", {"SGD": 0.1, "momentum": 0.05, "RMSprop": 0.02, "Adam": 0.3}),
])
def test_paths_equal_torch_optim_each_at_its_own_rate(surface, lrs):
    ours = trajectories(surface, lrs, 0.8, 0.85, 0.99, 80)
    theirs = trajectories(surface, lrs, 0.8, 0.85, 0.99, 80, make=torch_optimizers)
    assert ours.keys() == theirs.keys() == set(LABELS)
    for label in ours:
        assert ours[label].shape == (81, 2)
        torch.testing.assert_close(ours[label], theirs[label], rtol=0, atol=1e-9)


def test_each_rate_drives_only_its_own_optimizer():
    lrs = dict(TUNED[VALLEY])
    before = trajectories(VALLEY, lrs, 0.9, 0.9, 0.999, 30)
    after = trajectories(VALLEY, {**lrs, "Adam": lrs["Adam"] / 10}, 0.9, 0.9, 0.999, 30)
    assert not torch.equal(before["Adam"], after["Adam"])
    assert all(torch.equal(before[label], after[label]) for label in ("SGD", "momentum", "RMSprop"))


@pytest.mark.parametrize("surface, rates", [(VALLEY, (0.01, 0.1)), ("Rosenbrock", (1e-3, 0.5))])
def test_tune_runs_every_rate_as_a_run_of_its_own(surface, rates):
    """All of tune()'s runs advance together in one backward pass per step; each must still be the
    run trajectories() makes for that rate alone, diverging ones included (SGD at 0.1 > 2 / 50 on
    the valley; at 0.5 on Rosenbrock it leaves the finite numbers and stops)."""
    table = tune(surface, rates=rates, steps=40)
    for lr in rates:
        paths = trajectories(surface, dict.fromkeys(LABELS, lr), 0.9, 0.9, 0.999, 40)
        assert {label: table[label][lr] for label in LABELS} == {
            label: end_loss(surface, paths[label], 40) for label in LABELS}
    assert table["SGD"][rates[1]] > 1e40 and table["RMSprop"][rates[1]] < 10


@pytest.mark.parametrize("surface", [VALLEY, pytest.param("Rosenbrock", marks=pytest.mark.slow), "saddle"])
def test_default_rates_are_the_tuning_grids_picks(surface):
    assert all(lr in RATES for lr in TUNED[surface].values())
    assert best_rates(tune(surface), surface) == TUNED[surface]


def test_best_rates_counts_every_loss_at_the_minimum_as_a_tie_and_keeps_the_smallest_rate():
    table = {"SGD": {0.1: 3e-11, 0.2: 1e-40, 0.5: 2.0}, "momentum": {0.1: 0.5, 0.2: 0.25, 0.5: math.inf},
             "RMSprop": {0.1: 1.0, 0.2: 1.0, 0.5: 1.0}, "Adam": {0.1: -0.5, 0.2: -0.9, 0.5: 1.0}}
    assert best_rates(table, VALLEY) == {"SGD": 0.1, "momentum": 0.2, "RMSprop": 0.1, "Adam": 0.1}
    assert best_rates(table, "saddle")["Adam"] == 0.2  # the saddle's minimum is -1, not 0
    text = tuning_table(table, VALLEY).splitlines()
    assert text[0].split() == ["lr", *LABELS]
    assert text[1].split() == ["0.1", "3.00e-11*", "5.00e-01", "1.00e+00*", "-5.00e-01*"]
    assert text[3].split() == ["0.5", "2.00e+00", "diverged", "1.00e+00", "1.00e+00"]


def test_end_loss_is_the_largest_loss_over_the_last_tenth_of_the_run():
    """Momentum swings across the valley, so its loss at step 100 alone is far below its losses at
    the steps just before; end_loss takes the largest of steps 90 to 100, and inf for a path that
    stopped early."""
    path = trajectories(VALLEY, TUNED[VALLEY], 0.9, 0.9, 0.999, 100)["momentum"]
    losses = [float(quadratic(p)) for p in path]
    assert end_loss(VALLEY, path, 100) == max(losses[90:])
    assert end_loss(VALLEY, path, 100) > 5 * final_loss(VALLEY, path, 100)
    assert end_loss(VALLEY, path[:5], 4) == final_loss(VALLEY, path[:5], 4) == losses[4]
    assert end_loss(VALLEY, path[:50], 100) == math.inf


def test_the_valley_at_the_tuned_rates_shows_what_the_chapter_says():
    """Plain gradient descent zig-zags across the valley (y changes sign at each of its first
    steps) and ends several times higher than momentum; RMSprop slides down to the floor without
    crossing it."""
    paths = trajectories(VALLEY, TUNED[VALLEY], 0.9, 0.9, 0.999, 100)
    y = paths["SGD"][:7, 1]
    assert (y[1:] * y[:-1] < 0).all(), y
    loss = {label: end_loss(VALLEY, path, 100) for label, path in paths.items()}
    assert loss["SGD"] > 5 * loss["momentum"]
    assert (paths["RMSprop"][:20, 1] > 0).all()
    assert loss["RMSprop"] < 1e-10


def test_divergence_is_reported_as_inf_and_the_path_stops():
    widget = OptimizerWidget()
    lrs = {"SGD": 0.5, "momentum": 0.5, "RMSprop": 0.5, "Adam": 0.5}
    r = widget.compute(*args("Rosenbrock", lrs, steps=50))
    assert r["loss"]["SGD"] == math.inf and len(r["paths"]["SGD"]) < 51
    assert math.isfinite(r["loss"]["Adam"])
    assert "SGD loss = inf" in widget.readout(*args("Rosenbrock", lrs, steps=50))


def test_momentum_beats_plain_sgd_on_the_ill_conditioned_bowl_at_the_same_rate():
    loss = OptimizerWidget().compute(*args(VALLEY, dict.fromkeys(LABELS, 0.01), steps=100))["loss"]
    assert loss["momentum"] < 0.1 * loss["SGD"]


def test_bad_rates_are_refused_naming_the_argument():
    with pytest.raises(ValueError, match="lrs must be a dict with a learning rate for each of"):
        trajectories(VALLEY, {"SGD": 0.1}, 0.9, 0.9, 0.999, 5)
    with pytest.raises(ValueError, match=r"lrs\['Adam'\] must be a positive number"):
        trajectories(VALLEY, {**TUNED[VALLEY], "Adam": -1.0}, 0.9, 0.9, 0.999, 5)
    with pytest.raises(ValueError, match="surface must be one of"):
        OptimizerWidget().compute("bowl", 0.1, 0.1, 0.1, 0.1, 0.9, 0.9, 0.999, 5)


def test_controls_start_at_the_tuned_rates_and_update_the_readout_and_figure():
    widget = OptimizerWidget()
    box = widget.show()
    controls = {c.description: c for c in box.children[0].children}
    assert list(controls) == ["surface", "lr SGD", "lr momentum", "lr RMSprop", "lr Adam", "momentum", "beta1",
                              "beta2", "steps"]
    assert {label: controls[f"lr {label}"].value for label in LABELS} == TUNED[VALLEY]
    assert controls["steps"].value == SURFACES[VALLEY].steps
    readout = box.children[1]
    assert widget.readout(*args(VALLEY, TUNED[VALLEY])) in readout.value
    controls["lr Adam"].value = 0.01
    lrs = {**TUNED[VALLEY], "Adam": 0.01}
    assert widget.readout(*args(VALLEY, lrs)) in readout.value
    controls["surface"].value = "saddle"
    controls["steps"].value = 20
    assert widget.readout(*args("saddle", lrs, steps=20)) in readout.value
    fig = widget.figure(*args("saddle", lrs, steps=20))
    assert len(fig.axes[0].lines) == 4
    assert len(widget.figure(*args("saddle", lrs, steps=20), only=("SGD", "momentum")).axes[0].lines) == 2


def test_show_starts_on_another_surface_at_its_own_tuned_rates_and_budget():
    controls = {c.description: c for c in OptimizerWidget().show(surface="Rosenbrock").children[0].children}
    assert {label: controls[f"lr {label}"].value for label in LABELS} == TUNED["Rosenbrock"]
    assert controls["steps"].value == SURFACES["Rosenbrock"].steps
