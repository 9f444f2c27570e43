"""Chapter 06 (vision): the definitions of its exercises; the oracles are torch.nn.functional.conv2d,
torch.nn.functional.max_pool2d with torch.autograd.grad, and plain-Python references for boxes
(torchvision, torch's home of box_iou and nms, cannot be installed next to the CPU torch).

Tensor.unfold (the sliding windows of one dimension) is allowed in every exercise but the output
size: writing im2col, or the pooling windows, with it is the point.
"""

import torch
import torch.nn.functional as F

from lib.exercises import operators as ops
from lib.exercises.base import Case, Exercise, Mistake, call, randn
from lib.exercises.ch01 import AUTOGRAD

F32 = dict(rtol=1e-4, atol=1e-5)
F64 = dict(rtol=1e-9, atol=1e-12)


def _dtype(dtype):
    """"float32" for torch.float32, for the cases' notes."""
    return str(dtype).removeprefix("torch.")


def _paths(table):
    """Dotted paths from rows (module, names separated by spaces)."""
    return tuple(f"{module}.{name}" for module, names in table for name in names.split())


# Every public route to torch's convolution, im2col and col2im kernels (torch.conv2d is F.conv2d,
# and so on), and the Python versions of these kernels in torch._decomp: the exercises ask for them.
CONVOLUTIONS = _paths([
    ("torch.nn.functional", "conv1d conv2d conv3d conv_transpose1d conv_transpose2d conv_transpose3d conv_tbc "
                            "unfold fold"),
    ("torch", "convolution _convolution _convolution_mode mkldnn_convolution _nnpack_spatial_convolution"),
    ("torch._C._nn", "im2col col2im thnn_conv2d slow_conv_dilated2d slow_conv_transpose2d _conv_depthwise2d "
                     "slow_conv3d"),
    ("torch.nn.grad", "conv1d_input conv1d_weight conv2d_input conv2d_weight conv3d_input conv3d_weight"),
    ("torch.nn", "Conv1d.forward Conv2d.forward Conv3d.forward ConvTranspose1d.forward ConvTranspose2d.forward "
                 "ConvTranspose3d.forward Unfold.forward Fold.forward"),
    ("torch._decomp.decompositions", "im2col col2im"),
])
# Every public route to torch's max-pooling kernels, forward and backward (F.max_pool2d's code is
# shared by the 1-D, 3-D, adaptive and fractional max pools, so watching it catches them all).
MAX_POOLS = _paths([
    ("torch.nn.functional", "max_pool2d max_pool1d_with_indices max_pool2d_with_indices max_pool3d_with_indices "
                            "adaptive_max_pool2d_with_indices max_unpool2d"),
    ("torch", "max_pool1d max_pool2d max_pool3d max_pool1d_with_indices mkldnn_max_pool2d quantized_max_pool2d "
              "adaptive_max_pool1d"),
    ("torch._C._nn", "max_pool2d_with_indices max_pool3d_with_indices adaptive_max_pool2d max_unpool2d"),
    ("torch.nn", "MaxPool1d.forward MaxPool2d.forward MaxPool3d.forward AdaptiveMaxPool2d.forward "
                 "MaxUnpool2d.forward"),
    ("torch._decomp.decompositions", "max_pool2d_with_indices _max_pool_nd_with_indices "
                                     "max_pool2d_with_indices_backward max_unpool2d adaptive_max_pool2d"),
])


# 1. the output size of a convolution


