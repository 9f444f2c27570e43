"""The neuron widget's numbers against torch.autograd, and its sliders driving the read-out."""
import matplotlib
import pytest
import torch

from lib import data
from lib.widgets import NeuronWidget
from lib.widgets.neuron import loss_surface

matplotlib.use("Agg")

SLIDER_POINTS = [(1.0, -1.0, 0.0), (0.3, 2.5, -1.2), (-4.0, 4.0, 4.0), (0.0, 0.0, 0.7), (2.2, 0.1, -3.9)]


def autograd_reference(x, y, w1, w2, b):
    w = torch.tensor([w1, w2], dtype=x.dtype, device=x.device, requires_grad=True)
    bt = torch.tensor(b, dtype=x.dtype, device=x.device, requires_grad=True)
    p = torch.sigmoid(x @ w + bt)
    loss = torch.nn.functional.mse_loss(p, y)
    gw, gb = torch.autograd.grad(loss, (w, bt))
    accuracy = ((p > 0.5).to(y.dtype) == y).double().mean()
    return float(loss.detach()), gw.tolist(), float(gb), float(accuracy)


@pytest.mark.parametrize("w1, w2, b", SLIDER_POINTS)
def test_compute_matches_autograd(w1, w2, b, device):
    x, y = data.two_blobs(40, seed=2, dtype=torch.float64, device=device)
    r = NeuronWidget(x, y).compute(w1, w2, b)
    loss, (g1, g2), gb, acc = autograd_reference(x, y, w1, w2, b)
    assert r["loss"] == pytest.approx(loss, rel=1e-12)
    assert [r["grad_w1"], r["grad_w2"], r["grad_b"]] == pytest.approx([g1, g2, gb], rel=1e-9, abs=1e-15)
    assert r["accuracy"] == pytest.approx(acc)


@pytest.mark.parametrize("w1, w2, b", SLIDER_POINTS)
def test_boundary_lies_on_the_line(w1, w2, b):
    x, y = data.two_blobs(10)
    boundary = NeuronWidget(x, y).compute(w1, w2, b)["boundary"]
    if w1 == 0 and w2 == 0:
        assert boundary is None
        return
    for px, py in boundary:
        assert w1 * px + w2 * py + b == pytest.approx(0, abs=1e-9)
    assert boundary[0] != boundary[1]


def test_loss_surface_agrees_with_compute():
    x, y = data.two_blobs(20, dtype=torch.float64)
    w1s, w2s, loss = loss_surface(x, y, 0.4, (-2.0, 2.0), 5)
    widget = NeuronWidget(x, y)
    for i, j in [(0, 0), (1, 3), (4, 2)]:
        expected = widget.compute(float(w1s[j]), float(w2s[i]), 0.4)["loss"]
        assert float(loss[i, j]) == pytest.approx(expected, rel=1e-12)


def test_moving_a_slider_updates_the_readout():
    x, y = data.two_blobs(20)
    widget = NeuronWidget(x, y)
    box = widget.show(w1=1.0, w2=-1.0, b=0.0)
    sliders = box.children[0].children
    readout = box.children[1]
    assert [s.description for s in sliders] == ["w1", "w2", "b"]
    assert widget.readout(1.0, -1.0, 0.0) in readout.value
    sliders[1].value = 2.0
    assert widget.readout(1.0, 2.0, 0.0) in readout.value
    assert widget.readout(1.0, -1.0, 0.0) not in readout.value


def test_rejects_bad_data():
    with pytest.raises(ValueError, match=r"x must have shape \(N, 2\)"):
        NeuronWidget(torch.zeros(5, 3), torch.zeros(5))
    with pytest.raises(ValueError, match=r"y must have shape \(5,\)"):
        NeuronWidget(torch.zeros(5, 2), torch.zeros(4))
