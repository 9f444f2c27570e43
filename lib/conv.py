"""Convolution and pooling from scratch: im2col, its inverse col2im, conv2d, max and average
pooling, each with a hand-written backward pass, and the nn.Module wrappers a CNN is built from.

Shapes: N images, C input channels, H x W pixels, F filters (output channels), KH x KW kernel,
OH x OW output positions, L = OH * OW. A weight is (F, C, KH, KW), torch's layout.

Deep learning's "convolution" is a cross-correlation: the kernel slides over the image without
being flipped. im2col copies every window the kernel visits into one column, so the whole
convolution becomes one matrix product (F, C*KH*KW) @ (C*KH*KW, L) per image:

    out[n, f, oh, ow] = bias[f] + sum_{c, i, j} weight[f, c, i, j]
                                   * x_padded[n, c, oh*stride + i*dilation, ow*stride + j*dilation]

Each output size follows conv_output_size:
    OH = floor((H + 2 padding - dilation (KH - 1) - 1) / stride) + 1.
The backward passes reuse the same columns: d weight = d out @ cols^T, d cols = weight^T @ d out,
and col2im adds every column back onto the pixels it came from (a pixel in several windows
gathers several contributions). Tested against torch.nn.functional (conv2d, unfold, fold,
max_pool2d, avg_pool2d) forward and backward in tests/lib/test_conv.py.
"""
import functools
import math

import torch
import torch.nn.functional as F
from torch import nn

from lib import validate


def _pair(value, name, low):
    """value (an int or a pair of ints, each >= low) -> (h, w)."""
    pair = tuple(value) if isinstance(value, (tuple, list)) else (value, value)
    if len(pair) != 2 or any(isinstance(v, bool) or not isinstance(v, int) or v < low for v in pair):
        raise ValueError(f"{name} must be an int >= {low} or a pair of them, got {value!r}")
    return pair


def conv_output_size(size, kernel_size, stride=1, padding=0, dilation=1):
    """Positions a kernel visits along one dimension of `size` pixels:
    floor((size + 2 padding - dilation (kernel_size - 1) - 1) / stride) + 1. All arguments ints."""
    validate.positive_int(size, "size")
    validate.positive_int(kernel_size, "kernel_size")
    validate.positive_int(stride, "stride")
    validate.positive_int(dilation, "dilation")
    if isinstance(padding, bool) or not isinstance(padding, int) or padding < 0:
        raise ValueError(f"padding must be an int >= 0, got {padding!r}")
    span = dilation * (kernel_size - 1) + 1  # the pixels one window covers
    if span > size + 2 * padding:
        raise ValueError(f"kernel_size: the kernel spans {span} pixels (dilation {dilation}), more than the "
                         f"padded input's {size + 2 * padding} (size {size} + 2 x padding {padding})")
    return (size + 2 * padding - span) // stride + 1


def _geometry(x, kernel_size, stride, padding, dilation):
    """Checked (KH, KW), (SH, SW), (PH, PW), (DH, DW) and (OH, OW) for x (N, C, H, W)."""
    validate.tensor(x, "x", ndim=4)
    k, s = _pair(kernel_size, "kernel_size", 1), _pair(stride, "stride", 1)
    p, d = _pair(padding, "padding", 0), _pair(dilation, "dilation", 1)
    out = tuple(conv_output_size(x.shape[2 + i], k[i], s[i], p[i], d[i]) for i in range(2))
    return k, s, p, d, out


@functools.lru_cache(maxsize=64)  # a network asks for the same few layouts at every step
def _window_index(c, h, w, geometry, device):
    """(C*KH*KW, OH*OW) int64: where each entry of im2col's columns sits in the flattened padded
    image (C, H + 2 PH, W + 2 PW); geometry as _geometry returns it. Read only (cached)."""
    (kh, kw), (sh, sw), (ph, pw), (dh, dw), (oh, ow) = geometry
    ar = lambda n, step: torch.arange(n, device=device) * step  # noqa: E731
    rows = ar(kh, dh)[:, None] + ar(oh, sh)  # (KH, OH): the padded row of kernel row i at output row
    cols = ar(kw, dw)[:, None] + ar(ow, sw)  # (KW, OW)
    pixel = rows[:, None, :, None] * (w + 2 * pw) + cols[None, :, None, :]  # (KH, KW, OH, OW)
    channel = ar(c, (h + 2 * ph) * (w + 2 * pw))  # (C,): where each channel starts
    return (channel[:, None, None, None, None] + pixel).reshape(c * kh * kw, oh * ow)


