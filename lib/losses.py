"""Loss functions on torch tensors (chapter 03 adds the rest)."""
from lib import validate


def mse(pred, target):
    """Mean squared error mean((pred - target)^2); matches torch.nn.functional.mse_loss.

    pred, target: (*) floating tensors of the same shape. Returns a 0-D tensor.
    """
    validate.tensor(pred, "pred")
    validate.tensor(target, "target")
    if pred.shape != target.shape:
        raise ValueError(
            f"pred and target must have the same shape, got {tuple(pred.shape)} and {tuple(target.shape)}"
        )
    return ((pred - target) ** 2).mean()