def _size_cases(g):
    cases = [Case(args, note) for args, note in [
        ((16, 5, 1, 2, 1), "size 16, kernel 5, padding 2: the size is kept"),
        ((224, 7, 2, 3, 1), "size 224, kernel 7, stride 2, padding 3 (ResNet's first layer)"),
        ((8, 3, 2, 0, 1), "size 8, kernel 3, stride 2: (8 - 3) / 2 = 2.5 rounds down"),
        ((12, 3, 1, 0, 3), "size 12, kernel 3, dilation 3 (a 7-wide kernel)"),
        ((5, 5, 1, 0, 1), "the kernel as large as the input: one position"),
        ((9, 2, 3, 2, 3), "size 9, kernel 2, stride 3, padding 2, dilation 3"),
    ]]
    while len(cases) < 16:
        size, kernel, stride, padding, dilation = (int(torch.randint(low, high, (), generator=g))
                                                   for low, high in [(1, 65), (1, 8), (1, 5), (0, 4), (1, 4)])
        if dilation * (kernel - 1) + 1 <= size + 2 * padding:
            args = (size, kernel, stride, padding, dilation)
            cases.append(Case(args, "conv_output_size(size={}, kernel_size={}, stride={}, padding={}, "
                                    "dilation={})".format(*args)))
    return cases


def _size_expected(size, kernel_size, stride, padding, dilation):
    """The height of F.conv2d's output on a (1, 1, size, 1) input of zeros."""
    out = F.conv2d(torch.zeros(1, 1, size, 1), torch.zeros(1, 1, kernel_size, 1), stride=(stride, 1),
                   padding=(padding, 0), dilation=(dilation, 1))
    return out.shape[2]


def _size(expression):
    return f"""
def conv_output_size(size, kernel_size, stride=1, padding=0, dilation=1):
    return {expression}
"""


OUTPUT_SIZE = Exercise(
    "ch06_output_size",
    ("conv_output_size",),
    _size_cases,
    call("conv_output_size"),
    _size_expected,
    # the formula is the exercise: these are the ways to have torch count the positions on zeros (F.max_pool2d's
    # code is shared by max_pool1d and max_pool3d); the full lists would not fit in the grader's message
    forbidden_ops=ops.CONVOLUTION + ops.POOLING + ops.WINDOWS,
    forbidden=_paths([
        ("lib.conv", "conv_output_size"),
        ("torch", "Tensor.unfold unfold_copy convolution max_pool1d max_pool2d avg_pool1d"),
        ("torch.nn.functional", "conv1d conv2d conv3d unfold max_pool2d avg_pool2d"),
        ("torch._C._nn", "im2col"),
        ("torch.nn", "Conv2d.forward"),
    ]),
    mistakes=(
        Mistake("no + 1: the first position of the kernel is not counted",
                _size("(size + 2 * padding - dilation * (kernel_size - 1) - 1) // stride")),
        Mistake("padding counted once instead of on both sides",
                _size("(size + padding - dilation * (kernel_size - 1) - 1) // stride + 1")),
        Mistake("dilation ignored: a dilated kernel spans dilation * (kernel_size - 1) + 1 inputs",
                _size("(size + 2 * padding - kernel_size) // stride + 1")),
        Mistake("a dilated kernel taken as dilation * kernel_size inputs wide",
                _size("(size + 2 * padding - dilation * kernel_size) // stride + 1")),
        Mistake("rounded up instead of down: a window that runs past the input is not a position",
                _size("math.ceil((size + 2 * padding - dilation * (kernel_size - 1) - 1) / stride) + 1")),
        Mistake("true division (/) gives a float; use floor division (//)",
                _size("(size + 2 * padding - dilation * (kernel_size - 1) - 1) / stride + 1")),
    ),
)


# 2. convolution by im2col and one matrix multiplication


def _conv_case(g, x_shape, weight_shape, stride, padding, what, dtype=torch.float64, bias=True):
    (N, C, H, W), (n_out, _, KH, KW) = x_shape, weight_shape
    x, weight = randn(g, *x_shape, dtype=dtype), randn(g, *weight_shape, dtype=dtype, scale=(C * KH * KW) ** -0.5)
    b = randn(g, n_out, dtype=dtype) if bias else None
    note = (f"x {x_shape}, weight {weight_shape}, {'bias' if bias else 'no bias'}, stride {stride}, "
            f"padding {padding}, {_dtype(dtype)}{what}")
    return Case((x, weight, b, stride, padding), note, **(F32 if dtype == torch.float32 else F64))


