"""Cleaning and encoding features, each fitted on the training split only and then applied to
every split: median imputation, outlier clipping, standardisation, one-hot encoding of a
categorical column; plus duplicate removal, a deliberately dirtied copy of a dataset and
deliberately wrong labels (label noise) to practise on.
"""
import torch

from lib import validate


def nan_median(x):
    """Column medians of x: (N, D), ignoring NaN; the mean of the two middle values for an even
    count, like numpy.nanmedian (torch.nanmedian returns the lower one). Returns (D,).
    """
    validate.tensor(x, "x", ndim=2)
    counts = (~x.isnan()).sum(0)
    if bool((counts == 0).any()):
        raise ValueError(f"x has columns with no values (all NaN): {torch.nonzero(counts == 0).flatten().tolist()}")
    ordered = x.sort(dim=0).values  # NaN sorts last
    low = ordered.gather(0, ((counts - 1) // 2).unsqueeze(0))
    high = ordered.gather(0, (counts // 2).unsqueeze(0))
    return ((low + high) / 2).squeeze(0)


class MedianImputer:
    """Replace NaN by the training column's median; like sklearn.impute.SimpleImputer("median")."""

    def fit(self, x):
        """x: (N, D) training features with NaN for missing values. Returns self."""
        self.median_ = nan_median(x)
        return self

    def transform(self, x):
        """x: (M, D) -> (M, D) with every NaN replaced by the fitted column median."""
        _check_width(x, _fitted(self, "median_"))
        return torch.where(x.isnan(), self.median_, x)


class Clipper:
    """Clamp each column to its training quantiles [q, 1 - q]: tames outliers without dropping rows."""

    def __init__(self, q=0.01):
        if not 0 <= q < 0.5:
            raise ValueError(f"q must be in [0, 0.5), got {q!r}")
        self.q = q

    def fit(self, x):
        """x: (N, D) training features (NaN ignored). Returns self."""
        validate.tensor(x, "x", ndim=2)
        self.low_ = torch.nanquantile(x, self.q, dim=0)
        self.high_ = torch.nanquantile(x, 1 - self.q, dim=0)
        return self

    def transform(self, x):
        """x: (M, D) -> (M, D) clamped column by column (NaN stays NaN)."""
        _check_width(x, _fitted(self, "low_"))
        return torch.minimum(torch.maximum(x, self.low_), self.high_)


class Standardizer:
    """(x - mean) / std with the training split's mean and population std; like
    sklearn.preprocessing.StandardScaler, a constant column keeps scale 1, and so does a column
    whose variance is within rounding of 0 (var <= N eps var + (N eps mean)^2, sklearn's test),
    instead of being blown up by a std of 1e-17.
    """

    def fit(self, x):
        """x: (N, D) training features. Returns self."""
        validate.tensor(x, "x", ndim=2)
        if not len(x):
            raise ValueError("x must hold at least one row to fit on, got shape (0, D)")
        n, eps = len(x), torch.finfo(x.dtype).eps
        self.mean_ = x.mean(0)
        var = x.var(0, correction=0)
        constant = var <= n * eps * var + (n * self.mean_ * eps) ** 2
        self.std_ = torch.where(constant, torch.ones_like(var), var.sqrt())
        return self

    def transform(self, x):
        """x: (M, D) -> (M, D) standardised with the fitted statistics."""
        _check_width(x, _fitted(self, "mean_"))
        return (x - self.mean_) / self.std_

    def fit_transform(self, x):
        return self.fit(x).transform(x)

    def inverse_transform(self, z):
        """z: (M, D) standardised -> (M, D) in the original units."""
        _check_width(z, _fitted(self, "mean_"))
        return z * self.std_ + self.mean_


def _fitted(step, attribute):
    """step's fitted statistic `attribute`; a clear error if fit() has not run yet."""
    if not hasattr(step, attribute):
        raise RuntimeError(f"{type(step).__name__} is not fitted yet: call fit(x_train) before transforming")
    return getattr(step, attribute)


def _check_width(x, fitted):
    validate.tensor(x, "x", ndim=2)
    if x.shape[1] != fitted.shape[0]:
        raise ValueError(f"x must have {fitted.shape[0]} columns like the data it was fitted on, got {x.shape[1]}")


def duplicate_rows(x):
    """Boolean mask (N,) of the rows of x: (N, D) that repeat an earlier row exactly (NaN equal to NaN)."""
    validate.tensor(x, "x", ndim=2)
    key = torch.where(x.isnan(), torch.full_like(x, float("inf")), x)
    _, inverse = torch.unique(key, dim=0, return_inverse=True)
    position = torch.arange(len(x), device=x.device)
    first = torch.full((int(inverse.max()) + 1 if len(x) else 0,), len(x), device=x.device).scatter_reduce(
        0, inverse, position, reduce="amin")
    return first[inverse] != position


def dirty_copy(x, y, missing=0.05, duplicates=20, outliers=10, scale=100.0, seed=0):
    """A copy of (x (N, D), y (N,)) with the faults of real data, for practising cleaning.

    A `missing` share of the entries becomes NaN; `outliers` entries are multiplied by `scale`
    (a unit slip); `duplicates` rows are appended again as exact copies; then the rows are
    shuffled. Returns x_dirty: (N + duplicates, D) and y_dirty: (N + duplicates,), the same
    for the same seed.
    """
    validate.tensor(x, "x", ndim=2)
    if len(y) != len(x):
        raise ValueError(f"x and y must hold the same number of examples, got {len(x)} and {len(y)}")
    if not 0 <= missing < 1:
        raise ValueError(f"missing must be in [0, 1), got {missing!r}")
    g = torch.Generator().manual_seed(seed)
    n, d = x.shape
    dirty = x.detach().cpu().clone()
    flat = dirty.view(-1)
    flat[torch.randperm(n * d, generator=g)[:outliers]] *= scale
    flat[torch.rand(n * d, generator=g) < missing] = float("nan")
    rows = torch.cat([torch.arange(n), torch.randint(0, n, (duplicates,), generator=g)])
    rows = rows[torch.randperm(len(rows), generator=g)]
    return dirty[rows].to(x.device), y[rows.to(y.device)]


def mislabel(y, share, num_classes=None, seed=0):
    """A copy of the labels y: (N,) in which round(share * N) of them, at rows picked at random,
    are replaced by a wrong class: each moves to one of the other num_classes - 1 classes, all
    equally likely (num_classes defaults to y.max() + 1). Label noise, as when annotators err.

    Returns (N,) int64 on y's device, the same for the same seed; y itself is left unchanged.
    """
    validate.class_indices(y, "y")
    validate.number(share, "share", 0.0, 1.0)
    if num_classes is None:
        num_classes = int(y.max()) + 1 if len(y) else 2
    validate.positive_int(num_classes, "num_classes")
    if num_classes < 2 or (len(y) and int(y.max()) >= num_classes):
        raise ValueError(f"num_classes must be >= 2 and above every label, got {num_classes} "
                         f"for labels up to {int(y.max()) if len(y) else None}")
    g = torch.Generator().manual_seed(seed)
    rows = torch.randperm(len(y), generator=g)[: round(share * len(y))]
    offset = torch.randint(1, num_classes, (len(rows),), generator=g)
    noisy = y.detach().cpu().long().clone()
    noisy[rows] = (noisy[rows] + offset) % num_classes
    return noisy.to(y.device)


class OneHotEncoder:
    """One categorical column -> one 0/1 column per category seen in training, like
    sklearn.preprocessing.OneHotEncoder(handle_unknown="ignore", sparse_output=False) on one column.

    fit() keeps categories_, the sorted distinct training values (str or int); transform() gives
    each value a row with a 1 in its category's column, and a value never seen in training an
    all-zero row (no column may depend on validation or test data).
    """

    def __init__(self, dtype=torch.float64):
        if not isinstance(dtype, torch.dtype) or not dtype.is_floating_point:
            raise TypeError(f"dtype must be a floating-point torch.dtype, got {dtype!r}")
        self.dtype = dtype

    def fit(self, values):
        """values: a list of N str or N int (or an (N,) integer tensor), N >= 1. Returns self."""
        values = _categories(values, "values")
        if not values:
            raise ValueError("values must hold at least one value to fit on, got none")
        self.categories_ = sorted(set(values))
        self._column = {c: i for i, c in enumerate(self.categories_)}
        return self

    def transform(self, values):
        """values: a list of M str or int (or an (M,) integer tensor) -> (M, K) with K = len(categories_)."""
        categories = _fitted(self, "categories_")
        values = _categories(values, "values")
        if values and type(values[0]) is not type(categories[0]):
            raise TypeError(f"values must be {type(categories[0]).__name__}s like the data it was fitted on, "
                            f"got {type(values[0]).__name__}s")
        out = torch.zeros(len(values), len(categories), dtype=self.dtype)
        known = [(row, self._column[v]) for row, v in enumerate(values) if v in self._column]
        if known:
            rows, cols = torch.tensor(known).T
            out[rows, cols] = 1
        return out

    def fit_transform(self, values):
        return self.fit(values).transform(values)


def _categories(values, name):
    """values as a list of str or of int (not bool), all of one type, else a clear error."""
    if isinstance(values, torch.Tensor):
        validate.integers(values, name, ndim=1)
        return values.tolist()
    if not isinstance(values, (list, tuple)):
        raise TypeError(f"{name} must be a list of str or int, got {type(values).__name__}")
    kinds = {type(v) for v in values}
    if not kinds <= {str, int} or len(kinds) > 1:
        raise TypeError(f"{name} must hold only str or only int values, got {sorted(k.__name__ for k in kinds)}")
    return list(values)
