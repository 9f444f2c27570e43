"""lib.autograd against torch.autograd: every op (with broadcasting), graphs, training."""
import pytest
import torch

from lib import autograd
from lib.autograd import Tensor


def randn(gen, *shape, device="cpu", positive=False):
    x = torch.randn(tuple(shape), generator=gen, dtype=torch.float64).to(device)
    return x.abs() + 0.5 if positive else x


# (name, function applied identically to engine Tensors and torch tensors, input shapes, positive inputs)
OPS = [
    ("add", lambda a, b: a + b, [(4, 3), (4, 3)], False),
    ("add broadcast row", lambda a, b: a + b, [(4, 3), (3,)], False),
    ("add broadcast both", lambda a, b: a + b, [(4, 1), (1, 3)], False),
    ("radd number", lambda a: 2.5 + a, [(3, 2)], False),
    ("mul broadcast", lambda a, b: a * b, [(2, 3, 4), (3, 1)], False),
    ("sub and rsub", lambda a, b: (a - b) - (1.0 - a), [(5,), (5,)], False),
    ("div broadcast", lambda a, b: a / b, [(3, 4), (4,)], True),
    ("rdiv number", lambda a: 3.0 / a, [(6,)], True),
    ("pow", lambda a: a ** 3 + a ** 0.5, [(4,)], True),
    ("neg", lambda a: -a, [(2, 2)], False),
    ("matmul", lambda a, b: a @ b, [(5, 3), (3, 4)], False),
    ("matmul then bias", lambda a, b, c: a @ b + c, [(5, 3), (3, 4), (4,)], False),
    ("sum all", lambda a: a.sum(), [(3, 4)], False),
    ("sum dim 0", lambda a: a.sum(dim=0), [(3, 4)], False),
    ("sum dims keepdim", lambda a: a.sum(dim=(0, 2), keepdim=True), [(2, 3, 4)], False),
    ("sum negative dim", lambda a: a.sum(dim=-1), [(2, 3)], False),
    ("mean all", lambda a: a.mean(), [(3, 4)], False),
    ("mean dim 1 keepdim", lambda a: a.mean(dim=1, keepdim=True), [(3, 4)], False),
    ("relu", lambda a: a.relu(), [(5, 5)], False),
    ("tanh", lambda a: a.tanh(), [(5, 5)], False),
    ("sigmoid", lambda a: (a * 30).sigmoid(), [(5, 5)], False),
    ("exp", lambda a: a.exp(), [(5,)], False),
    ("log", lambda a: a.log(), [(5,)], True),
    ("reused node", lambda a: a * a + a.tanh() * a, [(4,)], False),
]


@pytest.mark.parametrize("name, f, shapes, positive", OPS, ids=[op[0] for op in OPS])
def test_op_matches_torch_autograd(name, f, shapes, positive, device, gen):
    inputs = [randn(gen, *s, device=device, positive=positive) for s in shapes]
    torch_leaves = [x.clone().requires_grad_(True) for x in inputs]
    expected = f(*torch_leaves)
    upstream = randn(gen, *expected.shape, device=device)
    expected_grads = torch.autograd.grad(expected, torch_leaves, upstream)

    leaves = [Tensor(x.clone(), requires_grad=True) for x in inputs]
    out = f(*leaves)
    out.backward(upstream)
    torch.testing.assert_close(out.data, expected.detach(), rtol=1e-7, atol=1e-12)
    for leaf, g in zip(leaves, expected_grads):
        assert leaf.grad.shape == leaf.shape
        torch.testing.assert_close(leaf.grad, g, rtol=1e-7, atol=1e-12)


def test_leaf_gradients_accumulate_over_fresh_graphs_like_torch(gen):
    x = randn(gen, 3)
    ours, theirs = Tensor(x.clone(), requires_grad=True), x.clone().requires_grad_(True)
    for _ in range(2):
        (ours * ours).sum().backward()
        (theirs * theirs).sum().backward()
    torch.testing.assert_close(ours.grad, theirs.grad)
    ours.zero_grad()
    (ours * 3).sum().backward()
    torch.testing.assert_close(ours.grad, torch.full_like(x, 3.0))


