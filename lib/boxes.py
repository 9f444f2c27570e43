"""Bounding boxes: area, intersection over union (IoU), non-maximum suppression (NMS), and the
boxes of every position of a sliding window.

A box is (x1, y1, x2, y2) in continuous pixel coordinates with x2 > x1 and y2 > y1: pixel
column c covers [c, c + 1), so a box around columns 3..5 has x1 = 3, x2 = 6 and width 3, and
area = (x2 - x1) * (y2 - y1). This is torchvision's convention (torchvision.ops.box_area,
box_iou, nms); torchvision itself cannot be loaded here, so tests/lib/test_boxes.py checks these
against plain-Python double loops. N, M: numbers of boxes; L: number of window positions.
"""
import torch

from lib import validate


def check_boxes(boxes, name):
    """Return boxes if it is an (N, 4) floating tensor of finite boxes with x2 > x1 and y2 > y1,
    else raise an error naming the argument `name`."""
    validate.tensor(boxes, name, ndim=2)
    if boxes.shape[1] != 4:
        raise ValueError(f"{name} must have shape (N, 4) with rows (x1, y1, x2, y2), got {tuple(boxes.shape)}")
    if not torch.isfinite(boxes).all():
        raise ValueError(f"{name} must hold finite coordinates, got inf or nan")
    bad = (boxes[:, 2] <= boxes[:, 0]) | (boxes[:, 3] <= boxes[:, 1])  # (N,)
    if bad.any():
        i = int(bad.nonzero()[0])
        raise ValueError(f"{name} must have x2 > x1 and y2 > y1 in each row (x1, y1, x2, y2), "
                         f"got row {i} = {boxes[i].tolist()}")
    return boxes


def box_area(boxes):
    """boxes: (N, 4) -> (N,) areas (x2 - x1) * (y2 - y1)."""
    return _area(check_boxes(boxes, "boxes"))


def _area(boxes):
    return (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])  # (N,)


def box_iou(a, b):
    """Intersection over union of every pair: a (N, 4), b (M, 4) -> (N, M), entries in [0, 1].

    The intersection of boxes a_i and b_j is the box from the larger top-left corner to the
    smaller bottom-right one, with width and height clamped at 0 when they do not overlap
    (touching boxes share an edge of area 0). IoU = intersection / (area_i + area_j - intersection).
    """
    check_boxes(a, "a")
    check_boxes(b, "b")
    validate.same_device(a=a, b=b)
    validate.same_dtype(a=a, b=b)
    top_left = torch.maximum(a[:, None, :2], b[None, :, :2])  # (N, M, 2)
    bottom_right = torch.minimum(a[:, None, 2:], b[None, :, 2:])  # (N, M, 2)
    size = (bottom_right - top_left).clamp(min=0)  # (N, M, 2) intersection width, height
    inter = size[..., 0] * size[..., 1]  # (N, M)
    return inter / (_area(a)[:, None] + _area(b)[None, :] - inter)  # (N, M)


def nms(boxes, scores, iou_threshold):
    """Non-maximum suppression, as torchvision.ops.nms: the indices of the boxes kept.

    boxes: (N, 4); scores: (N,) finite; iou_threshold in [0, 1]. Visit the boxes in decreasing
    score; keep a box unless its IoU with a box already kept is > iou_threshold. Returns (K,)
    int64 indices into boxes, in decreasing score. Threshold 1 keeps every box; threshold 0
    keeps only boxes that overlap no kept box. Equal scores: the lower index is visited first (a
    stable sort; torchvision's unstable sort leaves that order unspecified).
    """
    check_boxes(boxes, "boxes")
    validate.tensor(scores, "scores", ndim=1)
    if scores.shape[0] != boxes.shape[0] or not torch.isfinite(scores).all():
        raise ValueError(f"scores must hold one finite score per box ({boxes.shape[0]}), "
                         f"got shape {tuple(scores.shape)}")
    validate.same_device(boxes=boxes, scores=scores)
    validate.number(iou_threshold, "iou_threshold", 0.0, 1.0)
    order = torch.sort(scores, descending=True, stable=True).indices  # (N,)
    overlaps = (box_iou(boxes[order], boxes[order]) > iou_threshold).cpu()  # (N, N), in visiting order
    keep = torch.ones(len(order), dtype=torch.bool)
    for i in range(len(order)):
        if keep[i]:
            keep[i + 1:] &= ~overlaps[i, i + 1:]  # box i is kept: drop the later boxes it overlaps
    return order[keep.to(order.device)]


def window_boxes(height, width, window, stride=1, dtype=torch.float32, device=None):
    """Boxes of every position of a window x window square sliding over a height x width image.

    Position (i, j) covers rows i*stride .. i*stride + window - 1 and the same columns from
    j*stride, for OH = (height - window) // stride + 1 rows of positions and OW likewise (the
    output size of a convolution without padding). Returns (L, 4), L = OH*OW, in row-major order
    (the order of im2col's columns).
    """
    for value, name in ((height, "height"), (width, "width"), (window, "window"), (stride, "stride")):
        validate.positive_int(value, name)
    if window > min(height, width):
        raise ValueError(f"window ({window}) must fit in the image ({height} x {width})")
    ys = torch.arange(0, height - window + 1, stride, device=device)  # (OH,)
    xs = torch.arange(0, width - window + 1, stride, device=device)  # (OW,)
    y1, x1 = (t.flatten() for t in torch.meshgrid(ys, xs, indexing="ij"))  # (L,) each
    return torch.stack([x1, y1, x1 + window, y1 + window], dim=1).to(dtype)  # (L, 4)
