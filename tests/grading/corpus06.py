"""Chapter 06 submissions for the batch test (see corpus.py): honest ones, and hostile ones that
are specific to vision: answers that reach what an exercise asks the student to write (a
convolution, im2col, max pooling and its backward, IoU, NMS, a saliency map) through another
name (an alias, torch's C binding, a computed attribute name, another convolution or pooling
that computes the same, torch's Python decompositions, the lib version or its autograd Function)
or through the grader's own reference code in lib.exercises.ch06, and results or resources
that such an answer can abuse.

CHEATS are the answers that would be right if calling was allowed: test_cheats checks that each
one gives the reference result when nobody watches, so its zero in the batch is the rule's doing.
Chapter-independent hostility (tampering, forged records, crashes) is in corpus01.py.
"""
from tests.grading.conftest import notebooks, solved
from tests.grading.corpus import Batch

CHAPTER = "06_vision"
FLIPPED = """
import torch.nn.functional as F

def conv2d(x, weight, bias=None, stride=1, padding=0):
    n_out, _, KH, KW = weight.shape
    windows = F.pad(x, (padding,) * 4).unfold(2, KH, stride).unfold(3, KW, stride)
    out = torch.einsum("ncijkl,fckl->nfij", windows, weight.flip(2, 3))
    return out if bias is None else out + bias[:, None, None]
"""
WRONG = {
    "ch06_output_size": "def conv_output_size(size, kernel_size, stride=1, padding=0, dilation=1):\n    return size\n",
    "ch06_conv2d": FLIPPED,
    "ch06_max_pool": ("def max_pool_forward(x, kernel_size, stride):\n    return x\n\n\n"
                      "def max_pool_backward(dout, x, kernel_size, stride):\n    return torch.zeros_like(x)\n"),
    "ch06_iou": "def box_iou(a, b):\n    return torch.zeros(len(a), len(b), dtype=a.dtype)\n",
    "ch06_nms": "def nms(boxes, scores, iou_threshold):\n    return torch.arange(len(boxes))\n",
    "ch06_saliency": "def saliency(model, x, target):\n    return x[:, 0].abs()\n",
}
BATCH = Batch(CHAPTER, {"ch06_output_size": 1, "ch06_conv2d": 3, "ch06_max_pool": 3, "ch06_iou": 2, "ch06_nms": 2,
                        "ch06_saliency": 2}, WRONG)

POOL_FORWARD = """
def max_pool_forward(x, kernel_size, stride):
    return x.unfold(2, kernel_size, stride).unfold(3, kernel_size, stride).amax(dim=(-2, -1))
"""
FIRST_MAX_INDEX = """
def first_max_index(x, k, s):
    # (N, C, OH, OW): the flat index (row * W + column) of each window's first maximum
    first = x.unfold(2, k, s).unfold(3, k, s).flatten(-2).argmax(-1)
    rows = torch.arange(first.shape[2], device=x.device)[:, None] * s + first // k
    cols = torch.arange(first.shape[3], device=x.device)[None, :] * s + first % k
    return rows * x.shape[3] + cols
"""
SCATTER_BACKWARD = """
def max_pool_backward(dout, x, kernel_size, stride):
    N, C, H, W = x.shape
    where = {where}
    return torch.zeros(N, C, H * W, dtype=x.dtype, device=x.device).scatter_add(
        2, where.reshape(N, C, -1), dout.reshape(N, C, -1)).view(x.shape)
"""
# The backward that a cheat's forward is paired with (allowed on its own), and the other way round.
POOL_BACKWARD = FIRST_MAX_INDEX + SCATTER_BACKWARD.format(where="first_max_index(x, kernel_size, stride)")

# A conv2d from im2col's columns and one matrix product, the columns computed by `cols`.
COLUMNS_CONV = """
def conv2d(x, weight, bias=None, stride=1, padding=0):
    n_out, _, KH, KW = weight.shape
    N, _, H, W = x.shape
    cols = {cols}
    OH, OW = (H + 2 * padding - KH) // stride + 1, (W + 2 * padding - KW) // stride + 1
    out = (weight.reshape(n_out, -1) @ cols).reshape(N, n_out, OH, OW)
    return out if bias is None else out + bias[:, None, None]
"""