def test_backward_twice_on_one_graph_accumulates_leaves_only(gen):
    w = Tensor(randn(gen, 4), requires_grad=True)
    hidden = w.tanh()
    loss = (hidden * hidden).sum()
    loss.backward()
    first_leaf, first_hidden = w.grad.clone(), hidden.grad.clone()
    loss.backward()
    torch.testing.assert_close(w.grad, 2 * first_leaf)
    torch.testing.assert_close(hidden.grad, first_hidden)


def test_constants_get_no_gradient(gen):
    w, c = Tensor(randn(gen, 3), requires_grad=True), Tensor(randn(gen, 3))
    (w * c).sum().backward()
    assert c.grad is None and w.grad is not None


def test_deep_chain_does_not_hit_the_recursion_limit():
    x = Tensor(torch.tensor(1.0, dtype=torch.float64), requires_grad=True)
    y = x
    for _ in range(5000):
        y = y * 1.0001
    y.backward()
    assert float(x.grad) == pytest.approx(1.0001 ** 5000, rel=1e-9)


def test_errors_are_clear():
    with pytest.raises(RuntimeError, match="does not require grad"):
        Tensor(torch.ones(2)).sum().backward()
    with pytest.raises(RuntimeError, match=r"grad must be given for a non-scalar Tensor of shape \(2,\)"):
        Tensor(torch.ones(2), requires_grad=True).relu().backward()
    with pytest.raises(ValueError, match="matmul needs two 2-D operands"):
        Tensor(torch.ones(3)) @ Tensor(torch.ones(3))
    with pytest.raises(TypeError, match="exponent k must be a number"):
        Tensor(torch.ones(3)) ** Tensor(torch.ones(3))
    with pytest.raises(TypeError, match="cannot combine an autograd Tensor with str"):
        Tensor(torch.ones(3)) + "1"


def test_a_wrong_upstream_gradient_is_refused():
    out = Tensor(torch.ones(2, 3), requires_grad=True) * 2
    with pytest.raises(ValueError, match=r"grad must have this Tensor's shape \(2, 3\) on cpu, got shape \(3, 2\)"):
        out.backward(torch.ones(3, 2))
    with pytest.raises(TypeError, match="grad must be a floating-point torch.Tensor, got list"):
        out.backward([[1.0] * 3] * 2)


def test_every_gradient_is_a_tensor_of_its_own(gen):
    """For a + b, torch gives a.grad and b.grad their own tensors: scaling or clipping one in place
    (after sum().backward(), whose gradient is an expanded view) changes nothing else."""
    x, y = randn(gen, 3, 4), randn(gen, 3, 4)
    a, b = Tensor(x.clone(), requires_grad=True), Tensor(y.clone(), requires_grad=True)
    ta, tb = x.clone().requires_grad_(True), y.clone().requires_grad_(True)
    upstream = torch.full((3, 4), 0.5, dtype=torch.float64)
    (a + b).backward(upstream)
    (ta + tb).backward(upstream)
    a.grad.mul_(10)
    ta.grad.mul_(10)
    torch.testing.assert_close(b.grad, tb.grad)
    torch.testing.assert_close(upstream, torch.full((3, 4), 0.5, dtype=torch.float64))
    c = Tensor(x.clone(), requires_grad=True)
    c.sum().backward()
    c.grad.clamp_(max=0.5)  # in-place clipping
    torch.testing.assert_close(c.grad, torch.full((3, 4), 0.5, dtype=torch.float64))


def test_zero_power_has_zero_slope_at_zero_like_torch():
    a = Tensor(torch.tensor([0.0, 2.0], dtype=torch.float64), requires_grad=True)
    t = torch.tensor([0.0, 2.0], dtype=torch.float64, requires_grad=True)
    (a ** 0).sum().backward()
    (t ** 0).sum().backward()
    torch.testing.assert_close(a.grad, t.grad)


