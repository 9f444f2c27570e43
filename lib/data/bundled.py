"""scikit-learn's bundled datasets as tensors: they ship inside the package, nothing downloads."""
from typing import NamedTuple

import torch

LOADERS = {"digits": "load_digits", "breast_cancer": "load_breast_cancer", "wine": "load_wine"}


class Dataset(NamedTuple):
    """x: (N, D) features; y: (N,) int64 class indices; names of the D features and of the classes."""

    x: torch.Tensor
    y: torch.Tensor
    feature_names: tuple
    class_names: tuple


def load(name, dtype=torch.float32, device=None):
    """One of scikit-learn's bundled datasets: "digits" (1797 8x8 images, 10 classes, pixels 0-16),
    "breast_cancer" (569 tumours, 30 measurements, malignant/benign) or "wine" (178 wines,
    13 measurements, 3 cultivars). Returns a Dataset of tensors in the order scikit-learn gives.
    """
    if name not in LOADERS:
        raise ValueError(f"name must be one of {sorted(LOADERS)}, got {name!r}")
    import sklearn.datasets

    bunch = getattr(sklearn.datasets, LOADERS[name])()
    x = torch.as_tensor(bunch.data).to(device=device, dtype=dtype)
    y = torch.as_tensor(bunch.target).to(device=device, dtype=torch.long)
    return Dataset(x, y, tuple(str(f) for f in bunch.feature_names), tuple(str(c) for c in bunch.target_names))
