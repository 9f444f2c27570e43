"""Generated detection data: small grayscale images of squares, discs and triangles with their
bounding boxes, and labelled windows cut from them for training a window classifier.

Everything comes from a seed (a CPU torch.Generator), nothing is read from files. Labels follow
torchvision's detection convention: 0 is the background, kinds[k] has label k + 1.
"""
import torch

from lib import validate
from lib.boxes import box_iou, check_boxes, window_boxes

KINDS = ("square", "disc", "triangle")
GAP = 1  # the fewest empty pixels between the squares two objects are drawn in
TRIES = 100  # positions drawn for an object before it is left out


def _mask(kind, side):
    """(side, side) bool: the pixels whose centres lie inside the shape drawn in a side x side square.

    square: every pixel; disc: the inscribed disc; triangle: apex at the top centre, base on the
    bottom row. A triangle's top rows may be empty, which is why boxes come from the pixels.
    """
    centres = torch.arange(side, dtype=torch.float64) + 0.5
    y, x, half = centres[:, None], centres[None, :], side / 2  # (side, 1), (1, side)
    if kind == "square":
        return torch.ones(side, side, dtype=torch.bool)
    if kind == "disc":
        return (y - half) ** 2 + (x - half) ** 2 <= half ** 2  # (side, side)
    return (x - half).abs() <= y / 2  # (side, side)


def _place(side, size, taken, g):
    """Top-left (row, col) of a side x side square GAP pixels away from every box in taken (each
    (x1, y1, x2, y2)), drawn uniformly; None if TRIES draws all land too close."""
    for _ in range(TRIES):
        row, col = torch.randint(0, size - side + 1, (2,), generator=g).tolist()
        if all(col - GAP >= x2 or x1 >= col + side + GAP or row - GAP >= y2 or y1 >= row + side + GAP
               for x1, y1, x2, y2 in taken):
            return row, col
    return None


def _draw(image, kinds, max_objects, sides, g):
    """Draw 1..max_objects objects into image (size, size) in place; return their tight boxes
    (K, 4) and labels (K,)."""
    boxes, labels, taken = [], [], []
    for _ in range(int(torch.randint(1, max_objects + 1, (), generator=g))):
        kind = int(torch.randint(len(kinds), (), generator=g))
        side = int(torch.randint(sides[0], sides[1] + 1, (), generator=g))
        brightness = 0.6 + 0.4 * float(torch.rand((), generator=g, dtype=torch.float64))
        spot = _place(side, image.shape[0], taken, g)
        if spot is None:
            continue
        (row, col), mask = spot, _mask(kinds[kind], side)
        image[row:row + side, col:col + side][mask] = brightness
        ys, xs = mask.any(dim=1).nonzero()[:, 0], mask.any(dim=0).nonzero()[:, 0]  # drawn rows, columns
        boxes.append([col + int(xs[0]), row + int(ys[0]), col + int(xs[-1]) + 1, row + int(ys[-1]) + 1])
        labels.append(kind + 1)
        taken.append((col, row, col + side, row + side))
    return torch.tensor(boxes, dtype=torch.float64).view(-1, 4), torch.tensor(labels, dtype=torch.long)


def _check_kinds(kinds):
    if not (isinstance(kinds, (tuple, list)) and kinds and set(kinds) <= set(KINDS) and len(set(kinds)) == len(kinds)):
        raise ValueError(f"kinds must be a non-empty sequence of distinct names from {KINDS}, got {kinds!r}")


def shape_images(n, size=32, max_objects=3, kinds=KINDS, min_side=9, max_side=12, noise=0.05, seed=0,
                 dtype=torch.float32, device=None):
    """n images (N, 1, size, size) in [0, 1] with 1..max_objects shapes each, and their boxes.

    Each image gets a uniform number of objects in 1..max_objects; each object a uniform kind,
    side (min_side..max_side pixels), brightness (0.6..1) and position. Objects never overlap:
    the side x side squares they are drawn in stay GAP = 1 empty pixel apart, so the boxes are
    disjoint; an object that finds no such place in TRIES = 100 draws is left out. Then
    noise * N(0, 1) is added to every pixel and the result clipped to [0, 1].
    Returns images (N, 1, size, size), boxes: a list of N tensors (K_i, 4), each object's tight
    box (x1, y1, x2, y2) around its drawn pixels (lib.boxes' convention), and labels: a list of N
    int64 tensors (K_i,) with kinds[k] labelled k + 1. The same for the same seed.
    """
    for value, name in ((n, "n"), (size, "size"), (max_objects, "max_objects"), (min_side, "min_side")):
        validate.positive_int(value, name)
    _check_kinds(kinds)
    if isinstance(max_side, bool) or not isinstance(max_side, int) or not min_side <= max_side <= size:
        raise ValueError(f"max_side must be an int in [min_side, size] = [{min_side}, {size}], got {max_side!r}")
    if not noise >= 0:
        raise ValueError(f"noise must be >= 0, got {noise!r}")
    if not dtype.is_floating_point:
        raise TypeError(f"dtype must be a floating-point dtype, got {dtype}")
    g = torch.Generator().manual_seed(seed)
    images = torch.zeros(n, 1, size, size, dtype=torch.float64)
    drawn = [_draw(images[i, 0], kinds, max_objects, (min_side, max_side), g) for i in range(n)]
    images = (images + noise * torch.randn(images.shape, generator=g, dtype=torch.float64)).clamp(0.0, 1.0)
    boxes = [b.to(device=device, dtype=dtype) for b, _ in drawn]
    return images.to(device=device, dtype=dtype), boxes, [y.to(device) for _, y in drawn]


