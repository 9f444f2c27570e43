"""lib.boxes: box_iou against a plain-Python double loop (float32 below 1e-5, float64 below
1e-10) and its properties; nms against a plain-Python greedy reference (torchvision's rule) on
random, integer-grid, duplicated and nested boxes at thresholds 0 to 1; window_boxes against
explicit slicing positions."""
import pytest
import torch

from lib.boxes import box_area, box_iou, nms, window_boxes

TOL = {torch.float32: 1e-5, torch.float64: 1e-10}
DTYPES = [torch.float32, torch.float64]
THRESHOLDS = [0.0, 0.3, 0.5, 0.7, 1.0]


def iou_py(p, q):
    """IoU of two boxes given as lists of Python floats."""
    inter = max(0.0, min(p[2], q[2]) - max(p[0], q[0])) * max(0.0, min(p[3], q[3]) - max(p[1], q[1]))
    return inter / ((p[2] - p[0]) * (p[3] - p[1]) + (q[2] - q[0]) * (q[3] - q[1]) - inter)


def nms_py(boxes, scores, threshold):
    """torchvision's NMS as a loop: visit by decreasing score (Python's sort is stable, so equal
    scores keep the lower index first); keep a box unless it overlaps a kept one by > threshold."""
    kept = []
    for i in sorted(range(len(scores)), key=lambda i: -scores[i]):
        if all(iou_py(boxes[i], boxes[k]) <= threshold for k in kept):
            kept.append(i)
    return kept


def random_boxes(gen, n, kind="continuous", dtype=torch.float64, device="cpu"):
    """(n, 4) boxes: continuous corners, or on a small integer grid (many touching, nested,
    identical boxes and IoUs of exactly 0.5)."""
    if kind == "continuous":
        corner = torch.rand(n, 2, generator=gen, dtype=torch.float64) * 20
        size = 0.5 + torch.rand(n, 2, generator=gen, dtype=torch.float64) * 10
    else:
        corner = torch.randint(0, 6, (n, 2), generator=gen).double()
        size = torch.randint(1, 5, (n, 2), generator=gen).double()
    return torch.cat([corner, corner + size], dim=1).to(device=device, dtype=dtype)  # (n, 4)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kind", ["continuous", "grid"])
def test_box_iou_equals_a_double_loop(device, gen, dtype, kind):
    for n, m in [(7, 5), (1, 12), (0, 3), (4, 0)]:
        a, b = random_boxes(gen, n, kind, dtype, device), random_boxes(gen, m, kind, dtype, device)
        got = box_iou(a, b)
        assert got.shape == (n, m) and got.dtype == dtype and got.device.type == device.type
        expected = torch.tensor([[iou_py(p, q) for q in b.tolist()] for p in a.tolist()], dtype=torch.float64)
        torch.testing.assert_close(got.cpu().double(), expected.view(n, m), rtol=0, atol=TOL[dtype])
        areas = [(p[2] - p[0]) * (p[3] - p[1]) for p in a.tolist()]
        torch.testing.assert_close(box_area(a).cpu().double(), torch.tensor(areas, dtype=torch.float64).view(n),
                                   rtol=0, atol=TOL[dtype])


def test_box_iou_properties(gen):
    a = random_boxes(gen, 30)
    iou = box_iou(a, a)
    torch.testing.assert_close(iou, iou.T, rtol=0, atol=0)
    torch.testing.assert_close(iou.diagonal(), torch.ones(30, dtype=torch.float64), rtol=0, atol=1e-15)
    assert iou.min() >= 0 and iou.max() <= 1
    shift, scale = torch.tensor([3.0, -2.0, 3.0, -2.0], dtype=torch.float64), 2.5
    torch.testing.assert_close(box_iou(a * scale + shift, a * scale + shift), iou, rtol=0, atol=1e-12)


def test_box_iou_of_disjoint_touching_and_nested_boxes():
    unit = torch.tensor([[0.0, 0.0, 1.0, 1.0]])
    others = torch.tensor([[2.0, 0.0, 3.0, 1.0],   # disjoint
                           [1.0, 0.0, 2.0, 1.0],   # shares the right edge
                           [1.0, 1.0, 2.0, 2.0],   # shares a corner
                           [-1.0, -1.0, 3.0, 3.0],  # contains the unit box: 1 / 16
                           [0.5, 0.0, 1.5, 1.0]])  # half overlap: 0.5 / 1.5
    torch.testing.assert_close(box_iou(unit, others), torch.tensor([[0.0, 0.0, 0.0, 1 / 16, 1 / 3]]))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kind", ["continuous", "grid"])
