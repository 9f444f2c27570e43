"""Cleaning and scaling features, each fitted on the training split only and then applied to
every split: median imputation, outlier clipping, standardisation; plus duplicate removal and
a deliberately dirtied copy of a dataset to practise on.
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