def _patches(x, geometry, fill=0.0):
    """Every window of x (N, C, H, W) as a row -> (N, OH*OW, C*KH*KW), padding filled with `fill`."""
    (ph, pw), (n, c, h, w) = geometry[2], x.shape
    xp = F.pad(x, (pw, pw, ph, ph), value=fill)  # (N, C, H + 2 PH, W + 2 PW)
    index = _window_index(c, h, w, geometry, x.device).T  # (L, C*KH*KW)
    return xp.reshape(n, -1).index_select(1, index.flatten()).reshape(n, *index.shape)  # (N, L, C*KH*KW)


def _add_patches(patches, size, geometry):
    """The adjoint of _patches: patches (N, L, C*KH*KW) -> (N, C, H, W), each entry added onto the
    pixel it was copied from (entries from the padding dropped)."""
    (h, w), (kh, kw), (ph, pw) = size, geometry[0], geometry[2]
    n, c = patches.shape[0], patches.shape[2] // (kh * kw)
    index = _window_index(c, h, w, geometry, patches.device).T.flatten()  # (L*C*KH*KW,)
    out = patches.new_zeros(n, c * (h + 2 * ph) * (w + 2 * pw)).index_add_(1, index, patches.reshape(n, -1))
    return out.reshape(n, c, h + 2 * ph, w + 2 * pw)[:, :, ph:ph + h, pw:pw + w]  # (N, C, H, W)


def im2col(x, kernel_size, stride=1, padding=0, dilation=1):
    """x (N, C, H, W) -> cols (N, C*KH*KW, OH*OW): column l holds the window of output position l,
    ordered channel, then kernel row, then kernel column (torch.nn.functional.unfold's layout).
    Padding adds zeros."""
    return _patches(x, _geometry(x, kernel_size, stride, padding, dilation)).transpose(1, 2)


def col2im(cols, size, kernel_size, stride=1, padding=0, dilation=1):
    """The adjoint of im2col: cols (N, C*KH*KW, L) -> (N, C, H, W) with size = (H, W), each
    column's entries added onto the pixels they were copied from (torch.nn.functional.fold)."""
    validate.tensor(cols, "cols", ndim=3)
    h, w = _pair(size, "size", 1)
    geometry = _geometry(cols.new_empty(0, 1, h, w), kernel_size, stride, padding, dilation)
    (kh, kw), (oh, ow) = geometry[0], geometry[4]
    if cols.shape[1] % (kh * kw) or cols.shape[2] != oh * ow:
        raise ValueError(f"cols must have shape (N, C*{kh}*{kw}, {oh * ow}) for size {(h, w)}, got {tuple(cols.shape)}")
    return _add_patches(cols.transpose(1, 2), (h, w), geometry)


class _Conv2d(torch.autograd.Function):
    """conv2d as one matrix product of the windows (im2col, one row per output position) with the
    filters, and its backward pass written out: three matrix products and col2im."""

    @staticmethod
    def forward(ctx, x, weight, bias, geometry):
        (n, _, h, w), f, (oh, ow) = x.shape, weight.shape[0], geometry[4]
        patches = _patches(x, geometry).reshape(n * oh * ow, -1)  # (N*L, C*KH*KW)
        out = patches @ weight.reshape(f, -1).T  # (N*L, F)
        if bias is not None:
            out = out + bias
        ctx.save_for_backward(patches, weight)
        ctx.geometry, ctx.size, ctx.has_bias = geometry, (h, w), bias is not None
        return out.reshape(n, oh, ow, f).permute(0, 3, 1, 2).contiguous()  # (N, F, OH, OW)

    @staticmethod
    def backward(ctx, grad):
        patches, weight = ctx.saved_tensors
        f, n = weight.shape[0], grad.shape[0]
        g = grad.permute(0, 2, 3, 1).reshape(-1, f).contiguous()  # (N*L, F); sum()'s gradient is a stride-0 view
        dx = dw = db = None
        if ctx.needs_input_grad[0]:
            dpatches = (g @ weight.reshape(f, -1)).reshape(n, -1, patches.shape[1])  # (N, L, C*KH*KW)
            dx = _add_patches(dpatches, ctx.size, ctx.geometry)  # (N, C, H, W)
        if ctx.needs_input_grad[1]:
            dw = (g.T @ patches).reshape(weight.shape)  # (F, C, KH, KW)
        if ctx.has_bias and ctx.needs_input_grad[2]:
            db = g.sum(dim=0)  # (F,)
        return dx, dw, db, None


