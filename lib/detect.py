"""Sliding-window detection: a window classifier scored at every position of an image, then
non-maximum suppression, and its evaluation by matching predicted boxes to true ones.

The classifier is any callable (an nn.Module such as lib.cnn.CNN) mapping windows
(L, C, window, window) to logits (L, K + 1) over the background (class 0) and K object classes,
as lib.data.shapes.shape_windows labels them. Each window position gives a candidate box (the
window itself) scored by its most probable object class; overlapping candidates around one
object are then reduced to one by lib.boxes.nms. Boxes follow lib.boxes: (x1, y1, x2, y2).
Shapes: C channels, H x W image, L window positions, P predicted and T true boxes.
"""
from dataclasses import dataclass

import torch

from lib import validate
from lib.boxes import box_iou, check_boxes, nms, window_boxes
from lib.conv import im2col


def sliding_windows(image, window, stride=1):
    """Every window x window crop of image (C, H, W), stride pixels apart, and where it lies.

    Returns windows (L, C, window, window) and their boxes (L, 4), both in lib.boxes.window_boxes'
    row-major order; L = OH * OW with OH = (H - window) // stride + 1 (a convolution's output size).
    """
    validate.tensor(image, "image", ndim=3)
    C, H, W = image.shape
    boxes = window_boxes(H, W, window, stride, dtype=image.dtype, device=image.device)  # (L, 4)
    cols = im2col(image[None], window, stride)  # (1, C*window*window, L)
    windows = cols[0].T.reshape(-1, C, window, window)  # (L, C, window, window)
    return windows, boxes


def candidates(model, image, window, stride, score_threshold=0.5):
    """The raw detections before NMS: every window whose object score is > score_threshold.

    model: windows (L, C, window, window) -> logits (L, K + 1), class 0 the background; it runs
    without gradients (put a model with dropout or batch norm in eval mode first). A window's
    score is its largest object-class probability (softmax over all K + 1 classes) and its label
    that class (1..K). Returns boxes (P, 4), scores (P,) and labels (P,) int64, in window order.
    """
    if not callable(model):
        raise TypeError(f"model must be callable (windows -> logits), got {type(model).__name__}")
    validate.number(score_threshold, "score_threshold", 0.0, 1.0)
    windows, boxes = sliding_windows(image, window, stride)  # (L, C, window, window), (L, 4)
    with torch.no_grad():
        logits = model(windows)  # (L, K + 1)
    got = tuple(logits.shape) if isinstance(logits, torch.Tensor) else type(logits).__name__
    if not isinstance(got, tuple) or len(got) != 2 or got[0] != len(windows) or got[1] < 2:
        raise ValueError(f"model must return logits ({len(windows)}, K + 1) with K >= 1 object classes, got {got}")
    scores, labels = torch.softmax(logits, dim=1)[:, 1:].max(dim=1)  # (L,), (L,) best object class
    keep = scores > score_threshold  # (L,)
    return boxes[keep], scores[keep].to(boxes.dtype), labels[keep] + 1


def detect(model, image, window, stride, score_threshold=0.5, iou_threshold=0.1):
    """Sliding-window detection: candidates(...), then class-agnostic NMS at iou_threshold.

    image: (C, H, W). Returns boxes (D, 4), scores (D,) and labels (D,) int64 of the kept
    windows, in decreasing score. The low default threshold suits windows of one size: two
    windows on one object 4 pixels apart in x and y (stride 2) have IoU 64/224 = 0.29 when the
    window is 12, and both would survive NMS at 0.3.
    """
    boxes, scores, labels = candidates(model, image, window, stride, score_threshold)
    keep = nms(boxes, scores, iou_threshold)  # (D,)
    return boxes[keep], scores[keep], labels[keep]


@dataclass(frozen=True)
class Matches:
    """One image's matching: assigned (P,) int64, for each prediction (in the order given) the
    index of the true box it matched or -1 (a false positive); n_true: the number of true boxes."""

    assigned: torch.Tensor
    n_true: int


def match(pred_boxes, pred_scores, true_boxes, iou_threshold=0.5, pred_labels=None, true_labels=None):
    """Match predictions to true boxes greedily, as COCO's evaluation does.

    pred_boxes (P, 4), pred_scores (P,); true_boxes (T, 4); with pred_labels (P,) and
    true_labels (T,) a prediction can only match a true box of its own label. Predictions are
    taken in decreasing score (equal scores: lower index first); each takes the still unmatched
    true box with the largest IoU (ties: lower index), if that IoU is >= iou_threshold, else it
    is a false positive. Each true box is matched at most once. Returns a Matches.
    """
    _check_match_args(pred_boxes, pred_scores, true_boxes, iou_threshold, pred_labels, true_labels)
    iou = box_iou(pred_boxes, true_boxes).cpu()  # (P, T)
    if pred_labels is not None:
        other = pred_labels.cpu()[:, None] != true_labels.cpu()[None, :]  # (P, T)
        iou = iou.masked_fill(other, -1.0)  # boxes of another label never match
    assigned = torch.full((len(pred_boxes),), -1, dtype=torch.long)
    taken = torch.zeros(len(true_boxes), dtype=torch.bool)
    for p in torch.sort(pred_scores, descending=True, stable=True).indices.tolist():
        overlaps = iou[p].masked_fill(taken, -1.0)  # (T,) unmatched true boxes only
        if len(overlaps) and overlaps.max() >= iou_threshold:
            assigned[p] = int(overlaps.argmax())
            taken[assigned[p]] = True
    return Matches(assigned.to(pred_boxes.device), len(true_boxes))


def _check_match_args(pred_boxes, pred_scores, true_boxes, iou_threshold, pred_labels, true_labels):
    check_boxes(pred_boxes, "pred_boxes")
    check_boxes(true_boxes, "true_boxes")
    validate.same_dtype(pred_boxes=pred_boxes, true_boxes=true_boxes)
    validate.same_device(pred_boxes=pred_boxes, true_boxes=true_boxes)
    validate.tensor(pred_scores, "pred_scores", ndim=1)
    if (pred_labels is None) != (true_labels is None):
        raise ValueError("pred_labels and true_labels: give both or neither")
    _one_per_box(pred_scores, "pred_scores", pred_boxes)
    if pred_labels is not None:
        for name, values, boxes in (("pred_labels", pred_labels, pred_boxes), ("true_labels", true_labels, true_boxes)):
            _one_per_box(validate.integers(values, name, ndim=1), name, boxes)
    if isinstance(iou_threshold, bool) or not isinstance(iou_threshold, (int, float)) or not 0 < iou_threshold <= 1:
        raise ValueError(f"iou_threshold must be a number in (0, 1], got {iou_threshold!r}")


def _one_per_box(values, name, boxes):
    if len(values) != len(boxes):
        raise ValueError(f"{name} must have one value per box ({len(boxes)}), got shape {tuple(values.shape)}")


def precision_recall(matches):
    """Precision and recall over a list of Matches (one per image), from the summed counts:
    precision = matched predictions / predictions, recall = matched true boxes / true boxes,
    each 0.0 when its denominator is 0 (scikit-learn's zero_division=0)."""
    if not isinstance(matches, (list, tuple)) or not all(isinstance(m, Matches) for m in matches):
        raise TypeError(f"matches must be a list of Matches (one per image), got {type(matches).__name__}")
    hits = sum(int((m.assigned >= 0).sum()) for m in matches)
    predictions, objects = sum(len(m.assigned) for m in matches), sum(m.n_true for m in matches)
    return hits / predictions if predictions else 0.0, hits / objects if objects else 0.0