def test_each_gradient_has_its_inputs_dtype_like_torch(gen):
    x32, x64 = randn(gen, 3).float(), randn(gen, 3)
    a, b = Tensor(x32.clone(), requires_grad=True), Tensor(x64.clone(), requires_grad=True)
    ta, tb = x32.clone().requires_grad_(True), x64.clone().requires_grad_(True)
    (a * b).sum().backward()
    (ta * tb).sum().backward()
    assert (a.grad.dtype, b.grad.dtype) == (ta.grad.dtype, tb.grad.dtype) == (torch.float32, torch.float64)
    torch.testing.assert_close(a.grad, ta.grad)


def test_gradcheck_takes_non_contiguous_inputs(gen):
    a = randn(gen, 4, 3).T  # (3, 4), transposed strides
    assert not a.is_contiguous()
    assert autograd.gradcheck(lambda t: (t * t).sum(), [a]) < 1e-6


def test_cross_entropy_matches_functional_for_extreme_logits(gen):
    logits = randn(gen, 6, 4) * 1e4
    y = torch.randint(0, 4, (6,), generator=gen)
    ours = Tensor(logits.clone(), requires_grad=True)
    loss = autograd.cross_entropy(ours, y)
    loss.backward()
    theirs = logits.clone().requires_grad_(True)
    expected = torch.nn.functional.cross_entropy(theirs, y)
    expected.backward()
    torch.testing.assert_close(loss.data, expected.detach())
    torch.testing.assert_close(ours.grad, theirs.grad)


def test_gradcheck_passes_for_the_engine_and_catches_a_wrong_backward(gen):
    a, b = randn(gen, 3, 4), randn(gen, 4, 2)
    assert autograd.gradcheck(lambda a, b: ((a @ b).tanh() * (a @ b)).mean(), [a, b]) < 1e-7

    def wrong_square(t):
        return Tensor(t.data ** 2, parents=(t,), grad_fn=lambda g: (g * t.data,), op="bad")

    with pytest.raises(AssertionError, match=r"gradcheck: inputs\[0\]\[\d+\]: backward gives"):
        autograd.gradcheck(lambda t: wrong_square(t).sum(), [randn(gen, 5)])
    with pytest.raises(TypeError, match=r"inputs\[0\] must be a float64"):
        autograd.gradcheck(lambda t: t.sum(), [torch.ones(3)])


def test_numerical_gradient_matches_autograd(gen):
    x = randn(gen, 2, 3)
    (numeric,) = autograd.numerical_gradient(lambda t: (t.exp() * t).sum(), [x])
    xt = x.clone().requires_grad_(True)
    (xt.exp() * xt).sum().backward()
    torch.testing.assert_close(numeric, xt.grad, rtol=1e-6, atol=1e-8)


def test_engine_trains_an_mlp_exactly_like_torch(device, gen):
    """50 SGD steps of a 2-layer MLP: the engine's loss curve equals torch's to 1e-6 (float64)."""
    x, y = randn(gen, 64, 5, device=device), torch.randint(0, 3, (64,), generator=gen).to(device)
    init = [randn(gen, 5, 16, device=device) * 0.5, randn(gen, 16, device=device) * 0.1,
            randn(gen, 16, 3, device=device) * 0.5, randn(gen, 3, device=device) * 0.1]

    ours = [Tensor(p.clone(), requires_grad=True) for p in init]
    theirs = [p.clone().requires_grad_(True) for p in init]
    opt = torch.optim.SGD(theirs, lr=0.3)
    our_losses, their_losses = [], []
    for _ in range(50):
        W1, b1, W2, b2 = ours
        loss = autograd.cross_entropy((Tensor(x) @ W1 + b1).relu() @ W2 + b2, y)
        for p in ours:
            p.zero_grad()
        loss.backward()
        for p in ours:
            p.data -= 0.3 * p.grad
        our_losses.append(float(loss.data))

        W1, b1, W2, b2 = theirs
        opt.zero_grad()
        their_loss = torch.nn.functional.cross_entropy(torch.relu(x @ W1 + b1) @ W2 + b2, y)
        their_loss.backward()
        opt.step()
        their_losses.append(float(their_loss.detach()))
    assert max(abs(a - b) for a, b in zip(our_losses, their_losses)) < 1e-6
    assert our_losses[-1] < 0.7 * our_losses[0]