def conv2d(x, weight, bias=None, stride=1, padding=0, dilation=1):
    """x (N, C, H, W), weight (F, C, KH, KW), bias (F,) or None -> (N, F, OH, OW), equal to
    torch.nn.functional.conv2d (groups=1). stride, padding and dilation: an int or a pair (h, w)."""
    validate.tensor(x, "x", ndim=4)
    validate.tensor(weight, "weight", ndim=4)
    validate.same_dtype(x=x, weight=weight)
    validate.same_device(x=x, weight=weight)
    if weight.shape[1] != x.shape[1]:
        raise ValueError(f"weight must have {x.shape[1]} input channels to match x (N, C={x.shape[1]}, H, W): "
                         f"weight is (F, C, KH, KW) = {tuple(weight.shape)}")
    if bias is not None:
        validate.tensor(bias, "bias", ndim=1)
        validate.same_dtype(x=x, bias=bias)
        validate.same_device(x=x, bias=bias)
        if bias.shape[0] != weight.shape[0]:
            raise ValueError(f"bias must have shape ({weight.shape[0]},), one per filter, got {tuple(bias.shape)}")
    return _Conv2d.apply(x, weight, bias, _geometry(x, tuple(weight.shape[2:]), stride, padding, dilation))


def _pool_arguments(kernel_size, stride, padding, dilation):
    """Checked pooling arguments as pairs (stride defaults to the kernel size); padding at most half
    the kernel size, as torch requires (so no window lies wholly in the padding)."""
    k = _pair(kernel_size, "kernel_size", 1)
    s = k if stride is None else _pair(stride, "stride", 1)
    p, d = _pair(padding, "padding", 0), _pair(dilation, "dilation", 1)
    for i in range(2):
        if 2 * p[i] > k[i]:
            raise ValueError(f"padding must be at most half the kernel size {k}, got {padding!r}")
    return k, s, p, d


def _pool_geometry(x, kernel_size, stride, padding, dilation):
    """_pool_arguments checked against x (N, C, H, W): the geometry as _geometry returns it."""
    return _geometry(x, *_pool_arguments(kernel_size, stride, padding, dilation))


class _MaxPool2d(torch.autograd.Function):
    """The largest value of each window; its gradient goes to that one pixel (the first of ties)."""

    @staticmethod
    def forward(ctx, x, geometry):
        n, c, h, w = x.shape
        windows = _patches(x.reshape(n * c, 1, h, w), geometry, fill=-math.inf)  # (N*C, L, KH*KW)
        out, where = windows.max(dim=2)  # (N*C, L): the largest value and its place in the window
        ctx.save_for_backward(where)
        ctx.geometry, ctx.shape, ctx.k = geometry, x.shape, windows.shape[2]
        return out.reshape(n, c, *geometry[4])  # (N, C, OH, OW)

    @staticmethod
    def backward(ctx, grad):
        (where,), (n, c, h, w) = ctx.saved_tensors, ctx.shape
        g = grad.reshape(n * c, -1, 1)  # (N*C, L, 1)
        dwindows = g.new_zeros(n * c, g.shape[1], ctx.k).scatter_(2, where[:, :, None], g)  # (N*C, L, KH*KW)
        return _add_patches(dwindows, (h, w), ctx.geometry).reshape(n, c, h, w), None


