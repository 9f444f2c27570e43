"""lib.layers: every forward against torch.nn.functional, every backward against torch.autograd."""
import pytest
import torch
import torch.nn.functional as F

from lib import layers


def randn(gen, *shape, scale=1.0, device="cpu"):
    return (torch.randn(*shape, generator=gen, dtype=torch.float64) * scale).to(device)


def autograd_grads(f, inputs, dout):
    """Gradients of sum(f(*inputs) * dout) with respect to each input, by torch.autograd."""
    leaves = [t.detach().clone().requires_grad_(True) for t in inputs]
    out = f(*leaves)
    return out.detach(), torch.autograd.grad((out * dout).sum(), leaves)


def assert_close(got, expected):
    torch.testing.assert_close(got, expected, rtol=1e-7, atol=1e-12)


def test_linear_matches_functional_and_autograd(device, gen):
    x, W, b = randn(gen, 6, 5, device=device), randn(gen, 5, 3, device=device), randn(gen, 3, device=device)
    dout = randn(gen, 6, 3, device=device)
    out, cache = layers.linear_forward(x, W, b)
    expected, grads = autograd_grads(lambda x, W, b: F.linear(x, W.T, b), [x, W, b], dout)
    assert_close(out, expected)
    for got, want in zip(layers.linear_backward(dout, cache), grads):
        assert_close(got, want)


@pytest.mark.parametrize("name, oracle", [("relu", torch.relu), ("sigmoid", torch.sigmoid), ("tanh", torch.tanh)])
def test_activation_layers_match_autograd(name, oracle, device, gen):
    x = randn(gen, 4, 7, scale=3, device=device)
    x[0, 0] = 0.0
    dout = randn(gen, 4, 7, device=device)
    out, cache = getattr(layers, f"{name}_forward")(x)
    expected, (dx,) = autograd_grads(oracle, [x], dout)
    assert_close(out, expected)
    assert_close(getattr(layers, f"{name}_backward")(dout, cache), dx)


@pytest.mark.parametrize("shape", [(5,), (4, 3), (2, 3, 2)])
def test_mse_matches_functional_and_autograd(shape, device, gen):
    pred, target = randn(gen, *shape, device=device), randn(gen, *shape, device=device)
    dout = torch.tensor(1.7, dtype=torch.float64, device=device)
    loss, cache = layers.mse_forward(pred, target)
    expected, (dpred, _) = autograd_grads(F.mse_loss, [pred, target], dout)
    assert_close(loss, expected)
    assert_close(layers.mse_backward(dout, cache), dpred)


@pytest.mark.parametrize("scale", [1.0, 30.0, 1e4])
def test_softmax_cross_entropy_matches_functional_and_autograd(scale, device, gen):
    logits = randn(gen, 8, 5, scale=scale, device=device)
    y = torch.randint(0, 5, (8,), generator=gen).to(device)
    dout = torch.tensor(0.6, dtype=torch.float64, device=device)
    loss, cache = layers.softmax_cross_entropy_forward(logits, y)
    expected, (dlogits,) = autograd_grads(lambda z: F.cross_entropy(z, y), [logits], dout)
    assert torch.isfinite(loss)
    assert_close(loss, expected)
    assert_close(layers.softmax_cross_entropy_backward(dout, cache), dlogits)


def test_softmax_ce_gradient_is_p_minus_y_over_n(gen):
    logits, y = randn(gen, 4, 3), torch.tensor([0, 2, 1, 2])
    _, cache = layers.softmax_cross_entropy_forward(logits, y)
    expected = (torch.softmax(logits, dim=1) - F.one_hot(y, 3).double()) / 4
    assert_close(layers.softmax_cross_entropy_backward(torch.tensor(1.0, dtype=torch.float64), cache), expected)


def test_log_softmax_matches_torch_for_extreme_logits(gen):
    z = randn(gen, 3, 6, scale=1e4)
    assert_close(layers.log_softmax(z), torch.log_softmax(z, dim=-1))


@pytest.mark.parametrize("args, error, match", [
    ((torch.randn(4, 3), torch.randn(2, 5), torch.randn(5)), ValueError, r"expected W of shape \(3, M\)"),
    ((torch.randn(4, 3), torch.randn(3, 5), torch.randn(4)), ValueError, r"b of shape \(M,\)"),
    ((torch.randn(3), torch.randn(3, 5), torch.randn(5)), ValueError, "x must be 2-D"),
])
def test_linear_rejects_bad_shapes(args, error, match):
    with pytest.raises(error, match=match):
        layers.linear_forward(*args)


@pytest.mark.parametrize("y, error, match", [
    (torch.tensor([0.0, 1.0]), TypeError, "y must hold integer class indices"),
    (torch.tensor([0, 3]), ValueError, r"class indices in \[0, 3\)"),
    (torch.tensor([-1, 0]), ValueError, r"class indices in \[0, 3\)"),
    (torch.tensor([0, 1, 2]), ValueError, r"y must have shape \(2,\)"),
])
def test_cross_entropy_rejects_bad_labels(y, error, match):
    with pytest.raises(error, match=match):
        layers.softmax_cross_entropy_forward(torch.randn(2, 3), y)