CHEATS = {
    "size_from_a_zero_convolution": ("ch06_output_size", """
import torch.nn.functional as F

def conv_output_size(size, kernel_size, stride=1, padding=0, dilation=1):
    out = F.conv2d(torch.zeros(1, 1, size, 1), torch.zeros(1, 1, kernel_size, 1), stride=(stride, 1),
                   padding=(padding, 0), dilation=(dilation, 1))
    return out.shape[2]
"""),
    "size_from_lib": ("ch06_output_size", """
from lib.conv import conv_output_size
"""),
    "size_from_tensor_unfold": ("ch06_output_size", """
def conv_output_size(size, kernel_size, stride=1, padding=0, dilation=1):
    return torch.zeros(size + 2 * padding).unfold(0, dilation * (kernel_size - 1) + 1, stride).shape[0]
"""),
    "size_from_a_1d_max_pool": ("ch06_output_size", """
import torch.nn.functional as F

def conv_output_size(size, kernel_size, stride=1, padding=0, dilation=1):
    return F.max_pool1d(torch.zeros(1, 1, size + 2 * padding), kernel_size, stride, 0, dilation).shape[-1]
"""),
    "size_from_the_graders_reference": ("ch06_output_size", """
from lib.exercises.ch06 import _size_expected

def conv_output_size(size, kernel_size, stride=1, padding=0, dilation=1):
    return _size_expected(size, kernel_size, stride, padding, dilation)
"""),
    "conv_renamed": ("ch06_conv2d", """
from torch.nn.functional import conv2d as correlate

def conv2d(x, weight, bias=None, stride=1, padding=0):
    return correlate(x, weight, bias, stride, padding)
"""),
    "conv_by_computed_name": ("ch06_conv2d", """
def conv2d(x, weight, bias=None, stride=1, padding=0):
    run = getattr(torch, "conv" + "olution")
    return run(x, weight, bias, [stride] * 2, [padding] * 2, [1, 1], False, [0, 0], 1)
"""),
    "im2col_through_the_c_binding": ("ch06_conv2d", COLUMNS_CONV.format(
        cols="torch._C._nn.im2col(x, [KH, KW], [1, 1], [padding] * 2, [stride] * 2)")),
    "unfold_renamed": ("ch06_conv2d", "from torch.nn.functional import unfold as windows\n" + COLUMNS_CONV.format(
        cols="windows(x, (KH, KW), padding=padding, stride=stride)")),
    "im2col_from_torch_decompositions": ("ch06_conv2d", "from torch._decomp import decompositions\n"
                                         + COLUMNS_CONV.format(cols="decompositions.im2col(x, [KH, KW], [1, 1], "
                                                                    "[padding] * 2, [stride] * 2)")),
    "conv_as_a_3d_convolution": ("ch06_conv2d", """
def conv2d(x, weight, bias=None, stride=1, padding=0):
    return torch.conv3d(x[:, :, None], weight[:, :, None], bias, (1, stride, stride), (0, padding, padding))[:, :, 0]
"""),
    "conv_as_a_transposed_convolution": ("ch06_conv2d", """
import torch.nn.functional as F

def conv2d(x, weight, bias=None, stride=1, padding=0):
    KH, KW = weight.shape[2:]
    full = F.conv_transpose2d(F.pad(x, (padding,) * 4), weight.flip(2, 3).transpose(0, 1), bias,
                              padding=(KH - 1, KW - 1))
    return full[:, :, ::stride, ::stride]
"""),
    "conv_from_lib_imported_late": ("ch06_conv2d", """
import importlib

def conv2d(x, weight, bias=None, stride=1, padding=0):
    return importlib.import_module("lib.conv").conv2d(x, weight, bias, stride, padding)
"""),
    "conv_from_libs_autograd_function": ("ch06_conv2d", """
from lib import conv

def conv2d(x, weight, bias=None, stride=1, padding=0):
    return conv._Conv2d.apply(x, weight, bias, conv._geometry(x, tuple(weight.shape[2:]), stride, padding, 1))
"""),
    "im2col_from_lib": ("ch06_conv2d", "from lib.conv import im2col\n" + COLUMNS_CONV.format(
        cols="im2col(x, (KH, KW), stride, padding)")),
    "conv_from_the_graders_reference": ("ch06_conv2d", """
from lib.exercises.ch06 import _conv_expected as conv2d
"""),
    "pool_renamed_with_indices": ("ch06_max_pool", """
from torch.nn.functional import max_pool2d_with_indices as biggest

def max_pool_forward(x, kernel_size, stride):
    return biggest(x, kernel_size, stride)[0]
""" + SCATTER_BACKWARD.format(where="biggest(x, kernel_size, stride)[1]")),
    "pool_through_the_c_binding": ("ch06_max_pool", POOL_FORWARD + SCATTER_BACKWARD.format(
        where="torch._C._nn.max_pool2d_with_indices(x, [kernel_size] * 2, [stride] * 2)[1]")),
    "pool_by_computed_name": ("ch06_max_pool", """
def max_pool_forward(x, kernel_size, stride):
    return getattr(torch, "max_" + "pool2d")(x, kernel_size, stride)
""" + POOL_BACKWARD),
    "pool_as_two_1d_pools": ("ch06_max_pool", """
import torch.nn.functional as F

def max_pool_forward(x, kernel_size, stride):
    N, C, H, W = x.shape
    rows = F.max_pool1d(x.reshape(N * C * H, 1, W), kernel_size, stride).reshape(N, C, H, -1)
    cols = F.max_pool1d(rows.transpose(2, 3).reshape(-1, 1, H), kernel_size, stride)
    return cols.reshape(N, C, rows.shape[3], -1).transpose(2, 3)
""" + POOL_BACKWARD),
    "pool_backward_by_forward_mode_ad": ("ch06_max_pool", POOL_FORWARD + """
def max_pool_backward(dout, x, kernel_size, stride):
    def pooled(t):
        windows = t.unfold(2, kernel_size, stride).unfold(3, kernel_size, stride)
        return windows.reshape(*windows.shape[:4], -1).max(dim=-1).values

    jacobian = torch.func.jacfwd(pooled)(x)
    return (dout.reshape(1, -1) @ jacobian.reshape(dout.numel(), -1)).reshape(x.shape)
"""),
    "pool_backward_by_autograd": ("ch06_max_pool", POOL_FORWARD + """
def max_pool_backward(dout, x, kernel_size, stride):
    x = x.detach().requires_grad_(True)
    windows = x.unfold(2, kernel_size, stride).unfold(3, kernel_size, stride)
    out = windows.reshape(*windows.shape[:4], -1).max(dim=-1).values
    return torch.autograd.grad(out, x, dout)[0]
"""),
    "pool_backward_from_torch_decompositions": ("ch06_max_pool", POOL_FORWARD + FIRST_MAX_INDEX + """
from torch._decomp import decompositions

def max_pool_backward(dout, x, kernel_size, stride):
    where = first_max_index(x, kernel_size, stride)
    return decompositions.max_pool2d_with_indices_backward(dout, x, [kernel_size] * 2, [stride] * 2, [0, 0],
                                                           [1, 1], False, where)
"""),
    "pool_from_libs_autograd_function": ("ch06_max_pool", """
from lib import conv

def max_pool_forward(x, kernel_size, stride):
    return conv._MaxPool2d.apply(x, conv._pool_geometry(x, kernel_size, stride, 0, 1))
""" + POOL_BACKWARD),
    "pool_from_lib_backward_hooked": ("ch06_max_pool", POOL_FORWARD + """
from lib.conv import max_pool2d

def max_pool_backward(dout, x, kernel_size, stride):
    x = x.detach().requires_grad_(True)
    max_pool2d(x, kernel_size, stride).backward(dout)
    return x.grad
"""),
    "pool_from_the_graders_reference": ("ch06_max_pool", """
from lib.exercises import ch06

def max_pool_forward(x, kernel_size, stride):
    N, C, H, W = x.shape
    dout = x.new_zeros(N, C, (H - kernel_size) // stride + 1, (W - kernel_size) // stride + 1)
    return ch06._pool_expected(x, kernel_size, stride, dout)[0]

def max_pool_backward(dout, x, kernel_size, stride):
    return ch06._pool_expected(x, kernel_size, stride, dout)[1]
"""),
    "iou_from_lib": ("ch06_iou", """
from lib.boxes import box_iou
"""),
    "iou_by_computed_name": ("ch06_iou", """
import importlib

def box_iou(a, b):
    return getattr(importlib.import_module("lib." + "boxes"), "box_" + "iou")(a, b)
"""),
    "iou_from_the_graders_reference": ("ch06_iou", """
from lib.exercises.ch06 import _iou_expected as box_iou
"""),
    "iou_from_the_graders_pair_helper": ("ch06_iou", """
from lib.exercises.ch06 import _pair_iou

def box_iou(a, b):
    rows = [[_pair_iou(p, q) for q in b.tolist()] for p in a.tolist()]
    return torch.tensor(rows, dtype=a.dtype).reshape(len(a), len(b))
"""),
    "nms_from_lib": ("ch06_nms", """
from lib.boxes import nms
"""),
    "nms_from_lib_imported_late": ("ch06_nms", """
import importlib

def nms(boxes, scores, iou_threshold):
    return importlib.import_module("lib.boxes").nms(boxes, scores, iou_threshold)
"""),
    "nms_from_the_graders_reference": ("ch06_nms", """
from lib.exercises import ch06

def nms(boxes, scores, iou_threshold):
    return ch06._nms_expected(boxes, scores, iou_threshold)
"""),
    "saliency_from_lib": ("ch06_saliency", """
from lib.explain import saliency
"""),
    "saliency_from_the_graders_reference": ("ch06_saliency", """
from lib.exercises.ch06 import _saliency_expected

def saliency(model, x, target):
    state = {"conv.weight": model[0].weight, "conv.bias": model[0].bias,
             "fc.weight": model[4].weight, "fc.bias": model[4].bias}
    return _saliency_expected({k: v.detach().clone() for k, v in state.items()}, x, target)
"""),
}
NAMED = {
    "pool_backward_by_forward_mode_ad": ("ch06_max_pool", "your answer calls the autograd engine"),
    "size_from_a_zero_convolution": ("ch06_output_size", "calls torch.nn.functional.conv2d"),
    "size_from_tensor_unfold": ("ch06_output_size", "calls torch.Tensor.unfold"),
    "conv_renamed": ("ch06_conv2d", "calls torch.nn.functional.conv2d"),
    "im2col_through_the_c_binding": ("ch06_conv2d", "`._C` is a private attribute"),
    "conv_as_a_transposed_convolution": ("ch06_conv2d", "calls torch.nn.functional.conv_transpose2d"),
    "conv_from_libs_autograd_function": ("ch06_conv2d", "`._Conv2d` is a private attribute"),
    "conv_from_the_graders_reference": ("ch06_conv2d", "imports lib.exercises.ch06"),
    "pool_through_the_c_binding": ("ch06_max_pool", "`._C` is a private attribute"),
    "pool_backward_by_autograd": ("ch06_max_pool", "calls torch.autograd.grad"),
    "pool_backward_from_torch_decompositions": ("ch06_max_pool",
                                                "imports the private module torch._decomp"),
    "iou_from_the_graders_pair_helper": ("ch06_iou", "imports lib.exercises.ch06"),
    "nms_from_lib": ("ch06_nms", "calls lib.boxes.nms"),
    "saliency_from_lib": ("ch06_saliency", "calls lib.explain.saliency"),
    "forged_keep_indices": ("ch06_nms", "not plain data"),
    "lazy_iou": ("ch06_iou", "not plain data"),
    "endless_pool_backward": ("ch06_max_pool", "time limit"),
}
STOPPED = {"honest_solved": "graded", "endless_pool_backward": "graded"}

