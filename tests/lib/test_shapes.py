"""lib.data.shapes: each box is the tight box of its object's pixels (recomputed from the image
drawn without noise), objects keep their gap, each kind fills its box as its geometry says, the
seed fixes everything; shape_windows' crops lie where their labels say (found again by searching
every window position of every image)."""
import pytest
import torch

from lib import data
from lib.boxes import box_iou, window_boxes


def test_images_boxes_and_labels_have_the_documented_form(device):
    images, boxes, labels = data.shape_images(30, size=32, max_objects=3, seed=3, device=device)
    assert images.shape == (30, 1, 32, 32) and images.dtype == torch.float32 and images.device.type == device.type
    assert 0 <= images.min() and images.max() <= 1
    assert len(boxes) == len(labels) == 30
    for b, y in zip(boxes, labels):
        assert b.shape == (len(y), 4) and b.dtype == torch.float32 and y.dtype == torch.long
        assert 1 <= len(y) <= 3 and set(y.tolist()) <= {1, 2, 3}
        assert b.device.type == device.type and y.device.type == device.type
    assert set(torch.cat(labels).tolist()) == {1, 2, 3}  # every kind is drawn
    again = data.shape_images(30, size=32, max_objects=3, seed=3, device=device)
    assert torch.equal(images, again[0]) and all(torch.equal(p, q) for p, q in zip(boxes, again[1]))
    assert not torch.equal(images, data.shape_images(30, seed=4, device=device)[0])


def tight_box(mask):
    """[x1, y1, x2, y2] of the True pixels of a 2-D mask, in lib.boxes' convention."""
    ys, xs = mask.nonzero(as_tuple=True)
    return [int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1]


@pytest.mark.parametrize("seed", range(3))
def test_each_box_is_the_tight_box_of_its_pixels_and_objects_keep_apart(seed):
    images, boxes, _ = data.shape_images(40, size=24, max_objects=4, min_side=3, max_side=10, noise=0.0, seed=seed)
    for image, image_boxes in zip(images[:, 0], boxes):
        covered = torch.zeros_like(image, dtype=torch.bool)
        for x1, y1, x2, y2 in image_boxes.long().tolist():
            around = (slice(max(y1 - 1, 0), y2 + 1), slice(max(x1 - 1, 0), x2 + 1))  # the box and its gap
            alone = torch.zeros_like(covered)
            alone[around] = image[around] > 0  # the object drawn alone: nothing else lies in its gap
            assert tight_box(alone) == [x1, y1, x2, y2]
            assert len(image[alone].unique()) == 1 and 0.6 <= image[alone][0] <= 1.0  # one brightness
            covered |= alone
        assert (image[~covered] == 0).all()  # every drawn pixel belongs to a box
        separated = [a[2] < b[0] or b[2] < a[0] or a[3] < b[1] or b[3] < a[1]
                     for i, a in enumerate(image_boxes.tolist()) for b in image_boxes.tolist()[i + 1:]]
        assert all(separated)  # at least one empty row or column between two boxes


FILL = {"square": (1.0, 1.0), "disc": (0.7, 0.86), "triangle": (0.45, 0.62)}  # share of the box drawn


@pytest.mark.parametrize("kinds", [("square",), ("disc",), ("triangle",), ("triangle", "disc", "square")])
def test_each_object_fills_its_box_as_its_labelled_kind_does(kinds):
    """A square fills its box, a disc about pi / 4 of it, a triangle about half; kinds[k] is label k + 1."""
    images, boxes, labels = data.shape_images(20, kinds=kinds, noise=0.0, seed=1)
    for image, image_boxes, image_labels in zip(images[:, 0], boxes, labels):
        for (x1, y1, x2, y2), label in zip(image_boxes.long().tolist(), image_labels.tolist()):
            low, high = FILL[kinds[label - 1]]
            assert low <= (image[y1:y2, x1:x2] > 0).double().mean() <= high, (kinds, label)


def test_objects_without_room_are_left_out_and_noise_leaves_the_layout():
    _, boxes, _ = data.shape_images(10, size=12, max_objects=3, min_side=12, max_side=12, seed=0)
    assert [len(b) for b in boxes] == [1] * 10  # one 12 x 12 object fills a 12 x 12 image
    clean, clean_boxes, _ = data.shape_images(50, noise=0.0, seed=5)
    noisy, noisy_boxes, _ = data.shape_images(50, noise=0.05, seed=5)
    assert all(torch.equal(p, q) for p, q in zip(clean_boxes, noisy_boxes))
    inside = (clean > 0) & (clean < 0.9)  # object pixels the clipping leaves alone most of the time
    assert 0.04 < (noisy - clean)[inside].std() < 0.06


