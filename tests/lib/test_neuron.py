"""lib.neuron and lib.losses against torch.autograd and torch.nn.functional."""
import pytest
import torch

from lib import losses, neuron


def sample(gen, n, d, device):
    x = torch.randn(n, d, generator=gen, dtype=torch.float64).to(device)
    y = (torch.rand(n, generator=gen) < 0.5).to(torch.float64).to(device)
    w = torch.randn(d, generator=gen, dtype=torch.float64).to(device)
    b = torch.randn((), generator=gen, dtype=torch.float64).to(device)
    return x, y, w, b


@pytest.mark.parametrize("act", ["sigmoid", "tanh", "relu"])
def test_forward_matches_torch(act, device, gen):
    x, _, w, b = sample(gen, 9, 4, device)
    expected = getattr(torch, act)(x @ w + b)
    torch.testing.assert_close(neuron.neuron_forward(x, w, b, act), expected)


@pytest.mark.parametrize("n, d", [(1, 1), (17, 3), (64, 10)])
def test_mse_grads_match_autograd(n, d, device, gen):
    x, y, w, b = sample(gen, n, d, device)
    wr, br = w.clone().requires_grad_(True), b.clone().requires_grad_(True)
    loss = torch.nn.functional.mse_loss(torch.sigmoid(x @ wr + br), y)
    gw, gb = torch.autograd.grad(loss, (wr, br))
    got_loss, got_gw, got_gb = neuron.neuron_mse_grads(x, y, w, b)
    torch.testing.assert_close(got_loss, loss.detach(), rtol=1e-12, atol=1e-14)
    torch.testing.assert_close(got_gw, gw, rtol=1e-10, atol=1e-14)
    torch.testing.assert_close(got_gb, gb, rtol=1e-10, atol=1e-14)


def test_step_equals_torch_sgd(device, gen):
    x, y, w, b = sample(gen, 30, 2, device)
    wr, br = w.clone().requires_grad_(True), b.clone().requires_grad_(True)
    opt = torch.optim.SGD([wr, br], lr=0.7)
    for _ in range(25):
        opt.zero_grad()
        torch.nn.functional.mse_loss(torch.sigmoid(x @ wr + br), y).backward()
        opt.step()
        w, b, _ = neuron.neuron_step(x, y, w, b, 0.7)
    torch.testing.assert_close(w, wr.detach(), rtol=1e-10, atol=1e-12)
    torch.testing.assert_close(b, br.detach(), rtol=1e-10, atol=1e-12)


def test_errors_name_the_argument():
    x, w = torch.randn(5, 3), torch.randn(3)
    with pytest.raises(ValueError, match=r"w must have shape \(3,\)"):
        neuron.neuron_forward(x, torch.randn(4), 0.0)
    with pytest.raises(ValueError, match="b must be a scalar"):
        neuron.neuron_forward(x, w, torch.zeros(2))
    with pytest.raises(ValueError, match=r"y must have shape \(5,\)"):
        neuron.neuron_mse_grads(x, torch.zeros(4), w, 0.0)
    with pytest.raises(ValueError, match="lr must be > 0"):
        neuron.neuron_step(x, torch.zeros(5), w, 0.0, -0.1)


def test_mse_matches_functional_and_checks_shapes(device, gen):
    a, b = torch.randn(2, 6, 3, generator=gen, dtype=torch.float64).to(device)
    torch.testing.assert_close(losses.mse(a, b), torch.nn.functional.mse_loss(a, b))
    with pytest.raises(ValueError, match="pred and target must have the same shape"):
        losses.mse(a, b[:, :2])
