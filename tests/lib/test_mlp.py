"""lib.mlp against torch.nn: parameter counts, initialisation and the forward pass."""
import pytest
import torch

from lib import mlp


def torch_mlp(params, activation):
    """An nn.Sequential holding copies of lib-style (W (in, out), b) params."""
    layers = []
    for W, b in params:
        linear = torch.nn.Linear(*W.shape, dtype=W.dtype, device=W.device)
        with torch.no_grad():
            linear.weight.copy_(W.T)
            linear.bias.copy_(b)
        layers += [linear, activation()]
    return torch.nn.Sequential(*layers[:-1])


def test_count_params_matches_nn_linear(gen):
    for _ in range(30):
        sizes = torch.randint(1, 200, (int(torch.randint(2, 6, (), generator=gen)),), generator=gen).tolist()
        expected = sum(p.numel() for p in torch_mlp(mlp.init_mlp(sizes), torch.nn.ReLU).parameters())
        assert mlp.count_params(sizes) == expected


@pytest.mark.parametrize("bad, match", [([5], "at least 2"), ([3, 0], r"sizes\[1\] must be a positive int"),
                                        ([3, 2.0], r"sizes\[1\]"), ("32", "sizes must be a list")])
def test_count_params_rejects_bad_sizes(bad, match):
    with pytest.raises(ValueError, match=match):
        mlp.count_params(bad)


def test_memory_bytes_uses_element_size():
    assert mlp.memory_bytes(10, torch.float32) == 10 * torch.empty(0).element_size()
    assert mlp.memory_bytes(10, torch.bfloat16) == 10 * torch.empty(0, dtype=torch.bfloat16).element_size()
    with pytest.raises(TypeError, match="dtype must be a torch.dtype"):
        mlp.memory_bytes(10, "float16")


def test_init_mlp_shapes_bounds_and_seed(device):
    params = mlp.init_mlp([100, 30, 4], generator=torch.Generator().manual_seed(0), device=device)
    assert [tuple(W.shape) for W, _ in params] == [(100, 30), (30, 4)]
    assert [tuple(b.shape) for _, b in params] == [(30,), (4,)]
    assert all(W.device.type == device.type for W, _ in params)
    assert params[0][0].abs().max() <= 0.1 and params[0][0].abs().max() > 0.09
    again = mlp.init_mlp([100, 30, 4], generator=torch.Generator().manual_seed(0), device=device)
    torch.testing.assert_close(params[1][0], again[1][0], rtol=0, atol=0)


@pytest.mark.parametrize("name, module", [("relu", torch.nn.ReLU), ("tanh", torch.nn.Tanh),
                                          ("sigmoid", torch.nn.Sigmoid)])
def test_forward_matches_nn_sequential(name, module, device, gen):
    params = mlp.init_mlp([7, 16, 16, 3], generator=gen, device=device, dtype=torch.float64)
    x = torch.randn(11, 7, generator=gen, dtype=torch.float64).to(device)
    with torch.no_grad():
        expected = torch_mlp(params, module)(x)
    torch.testing.assert_close(mlp.mlp_forward(x, params, name), expected, rtol=1e-12, atol=1e-12)


def test_forward_names_the_bad_layer():
    params = mlp.init_mlp([4, 3, 2])
    with pytest.raises(ValueError, match=r"params\[1\] \(layer 1\): expected W of shape \(3, D\)"):
        mlp.mlp_forward(torch.randn(5, 4), [params[0], (torch.randn(4, 2), torch.randn(2))])
    with pytest.raises(ValueError, match="x must be 2-D"):
        mlp.mlp_forward(torch.randn(4), params)
    with pytest.raises(ValueError, match="at least one"):
        mlp.mlp_forward(torch.randn(5, 4), [])


@pytest.mark.parametrize("activation, torch_act", [("relu", torch.nn.ReLU), ("tanh", torch.nn.Tanh),
                                                   ("sigmoid", torch.nn.Sigmoid)])
@pytest.mark.parametrize("sizes", [[3, 5], [4, 7, 3], [6, 8, 8, 8, 5]])
def test_mlp_backward_matches_autograd(sizes, activation, torch_act, device, gen):
    params = mlp.init_mlp(sizes, generator=gen, dtype=torch.float64, device=device)
    x = torch.randn(9, sizes[0], generator=gen, dtype=torch.float64).to(device) * 2
    y = torch.randint(0, sizes[-1], (9,), generator=gen).to(device)
    model = torch_mlp(params, torch_act)
    expected_loss = torch.nn.functional.cross_entropy(model(x), y)
    expected_loss.backward()
    loss, grads = mlp.mlp_backward(x, y, params, activation)
    torch.testing.assert_close(loss, expected_loss.detach(), rtol=1e-7, atol=1e-12)
    linears = [m for m in model if isinstance(m, torch.nn.Linear)]
    assert len(grads) == len(linears)
    for (dW, db), linear in zip(grads, linears):
        torch.testing.assert_close(dW, linear.weight.grad.T, rtol=1e-7, atol=1e-12)
        torch.testing.assert_close(db, linear.bias.grad, rtol=1e-7, atol=1e-12)


def test_mlp_backward_errors_name_the_argument(gen):
    params = mlp.init_mlp([3, 4, 2], generator=gen)
    with pytest.raises(ValueError, match=r"params\[1\] \(layer 1\): expected W of shape \(4, D\)"):
        mlp.mlp_backward(torch.randn(5, 3), torch.zeros(5, dtype=torch.long), [params[0], params[0]])
    with pytest.raises(ValueError, match="activation must be one of"):
        mlp.mlp_backward(torch.randn(5, 3), torch.zeros(5, dtype=torch.long), params, "gelu")
    with pytest.raises(ValueError, match=r"y must hold class indices in \[0, 2\)"):
        mlp.mlp_backward(torch.randn(5, 3), torch.full((5,), 2), params)


def test_a_seeded_generator_gives_the_same_weights_on_every_device(device):
    here = mlp.init_mlp([5, 4, 2], generator=torch.Generator().manual_seed(2))
    there = mlp.init_mlp([5, 4, 2], generator=torch.Generator().manual_seed(2), device=device)
    for (W, b), (W2, b2) in zip(here, there):
        assert W2.device.type == device.type and torch.equal(W2.cpu(), W) and torch.equal(b2.cpu(), b)
