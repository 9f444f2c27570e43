"""One artificial neuron y = activation(x . w + b), and gradient descent on it with MSE."""
import torch

from lib import activations, losses, validate


def _check(x, w, b):
    validate.tensor(x, "x", ndim=2)
    validate.tensor(w, "w", ndim=1)
    b = torch.as_tensor(b, dtype=x.dtype, device=x.device)
    if b.dim() != 0:
        raise ValueError(f"b must be a scalar (0-D), got shape {tuple(b.shape)}")
    if w.shape[0] != x.shape[1]:
        raise ValueError(f"w must have shape ({x.shape[1]},) to match x {tuple(x.shape)}, got {tuple(w.shape)}")
    validate.same_device(x=x, w=w)
    return b


def neuron_forward(x, w, b, activation="sigmoid"):
    """Outputs of one neuron for a batch.

    x: (N, D) inputs; w: (D,) weights; b: scalar bias (float or 0-D tensor);
    activation: "sigmoid", "tanh", "relu" or a callable. Returns (N,) activations.
    """
    b = _check(x, w, b)
    return activations.get(activation)(x @ w + b)


def neuron_mse_grads(x, y, w, b):
    """MSE loss of a sigmoid neuron and its gradients, derived by hand (no autograd).

    x: (N, D) inputs; y: (N,) targets; w: (D,); b: scalar.
    L = mean((p - y)^2) with p = sigmoid(x @ w + b).
    dL/dz = 2 (p - y) / N * p (1 - p);  dL/dw = x^T dL/dz;  dL/db = sum(dL/dz).
    Returns (loss 0-D, grad_w (D,), grad_b 0-D).
    """
    b = _check(x, w, b)
    validate.tensor(y, "y", ndim=1)
    if y.shape[0] != x.shape[0]:
        raise ValueError(f"y must have shape ({x.shape[0]},) to match x, got {tuple(y.shape)}")
    p = activations.sigmoid(x @ w + b)
    dz = 2 * (p - y) / x.shape[0] * p * (1 - p)
    return losses.mse(p, y), x.T @ dz, dz.sum()


def neuron_step(x, y, w, b, lr):
    """One gradient-descent step on the sigmoid neuron's MSE loss.

    x: (N, D); y: (N,); w: (D,); b: scalar; lr: learning rate > 0.
    Returns (new w (D,), new b 0-D, loss before the step 0-D).
    """
    validate.number(lr, "lr")
    if not lr > 0:
        raise ValueError(f"lr must be > 0, got {lr!r}")
    loss, grad_w, grad_b = neuron_mse_grads(x, y, w, b)
    return w - lr * grad_w, torch.as_tensor(b, dtype=x.dtype, device=x.device) - lr * grad_b, loss
