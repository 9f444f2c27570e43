"""lib.detect: sliding windows against slicing, candidates against a loop over windows with the
same model, detect as NMS of the candidates and exact on squares a template model recognises;
match against a plain-Python greedy matching on random sets and hand-built cases;
precision_recall from summed counts."""
import pytest
import torch

from lib import data
from lib.boxes import nms
from lib.detect import Matches, candidates, detect, match, precision_recall, sliding_windows
from tests.lib.test_boxes import DTYPES, iou_py, random_boxes


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("C, H, W, window, stride", [(1, 9, 11, 4, 2), (3, 8, 8, 3, 1), (2, 10, 7, 5, 3)])
def test_sliding_windows_are_the_slices_their_boxes_name(device, gen, dtype, C, H, W, window, stride):
    image = torch.randn(C, H, W, generator=gen, dtype=torch.float64).to(device=device, dtype=dtype)
    windows, boxes = sliding_windows(image, window, stride)
    assert windows.shape == (len(boxes), C, window, window) and boxes.dtype == dtype
    assert windows.device.type == boxes.device.type == device.type
    positions = [(x, y) for y in range(0, H - window + 1, stride) for x in range(0, W - window + 1, stride)]
    assert boxes.tolist() == [[x, y, x + window, y + window] for x, y in positions]
    for crop, (x, y) in zip(windows, positions):
        assert torch.equal(crop, image[:, y:y + window, x:x + window])


def linear_model(gen, C, window, classes, device):
    model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(C * window * window, classes)).double()
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.randn(p.shape, generator=gen, dtype=torch.float64) * 0.3)
    return model.to(device)


@pytest.mark.parametrize("threshold", [0.0, 0.4, 0.8])
def test_candidates_equal_a_loop_over_windows(device, gen, threshold):
    image = torch.randn(2, 12, 14, generator=gen, dtype=torch.float64).to(device)
    model = linear_model(gen, 2, 5, 4, device)
    boxes, scores, labels = candidates(model, image, 5, 2, threshold)
    expected = []
    for y in range(0, 8, 2):
        for x in range(0, 10, 2):
            probs = torch.softmax(model(image[None, :, y:y + 5, x:x + 5])[0], dim=0).tolist()
            best = max(range(1, 4), key=lambda k: (probs[k], -k))  # the first of equal maxima
            if probs[best] > threshold:
                expected.append(([x, y, x + 5, y + 5], probs[best], best))
    assert boxes.tolist() == [b for b, _, _ in expected] and labels.tolist() == [k for _, _, k in expected]
    torch.testing.assert_close(scores.cpu(), torch.tensor([s for _, s, _ in expected], dtype=torch.float64),
                               rtol=0, atol=1e-12)
    assert 0 < len(expected) < 20 or threshold == 0.0  # the thresholds cut somewhere


def test_detect_is_nms_of_the_candidates(device, gen):
    image = torch.randn(1, 16, 16, generator=gen, dtype=torch.float64).to(device)
    model = linear_model(gen, 1, 6, 3, device)
    boxes, scores, labels = candidates(model, image, 6, 1, 0.3)
    keep = nms(boxes, scores, 0.2)
    got = detect(model, image, 6, 1, 0.3, 0.2)
    for g, e in zip(got, (boxes[keep], scores[keep], labels[keep])):
        assert torch.equal(g, e)
    assert 1 < len(keep) < len(boxes)


def fraction_bright(windows):
    """A template model for 12 x 12 squares: the object logit grows with the share of bright
    pixels. At score_threshold 0.5 the candidates are the windows more than 80% bright: those a
    pixel or two off a square, and only the window on the square is all bright. Any candidate
    shares at least 116 / 4 = 29 pixels with some square, so IoU >= 29 / 288 > 0.1 with its window."""
    share = (windows > 0.3).flatten(1).double().mean(dim=1)  # (L,)
    return torch.stack([torch.zeros_like(share), 10 * (share - 0.8)], dim=1).to(windows.dtype)  # (L, 2)


def test_detect_finds_each_square_exactly_once(device):
    images, boxes, labels = data.shape_images(8, kinds=("square",), min_side=12, max_side=12, noise=0.0, seed=4,
                                              device=device)
    matches = []
    for image, true_boxes, true_labels in zip(images, boxes, labels):
        raw = candidates(fraction_bright, image, 12, 1, 0.5)[0]
        found, scores, found_labels = detect(fraction_bright, image, 12, 1, 0.5, 0.1)
        assert len(raw) > 3 * len(true_boxes)  # a cloud of overlapping windows around each square
        assert sorted(found.tolist()) == sorted(true_boxes.tolist()) and set(found_labels.tolist()) == {1}
        matches.append(match(found, scores, true_boxes, 0.5, found_labels, true_labels))
    assert precision_recall(matches) == (1.0, 1.0)


def match_py(pred, scores, true, threshold, pred_labels, true_labels):
    """COCO's greedy matching as a loop: by decreasing score, the best still unmatched true box
    of the same label (first of equal IoUs), if its IoU reaches the threshold."""
    assigned, taken = [-1] * len(pred), set()
    for p in sorted(range(len(pred)), key=lambda p: -scores[p]):
        best, best_iou = -1, -1.0
        for t in range(len(true)):
            if t not in taken and pred_labels[p] == true_labels[t] and iou_py(pred[p], true[t]) > best_iou:
                best, best_iou = t, iou_py(pred[p], true[t])
        if best >= 0 and best_iou >= threshold:
            assigned[p] = best
            taken.add(best)
    return assigned


