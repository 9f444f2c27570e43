"""lib.metrics against scikit-learn on random labels: empty classes, zero division (0, 1, nan),
every average, the classification report as dict and as text, regression errors."""
import math
import warnings

import numpy as np
import pytest
import torch
from sklearn import metrics as skm

from lib import metrics


def random_cases(gen, count=150):
    """(y_true, y_pred, C) with 2 to 5 classes and 1 to 14 examples: classes often go missing."""
    for _ in range(count):
        c = int(torch.randint(2, 6, (1,), generator=gen))
        n = int(torch.randint(1, 15, (1,), generator=gen))
        yield torch.randint(0, c, (n,), generator=gen), torch.randint(0, c, (n,), generator=gen), c


def sklearn_prf(y_true, y_pred, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return skm.precision_recall_fscore_support(y_true.numpy(), y_pred.numpy(), **kw)[:3]


def assert_same(ours, theirs):
    for got, want in zip(ours, theirs):
        np.testing.assert_allclose(np.asarray(got.cpu()), np.asarray(want, dtype=np.float64), rtol=1e-12, atol=0)


@pytest.mark.slow  # hundreds of scikit-learn calls: seconds
@pytest.mark.parametrize("average", ["micro", "macro", "weighted", None])
@pytest.mark.parametrize("zero_division", [0.0, 1.0, math.nan])
def test_precision_recall_f1_equal_sklearn(average, zero_division, gen, device):
    for y_true, y_pred, c in random_cases(gen):
        yt, yp = y_true.to(device), y_pred.to(device)
        ours = metrics.precision_recall_f1(yt, yp, c, average, zero_division=zero_division)
        assert_same(ours, sklearn_prf(y_true, y_pred, labels=list(range(c)), average=average,
                                      zero_division=zero_division))
        ours = metrics.precision_recall_f1(yt, yp, None, average, zero_division=zero_division)
        assert_same(ours, sklearn_prf(y_true, y_pred, average=average, zero_division=zero_division))


@pytest.mark.slow  # hundreds of scikit-learn calls: seconds
@pytest.mark.parametrize("zero_division", [0.0, 1.0, math.nan])
def test_binary_average_equals_sklearn(zero_division, gen):
    for _ in range(200):
        n = int(torch.randint(1, 10, (1,), generator=gen))
        y_true, y_pred = torch.randint(0, 2, (n,), generator=gen), torch.randint(0, 2, (n,), generator=gen)
        for pos_label in (0, 1):
            ours = metrics.precision_recall_f1(y_true, y_pred, average="binary", pos_label=pos_label,
                                               zero_division=zero_division)
            theirs = sklearn_prf(y_true, y_pred, average="binary", pos_label=pos_label, zero_division=zero_division)
            assert_same(ours, theirs)
        # sklearn's precision_score, recall_score and f1_score are the three parts of its
        # precision_recall_fscore_support with the same arguments (pos_label=1 by default)
        separate = (metrics.precision, metrics.recall, metrics.f1_score)
        assert_same([f(y_true, y_pred, zero_division=zero_division) for f in separate], theirs)


def test_binary_average_rejects_what_sklearn_rejects():
    three = torch.tensor([0, 1, 2]), torch.tensor([0, 1, 1])
    with pytest.raises(ValueError, match="average='binary' needs at most 2 classes, found 3"):
        metrics.precision_recall_f1(*three)
    with pytest.raises(ValueError):
        skm.precision_score(three[0].numpy(), three[1].numpy())
    other = torch.tensor([0, 2, 2]), torch.tensor([2, 2, 0])
    with pytest.raises(ValueError, match=r"pos_label=1 is not a valid label; it should be one of \[0, 2\]"):
        metrics.precision_recall_f1(*other)
    with pytest.raises(ValueError):
        skm.precision_score(other[0].numpy(), other[1].numpy())


@pytest.mark.filterwarnings("ignore:A single label was found")
def test_confusion_matrix_and_accuracy_equal_sklearn(gen, device):
    for y_true, y_pred, c in random_cases(gen):
        yt, yp = y_true.to(device), y_pred.to(device)
        got = metrics.confusion_matrix(yt, yp, c)
        assert got.dtype == torch.long and got.device.type == device.type
        assert got.cpu().tolist() == skm.confusion_matrix(y_true.numpy(), y_pred.numpy(), labels=list(range(c))).tolist()
        assert metrics.confusion_matrix(yt, yp).cpu().tolist() == skm.confusion_matrix(
            y_true.numpy(), y_pred.numpy()).tolist()
        assert metrics.accuracy(yt, yp).item() == skm.accuracy_score(y_true.numpy(), y_pred.numpy())


@pytest.mark.slow  # hundreds of scikit-learn calls: seconds
def test_classification_report_equals_sklearn(gen):
    for y_true, y_pred, c in random_cases(gen, 100):
        ours = metrics.classification_report(y_true, y_pred, c, output_dict=True)
        theirs = skm.classification_report(y_true.numpy(), y_pred.numpy(), labels=list(range(c)),
                                           output_dict=True, zero_division=0.0)
        assert list(ours) == list(theirs)
        for key, value in theirs.items():
            assert ours[key] == pytest.approx(value, rel=1e-12)
        if bool((y_true == y_pred).any()):  # otherwise sklearn 1.9 prints the supports as floats
            for digits in (2, 4):
                assert metrics.classification_report(y_true, y_pred, digits=digits) == skm.classification_report(
                    y_true.numpy(), y_pred.numpy(), digits=digits, zero_division=0.0)


def test_classification_report_with_target_names():
    y_true, y_pred = torch.tensor([0, 1, 2, 2, 1]), torch.tensor([0, 2, 2, 2, 1])
    names = ["setosa", "versicolor", "virginica"]
    assert metrics.classification_report(y_true, y_pred, target_names=names) == skm.classification_report(
        y_true.numpy(), y_pred.numpy(), target_names=names)
    with pytest.raises(ValueError, match="target_names must name all 3 classes, got 2"):
        metrics.classification_report(y_true, y_pred, target_names=names[:2])


@pytest.mark.parametrize("shape", [(50,), (50, 1), (50, 3)])
def test_regression_errors_equal_sklearn(shape, gen, device):
    y_true = torch.randn(shape, generator=gen, dtype=torch.float64)
    y_pred = y_true + torch.randn(shape, generator=gen, dtype=torch.float64) * torch.linspace(1.0, 3.0, shape[-1], dtype=torch.float64)
    mse = metrics.mean_squared_error(y_true.to(device), y_pred.to(device))
    rmse = metrics.root_mean_squared_error(y_true.to(device), y_pred.to(device))
    assert mse.item() == pytest.approx(skm.mean_squared_error(y_true.numpy(), y_pred.numpy()), rel=1e-12)
    assert rmse.item() == pytest.approx(skm.root_mean_squared_error(y_true.numpy(), y_pred.numpy()), rel=1e-12)


@pytest.mark.parametrize("call, error, message", [
    (lambda: metrics.accuracy(torch.tensor([0, 1]), torch.tensor([0])), ValueError, "same shape"),
    (lambda: metrics.accuracy(torch.tensor([0.0]), torch.tensor([0])), TypeError, "y_true must hold integer"),
    (lambda: metrics.accuracy(torch.tensor([0, -1]), torch.tensor([0, 1])), ValueError, "y_true must hold class indices >= 0"),
    (lambda: metrics.accuracy(torch.tensor([], dtype=torch.long), torch.tensor([], dtype=torch.long)),
     ValueError, "at least one example"),
    (lambda: metrics.confusion_matrix(torch.tensor([0, 3]), torch.tensor([0, 1]), 3), ValueError,
     r"y_true must hold class indices in \[0, 3\), got 3"),
    (lambda: metrics.precision_recall_f1(torch.tensor([0]), torch.tensor([0]), average="mean"), ValueError,
     "average must be one of"),
    (lambda: metrics.precision_recall_f1(torch.tensor([0]), torch.tensor([0]), zero_division=2), ValueError,
     "zero_division must be 0.0, 1.0 or nan"),
])
def test_bad_arguments_get_named_errors(call, error, message):
    with pytest.raises(error, match=message):
        call()


EMPTY_LABELS = torch.tensor([], dtype=torch.long)
EMPTY_TARGETS = torch.zeros(0, dtype=torch.float64)


@pytest.mark.parametrize("metric, args", [
    (metrics.accuracy, (EMPTY_LABELS, EMPTY_LABELS)),
    (metrics.confusion_matrix, (EMPTY_LABELS, EMPTY_LABELS)),
    (metrics.confusion_matrix, (EMPTY_LABELS, EMPTY_LABELS, 3)),
    (metrics.precision_recall_f1, (EMPTY_LABELS, EMPTY_LABELS)),
    (metrics.precision, (EMPTY_LABELS, EMPTY_LABELS, 2, "macro")),
    (metrics.recall, (EMPTY_LABELS, EMPTY_LABELS)),
    (metrics.f1_score, (EMPTY_LABELS, EMPTY_LABELS, None, "micro")),
    (metrics.classification_report, (EMPTY_LABELS, EMPTY_LABELS)),
    (metrics.mean_squared_error, (EMPTY_TARGETS, EMPTY_TARGETS)),
    (metrics.root_mean_squared_error, (EMPTY_TARGETS, EMPTY_TARGETS)),
], ids=lambda v: getattr(v, "__name__", ""))
def test_every_metric_refuses_empty_input_like_sklearn(metric, args):
    with pytest.raises(ValueError, match="y_true and y_pred must hold at least one example, got 0"):
        metric(*args)
