"""Where an image classifier looks: the saliency map (Simonyan et al. 2014) and Grad-CAM
(Selvaraju et al. 2017), each a gradient of one class's score, the logit before the softmax.

    s = saliency(model, x, target)                          # (N, H, W)
    cam, coarse = class_activation_map(model, x, target, -1)  # (N, H, W), (N, h, w)

saliency: |d score / d x|, the largest over the channels: the pixels whose change would move
the score most. Grad-CAM: for the feature maps A (N, F, h, w) of one conv layer, weight each map
by the mean of d score / d A over its positions, alpha_k = mean_ij d score / d A_k[i, j], and keep
the positive part of the weighted sum, ReLU(sum_k alpha_k A_k). When the head is a global average
pool and one linear layer W (Zhou et al. 2016's class activation map), alpha_k = W[c, k] / (h w),
so Grad-CAM is that CAM, sum_k W[c, k] A_k, scaled by 1 / (h w) and clipped at 0.

Both run the model in eval mode with gradients on and take gradients only with respect to the
input and the feature maps: the model's parameters get no .grad, every module's train/eval mode
is restored, and x is not modified. The scores of a batch are summed before the gradient, which
gives each image its own gradient because in eval mode images do not interact.
Tested against torch.autograd.grad in tests/lib/test_explain.py.
"""
import inspect
from contextlib import contextmanager

import torch
import torch.nn.functional as F
from torch import nn

from lib import validate


@contextmanager
def _inspecting(model):
    """Inside the block: model in eval mode, gradients on. After it: each module's mode as it was."""
    modes = [(m, m.training) for m in model.modules()]
    model.eval()
    try:
        with torch.enable_grad():
            yield
    finally:
        for m, training in modes:
            m.training = training


def _check_target(target):
    if isinstance(target, bool) or not isinstance(target, (int, torch.Tensor)):
        raise TypeError(f"target must be a class index (int) or an (N,) int64 tensor of them, "
                        f"got {type(target).__name__}")


def _class_scores(logits, target, x):
    """logits (N, K) -> (N,), each image's logit of its target class (an int or an (N,) tensor)."""
    n = x.shape[0]
    if not isinstance(logits, torch.Tensor) or logits.dim() != 2 or logits.shape[0] != n:
        raise ValueError(f"model must return logits (N={n}, classes), got "
                         f"{tuple(logits.shape) if isinstance(logits, torch.Tensor) else type(logits).__name__}")
    if isinstance(target, int):
        if not 0 <= target < logits.shape[1]:
            raise ValueError(f"target must be a class index in [0, {logits.shape[1]}), got {target}")
        target = torch.full((n,), target, device=x.device)
    validate.labels(target, "target", n, logits.shape[1])
    return logits.gather(1, target.to(device=logits.device, dtype=torch.long)[:, None])[:, 0]  # (N,)


def _check_inputs(model, x, target):
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    validate.tensor(x, "x", ndim=4)
    _check_target(target)


def saliency(model, x, target):
    """The saliency map: |d logits[n, target] / d x[n]|, the largest over the channels.

    model: maps x (N, C, H, W) to logits (N, K); target: a class index, or (N,) int64 indices
    (one per image). Returns (N, H, W), on x's device and of its dtype."""
    _check_inputs(model, x, target)
    with _inspecting(model):
        x = x.detach().requires_grad_(True)  # a new leaf sharing x's values
        scores = _class_scores(model(x), target, x)  # (N,)
        (grad,) = torch.autograd.grad(scores.sum(), x)  # (N, C, H, W)
    return grad.abs().amax(dim=1)  # (N, H, W)


def class_activation_map(model, x, target, layer):
    """Grad-CAM of conv layer `layer` for class `target` (see the module doc).

    model: returns (logits (N, K), maps) from model(x, need_maps=True), maps[l] (N, F_l, h, w)
    the feature maps of conv layer l (as lib.cnn.CNN does); x: (N, C, H, W); target: a class
    index or (N,) int64 indices; layer: a conv layer's index, negative counting from the end.
    Returns (cam, coarse): coarse (N, h, w) = ReLU(sum_k alpha_k A_k), and cam (N, H, W), coarse
    resized to the input's size by bilinear interpolation (align_corners=False, as an image
    resize does), so it can be laid over the image."""
    _check_inputs(model, x, target)
    if "need_maps" not in inspect.signature(model.forward).parameters:
        raise TypeError(f"model must return its feature maps from model(x, need_maps=True), as lib.cnn.CNN "
                        f"does; {type(model).__name__}.forward takes no need_maps")
    with _inspecting(model):
        logits, maps = model(x.detach().requires_grad_(True), need_maps=True)
        if isinstance(layer, bool) or not isinstance(layer, int) or not -len(maps) <= layer < len(maps):
            raise ValueError(f"layer must be a conv layer index in [{-len(maps)}, {len(maps)}), got {layer!r}")
        A = maps[layer]  # (N, F, h, w)
        (grad,) = torch.autograd.grad(_class_scores(logits, target, x).sum(), A)  # (N, F, h, w)
    alpha = grad.mean(dim=(2, 3))  # (N, F)
    coarse = torch.relu((alpha[:, :, None, None] * A.detach()).sum(dim=1))  # (N, h, w)
    cam = F.interpolate(coarse[:, None], size=tuple(x.shape[2:]), mode="bilinear", align_corners=False)  # (N, 1, H, W)
    return cam[:, 0], coarse  # (N, H, W), (N, h, w)