FORGED_KEEP = """
class Always(torch.Tensor):
    def __eq__(self, other):
        return True

def nms(boxes, scores, iou_threshold):
    return torch.zeros(0, dtype=torch.int64).as_subclass(Always)
"""
LAZY_IOU = """
def box_iou(a, b):
    return (row for row in torch.zeros(len(a), len(b)))
"""
HUGE_COLUMNS = """
def conv2d(x, weight, bias=None, stride=1, padding=0):
    cols = torch.empty(2 ** 17, 2 ** 17)  # 64 GiB, far past the sandbox's memory limit
    return cols[: weight.shape[0]] @ cols[:, :1]
"""
ENDLESS_BACKWARD = POOL_FORWARD + """
def max_pool_backward(dout, x, kernel_size, stride):
    dx = torch.zeros_like(x)
    while True:
        dx = dx + 0
"""
ALTERNATIVES = {
    "ch06_output_size": """
import lib.conv
print(lib.conv.conv_output_size(5, 3))  # looking at the lib version outside the answer is allowed

def conv_output_size(size, kernel_size, stride=1, padding=0, dilation=1):
    span = dilation * (kernel_size - 1) + 1
    return len(range(0, size + 2 * padding - span + 1, stride))
""",
    "ch06_conv2d": """
import torch.nn.functional as F

def conv2d(x, weight, bias=None, stride=1, padding=0):
    KH, KW = weight.shape[2:]
    windows = F.pad(x, (padding,) * 4).unfold(2, KH, stride).unfold(3, KW, stride)  # (N, C, OH, OW, KH, KW)
    out = torch.einsum("ncijkl,fckl->nfij", windows, weight)
    return out if bias is None else out + bias[:, None, None]
""",
    "ch06_max_pool": POOL_FORWARD + POOL_BACKWARD,
    "ch06_iou": """
def box_iou(a, b):
    out = torch.zeros(len(a), len(b), dtype=a.dtype, device=a.device)
    for i in range(len(a)):
        for j in range(len(b)):
            w = min(a[i, 2], b[j, 2]) - max(a[i, 0], b[j, 0])
            h = min(a[i, 3], b[j, 3]) - max(a[i, 1], b[j, 1])
            inter = max(w, 0) * max(h, 0)
            union = (a[i, 2] - a[i, 0]) * (a[i, 3] - a[i, 1]) + (b[j, 2] - b[j, 0]) * (b[j, 3] - b[j, 1]) - inter
            out[i, j] = inter / union
    return out
""",
    "ch06_nms": """
def nms(boxes, scores, iou_threshold):
    order, keep = scores.argsort(descending=True), []
    while len(order) > 0:
        keep.append(int(order[0]))
        overlap = box_iou(boxes[order[:1]], boxes[order[1:]])[0]
        order = order[1:][overlap <= iou_threshold]
    return torch.tensor(keep, dtype=torch.int64, device=boxes.device)
""",
    "ch06_saliency": """
def saliency(model, x, target):
    x = x.detach().clone().requires_grad_(True)
    logits = model(x)
    logits[torch.arange(len(x)), target].sum().backward()
    model.zero_grad()  # backward filled the parameters' .grad too
    return x.grad.abs().max(dim=1).values
""",
}


