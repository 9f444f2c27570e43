"""Evaluation metrics on tensors, equal to scikit-learn's (tests/lib/test_metrics.py).

Classification metrics take y_true, y_pred: (N,) int64 class indices >= 0. The classes are
0..num_classes-1 when num_classes is given (sklearn's labels=range(num_classes)), otherwise
the sorted classes present in y_true or y_pred (sklearn's default). A ratio whose denominator
is 0 (precision with no predictions of a class, recall with no examples of it, F1 with
neither) takes the value `zero_division`: 0.0 (sklearn's "warn" gives the same numbers),
1.0 or nan; averages skip nan like sklearn. Scalars come back as 0-D float64 tensors.
"""
import math

import torch

from lib import losses, validate

AVERAGES = ("binary", "micro", "macro", "weighted", None)
REPORT_HEADERS = ("precision", "recall", "f1-score", "support")


def _check_labels(y_true, y_pred, num_classes=None):
    """Validate the pair and return the (C,) sorted class labels the metrics range over."""
    validate.class_indices(y_true, "y_true")
    validate.class_indices(y_pred, "y_pred")
    validate.same_device(y_true=y_true, y_pred=y_pred)
    if y_true.shape != y_pred.shape:
        raise ValueError(f"y_true and y_pred must have the same shape, got {tuple(y_true.shape)} "
                         f"and {tuple(y_pred.shape)}")
    _nonempty(y_true)
    if num_classes is None:
        return torch.unique(torch.cat([y_true, y_pred]))
    validate.positive_int(num_classes, "num_classes")
    for name, y in (("y_true", y_true), ("y_pred", y_pred)):
        if y.numel() and int(y.max()) >= num_classes:
            raise ValueError(f"{name} must hold class indices in [0, {num_classes}), got {int(y.max())}")
    return torch.arange(num_classes, device=y_true.device)


def _nonempty(y_true):
    """Every metric refuses empty input, like scikit-learn (a mean or ratio of nothing is no score)."""
    if not y_true.numel():
        raise ValueError("y_true and y_pred must hold at least one example, got 0")


def accuracy(y_true, y_pred):
    """Share of examples with y_pred == y_true; sklearn.metrics.accuracy_score. Returns 0-D."""
    _check_labels(y_true, y_pred)
    return (y_true == y_pred).sum().double() / y_true.numel()  # k / n rounded once, on any device


def confusion_matrix(y_true, y_pred, num_classes=None):
    """(C, C) int64 counts: entry [i, j] is the number of examples of class labels[i] predicted as
    labels[j]; sklearn.metrics.confusion_matrix(labels=...).
    """
    labels = _check_labels(y_true, y_pred, num_classes)
    c = len(labels)
    t, p = torch.searchsorted(labels, y_true), torch.searchsorted(labels, y_pred)
    return torch.bincount(t * c + p, minlength=c * c).view(c, c)


def _divide(num, den, zero_division):
    """num / den elementwise (float64), with `zero_division` where den == 0."""
    num, den = num.double(), den.double()
    return torch.where(den == 0, torch.full_like(num, zero_division), num / torch.where(den == 0, 1.0, den))


def _average(values, weights=None):
    """Mean of values (C,), weighted by weights (C,) if given, skipping nan; sklearn's _nanaverage."""
    keep = ~values.isnan()
    if not bool(keep.any()):
        return torch.tensor(math.nan, dtype=torch.float64, device=values.device)
    values = values[keep]
    if weights is None or not bool(weights[keep].any()):
        return values.mean()
    w = weights[keep].double()
    return (values * w).sum() / w.sum()


def _counts(y_true, y_pred, num_classes, average, pos_label):
    """(tp, predicted, true) counts per class, or for the positive class, or summed (micro)."""
    _check_labels(y_true, y_pred, num_classes)
    if average == "binary":
        present = torch.unique(torch.cat([y_true, y_pred])).tolist()
        if len(present) > 2:
            raise ValueError(f"average='binary' needs at most 2 classes, found {len(present)}; "
                             f"choose average from {AVERAGES[1:]}")
        if pos_label not in present and len(present) == 2:
            raise ValueError(f"pos_label={pos_label} is not a valid label; it should be one of {present}")
        t, p = y_true == pos_label, y_pred == pos_label
        return (t & p).sum().view(1), p.sum().view(1), t.sum().view(1)
    cm = confusion_matrix(y_true, y_pred, num_classes)
    tp, predicted, true = cm.diagonal(), cm.sum(0), cm.sum(1)
    if average == "micro":
        return tp.sum().view(1), predicted.sum().view(1), true.sum().view(1)
    return tp, predicted, true