def test_nms_equals_the_greedy_loop_on_random_sets(device, dtype, kind):
    gen = torch.Generator().manual_seed(7)
    for trial in range(40):
        n = int(torch.randint(0, 25, (), generator=gen))
        boxes = random_boxes(gen, n, kind, dtype, device)
        scores = torch.rand(n, generator=gen, dtype=torch.float64)
        if trial % 2:
            scores = (scores * 4).floor()  # many equal scores
        scores = scores.to(device=device, dtype=dtype)
        for threshold in THRESHOLDS:
            kept = nms(boxes, scores, threshold)
            assert kept.dtype == torch.long and kept.device.type == device.type
            assert kept.tolist() == nms_py(boxes.tolist(), scores.tolist(), threshold), (trial, threshold)


def test_nms_with_duplicates_nested_boxes_and_the_threshold_ends(device):
    boxes = torch.tensor([[0.0, 0.0, 4.0, 4.0], [0.0, 0.0, 4.0, 4.0], [0.0, 0.0, 2.0, 4.0],
                          [1.0, 1.0, 3.0, 3.0], [4.0, 0.0, 6.0, 2.0], [10.0, 10.0, 11.0, 11.0]], device=device)
    scores = torch.tensor([0.5, 0.9, 0.5, 0.7, 0.2, 0.1], device=device)
    # box 1 (0.9) first; its duplicate 0 (IoU 1) and the half box 2 (IoU exactly 0.5) follow;
    # the nested box 3 has IoU 0.25 with box 1; box 4 touches box 1; box 5 is far away
    assert nms(boxes, scores, 0.5).tolist() == [1, 3, 2, 4, 5]
    assert nms(boxes, scores, 0.49).tolist() == [1, 3, 4, 5]
    assert nms(boxes, scores, 0.0).tolist() == [1, 4, 5]
    assert nms(boxes, scores, 1.0).tolist() == [1, 3, 0, 2, 4, 5]
    empty = nms(torch.zeros(0, 4, device=device), torch.zeros(0, device=device), 0.5)
    assert empty.shape == (0,) and empty.dtype == torch.long


def test_nms_breaks_ties_by_the_lower_index():
    boxes = torch.tensor([[0.0, 0.0, 2.0, 2.0]]).repeat(4, 1)
    assert nms(boxes, torch.tensor([0.3, 0.8, 0.8, 0.8]), 0.5).tolist() == [1]
    assert nms(boxes, torch.ones(4), 1.0).tolist() == [0, 1, 2, 3]


def test_window_boxes_are_the_slicing_positions(device):
    for height, width, window, stride in [(9, 7, 3, 2), (8, 8, 8, 1), (10, 13, 4, 3)]:
        boxes = window_boxes(height, width, window, stride, dtype=torch.float64, device=device)
        expected = [[x, y, x + window, y + window] for y in range(0, height - window + 1, stride)
                    for x in range(0, width - window + 1, stride)]
        assert boxes.device.type == device.type and boxes.tolist() == expected
        assert len(expected) == ((height - window) // stride + 1) * ((width - window) // stride + 1)


@pytest.mark.parametrize("call, message", [
    (lambda: box_area(torch.zeros(3, 5)), r"boxes must have shape \(N, 4\)"),
    (lambda: box_area(torch.tensor([[0.0, 0.0, 1.0, 1.0], [2.0, 0.0, 1.0, 1.0]])), r"x2 > x1 .* row 1"),
    (lambda: box_area(torch.tensor([[0.0, 0.0, 1.0, 0.0]])), r"y2 > y1 .* row 0"),
    (lambda: box_iou(torch.tensor([[0.0, 0.0, float("nan"), 1.0]]), torch.zeros(0, 4)), "a must hold finite"),
    (lambda: box_iou(torch.zeros(0, 4), torch.zeros(0, 4, dtype=torch.float64)), "same dtype"),
    (lambda: box_iou(torch.zeros(0, 4), torch.zeros(0, 4, dtype=torch.long)), "b must have a floating"),
    (lambda: nms(torch.zeros(0, 4), torch.zeros(1), 0.5), r"scores must hold one finite score per box \(0\)"),
    (lambda: nms(torch.tensor([[0.0, 0.0, 1.0, 1.0]]), torch.tensor([float("inf")]), 0.5), "scores must hold"),
    (lambda: nms(torch.zeros(0, 4), torch.zeros(0), 1.5), "iou_threshold must be a number in"),
    (lambda: window_boxes(4, 6, 5), r"window \(5\) must fit"),
    (lambda: window_boxes(8, 8, 3, stride=0), "stride must be a positive int"),
])
def test_bad_boxes_and_arguments_get_clear_errors(call, message):
    with pytest.raises((TypeError, ValueError), match=message):
        call()
