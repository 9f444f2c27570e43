"""lib.conv against torch.nn.functional: im2col/col2im against unfold/fold, conv2d against conv2d,
max_pool2d and avg_pool2d against theirs, forward and backward (gradients for every input with a
random upstream gradient), on random shapes, strides, paddings and dilations, float32 (below
1e-5) and float64 (below 1e-10), on every available device; the modules' initialisation against
torch.nn.Conv2d; the output-size formula against the shapes torch produces."""
import pytest
import torch
import torch.nn.functional as F

import lib
from lib import conv

TOL = {torch.float32: 1e-5, torch.float64: 1e-10}
DTYPES = [torch.float32, torch.float64]
DEVICES = lib.available_devices()


def geometry(g, pool=False):
    """A random (x shape, kernel, stride, padding, dilation) that torch accepts, as pairs."""
    k = tuple(int(v) for v in torch.randint(1, 4, (2,), generator=g))
    s = tuple(int(v) for v in torch.randint(1, 4, (2,), generator=g))
    d = tuple(int(v) for v in torch.randint(1, 3, (2,), generator=g))
    span = [d[i] * (k[i] - 1) + 1 for i in range(2)]
    p = tuple(int(torch.randint(0, k[i] // 2 + 1 if pool else 3, (), generator=g)) for i in range(2))
    h, w = (span[i] + int(torch.randint(0, 7, (), generator=g)) for i in range(2))
    shape = (int(torch.randint(1, 4, (), generator=g)), int(torch.randint(1, 4, (), generator=g)), h, w)
    return shape, k, s, p, d


def forward_and_grads(f, inputs, g):
    """f(*inputs) and the gradients of sum(f * u) for a random u, for every tensor input."""
    leaves = [t.detach().clone().requires_grad_(True) for t in inputs]
    out = f(*leaves)
    u = torch.randn(out.shape, generator=g, dtype=out.dtype).to(out.device)
    return [out.detach(), *torch.autograd.grad((out * u).sum(), leaves)]


def assert_close(ours, theirs, dtype, what):
    assert len(ours) == len(theirs)
    for i, (a, b) in enumerate(zip(ours, theirs)):
        assert a.shape == b.shape, f"{what}: item {i} shape {tuple(a.shape)} != {tuple(b.shape)}"
        err = (a - b).abs().max().item() if a.numel() else 0.0
        assert err < TOL[dtype] * max(1.0, b.abs().max().item()), f"{what}: item {i} differs by {err}"


def compare(ours_f, theirs_f, inputs, trial, dtype, what):
    """lib's and torch's function agree on `inputs`: outputs and gradients (the same upstream
    gradient, drawn from seed `trial`). Returns lib's outputs and gradients."""
    ours = forward_and_grads(ours_f, inputs, torch.Generator().manual_seed(trial))
    assert_close(ours, forward_and_grads(theirs_f, inputs, torch.Generator().manual_seed(trial)), dtype, what)
    return ours


def randn(g, shape, dtype, device):
    return torch.randn(shape, generator=g, dtype=torch.float64).to(device=device, dtype=dtype)


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("dtype", DTYPES)
def test_conv2d_equals_torch_forward_and_backward(dtype, device):
    g = torch.Generator().manual_seed(0)
    for trial in range(40):
        shape, k, s, p, d = geometry(g)
        f = int(torch.randint(1, 5, (), generator=g))
        x, w, b = randn(g, shape, dtype, device), randn(g, (f, shape[1], *k), dtype, device), randn(g, (f,), dtype, device)
        compare(lambda x, w, b: conv.conv2d(x, w, b, s, p, d), lambda x, w, b: F.conv2d(x, w, b, s, p, d),
                (x, w, b), trial, dtype, f"conv2d {shape} kernel {k} stride {s} padding {p} dilation {d}")


@pytest.mark.parametrize("device", DEVICES)
def test_conv2d_without_bias_and_with_int_arguments(device):
    g = torch.Generator().manual_seed(1)
    x, w = randn(g, (2, 3, 7, 6), torch.float64, device), randn(g, (5, 3, 3, 3), torch.float64, device)
    compare(lambda x, w: conv.conv2d(x, w, None, 2, 1), lambda x, w: F.conv2d(x, w, None, 2, 1), (x, w), 0,
            torch.float64, "conv2d without bias")


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("dtype", DTYPES)
def test_im2col_and_col2im_equal_unfold_and_fold(dtype, device):
    g = torch.Generator().manual_seed(2)
    for trial in range(30):
        shape, k, s, p, d = geometry(g)
        x = randn(g, shape, dtype, device)
        ours = compare(lambda x: conv.im2col(x, k, s, p, d), lambda x: F.unfold(x, k, d, p, s), (x,), trial, dtype,
                       f"im2col {shape} {k} {s} {p} {d}")
        cols = randn(g, ours[0].shape, dtype, device)
        assert_close([conv.col2im(cols, shape[2:], k, s, p, d)], [F.fold(cols, shape[2:], k, d, p, s)], dtype, "col2im")


def test_col2im_is_the_adjoint_of_im2col():
    """<im2col(x), c> = <x, col2im(c)> for every x and c: the property the backward pass rests on."""
    g = torch.Generator().manual_seed(3)
    for _ in range(20):
        shape, k, s, p, d = geometry(g)
        x = torch.randn(shape, generator=g, dtype=torch.float64)
        cols = torch.randn(conv.im2col(x, k, s, p, d).shape, generator=g, dtype=torch.float64)
        lhs, rhs = (conv.im2col(x, k, s, p, d) * cols).sum(), (x * conv.col2im(cols, shape[2:], k, s, p, d)).sum()
        assert abs(lhs - rhs) < 1e-10 * max(1.0, abs(rhs))


POOLS = {  # name: (lib's, torch's), each called as f(x, kernel, stride, padding, dilation)
    "max_pool2d": (conv.max_pool2d, F.max_pool2d),
    "avg_pool2d": (lambda x, k, s, p, d: conv.avg_pool2d(x, k, s, p), lambda x, k, s, p, d: F.avg_pool2d(x, k, s, p)),
}


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", POOLS)
def test_pooling_equals_torch_forward_and_backward(name, dtype, device):
    ours_f, theirs_f = POOLS[name]
    g = torch.Generator().manual_seed(4)
    for trial in range(40):
        shape, k, s, p, d = geometry(g, pool=True)
        d = d if name == "max_pool2d" else (1, 1)  # torch's average pooling has no dilation
        x = randn(g, shape, dtype, device)
        compare(lambda x: ours_f(x, k, s, p, d), lambda x: theirs_f(x, k, s, p, d), (x,), trial, dtype,
                f"{name} {shape} {k} {s} {p} {d}")


@pytest.mark.parametrize("device", DEVICES)
def test_max_pool2d_sends_a_tie_s_gradient_where_torch_does(device):
    """Equal values in a window (a ReLU's zeros, a flat image): one pixel gets the gradient, as in torch."""
    x = torch.tensor([[[[1.0, 1.0, 0.0], [1.0, 0.0, 0.0], [2.0, 2.0, 2.0]]]], dtype=torch.float64, device=device)
    for k, s in [(2, 1), (3, 1), (2, 2)]:
        compare(lambda x: conv.max_pool2d(x, k, s), lambda x: F.max_pool2d(x, k, s), (x,), 0, torch.float64,
                f"ties, kernel {k} stride {s}")


def test_conv_output_size_is_the_size_torch_produces():
    g = torch.Generator().manual_seed(6)
    for _ in range(200):
        size, k, s, d = (int(torch.randint(1, n, (), generator=g)) for n in (12, 5, 4, 3))
        p = int(torch.randint(0, 3, (), generator=g))
        if d * (k - 1) + 1 > size + 2 * p:
            with pytest.raises(ValueError, match="kernel_size"):
                conv.conv_output_size(size, k, s, p, d)
            continue
        out = F.conv2d(torch.zeros(1, 1, size, 1), torch.zeros(1, 1, k, 1), stride=(s, 1), padding=(p, 0), dilation=(d, 1))
        assert conv.conv_output_size(size, k, s, p, d) == out.shape[2], (size, k, s, p, d)


def test_modules_initialise_like_torch_and_compute_the_same():
    torch.manual_seed(7)
    ours = conv.Conv2d(3, 5, (3, 2), stride=2, padding=1, dilation=(1, 2))
    torch.manual_seed(7)
    theirs = torch.nn.Conv2d(3, 5, (3, 2), stride=2, padding=1, dilation=(1, 2))
    assert torch.equal(ours.weight, theirs.weight) and torch.equal(ours.bias, theirs.bias)
    x = torch.randn(2, 3, 9, 9)
    assert_close([ours(x)], [theirs(x)], torch.float32, "Conv2d")
    assert conv.Conv2d(2, 4, 3, bias=False).bias is None
    assert_close([conv.MaxPool2d(3, 2, 1)(x)], [torch.nn.MaxPool2d(3, 2, 1)(x)], torch.float32, "MaxPool2d")
    assert_close([conv.AvgPool2d(2)(x)], [torch.nn.AvgPool2d(2)(x)], torch.float32, "AvgPool2d")
    assert {n for n, _ in ours.named_parameters()} == {"weight", "bias"}


def test_nan_propagates_through_max_pool_like_torch():
    x = torch.tensor([[[[1.0, float("nan")], [3.0, 2.0]]]])
    assert torch.isnan(conv.max_pool2d(x, 2)).all() and torch.isnan(F.max_pool2d(x, 2)).all()


@pytest.mark.parametrize("call, match", [
    (lambda: conv.conv2d(torch.randn(1, 3, 4, 4), torch.randn(2, 4, 3, 3)), "weight must have 3 input channels"),
    (lambda: conv.conv2d(torch.randn(1, 1, 2, 2), torch.randn(1, 1, 3, 3)), "kernel_size: the kernel spans 3"),
    (lambda: conv.conv2d(torch.randn(1, 1, 2, 2), torch.randn(1, 1, 3, 3), padding=1), None),
    (lambda: conv.conv2d(torch.randn(1, 1, 5, 5), torch.randn(1, 1, 3, 3), stride=0), "stride must be an int >= 1"),
    (lambda: conv.conv2d(torch.randn(1, 1, 5, 5), torch.randn(1, 1, 3, 3), stride=-1), "stride"),
    (lambda: conv.conv2d(torch.randn(1, 1, 5, 5), torch.randn(1, 1, 3, 3), padding=-1), "padding"),
    (lambda: conv.conv2d(torch.randn(1, 5, 5), torch.randn(1, 1, 3, 3)), "x must be 4-D"),
    (lambda: conv.conv2d(torch.randn(1, 1, 5, 5), torch.randn(2, 1, 3, 3), torch.randn(3)), "bias must have shape"),
    (lambda: conv.conv2d(torch.randn(1, 1, 5, 5), torch.randn(1, 1, 3, 3, dtype=torch.float64)), "dtype"),
    (lambda: conv.max_pool2d(torch.randn(1, 1, 5, 5), 2, padding=2), "padding must be at most half"),
    (lambda: conv.max_pool2d(torch.randn(1, 1, 5, 5), 0), "kernel_size"),
    (lambda: conv.avg_pool2d(torch.randn(1, 1, 1, 5), 2), "kernel_size: the kernel spans 2"),
    (lambda: conv.col2im(torch.randn(1, 9, 5), (4, 4), 3), "cols must have shape"),
    (lambda: conv.Conv2d(3, 0, 3), "out_channels"),
])
def test_bad_arguments_get_errors_that_name_them(call, match):
    if match is None:  # padding makes the same kernel fit: no error
        assert call().shape == (1, 1, 2, 2)
        return
    with pytest.raises((ValueError, TypeError), match=match):
        call()