class _AvgPool2d(torch.autograd.Function):
    """The mean of each window, padding zeros included; each pixel of a window gets 1/(KH KW) of
    the window's gradient."""

    @staticmethod
    def forward(ctx, x, geometry):
        n, c, h, w = x.shape
        windows = _patches(x.reshape(n * c, 1, h, w), geometry)  # (N*C, L, KH*KW)
        ctx.geometry, ctx.shape, ctx.k = geometry, x.shape, windows.shape[2]
        return windows.mean(dim=2).reshape(n, c, *geometry[4])  # (N, C, OH, OW)

    @staticmethod
    def backward(ctx, grad):
        n, c, h, w = ctx.shape
        dwindows = (grad.reshape(n * c, -1, 1) / ctx.k).expand(-1, -1, ctx.k)  # (N*C, L, KH*KW)
        return _add_patches(dwindows, (h, w), ctx.geometry).reshape(n, c, h, w), None


def max_pool2d(x, kernel_size, stride=None, padding=0, dilation=1):
    """x (N, C, H, W) -> (N, C, OH, OW): the largest value in each window (padding never wins),
    equal to torch.nn.functional.max_pool2d. stride defaults to kernel_size."""
    return _MaxPool2d.apply(x, _pool_geometry(x, kernel_size, stride, padding, dilation))


def avg_pool2d(x, kernel_size, stride=None, padding=0):
    """x (N, C, H, W) -> (N, C, OH, OW): the mean of each window, padding counted as zeros, equal
    to torch.nn.functional.avg_pool2d (count_include_pad=True). stride defaults to kernel_size."""
    return _AvgPool2d.apply(x, _pool_geometry(x, kernel_size, stride, padding, 1))


class Conv2d(nn.Module):
    """A convolution layer: weight (F, C, KH, KW) and bias (F,), initialised like torch.nn.Conv2d
    (Kaiming-uniform with a = sqrt(5), bias uniform in +-1/sqrt(C KH KW)), so the same seed gives
    the same weights. (N, C, H, W) -> (N, F, OH, OW)."""

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, bias=True,
                 device=None, dtype=None):
        super().__init__()
        validate.positive_int(in_channels, "in_channels")
        validate.positive_int(out_channels, "out_channels")
        if not isinstance(bias, bool):
            raise TypeError(f"bias must be True or False, got {bias!r}")
        kh, kw = _pair(kernel_size, "kernel_size", 1)
        self.stride, self.padding = _pair(stride, "stride", 1), _pair(padding, "padding", 0)
        self.dilation = _pair(dilation, "dilation", 1)
        self.weight = nn.Parameter(torch.empty(out_channels, in_channels, kh, kw, device=device, dtype=dtype))
        self.bias = nn.Parameter(torch.empty(out_channels, device=device, dtype=dtype)) if bias else None
        nn.init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            bound = 1 / math.sqrt(in_channels * kh * kw)
            nn.init.uniform_(self.bias, -bound, bound)

    def forward(self, x):
        return conv2d(x, self.weight, self.bias, self.stride, self.padding, self.dilation)

    def extra_repr(self):
        f, c, kh, kw = self.weight.shape
        return (f"{c}, {f}, kernel_size={(kh, kw)}, stride={self.stride}, padding={self.padding}, "
                f"dilation={self.dilation}, bias={self.bias is not None}")


class MaxPool2d(nn.Module):
    """max_pool2d as a module: (N, C, H, W) -> (N, C, OH, OW)."""

    def __init__(self, kernel_size, stride=None, padding=0, dilation=1):
        super().__init__()
        self.kernel_size, self.stride, self.padding, self.dilation = kernel_size, stride, padding, dilation
        _pool_arguments(kernel_size, stride, padding, dilation)

    def forward(self, x):
        return max_pool2d(x, self.kernel_size, self.stride, self.padding, self.dilation)


class AvgPool2d(nn.Module):
    """avg_pool2d as a module: (N, C, H, W) -> (N, C, OH, OW)."""

    def __init__(self, kernel_size, stride=None, padding=0):
        super().__init__()
        self.kernel_size, self.stride, self.padding = kernel_size, stride, padding
        _pool_arguments(kernel_size, stride, padding, 1)

    def forward(self, x):
        return avg_pool2d(x, self.kernel_size, self.stride, self.padding)
