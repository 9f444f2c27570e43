"""Judge specs for chapter 04 (training): oracles are scikit-learn and lib.train.EarlyStopping."""
import warnings

import numpy as np
import torch
from sklearn.impute import SimpleImputer
from sklearn.metrics import confusion_matrix, precision_recall_fscore_support
from sklearn.model_selection import KFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from grading.specs.base import Case, Exercise, call, randn, unpack
from lib import train

F64 = dict(rtol=1e-9, atol=1e-12)


def _labels(g, n, classes):
    y = torch.randint(0, classes, (n,), generator=g)
    y[:3], y[3] = classes, classes + 1  # a class of three examples and a class of one
    return y


def _split_cases(g):
    seed = lambda: int(torch.randint(0, 10_000, (), generator=g))  # noqa: E731
    cases = [Case((torch.tensor([0] * 50 + [1] * 30 + [2] * 20), [0.6, 0.2, 0.2], seed(), seed()),
                  "100 labels of 3 classes, fractions (0.6, 0.2, 0.2)")]
    for fractions in ([0.5, 0.5], [0.8, 0.1, 0.1], [0.7, 0.15, 0.15], [0.25, 0.25, 0.25, 0.25], [0.9, 0.1]):
        cases.append(Case((_labels(g, 97, 4), fractions, seed(), seed()), f"97 random labels, fractions {fractions}"))
    return cases


def _split_run(fns, y, fractions, seed, other_seed):
    def split(s):
        parts = fns["stratified_split"](y, tuple(fractions), torch.Generator().manual_seed(s))
        if not isinstance(parts, (tuple, list)):
            raise TypeError(f"expected a tuple of index tensors, got {type(parts).__name__}")
        return tuple(parts)
    return split(seed), split(seed), split(other_seed)


def _split_check(got, y, fractions, seed, other_seed):
    first, again, other = got
    for parts in got:
        problem = _split_problem(parts, y, fractions)
        if problem:
            return problem
    if any(not torch.equal(a, b) for a, b in zip(first, again)):
        return "the same seed must give the same split"
    if torch.equal(first[0].sort().values, other[0].sort().values):
        return "different seeds must give different splits (shuffle each class with the generator)"
    return None


def _split_problem(parts, y, fractions):
    if len(parts) != len(fractions):
        return f"expected {len(fractions)} parts, got {len(parts)}"
    for i, part in enumerate(parts):
        if not isinstance(part, torch.Tensor) or part.dim() != 1 or part.dtype != torch.long:
            return f"part {i} must be a 1-D int64 tensor"
    joined = torch.cat(list(parts)).sort().values
    if not torch.equal(joined, torch.arange(len(y))):
        return "the parts must hold every index 0..N-1 exactly once"
    for c in torch.unique(y).tolist():
        n_c = int((y == c).sum())
        for i, (part, f) in enumerate(zip(parts, fractions)):
            got = int((y[part] == c).sum())
            if abs(got - f * n_c) >= 1 + 1e-9:
                return f"class {c} ({n_c} examples): part {i} holds {got}, expected {f * n_c:.2f} ± 1"
    return None


def _impute_cases(g):
    nan = float("nan")
    small = (torch.tensor([[1.0, 10.0], [2.0, nan], [4.0, 30.0], [nan, 40.0], [8.0, 20.0]], dtype=torch.float64),
             torch.tensor([[nan, nan], [3.0, 25.0]], dtype=torch.float64))
    x_train = randn(g, 40, 6) * torch.arange(1.0, 7.0, dtype=torch.float64) + 5
    x_train[torch.rand(40, 6, generator=g) < 0.25] = nan
    x_train[:, 2] = 3.0
    x_train[:, 4] = nan
    x_train[:30, 4] = torch.arange(30.0, dtype=torch.float64) ** 2
    x_other = randn(g, 15, 6, scale=4)
    x_other[torch.rand(15, 6, generator=g) < 0.3] = nan
    return [Case(small, "a 5x2 table with an even count of values per column", **F64),
            Case((x_train, x_other), "random 40x6 float64 tables, a constant column", rtol=1e-9, atol=1e-10),
            Case((x_train.float(), x_other.float()), "the same tables in float32", rtol=1e-4, atol=1e-5),
            Case((x_train, x_other + 1000.0), "other rows far from the training rows", rtol=1e-9, atol=1e-8)]


def _impute_expected(x_train, x_other):
    pipeline = make_pipeline(SimpleImputer(strategy="median"), StandardScaler()).fit(x_train.double().numpy())
    return tuple(torch.as_tensor(pipeline.transform(x.double().numpy())).to(x.dtype) for x in (x_train, x_other))


def _confusion_cases(g):
    cases = [Case((torch.tensor([0, 0, 1, 2, 2, 2]), torch.tensor([0, 1, 1, 2, 0, 2]), 3), "6 labels", rtol=0, atol=0),
             Case((torch.tensor([0, 0, 0]), torch.tensor([1, 1, 1]), 3), "every example of class 0 predicted as 1",
                  rtol=0, atol=0)]
    for c in (2, 5, 10):
        cases.append(Case((torch.randint(0, c - 1, (60,), generator=g), torch.randint(0, c, (60,), generator=g), c),
                          f"{c} classes, the last never occurs", rtol=0, atol=0))
    return cases


