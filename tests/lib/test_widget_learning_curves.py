"""The learning-curve widget: its curves against a plain torch loop, and the regimes it shows."""
import matplotlib
import pytest
import torch
import torch.nn.functional as F

from lib.widgets import LearningCurveWidget

matplotlib.use("Agg")


@pytest.fixture(scope="module")
def widget():
    return LearningCurveWidget(n_train=100, n_val=200, epochs=12, batch_size=25)


def torch_curves(widget, l2, width):
    """The same training written with torch.nn and torch.optim.Adam, from the widget's initial weights."""
    start = widget.model(width, 0.0)
    net = torch.nn.Sequential(torch.nn.Linear(64, width), torch.nn.ReLU(), torch.nn.Linear(width, 10))
    with torch.no_grad():
        for theirs, ours in zip((net[0], net[2]), start.linears):
            theirs.weight.copy_(ours.weight)
            theirs.bias.copy_(ours.bias)
    opt = torch.optim.Adam(net.parameters(), lr=widget.lr)
    g = torch.Generator().manual_seed(widget.seed + 3)
    (x, y), (xv, yv) = widget.train, widget.val
    val_loss, val_acc = [], []
    for _ in range(widget.epochs):
        for idx in torch.randperm(len(x), generator=g).split(widget.batch_size):
            opt.zero_grad()
            penalty = (net[0].weight ** 2).sum() + (net[2].weight ** 2).sum()
            (F.cross_entropy(net(x[idx]), y[idx]) + l2 * penalty).backward()
            opt.step()
        with torch.no_grad():
            out = net(xv)
            val_loss.append(F.cross_entropy(out, yv).item())
            val_acc.append((out.argmax(1) == yv).double().mean().item())
    return val_loss, val_acc


@pytest.mark.parametrize("l2, width", [(0.0, 32), (1e-2, 8), (0.3, 128)])
def test_curves_equal_a_torch_loop(widget, l2, width):
    r = widget.compute(l2, width, 0.0)
    val_loss, val_acc = torch_curves(widget, l2, width)
    torch.testing.assert_close(r["val_loss"], val_loss, rtol=1e-4, atol=1e-6)
    assert r["val_accuracy"] == val_acc
    assert len(r["train_loss"]) == widget.epochs


def test_strong_l2_underfits_and_tiny_width_underfits(widget):
    free = widget.compute(0.0, 128, 0.0)
    assert free["train_accuracy"] > 0.95
    assert widget.compute(1.0, 128, 0.0)["train_accuracy"] < 0.5
    assert widget.compute(0.0, 2, 0.0)["train_accuracy"] < free["train_accuracy"] - 0.2


def test_dropout_results_repeat_exactly(widget):
    a = widget.compute(0.0, 64, 0.5)
    widget.cache.clear()
    b = widget.compute(0.0, 64, 0.5)
    assert a == b and a != widget.compute(0.0, 64, 0.0)


def test_readout_and_figure(widget):
    r = widget.compute(1e-3, 16, 0.0)
    text = widget.readout(1e-3, 16, 0.0)
    assert f"val accuracy = {r['val_accuracy'][-1]:.3f}" in text and "width = 16" in text
    fig = widget.figure(1e-3, 16, 0.0)
    lines = fig.axes[1].get_lines()
    assert list(lines[-1].get_ydata()) == r["val_accuracy"]
