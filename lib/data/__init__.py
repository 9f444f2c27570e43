"""lib.data: offline datasets (generated, or bundled with scikit-learn), splits, mini-batches,
preprocessing fitted on the training split, augmentation, and generated images of shapes with
their bounding boxes for detection. Nothing downloads.
"""
from lib.data.augment import add_noise, shift_images
from lib.data.batches import batches, minibatch_indices
from lib.data.bundled import Dataset, load
from lib.data.generated import LOGIC_GATES, logic_gate, moons, noisy_line, spirals, two_blobs
from lib.data.preprocess import (Clipper, MedianImputer, OneHotEncoder, Standardizer, dirty_copy,
                                 duplicate_rows, mislabel, nan_median)
from lib.data.shapes import shape_images, shape_windows
from lib.data.splits import kfold_indices, split_counts, stratified_split

__all__ = [
    "Clipper", "Dataset", "LOGIC_GATES", "MedianImputer", "OneHotEncoder", "Standardizer", "add_noise",
    "batches", "dirty_copy", "duplicate_rows", "kfold_indices", "load", "logic_gate", "minibatch_indices",
    "mislabel", "moons", "nan_median", "noisy_line", "shape_images", "shape_windows", "shift_images", "spirals",
    "split_counts", "stratified_split", "two_blobs",
]