def _confusion_expected(y_true, y_pred, c):
    return torch.as_tensor(confusion_matrix(y_true.numpy(), y_pred.numpy(), labels=list(range(c))), dtype=torch.long)


def _prf_cases(g):
    cases = [Case((torch.tensor([0, 1, 2, 2]), torch.tensor([0, 0, 0, 0]), 4, average),
                  f"{average}: classes never predicted, one never occurs", **F64)
             for average in ("macro", "micro", "weighted")]
    for _ in range(20):
        c, n = int(torch.randint(2, 7, (), generator=g)), int(torch.randint(1, 25, (), generator=g))
        y_true, y_pred = torch.randint(0, c, (n,), generator=g), torch.randint(0, c, (n,), generator=g)
        for average in ("macro", "micro", "weighted"):
            cases.append(Case((y_true, y_pred, c, average), f"{average}, {c} classes, {n} random labels", **F64))
    return cases


def _prf_expected(y_true, y_pred, c, average):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        scores = precision_recall_fscore_support(y_true.numpy(), y_pred.numpy(), labels=list(range(c)),
                                                 average=average, zero_division=0)[:3]
    return tuple(torch.tensor(float(s), dtype=torch.float64) for s in scores)


def _stopping_cases(g):
    cases = [Case(([1.0, 0.9, 0.95, 0.96, 0.97], 3, 0.0), "patience 3"),
             Case(([3.0, 2.0, 1.0, 0.5], 2, 0.0), "always improving"),
             Case(([1.0, 0.9, 0.89, 0.88, 0.87], 2, 0.05), "min_delta 0.05"),
             Case(([1.0, 1.0, 1.0, 1.0], 2, 0.0), "equal is not better"),
             Case(([1.0, 0.5, 0.7, 0.4, 0.6, 0.65], 2, 0.0), "counting restarts after an improvement"),
             Case(([2.0], 1, 0.0), "one epoch")]
    for _ in range(20):
        losses = (1 / torch.arange(1, 31) + 0.05 * torch.randn(30, generator=g)).tolist()
        patience, delta = int(torch.randint(1, 6, (), generator=g)), float(torch.rand((), generator=g)) * 0.03
        cases.append(Case((losses, patience, delta), f"30 noisy losses, patience {patience}, min_delta {delta:.4f}"))
    return cases


def _stopping_expected(losses, patience, min_delta):
    rule = train.EarlyStopping(patience, min_delta)
    stop = next((epoch for epoch, loss in enumerate(losses, 1) if rule.step(loss)), None)
    return rule.best_epoch, stop


def _kfold_cases(g):
    return [Case((n, k, int(torch.randint(0, 10_000, (), generator=g))), f"kfold_indices({n}, {k})")
            for n, k in [(10, 3), (12, 4), (17, 5), (6, 6), (101, 10), (9, 2), (23, 4)]]


def _kfold_run(fns, n, k, seed):
    folds = fns["kfold_indices"](n, k, torch.Generator().manual_seed(seed))
    if not isinstance(folds, list):
        raise TypeError(f"expected a list of {k} pairs, got {type(folds).__name__}")
    out = []
    for fold in folds:
        train_idx, val_idx = unpack(tuple(fold), 2, "each fold")
        if not isinstance(train_idx, torch.Tensor) or not isinstance(val_idx, torch.Tensor):
            raise TypeError("each fold must be a pair of index tensors")
        out.append((sorted(train_idx.tolist()), sorted(val_idx.tolist())))
    return out


def _kfold_expected(n, k, seed):
    order = torch.randperm(n, generator=torch.Generator().manual_seed(seed)).numpy()
    return [(sorted(order[tr].tolist()), sorted(order[va].tolist())) for tr, va in KFold(k).split(np.arange(n))]


EXERCISES = [
    Exercise("ch04_stratified_split", ("stratified_split",), _split_cases, _split_run, check=_split_check),
    Exercise("ch04_impute_scale", ("impute_and_scale",), _impute_cases,
             lambda fns, a, b: unpack(fns["impute_and_scale"](a, b), 2, "impute_and_scale"), _impute_expected),
    Exercise("ch04_confusion_matrix", ("confusion_matrix",), _confusion_cases, call("confusion_matrix"),
             _confusion_expected),
    Exercise("ch04_precision_recall_f1", ("precision_recall_f1",), _prf_cases,
             lambda fns, *args: unpack(fns["precision_recall_f1"](*args), 3, "precision_recall_f1"), _prf_expected),
    Exercise("ch04_early_stopping", ("early_stopping",), _stopping_cases,
             lambda fns, *args: tuple(fns["early_stopping"](*args)), _stopping_expected),
    Exercise("ch04_kfold", ("kfold_indices",), _kfold_cases, _kfold_run, _kfold_expected),
]