def shape_windows(images, boxes, labels, window=12, per_object=4, backgrounds=4, positive_iou=0.5,
                  negative_iou=0.5, seed=0):
    """Labelled window x window crops for training a window classifier (R-CNN's sampling rule).

    images: (N, C, H, W); boxes, labels: lists of N tensors (K_i, 4) and (K_i,), as shape_images
    returns them. Of all window positions (stride 1), a window whose largest IoU with the image's
    objects is >= positive_iou is a positive for that object, one whose largest IoU is
    < negative_iou is background; those in between are not used. The defaults (0.5, 0.5) leave no
    window out, as R-CNN fine-tunes its CNN: a window a little off an object is background, so
    the classifier learns to fire only on well-placed windows. Per image, up to per_object
    positives per object and up to backgrounds background windows are drawn without replacement
    (fewer where fewer exist). Returns windows (M, C, window, window) and labels (M,) int64: the
    object's label for a positive, 0 for background.
    """
    _check_windows_args(images, boxes, labels, window, positive_iou, negative_iou)
    validate.positive_int(per_object, "per_object")
    validate.positive_int(backgrounds, "backgrounds")
    g = torch.Generator().manual_seed(seed)
    H, W = images.shape[-2:]
    places = window_boxes(H, W, window, dtype=images.dtype, device=images.device)  # (L, 4)
    crops, targets = [], []
    for image, image_boxes, image_labels in zip(images, boxes, labels):
        best, which = _best_overlap(places, image_boxes)  # (L,), (L,)
        pools = [((which == k) & (best >= positive_iou), image_labels[k], per_object) for k in range(len(image_boxes))]
        for pool, label, count in pools + [(best < negative_iou, 0, backgrounds)]:
            chosen = pool.nonzero()[:, 0].cpu()  # (P,) indices into places
            chosen = chosen[torch.randperm(len(chosen), generator=g)[:count]]
            for x1, y1, _, _ in places[chosen].long().tolist():
                crops.append(image[:, y1:y1 + window, x1:x1 + window])  # (C, window, window)
                targets.append(int(label))
    windows = torch.stack(crops) if crops else images.new_zeros(0, images.shape[1], window, window)
    return windows, torch.tensor(targets, dtype=torch.long, device=images.device)  # (M, C, window, window), (M,)


def _best_overlap(places, image_boxes):
    """The largest IoU of each window with the objects (0 without objects) and which object: (L,), (L,)."""
    if len(image_boxes) == 0:
        return places.new_zeros(len(places)), torch.zeros(len(places), dtype=torch.long, device=places.device)
    return box_iou(places, image_boxes).max(dim=1)  # (L,), (L,)


def _check_windows_args(images, boxes, labels, window, positive_iou, negative_iou):
    validate.tensor(images, "images", ndim=4)
    lists = isinstance(boxes, (list, tuple)) and isinstance(labels, (list, tuple))
    if not (lists and len(boxes) == len(labels) == len(images)):
        raise TypeError(f"boxes and labels must be lists of one tensor per image ({len(images)}), "
                        f"got {type(boxes).__name__} and {type(labels).__name__}")
    for i, (b, y) in enumerate(zip(boxes, labels)):
        validate.integers(y, f"labels[{i}]", ndim=1)
        if len(check_boxes(b, f"boxes[{i}]")) != len(y) or b.dtype != images.dtype or b.device != images.device:
            raise ValueError(f"boxes[{i}] must be ({len(y)}, 4) like labels[{i}], of images' dtype and device, "
                             f"got {tuple(b.shape)}, {b.dtype} on {b.device}")
    validate.positive_int(window, "window")
    validate.number(positive_iou, "positive_iou", 0.0, 1.0)
    validate.number(negative_iou, "negative_iou", 0.0, positive_iou)