def _conv_cases(g):
    cases = [
        _conv_case(g, (2, 3, 6, 5), (3, 3, 3, 3), 1, 0, ": C = F = OW = 3", torch.float32),
        _conv_case(g, (2, 2, 9, 8), (4, 2, 3, 2), 2, 1, ": a 3x2 kernel"),
        _conv_case(g, (1, 3, 7, 7), (2, 3, 5, 5), 1, 2, ": padding 2 keeps the 7x7 size", bias=False),
        _conv_case(g, (2, 4, 10, 11), (3, 4, 3, 3), 3, 1, ": the stride does not divide the padded size"),
        _conv_case(g, (2, 2, 4, 5), (3, 2, 6, 7), 1, 1, ": the kernel covers the padded input, one output pixel"),
        _conv_case(g, (3, 5, 4, 4), (2, 5, 1, 1), 1, 0, ": a 1x1 kernel", torch.float32),
    ]
    for _ in range(3):
        ranges = [(1, 4), (1, 5), (1, 6), (1, 5), (1, 5), (1, 4), (0, 3)]
        N, C, n_out, KH, KW, stride, padding = (int(torch.randint(*r, (), generator=g)) for r in ranges)
        H, W = (k + int(torch.randint(0, 9, (), generator=g)) for k in (KH, KW))
        cases.append(_conv_case(g, (N, C, H, W), (n_out, C, KH, KW), stride, padding, ": random sizes"))
    return cases


def _conv_expected(x, weight, bias, stride, padding):
    """F.conv2d in float64 (on a GPU, float32 convolutions may run in TF32, with 10-bit mantissas)."""
    bias = None if bias is None else bias.double()
    return F.conv2d(x.double(), weight.double(), bias, stride=stride, padding=padding).to(x.dtype)


def _conv(unpack="n_out, _, KH, KW = weight.shape", pad="F.pad(x, (padding, padding, padding, padding))",
          size="(xp.shape[2] - KH) // s + 1, (xp.shape[3] - KW) // s + 1", s="stride", w="weight",
          b="bias.view(1, -1, 1, 1)"):
    """An im2col answer written with loops over the output positions, right but for the part given."""
    return f"""
def conv2d(x, weight, bias=None, stride=1, padding=0):
    N = x.shape[0]
    {unpack}
    s = {s}
    xp = {pad}
    OH, OW = {size}
    cols = torch.stack([xp[:, :, i * s:i * s + KH, j * s:j * s + KW].reshape(N, -1)
                        for i in range(OH) for j in range(OW)], dim=2)
    out = ({w}.reshape(n_out, -1) @ cols).reshape(N, n_out, OH, OW)
    if bias is not None:
        out = out + {b}
    return out
"""


CORNER_PAD = ("x.new_zeros(x.shape[0], x.shape[1], x.shape[2] + 2 * padding, x.shape[3] + 2 * padding)\n"
              "    xp[:, :, :x.shape[2], :x.shape[3]] = x")


CONV2D = Exercise(
    "ch06_conv2d",
    ("conv2d",),
    _conv_cases,
    call("conv2d"),
    _conv_expected,
    # lib.conv's own: conv2d and the autograd Function and module behind it; im2col and _patches, its windows
    forbidden_ops=ops.CONVOLUTION,
    forbidden=CONVOLUTIONS + _paths([("lib.conv", "conv2d _Conv2d.forward Conv2d.forward im2col _patches")]),
    mistakes=(
        Mistake("the kernel flipped (a true convolution): deep learning's conv2d is a cross-correlation, "
                "the weight is used as it is", _conv(w="weight.flip(2, 3)")),
        Mistake("the weight read as (C, F, KH, KW): torch's layout is (F, C, KH, KW), output channels first",
                _conv(unpack="_, n_out, KH, KW = weight.shape", w="weight.transpose(0, 1)")),
        Mistake("no + 1 in the output size: the last row and column of positions are missing",
                _conv(size="(xp.shape[2] - KH) // s, (xp.shape[3] - KW) // s")),
        Mistake("padding on one side only: the input copied into the top-left corner of the padded array",
                _conv(pad=CORNER_PAD)),
        Mistake("only the width padded: F.pad with two numbers pads the last dimension alone",
                _conv(pad="F.pad(x, (padding, padding))")),
        Mistake("the bias added along the last axis (out + bias) instead of once per output channel",
                _conv(b="bias")),
        Mistake("stride ignored: every position taken", _conv(s="1")),
    ),
)