def precision_recall_f1(y_true, y_pred, num_classes=None, average="binary", pos_label=1, zero_division=0.0):
    """Precision tp / (tp + fp), recall tp / (tp + fn) and F1 2 tp / (2 tp + fp + fn), with
    sklearn.metrics.precision_recall_fscore_support's conventions.

    average: "binary" (the class pos_label only; at most two classes may occur), "micro" (counts
    summed over classes), "macro" (mean over classes), "weighted" (mean weighted by each class's
    support) or None. Returns (precision, recall, f1): 0-D float64 tensors, or (C,) with None.
    """
    if average not in AVERAGES:
        raise ValueError(f"average must be one of {AVERAGES}, got {average!r}")
    if not (zero_division in (0, 1) or (isinstance(zero_division, float) and math.isnan(zero_division))):
        raise ValueError(f"zero_division must be 0.0, 1.0 or nan, got {zero_division!r}")
    tp, predicted, true = _counts(y_true, y_pred, num_classes, average, pos_label)
    scores = (_divide(tp, predicted, zero_division), _divide(tp, true, zero_division),
              _divide(2 * tp, predicted + true, zero_division))
    if average is None:
        return scores
    weights = true if average == "weighted" else None
    return tuple(_average(s, weights) for s in scores)


def precision(y_true, y_pred, num_classes=None, average="binary", pos_label=1, zero_division=0.0):
    """sklearn.metrics.precision_score; see precision_recall_f1."""
    return precision_recall_f1(y_true, y_pred, num_classes, average, pos_label, zero_division)[0]


def recall(y_true, y_pred, num_classes=None, average="binary", pos_label=1, zero_division=0.0):
    """sklearn.metrics.recall_score; see precision_recall_f1."""
    return precision_recall_f1(y_true, y_pred, num_classes, average, pos_label, zero_division)[1]


def f1_score(y_true, y_pred, num_classes=None, average="binary", pos_label=1, zero_division=0.0):
    """sklearn.metrics.f1_score; see precision_recall_f1."""
    return precision_recall_f1(y_true, y_pred, num_classes, average, pos_label, zero_division)[2]


def classification_report(y_true, y_pred, num_classes=None, target_names=None, digits=2, output_dict=False,
                          zero_division=0.0):
    """Per-class precision, recall, F1 and support, then accuracy and the macro and weighted
    averages: the same dict (output_dict=True) or text as sklearn.metrics.classification_report.
    """
    labels = _check_labels(y_true, y_pred, num_classes)
    names = [str(int(c)) for c in labels] if target_names is None else [str(n) for n in target_names]
    if len(names) != len(labels):
        raise ValueError(f"target_names must name all {len(labels)} classes, got {len(names)}")
    per_class = precision_recall_f1(y_true, y_pred, num_classes, None, zero_division=zero_division)
    support = _counts(y_true, y_pred, num_classes, None, 1)[2]
    rows = {name: [float(s[i]) for s in per_class] + [int(support[i])] for i, name in enumerate(names)}
    total = int(support.sum())
    averages = {f"{avg} avg": [float(s) for s in precision_recall_f1(y_true, y_pred, num_classes, avg,
                                                                     zero_division=zero_division)] + [total]
                for avg in ("macro", "weighted")}
    acc = float(precision_recall_f1(y_true, y_pred, num_classes, "micro", zero_division=zero_division)[2])
    if output_dict:
        report = {name: dict(zip(REPORT_HEADERS, map(float, row))) for name, row in rows.items()}
        report["accuracy"] = acc
        report.update({name: dict(zip(REPORT_HEADERS, map(float, row))) for name, row in averages.items()})
        return report
    return _report_text(rows, acc, total, averages, digits)


def _report_text(rows, acc, total, averages, digits):
    """The table exactly as sklearn prints it."""
    width = max(max(len(n) for n in rows), len("weighted avg"), digits)
    row_fmt = "{:>{width}s} " + " {:>9.{digits}f}" * 3 + " {:>9}\n"
    text = ("{:>{width}s} " + " {:>9}" * 4).format("", *REPORT_HEADERS, width=width) + "\n\n"
    text += "".join(row_fmt.format(name, *row, width=width, digits=digits) for name, row in rows.items())
    text += "\n" + ("{:>{width}s} " + " {:>9.{digits}}" * 2 + " {:>9.{digits}f} {:>9}\n").format(
        "accuracy", "", "", acc, total, width=width, digits=digits)
    text += "".join(row_fmt.format(name, *row, width=width, digits=digits) for name, row in averages.items())
    return text


def mean_squared_error(y_true, y_pred):
    """Mean of (y_pred - y_true)^2 over all entries; sklearn.metrics.mean_squared_error. Returns 0-D."""
    _check_targets(y_true, y_pred)
    return losses.mse(y_pred, y_true)


def _check_targets(y_true, y_pred):
    validate.tensor(y_true, "y_true", ndim=(1, 2))
    validate.tensor(y_pred, "y_pred", ndim=(1, 2))
    validate.same_device(y_true=y_true, y_pred=y_pred)
    if y_true.shape != y_pred.shape or y_true.dtype != y_pred.dtype:
        raise ValueError(f"y_true and y_pred must have the same shape and dtype, got {tuple(y_true.shape)} "
                         f"{y_true.dtype} and {tuple(y_pred.shape)} {y_pred.dtype}")
    _nonempty(y_true)


def root_mean_squared_error(y_true, y_pred):
    """sqrt of the mean squared error, in the targets' units; for (N, K) targets the mean over
    the K outputs of each output's RMSE, like sklearn.metrics.root_mean_squared_error. Returns 0-D.
    """
    _check_targets(y_true, y_pred)
    per_entry = losses.mse(y_pred, y_true, reduction="none")
    return per_entry.mean(0).sqrt().mean() if per_entry.dim() == 2 else per_entry.mean().sqrt()
