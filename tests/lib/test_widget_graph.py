"""The computational-graph widget: every node's value and gradient against torch.autograd."""
import matplotlib
import pytest
import torch

from lib.widgets import GraphWidget
from lib.widgets.graph import NODES, neuron_graph

matplotlib.use("Agg")


def autograd_reference(x1, w1, x2, w2, b, y):
    """{node: (value, dL/d node)} with torch.autograd; retain_grad() keeps the inner gradients."""
    leaves = {k: torch.tensor(float(v), dtype=torch.float64, requires_grad=True)
              for k, v in dict(x1=x1, w1=w1, x2=x2, w2=w2, b=b, y=y).items()}
    nodes = dict(leaves)
    nodes["x1*w1"] = leaves["x1"] * leaves["w1"]
    nodes["x2*w2"] = leaves["x2"] * leaves["w2"]
    nodes["n"] = nodes["x1*w1"] + nodes["x2*w2"] + leaves["b"]
    nodes["o"] = torch.tanh(nodes["n"])
    nodes["L"] = torch.nn.functional.mse_loss(nodes["o"], leaves["y"])
    for t in nodes.values():
        t.retain_grad()
    nodes["L"].backward()
    return {k: (float(t.detach()), float(t.grad)) for k, t in nodes.items()}


def test_every_node_matches_autograd(gen):
    for _ in range(20):
        args = (torch.randn(6, generator=gen, dtype=torch.float64) * 2).tolist()
        got, expected = neuron_graph(*args), autograd_reference(*args)
        assert got.keys() == expected.keys() == NODES.keys()
        for name in NODES:
            assert got[name] == pytest.approx(expected[name], rel=1e-12, abs=1e-15), name


def test_compute_uses_the_fixed_inputs_and_readout_shows_gradients():
    widget = GraphWidget(x1=1.5, x2=-0.5, y=-0.2)
    r = widget.compute(0.4, -1.3, 0.7)
    expected = autograd_reference(1.5, 0.4, -0.5, -1.3, 0.7, -0.2)
    for name in NODES:
        assert r[name] == pytest.approx(expected[name], rel=1e-12), name
    assert f"dL/dw1 = {expected['w1'][1]:+.4f}" in widget.readout(0.4, -1.3, 0.7)
    assert f"L = {expected['L'][0]:.4f}" in widget.readout(0.4, -1.3, 0.7)


def test_figure_has_a_box_per_node():
    fig = GraphWidget().figure(0.5, -1.0, 0.2)
    texts = [t.get_text() for t in fig.axes[0].texts if "\nvalue " in t.get_text()]
    assert len(texts) == len(NODES)
    assert any(t.startswith("o = tanh(n)") for t in texts)


def test_moving_a_slider_updates_the_readout():
    widget = GraphWidget()
    box = widget.show(w1=0.5, w2=-1.0, b=0.2)
    sliders, readout = box.children[0].children, box.children[1]
    assert [s.description for s in sliders] == ["w1", "w2", "b"]
    assert widget.readout(0.5, -1.0, 0.2) in readout.value
    sliders[2].value = -1.5
    assert widget.readout(0.5, -1.0, -1.5) in readout.value