@pytest.mark.parametrize("with_labels", [False, True])
def test_match_equals_the_greedy_loop_on_random_sets(device, with_labels):
    gen = torch.Generator().manual_seed(11)
    for trial in range(60):
        n_pred, n_true = (int(v) for v in torch.randint(0, 9, (2,), generator=gen))
        pred, true = random_boxes(gen, n_pred, "grid", device=device), random_boxes(gen, n_true, "grid", device=device)
        scores = (torch.rand(n_pred, generator=gen, dtype=torch.float64) * 3).floor().to(device)  # ties
        pred_labels, true_labels = (torch.randint(1, 3, (n,), generator=gen).to(device) for n in (n_pred, n_true))
        for threshold in (0.1, 0.5, 1.0):
            got = (match(pred, scores, true, threshold, pred_labels, true_labels) if with_labels
                   else match(pred, scores, true, threshold))
            lp, lt = (pred_labels.tolist(), true_labels.tolist()) if with_labels else ([0] * n_pred, [0] * n_true)
            assert got.assigned.tolist() == match_py(pred.tolist(), scores.tolist(), true.tolist(), threshold, lp, lt)
            assert got.n_true == n_true and got.assigned.device.type == device.type


def test_match_on_hand_built_cases():
    truth = torch.tensor([[0.0, 0.0, 10.0, 10.0], [20.0, 0.0, 30.0, 10.0]])
    exact, shifted = [0.0, 0.0, 10.0, 10.0], [0.0, 0.0, 10.0, 20.0]  # shifted: IoU 0.5 with the first

    def case(boxes, scores, **kw):
        return match(torch.tensor(boxes), torch.tensor(scores), truth, **kw).assigned.tolist()

    assert case([exact, [20.0, 0.0, 30.0, 10.0]], [0.9, 0.8]) == [0, 1]
    assert case([exact, exact], [0.5, 0.9]) == [-1, 0]  # a duplicate is a false positive: the higher score wins
    assert case([exact, shifted], [0.5, 0.9]) == [-1, 0]  # greedy by score, not by IoU
    assert case([shifted], [1.0]) == [0] and case([shifted], [1.0], iou_threshold=0.51) == [-1]  # IoU >= threshold
    assert case([[40.0, 0.0, 50.0, 10.0]], [1.0]) == [-1]
    labelled = match(torch.tensor([exact]), torch.tensor([1.0]), truth, pred_labels=torch.tensor([2]),
                     true_labels=torch.tensor([1, 2]))
    assert labelled.assigned.tolist() == [-1]  # the only overlapping true box has another label
    assert match(torch.zeros(0, 4), torch.zeros(0), truth).assigned.tolist() == []
    assert match(truth, torch.ones(2), torch.zeros(0, 4)).assigned.tolist() == [-1, -1]


def test_precision_recall_sums_counts_over_images():
    none = torch.tensor([], dtype=torch.long)
    images = [Matches(torch.tensor([0, -1, 1]), 2), Matches(torch.tensor([-1]), 3), Matches(none, 1)]
    assert precision_recall(images) == (2 / 4, 2 / 6)
    assert precision_recall([Matches(none, 0)]) == (0.0, 0.0)
    assert precision_recall([]) == (0.0, 0.0)


@pytest.mark.parametrize("call, message", [
    (lambda: candidates("model", torch.zeros(1, 8, 8), 4, 1), "model must be callable"),
    (lambda: candidates(lambda w: torch.zeros(len(w), 1), torch.zeros(1, 8, 8), 4, 1),
     r"model must return logits \(25, K \+ 1\)"),
    (lambda: candidates(lambda w: w.sum(), torch.zeros(1, 8, 8), 4, 1), "model must return logits"),
    (lambda: candidates(fraction_bright, torch.zeros(1, 8, 8), 4, 1, score_threshold=1.5), "score_threshold"),
    (lambda: detect(fraction_bright, torch.zeros(1, 8, 8), 4, 1, iou_threshold=-0.1), "iou_threshold"),
    (lambda: sliding_windows(torch.zeros(8, 8), 4), "image must be 3-D"),
    (lambda: match(torch.zeros(0, 4), torch.zeros(1), torch.zeros(0, 4)), "pred_scores must have one value per box"),
    (lambda: match(torch.zeros(0, 4), torch.zeros(0), torch.zeros(0, 4), iou_threshold=0),
     r"iou_threshold must be a number in \(0, 1\]"),
    (lambda: match(torch.zeros(0, 4), torch.zeros(0), torch.zeros(0, 4), pred_labels=torch.zeros(0)),
     "give both or neither"),
    (lambda: match(torch.zeros(0, 4), torch.zeros(0), torch.zeros(1, 4) + torch.tensor([0, 0, 1, 1]),
                   pred_labels=torch.zeros(0, dtype=torch.long), true_labels=torch.zeros(2, dtype=torch.long)),
     r"true_labels must have one value per box \(1\)"),
    (lambda: precision_recall(Matches(torch.zeros(0, dtype=torch.long), 0)), "matches must be a list"),
])
def test_bad_arguments_get_clear_errors(call, message):
    with pytest.raises((TypeError, ValueError), match=message):
        call()