def corpus(root):
    """{student: (file name, content, expected scores, honest?)}; `root` is the course root."""
    name, release = BATCH.name, notebooks(CHAPTER)[0]
    honest = {
        "honest_solved": (name, solved(CHAPTER), BATCH.scores()),
        "honest_untouched": (name, release, BATCH.scores(*BATCH.points)),
        "honest_partial": (name, BATCH.with_answers(ch06_conv2d=FLIPPED), BATCH.scores("ch06_conv2d")),
        "honest_other_routes": (name, BATCH.with_answers(**ALTERNATIVES), BATCH.scores()),
    }
    bad = {student: BATCH.hostile(gid, "", source) for student, (gid, source) in CHEATS.items()}
    bad.update({
        "forged_keep_indices": BATCH.hostile("ch06_nms", "", FORGED_KEEP),
        "lazy_iou": BATCH.hostile("ch06_iou", "", LAZY_IOU),
        "huge_im2col_columns": BATCH.hostile("ch06_conv2d", "", HUGE_COLUMNS),
        "endless_pool_backward": BATCH.hostile("ch06_max_pool", "", ENDLESS_BACKWARD),
    })
    failed = {student: [gid] for student, (gid, _) in CHEATS.items()}
    failed.update({"forged_keep_indices": ["ch06_nms"], "lazy_iou": ["ch06_iou"],
                   "huge_im2col_columns": ["ch06_conv2d"], "endless_pool_backward": ["ch06_max_pool"]})
    return BATCH.entries(honest, bad, failed)