# 3. max pooling, forward and backward


def _pool_case(g, x, kernel_size, stride, what):
    N, C, H, W = x.shape
    dout = randn(g, N, C, (H - kernel_size) // stride + 1, (W - kernel_size) // stride + 1, dtype=x.dtype)
    note = f"x {tuple(x.shape)}, kernel {kernel_size}, stride {stride}, {_dtype(x.dtype)}: {what}"
    return Case((x, kernel_size, stride, dout), note, **(F32 if x.dtype == torch.float32 else F64))


def _pool_cases(g):
    f32, f64 = torch.float32, torch.float64
    ties = torch.randint(0, 3, (2, 2, 7, 7), generator=g)
    cases = [
        _pool_case(g, randn(g, 2, 3, 6, 6, dtype=f32), 2, 2, "2x2 windows side by side"),
        _pool_case(g, randn(g, 2, 2, 7, 8), 3, 2, "overlapping windows: gradients add up where they overlap"),
        _pool_case(g, randn(g, 1, 3, 9, 7), 3, 1, "windows overlapping by two rows and columns"),
        _pool_case(g, randn(g, 2, 2, 7, 7), 2, 3, "gaps between the windows get no gradient"),
        _pool_case(g, randn(g, 2, 3, 4, 4, dtype=f32), 4, 4, "one window over the whole image"),
        _pool_case(g, ties.to(f32), 2, 1, "values in {0, 1, 2}: ties inside windows; torch routes a tied "
                                          "window's gradient to its first maximum, row by row"),
        _pool_case(g, ties.to(f64), 3, 2, "values in {0, 1, 2}: ties, overlapping windows"),
    ]
    for _ in range(2):
        k, s = (int(torch.randint(1, 5, (), generator=g)) for _ in range(2))
        H, W = (k + int(torch.randint(0, 8, (), generator=g)) for _ in range(2))
        cases.append(_pool_case(g, randn(g, 2, 3, H, W), k, s, "random sizes"))
    return cases


def _pool_run(fns, x, kernel_size, stride, dout):
    return fns["max_pool_forward"](x, kernel_size, stride), fns["max_pool_backward"](dout, x, kernel_size, stride)


def _pool_expected(x, kernel_size, stride, dout):
    x = x.detach().clone().requires_grad_(True)
    out = F.max_pool2d(x, kernel_size, stride)
    (dx,) = torch.autograd.grad(out, x, dout)
    return out.detach(), dx


FIRST_MAX = "F.one_hot(window.reshape(N, C, k * k).argmax(-1), k * k).to(x.dtype).view(N, C, k, k)"


def _pool(reduce="amax", route=FIRST_MAX, op="+=", s="stride"):
    """A max-pooling answer (windows by Tensor.unfold, the backward by a loop over the windows),
    right but for the part given."""
    return f"""
def max_pool_forward(x, kernel_size, stride):
    s = {s}
    return x.unfold(2, kernel_size, s).unfold(3, kernel_size, s).{reduce}(dim=(-2, -1))


def max_pool_backward(dout, x, kernel_size, stride):
    N, C, OH, OW = dout.shape
    k, s = kernel_size, {s}
    dx = torch.zeros_like(x)
    for i in range(OH):
        for j in range(OW):
            window = x[:, :, i * s:i * s + k, j * s:j * s + k]
            route = {route}
            dx[:, :, i * s:i * s + k, j * s:j * s + k] {op} route * dout[:, :, i, j, None, None]
    return dx
"""


MAX_POOL = Exercise(
    "ch06_max_pool",
    ("max_pool_forward", "max_pool_backward"),
    _pool_cases,
    _pool_run,
    _pool_expected,
    # the windows (Tensor.unfold, lib.conv._patches) and their sum back onto the image (F.fold) are allowed
    forbidden_ops=ops.POOLING + ops.AUTOGRAD,
    forbidden=MAX_POOLS + AUTOGRAD + _paths([
        ("lib.conv", "max_pool2d _MaxPool2d.forward _MaxPool2d.backward MaxPool2d.forward")]),
    mistakes=(
        Mistake("the gradient spread evenly over the window (average pooling's backward)",
                _pool(route="torch.full_like(window, 1 / (k * k))")),
        Mistake("the gradient given to every element equal to the maximum: a tied window passes it on "
                "several times; torch gives it to the first maximum only",
                _pool(route="(window == window.amax(dim=(-2, -1), keepdim=True)).to(x.dtype)")),
        Mistake("the gradient assigned (=) instead of accumulated (+=): overlapping windows overwrite each other",
                _pool(op="=")),
        Mistake("stride ignored: windows taken at every position", _pool(s="1")),
        Mistake("the forward pass takes the mean of each window instead of its maximum", _pool(reduce="mean")),
    ),
)


# 4. intersection over union


def _pair_iou(p, q):
    """IoU of two boxes given as lists [x1, y1, x2, y2]."""
    inter = max(0.0, min(p[2], q[2]) - max(p[0], q[0])) * max(0.0, min(p[3], q[3]) - max(p[1], q[1]))
    union = (p[2] - p[0]) * (p[3] - p[1]) + (q[2] - q[0]) * (q[3] - q[1]) - inter
    return inter / union


def _iou_expected(a, b):
    rows = [[_pair_iou(p, q) for q in b.tolist()] for p in a.tolist()]
    return torch.tensor(rows, dtype=a.dtype, device=a.device).reshape(len(a), len(b))


def _boxes(g, n, dtype=torch.float64, spread=10.0, size=5.0):
    """n boxes (x1, y1, x2, y2) with corners in [0, spread) and sides in [0.1, size + 0.1)."""
    corner = torch.rand(n, 2, generator=g, dtype=dtype) * spread
    return torch.cat([corner, corner + torch.rand(n, 2, generator=g, dtype=dtype) * size + 0.1], dim=1)


def _iou_cases(g):
    box = torch.tensor([[1.0, 2.0, 4.0, 6.0]], dtype=torch.float64)
    special = torch.tensor([[1.0, 2.0, 4.0, 6.0],  # the same box
                            [2.0, 3.0, 3.0, 5.0],  # inside it
                            [4.0, 2.0, 7.0, 6.0],  # touching its right side
                            [6.0, 8.0, 9.0, 9.0],  # apart in x and in y
                            [5.0, 3.0, 8.0, 5.0],  # apart in x, overlapping in y
                            [0.0, 0.0, 2.0, 3.0]],  # overlapping a corner
                           dtype=torch.float64)
    return [
        Case((_boxes(g, 5, torch.float32), _boxes(g, 7, torch.float32)), "5 and 7 random boxes, float32"),
        Case((_boxes(g, 12), _boxes(g, 9)), "12 and 9 random boxes", **F64),
        Case((box, special), "one box against the same box, a box inside it, one touching its side, one apart "
                             "in x and in y, one apart in x only, one overlapping a corner", **F64),
        Case((special, special), "the six boxes above against each other", **F64),
        Case((torch.tensor([[0.0, 0.0, 2.0, 2.0], [10.0, 10.0, 11.0, 12.0]]),
              torch.tensor([[1.0, 1.0, 3.0, 3.0], [-4.0, -3.0, -1.0, -1.0], [10.0, 11.0, 12.0, 12.0]])),
         "integer corners (pixel coordinates), some boxes apart in both x and y, float32"),
        Case((_boxes(g, 3), torch.zeros(0, 4, dtype=torch.float64)), "3 boxes against none: a (3, 0) result", **F64),
    ]


MIN_MAX = ("torch.maximum(a[:, None, :2], b[None, :, :2])", "torch.minimum(a[:, None, 2:], b[None, :, 2:])")


def _iou(corners=MIN_MAX, sides="(rb - lt{plus}).clamp(min=0)", plus="",
         union="area_a[:, None] + area_b[None, :] - inter"):
    """A broadcasting answer, right but for the part given."""
    return f"""
def box_iou(a, b):
    area_a = (a[:, 2] - a[:, 0]{plus}) * (a[:, 3] - a[:, 1]{plus})
    area_b = (b[:, 2] - b[:, 0]{plus}) * (b[:, 3] - b[:, 1]{plus})
    lt, rb = {corners[0]}, {corners[1]}
    wh = {sides.format(plus=plus)}
    inter = wh[..., 0] * wh[..., 1]
    return inter / ({union})
"""


IOU = Exercise(
    "ch06_iou",
    ("box_iou",),
    _iou_cases,
    call("box_iou"),
    _iou_expected,
    forbidden=("lib.boxes.box_iou",),
    mistakes=(
        Mistake("the overlap's sides not clamped at 0: for boxes apart in x and in y two negative sides "
                "multiply to a positive 'intersection'", _iou(sides="rb - lt")),
        Mistake("the +1 pixel convention (x2 - x1 + 1): here a box's width is x2 - x1", _iou(plus=" + 1")),
        Mistake("the union without subtracting the intersection (it is counted twice)",
                _iou(union="area_a[:, None] + area_b[None, :]")),
        Mistake("min and max swapped: the corners of the smallest box enclosing both, not of the overlap",
                _iou(corners=("torch.minimum(a[:, None, :2], b[None, :, :2])",
                              "torch.maximum(a[:, None, 2:], b[None, :, 2:])"))),
    ),
)


# 5. non-maximum suppression


def _nms_expected(boxes, scores, iou_threshold):
    """Greedy NMS as torchvision.ops.nms: by decreasing score, keep a box unless its IoU with a kept
    box is above the threshold."""
    b, s, keep = boxes.tolist(), scores.tolist(), []
    for i in sorted(range(len(b)), key=lambda i: -s[i]):
        if all(_pair_iou(b[i], b[j]) <= iou_threshold for j in keep):
            keep.append(i)
    return torch.tensor(keep, dtype=torch.int64, device=boxes.device)


def _clustered(g, n, threshold, dtype):
    """n boxes around three centres with distinct scores, redrawn until no pair's IoU is within 1e-4
    of the threshold (where float32 and float64 could disagree)."""
    while True:
        centres = torch.rand(3, 2, generator=g, dtype=dtype) * 8
        corner = centres[torch.randint(0, 3, (n,), generator=g)] + torch.rand(n, 2, generator=g, dtype=dtype) * 2
        boxes = torch.cat([corner, corner + 2 + torch.rand(n, 2, generator=g, dtype=dtype) * 2], dim=1)
        pairs = [_pair_iou(p, q) for k, p in enumerate(boxes.tolist()) for q in boxes.tolist()[:k]]
        if all(abs(iou - threshold) > 1e-4 for iou in pairs):
            return boxes, ((torch.randperm(n, generator=g) + 1).to(dtype) / n)


def _nms_cases(g):
    chain = torch.tensor([[4.0, 0.0, 8.0, 4.0], [0.0, 0.0, 4.0, 4.0], [2.0, 0.0, 6.0, 4.0]])
    tie = torch.tensor([[0.0, 0.0, 2.0, 1.0], [0.0, 0.0, 1.0, 1.0], [0.0, 0.0, 2.0, 2.0], [5.0, 5.0, 6.0, 6.0]],
                       dtype=torch.float64)
    return [
        Case((*_clustered(g, 20, 0.5, torch.float32), 0.5), "20 boxes in three clusters, threshold 0.5, float32"),
        Case((*_clustered(g, 30, 0.3, torch.float64), 0.3), "30 boxes in three clusters, threshold 0.3"),
        Case((*_clustered(g, 25, 0.7, torch.float64), 0.7), "25 boxes in three clusters, threshold 0.7"),
        Case((chain, torch.tensor([0.7, 0.9, 0.8]), 0.3),
             "a chain: B overlaps A and C (IoU 1/3 each), A and C only touch; B is suppressed by A, so "
             "it cannot suppress C"),
        Case((tie, torch.tensor([0.9, 0.8, 0.7, 0.6], dtype=torch.float64), 0.5),
             "IoUs of exactly 0.5 and 0.25 at threshold 0.5: a box is suppressed only above the threshold"),
        Case((tie, torch.tensor([0.6, 0.7, 0.9, 0.8], dtype=torch.float64), 0.25),
             "IoUs of exactly 0.5 and 0.25 at threshold 0.25"),
        Case((torch.zeros(0, 4), torch.zeros(0), 0.5), "no boxes: an empty int64 tensor"),
        Case((_boxes(g, 1), torch.ones(1, dtype=torch.float64), 0.5), "a single box"),
    ]


def _nms_run(fns, boxes, scores, iou_threshold):
    keep = fns["nms"](boxes, scores, iou_threshold)
    if not isinstance(keep, torch.Tensor) or keep.dtype != torch.int64 or keep.dim() != 1:
        got = (f"a {keep.dtype} tensor of shape {tuple(keep.shape)}" if isinstance(keep, torch.Tensor)
               else f"a {type(keep).__name__}")
        raise TypeError(f"nms must return the kept boxes' indices as a 1-D int64 tensor (not a mask, not the "
                        f"boxes), got {got}")
    return keep


def _nms(order="scores.argsort(descending=True)", keeps="<=", against="keep",
         result="torch.tensor(keep, dtype=torch.int64, device=boxes.device)"):
    """A loop answer that calls box_iou, right but for the part given."""
    return f"""
def nms(boxes, scores, iou_threshold):
    order = {order}.tolist()
    keep = []
    for n, i in enumerate(order):
        if all(box_iou(boxes[i:i + 1], boxes[j:j + 1])[0, 0] {keeps} iou_threshold for j in {against}):
            keep.append(i)
    return {result}
"""


NMS = Exercise(
    "ch06_nms",
    ("nms",),
    _nms_cases,
    _nms_run,
    _nms_expected,
    forbidden=("lib.boxes.nms",),
    context={"box_iou": "lib.boxes.box_iou"},
    mistakes=(
        Mistake("boxes taken in input order instead of by decreasing score", _nms(order="torch.arange(len(boxes))")),
        Mistake("the comparison inverted: boxes that overlap a kept box less than the threshold are suppressed",
                _nms(keeps=">")),
        Mistake("suppressed at IoU >= threshold: torchvision suppresses only above it (IoU > threshold)",
                _nms(keeps="<")),
        Mistake("every higher-scoring box suppresses, even one that was itself suppressed",
                _nms(against="order[:n]")),
        Mistake("a mask of the kept boxes returned instead of their indices",
                _nms(result="torch.isin(torch.arange(len(boxes)), torch.tensor(keep, dtype=torch.int64))")),
        Mistake("the kept boxes returned instead of their indices", _nms(result="boxes[keep]")),
    ),
)


# 6. saliency maps


def _saliency_net(state):
    """conv 3x3 (padding 1) -> ReLU -> 2x2 max pool -> flatten -> linear, holding the tensors of
    `state` {"conv.weight" (F1, C, 3, 3), "conv.bias", "fc.weight" (K, F1*H*W/4), "fc.bias"}."""
    F1, C = state["conv.weight"].shape[:2]
    K, D = state["fc.weight"].shape
    with torch.device("meta"):  # no initial weights drawn: the state's tensors are assigned below
        net = torch.nn.Sequential(torch.nn.Conv2d(C, F1, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
                                  torch.nn.Flatten(), torch.nn.Linear(D, K))
    names = {"conv.weight": "0.weight", "conv.bias": "0.bias", "fc.weight": "4.weight", "fc.bias": "4.bias"}
    net.load_state_dict({names[k]: v for k, v in state.items()}, assign=True)
    return net


def _saliency_case(g, x_shape, F1, K, dtype, what):
    N, C, H, W = x_shape
    state = {"conv.weight": randn(g, F1, C, 3, 3, dtype=dtype, scale=(9 * C) ** -0.5),
             "conv.bias": randn(g, F1, dtype=dtype, scale=0.1),
             "fc.weight": randn(g, K, F1 * H * W // 4, dtype=dtype, scale=(F1 * H * W // 4) ** -0.5),
             "fc.bias": randn(g, K, dtype=dtype, scale=0.1)}
    target = torch.randint(0, K, (N,), generator=g)
    note = f"x {x_shape}, {K} classes, a CNN with {F1} filters, {_dtype(dtype)}: {what}"
    tolerances = dict(rtol=1e-4, atol=1e-6) if dtype == torch.float32 else F64
    return Case((state, randn(g, *x_shape, dtype=dtype), target), note, **tolerances)


def _saliency_cases(g):
    return [
        _saliency_case(g, (2, 3, 6, 6), 4, 5, torch.float32, "an RGB-like input; the model's parameters must get "
                                                              "no .grad, and x must not change"),
        _saliency_case(g, (3, 2, 8, 6), 3, 4, torch.float64, "a non-square input"),
        _saliency_case(g, (4, 1, 8, 8), 5, 10, torch.float64, "one channel, like the digits"),
    ]


def _saliency_run(fns, state, x, target):
    model, before = _saliency_net(state), x.clone()
    result = fns["saliency"](model, x, target)
    _untouched(model, x, before)
    return result


def _untouched(model, x, before):
    """A ValueError unless the answer left the model's gradients and x as they were."""
    if any(p.grad is not None for p in model.parameters()):
        raise ValueError("saliency left gradients in the model's parameters (.grad): use "
                         "torch.autograd.grad(score, x), which fills no .grad, or model.zero_grad() after backward")
    if not all(p.requires_grad for p in model.parameters()):
        raise ValueError("saliency switched off requires_grad of the model's parameters: leave the model as it was")
    if x.requires_grad or not torch.equal(x, before):
        raise ValueError("saliency changed its input x (its values or requires_grad): work on a copy, "
                         "x.detach().requires_grad_(True)")


def _saliency_expected(state, x, target):
    model = _saliency_net(state)
    x = x.detach().clone().requires_grad_(True)
    score = model(x).gather(1, target[:, None]).sum()  # each image's target logit; images do not mix
    (grad,) = torch.autograd.grad(score, x)
    return grad.abs().amax(dim=1)


def _saliency(score="logits.gather(1, target[:, None]).sum()", reduce="grad.abs().amax(dim=1)",
              forward="logits = model(x)", wrt="x"):
    return f"""
def saliency(model, x, target):
    x = x.detach().requires_grad_(True)
    {forward}
    (grad,) = torch.autograd.grad({score}, {wrt})
    return {reduce}
"""


SALIENCY = Exercise(
    "ch06_saliency",
    ("saliency",),
    _saliency_cases,
    _saliency_run,
    _saliency_expected,
    forbidden=("lib.explain.saliency", "lib.explain.class_activation_map"),
    mistakes=(
        Mistake("the gradient of the softmax probability instead of the logit (it vanishes where the "
                "network is sure)", _saliency(score="torch.softmax(logits, dim=1).gather(1, target[:, None]).sum()")),
        Mistake("the gradient of the loss instead of the target logit",
                _saliency(score="F.cross_entropy(logits, target)")),
        Mistake("no absolute value: negative gradients matter as much as positive ones",
                _saliency(reduce="grad.amax(dim=1)")),
        Mistake("summed over the channels instead of the maximum over them",
                _saliency(reduce="grad.abs().sum(dim=1)")),
        Mistake("the gradient with respect to the first layer's output instead of the input image",
                _saliency(forward="h = model[0](x)\n    logits = model[1:](h)", wrt="h")),
    ),
)

EXERCISES = [OUTPUT_SIZE, CONV2D, MAX_POOL, SALIENCY, IOU, NMS]  # notebook order
