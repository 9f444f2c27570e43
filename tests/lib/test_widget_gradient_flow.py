"""The gradient-flow widget: per-layer gradient norms against torch.autograd on the same net."""
import matplotlib
import pytest
import torch

from lib.widgets import GradientFlowWidget

matplotlib.use("Agg")

TORCH_ACTIVATIONS = {"sigmoid": torch.sigmoid, "tanh": torch.tanh, "relu": torch.relu}


def autograd_norms(widget, depth, activation, scale):
    params = [(W.clone().requires_grad_(True), b.clone().requires_grad_(True))
              for W, b in widget.params(depth, scale)]
    h = widget.x
    for l, (W, b) in enumerate(params):
        h = h @ W + b
        if l < depth - 1:
            h = TORCH_ACTIVATIONS[activation](h)
    loss = torch.nn.functional.cross_entropy(h, widget.y)
    grads = torch.autograd.grad(loss, [W for W, _ in params])
    return float(loss.detach()), [float(g.norm()) for g in grads]


@pytest.mark.parametrize("depth, activation, scale", [(2, "relu", 1.0), (10, "sigmoid", 1.0),
                                                      (15, "tanh", 2.5), (30, "relu", 1.41)])
def test_norms_match_autograd(depth, activation, scale):
    widget = GradientFlowWidget(width=16, n=32, classes=3, seed=5)
    r = widget.compute(depth, activation, scale)
    loss, norms = autograd_norms(widget, depth, activation, scale)
    assert r["loss"] == pytest.approx(loss, rel=1e-10)
    assert len(r["norms"]) == depth
    assert r["norms"] == pytest.approx(norms, rel=1e-9)


def test_sigmoid_vanishes_and_large_tanh_init_explodes_with_depth():
    widget = GradientFlowWidget()
    sigmoid = widget.compute(20, "sigmoid", 1.0)["norms"]
    assert sigmoid[0] < 1e-6 * sigmoid[-1]
    tanh_big = widget.compute(20, "tanh", 3.0)["norms"]
    assert tanh_big[0] > 10 * tanh_big[-1]


def test_same_setting_same_weights_and_bad_depth_is_named():
    widget = GradientFlowWidget()
    assert widget.compute(5, "tanh", 1.0) == widget.compute(5, "tanh", 1.0)
    with pytest.raises(ValueError, match="depth must be a positive int"):
        widget.compute(0, "tanh", 1.0)


def test_controls_update_the_readout():
    widget = GradientFlowWidget()
    box = widget.show(depth=10, activation="sigmoid", scale=1.0)
    depth, activation, scale = box.children[0].children
    readout = box.children[1]
    assert widget.readout(10, "sigmoid", 1.0) in readout.value
    depth.value = 4
    activation.value = "relu"
    assert widget.readout(4, "relu", 1.0) in readout.value
    assert len(widget.figure(4, "relu", 1.0).axes[0].lines) == 3
