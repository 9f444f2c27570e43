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
    with pytest.raises(ValueError, match=r"layer 1: expected W of shape \(3, D\)"):
        mlp.mlp_forward(torch.randn(5, 4), [params[0], (torch.randn(4, 2), torch.randn(2))])
    with pytest.raises(ValueError, match="x must be 2-D"):
        mlp.mlp_forward(torch.randn(4), params)
    with pytest.raises(ValueError, match="at least one"):
        mlp.mlp_forward(torch.randn(5, 4), [])
