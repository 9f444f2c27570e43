"""Image augmentation: new training examples from old ones by small shifts and pixel noise."""
import torch

from lib import validate


def shift_images(images, max_shift=1, generator=None):
    """Move each image by a random whole number of pixels, filling the uncovered border with 0.

    images: (N, H, W); every image gets its own shift (dy, dx), each uniform in
    [-max_shift, max_shift] and drawn on the CPU from `generator`. Returns (N, H, W).
    """
    validate.tensor(images, "images", ndim=3)
    if isinstance(max_shift, bool) or not isinstance(max_shift, int) or max_shift < 0:
        raise ValueError(f"max_shift must be an int >= 0, got {max_shift!r}")
    n, h, w = images.shape
    shifts = torch.randint(-max_shift, max_shift + 1, (n, 2), generator=generator).to(images.device)
    rows = torch.arange(h, device=images.device).view(1, h, 1) - shifts[:, 0].view(n, 1, 1)
    cols = torch.arange(w, device=images.device).view(1, 1, w) - shifts[:, 1].view(n, 1, 1)
    inside = (rows >= 0) & (rows < h) & (cols >= 0) & (cols < w)
    batch = torch.arange(n, device=images.device).view(n, 1, 1)
    moved = images[batch, rows.clamp(0, h - 1), cols.clamp(0, w - 1)]
    return torch.where(inside, moved, torch.zeros((), dtype=images.dtype, device=images.device))


def add_noise(x, std, generator=None):
    """x + std * N(0, 1), the noise drawn on the CPU from `generator`. x: (*) -> (*)."""
    validate.tensor(x, "x")
    if not std >= 0:
        raise ValueError(f"std must be >= 0, got {std!r}")
    return x + std * torch.randn(x.shape, generator=generator, dtype=x.dtype).to(x.device)
