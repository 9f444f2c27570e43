"""lib.losses against torch.nn.functional: every reduction, extreme logits, clear errors."""
import pytest
import torch
import torch.nn.functional as F

from lib import losses

REDUCTIONS = ["mean", "sum", "none"]


def grad_of(f, *inputs):
    """Values and gradients (w.r.t. the first input) of f, summed if not a scalar."""
    x = inputs[0].clone().requires_grad_(True)
    out = f(x, *inputs[1:])
    (g,) = torch.autograd.grad(out.sum(), x)
    return out.detach(), g


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("ours, theirs", [(losses.mse, F.mse_loss), (losses.mae, F.l1_loss)], ids=["mse", "mae"])
def test_regression_losses_match_functional(ours, theirs, reduction, device, gen):
    pred = torch.randn(7, 3, generator=gen, dtype=torch.float64).to(device)
    target = torch.randn(7, 3, generator=gen, dtype=torch.float64).to(device)
    got, got_grad = grad_of(lambda p, t: ours(p, t, reduction), pred, target)
    expected, expected_grad = grad_of(lambda p, t: theirs(p, t, reduction=reduction), pred, target)
    torch.testing.assert_close(got, expected, rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(got_grad, expected_grad, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_binary_cross_entropy_with_logits_matches_functional_for_extreme_logits(reduction, device, gen):
    logits = torch.cat([torch.randn(20, generator=gen, dtype=torch.float64) * 5,
                        torch.tensor([1e4, -1e4, 800.0, -800.0, 0.0], dtype=torch.float64)]).to(device)
    target = torch.cat([torch.rand(20, generator=gen, dtype=torch.float64),
                        torch.tensor([0.0, 1.0, 1.0, 0.0, 0.5], dtype=torch.float64)]).to(device)
    got, got_grad = grad_of(lambda z, y: losses.binary_cross_entropy_with_logits(z, y, reduction), logits, target)
    expected, expected_grad = grad_of(
        lambda z, y: F.binary_cross_entropy_with_logits(z, y, reduction=reduction), logits, target)
    assert torch.isfinite(got).all() and torch.isfinite(got_grad).all()
    torch.testing.assert_close(got, expected, rtol=1e-10, atol=1e-12)
    torch.testing.assert_close(got_grad, expected_grad, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_matches_functional_for_extreme_logits(reduction, dtype, device, gen):
    logits = (torch.randn(12, 5, generator=gen, dtype=torch.float64) * 3).to(device=device, dtype=dtype)
    logits[0] = torch.tensor([1e4, -1e4, 0.0, 5e3, -5e3])
    logits[1] = torch.tensor([-1e4] * 5)
    y = torch.randint(0, 5, (12,), generator=gen).to(device)
    y[0] = 1
    got, got_grad = grad_of(lambda z, t: losses.cross_entropy(z, t, reduction), logits, y)
    expected, expected_grad = grad_of(lambda z, t: F.cross_entropy(z, t, reduction=reduction), logits, y)
    assert torch.isfinite(got).all() and torch.isfinite(got_grad).all()
    tol = {"rtol": 1e-5, "atol": 1e-4} if dtype == torch.float32 else {"rtol": 1e-10, "atol": 1e-12}
    torch.testing.assert_close(got, expected, **tol)
    torch.testing.assert_close(got_grad, expected_grad, **tol)


@pytest.mark.parametrize("call, error, match", [
    (lambda: losses.mse(torch.zeros(3), torch.zeros(4)), ValueError, r"same shape, got \(3,\) and \(4,\)"),
    (lambda: losses.mae(torch.zeros(3), torch.zeros(3), "avg"), ValueError, "reduction must be one of"),
    (lambda: losses.mse(torch.zeros(3, dtype=torch.long), torch.zeros(3)), TypeError, "pred must have a floating"),
    (lambda: losses.binary_cross_entropy_with_logits(torch.zeros(2), torch.tensor([0.0, 2.0])), ValueError,
     r"target must hold probabilities in \[0, 1\]"),
    (lambda: losses.cross_entropy(torch.zeros(2, 3), torch.tensor([0, 3])), ValueError,
     r"y must hold class indices in \[0, 3\)"),
    (lambda: losses.cross_entropy(torch.zeros(2, 3), torch.tensor([0.0, 1.0])), TypeError,
     "y must hold integer class indices"),
    (lambda: losses.cross_entropy(torch.zeros(2, 3), torch.tensor([0, 1, 2])), ValueError,
     r"y must have shape \(2,\)"),
    (lambda: losses.cross_entropy(torch.zeros(6), torch.tensor([0])), ValueError, "logits must be 2-D"),
])
def test_bad_input_is_named(call, error, match):
    with pytest.raises(error, match=match):
        call()