def find(window, images, size):
    """(image index, top-left x, top-left y) of every position where window occurs in images."""
    _, C, H, W = images.shape
    crops = images.unfold(2, size, 1).unfold(3, size, 1)  # (N, C, OH, OW, size, size)
    hits = (crops == window[:, None, None]).flatten(-2).all(-1).all(1).nonzero()  # (hits, 3): n, y, x
    return [(n, x, y) for n, y, x in hits.tolist()]


@pytest.mark.parametrize("positive_iou, negative_iou", [(0.5, 0.5), (0.55, 0.3)])
def test_windows_are_crops_labelled_by_their_overlap(device, positive_iou, negative_iou):
    images, boxes, labels = data.shape_images(6, seed=7, device=device)
    windows, targets = data.shape_windows(images, boxes, labels, window=12, per_object=3, backgrounds=5,
                                          positive_iou=positive_iou, negative_iou=negative_iou, seed=1)
    assert windows.shape == (len(targets), 1, 12, 12) and targets.device.type == device.type
    taken = torch.zeros(len(images), 4, dtype=torch.long)  # windows per (image, object); column 3: background
    for window, target in zip(windows, targets.tolist()):
        (n, x, y), = find(window, images, 12)  # noise makes every crop unique
        place = torch.tensor([[x, y, x + 12, y + 12]], dtype=images.dtype, device=device)
        iou = box_iou(place, boxes[n])[0]  # (K,)
        if target == 0:
            assert iou.max() < negative_iou
            taken[n, 3] += 1
        else:
            assert iou.max() >= positive_iou and labels[n][iou.argmax()] == target
            taken[n, int(iou.argmax())] += 1
    places = window_boxes(32, 32, 12, device=device)
    for n in range(len(images)):
        iou = box_iou(places, boxes[n])  # (L, K) every position against every object
        available = [int((iou[:, k] >= positive_iou).sum()) for k in range(len(boxes[n]))]
        expected = [min(3, a) for a in available] + [0] * (3 - len(available)) + [5]
        assert taken[n].tolist() == expected
    again = data.shape_windows(images, boxes, labels, window=12, per_object=3, backgrounds=5,
                               positive_iou=positive_iou, negative_iou=negative_iou, seed=1)
    assert torch.equal(windows, again[0]) and torch.equal(targets, again[1])
    assert not torch.equal(windows, data.shape_windows(images, boxes, labels, window=12, seed=2)[0])


def test_an_image_without_objects_gives_only_background():
    images, boxes, labels = data.shape_images(2, seed=0)
    boxes[1], labels[1] = boxes[1][:0], labels[1][:0]
    windows, targets = data.shape_windows(images[1:], boxes[1:], labels[1:], window=12, backgrounds=3, seed=0)
    assert windows.shape == (3, 1, 12, 12) and targets.tolist() == [0, 0, 0]


@pytest.mark.parametrize("call, message", [
    (lambda: data.shape_images(0), "n must be a positive int"),
    (lambda: data.shape_images(2, kinds=("square", "square")), "kinds must be a non-empty sequence of distinct"),
    (lambda: data.shape_images(2, min_side=5, max_side=4), r"max_side must be an int in \[min_side, size\]"),
    (lambda: data.shape_images(2, dtype=torch.long), "dtype must be a floating-point"),
    (lambda: data.shape_windows(torch.zeros(1, 1, 16, 16), [torch.zeros(1, 4)], [torch.ones(1, dtype=torch.long)]),
     r"boxes\[0\] must have x2 > x1"),
    (lambda: data.shape_windows(torch.zeros(1, 1, 16, 16), [torch.tensor([[0.0, 0.0, 2.0, 2.0]])],
                                [torch.ones(2, dtype=torch.long)]), r"boxes\[0\] must be \(2, 4\) like labels\[0\]"),
    (lambda: data.shape_windows(torch.zeros(1, 1, 16, 16), [torch.zeros(0, 4)], [torch.zeros(0)]), r"labels\[0\] must hold"),
    (lambda: data.shape_windows(torch.zeros(1, 1, 8, 8), [torch.zeros(0, 4)], [torch.zeros(0, dtype=torch.long)]),
     r"window \(12\) must fit"),
    (lambda: data.shape_windows(torch.zeros(1, 1, 16, 16), [torch.zeros(0, 4)], [torch.zeros(0, dtype=torch.long)],
                                per_object=0), "per_object must be a positive int"),
])
def test_bad_arguments_get_clear_errors(call, message):
    with pytest.raises((TypeError, ValueError), match=message):
        call()
