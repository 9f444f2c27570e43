"""lib.activations against torch's own functions and torch.autograd."""
import pytest
import torch

from lib import activations

PAIRS = [
    (activations.sigmoid, activations.sigmoid_grad, torch.sigmoid),
    (activations.tanh, activations.tanh_grad, torch.tanh),
    (activations.relu, activations.relu_grad, torch.relu),
]
IDS = ["sigmoid", "tanh", "relu"]


def randn(gen, *shape, scale=1.0, dtype=torch.float64, device="cpu"):
    return (torch.randn(*shape, generator=gen, dtype=dtype) * scale).to(device)


@pytest.mark.parametrize("f, _, oracle", PAIRS, ids=IDS)
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_forward_matches_torch(f, _, oracle, dtype, device, gen):
    x = randn(gen, 3, 50, scale=6, dtype=dtype, device=device)
    got = f(x)
    assert got.shape == x.shape and got.dtype == dtype and got.device == x.device
    torch.testing.assert_close(got, oracle(x))


@pytest.mark.parametrize("f, _, oracle", PAIRS, ids=IDS)
def test_forward_extreme_inputs_stay_finite(f, _, oracle, device):
    x = torch.tensor([-1e4, -1000.0, -88.7, -1e-8, 0.0, 1e-8, 88.7, 1000.0, 1e4], device=device)
    got = f(x)
    assert torch.isfinite(got).all(), got
    torch.testing.assert_close(got, oracle(x))


def test_tanh_keeps_relative_precision_near_zero(device):
    x = torch.tensor([1e-30, -1e-12, 3e-8], dtype=torch.float64, device=device)
    torch.testing.assert_close(activations.tanh(x), torch.tanh(x), rtol=1e-15, atol=0)


@pytest.mark.parametrize("_, df, oracle", PAIRS, ids=IDS)
def test_derivative_matches_autograd(_, df, oracle, device, gen):
    x = randn(gen, 4, 25, scale=4, device=device)
    x[0, :3] = 0.0
    xr = x.clone().requires_grad_(True)
    (expected,) = torch.autograd.grad(oracle(xr).sum(), xr)
    got = df(x)
    assert got.dtype == x.dtype
    torch.testing.assert_close(got, expected, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("f", [activations.sigmoid, activations.tanh, activations.relu,
                               activations.relu_grad], ids=IDS + ["relu_grad"])
def test_rejects_bad_input(f):
    with pytest.raises(TypeError, match="x must be a torch.Tensor"):
        f([1.0, 2.0])
    with pytest.raises(TypeError, match="x must have a floating-point dtype"):
        f(torch.tensor([1, 2]))


def test_get_by_name_and_callable():
    assert activations.get("tanh") is activations.tanh
    assert activations.get(torch.relu) is torch.relu
    with pytest.raises(ValueError, match="activation must be one of"):
        activations.get("gelu")


@pytest.mark.parametrize("name", ["sigmoid", "tanh", "relu"])
def test_autograd_through_lib_activations_matches_torch(name, device, gen):
    """The lib functions can sit inside a torch.autograd graph: no in-place ops, and the same
    slope as torch at 0, at tiny and at huge inputs."""
    special = torch.tensor([0.0, 1e-12, -1e-12, 30.0, -30.0, 1e4, -1e4], dtype=torch.float64)
    x = torch.cat([torch.randn(50, generator=gen, dtype=torch.float64) * 4, special]).to(device)
    ours, theirs = x.clone().requires_grad_(True), x.clone().requires_grad_(True)
    activations.ACTIVATIONS[name](ours).sum().backward()
    getattr(torch, name)(theirs).sum().backward()
    torch.testing.assert_close(ours.grad, theirs.grad, rtol=1e-12, atol=1e-15)
