"""A small reverse-mode automatic differentiation engine over torch tensors.

In the spirit of micrograd, but each value is a whole tensor. A `Tensor` holds `data` (a
torch tensor), the Tensors it was computed from (`parents`) and a `grad_fn`: a closure
that maps the gradient of this Tensor to the gradients of its parents. `backward()` walks
the graph in reverse topological order, applying each grad_fn once and adding up the
gradients that reach a Tensor along different paths. Broadcasting in the forward pass
becomes a sum in the backward pass (`unbroadcast`).

Like torch: leaf gradients accumulate across backward() calls until zero_grad(); a
non-leaf keeps the gradient of the latest backward() in `.grad`, for inspection.
torch.autograd is never used here; tests/lib/test_autograd.py compares against it.
"""
import numbers

import torch

from lib import activations, validate


def unbroadcast(grad, shape):
    """Sum `grad` (shaped like a broadcast result) back down to `shape`.

    grad: (*B) gradient of a broadcast output; shape: the input's shape, broadcastable to B.
    Returns a tensor of `shape`: summed over the leading axes broadcasting added and over
    the axes where the input had size 1.
    """
    if grad.shape == shape:
        return grad
    if len(shape) > grad.dim() or any(s not in (1, g) for s, g in zip(reversed(shape), reversed(grad.shape))):
        raise ValueError(f"shape {tuple(shape)} does not broadcast to the gradient's shape {tuple(grad.shape)}")
    while grad.dim() > len(shape):
        grad = grad.sum(dim=0)
    for axis, size in enumerate(shape):
        if size == 1 and grad.shape[axis] != 1:
            grad = grad.sum(dim=axis, keepdim=True)
    return grad


class Tensor:
    """A node of the computational graph: a torch tensor plus how to differentiate it."""

    def __init__(self, data, requires_grad=False, parents=(), grad_fn=None, op=""):
        if isinstance(data, Tensor):
            raise TypeError("data must be a torch.Tensor or a number, not an autograd Tensor")
        data = torch.as_tensor(data)
        if not data.is_floating_point():
            data = data.to(torch.get_default_dtype())
        self.data = data
        self.parents = tuple(parents)
        self.grad_fn = grad_fn
        self.op = op
        self.requires_grad = bool(requires_grad) or any(p.requires_grad for p in self.parents)
        self.grad = None

    shape = property(lambda self: self.data.shape)
    dtype = property(lambda self: self.data.dtype)
    device = property(lambda self: self.data.device)

    def __repr__(self):
        return f"Tensor({self.data!r}, op={self.op!r}, requires_grad={self.requires_grad})"

    def _lift(self, other):
        """`other` as a Tensor on this one's dtype and device (numbers become constants)."""
        if isinstance(other, Tensor):
            return other
        if isinstance(other, (numbers.Number, torch.Tensor)):
            return Tensor(torch.as_tensor(other, dtype=self.dtype, device=self.device))
        raise TypeError(f"cannot combine an autograd Tensor with {type(other).__name__}")

    def _child(self, data, parents, grad_fn, op):
        return Tensor(data, parents=parents, grad_fn=grad_fn, op=op)

    # elementwise arithmetic, with broadcasting
    def __add__(self, other):
        other = self._lift(other)
        return self._child(self.data + other.data, (self, other), lambda g: (g, g), "+")

    def __mul__(self, other):
        other = self._lift(other)
        a, b = self.data, other.data
        return self._child(a * b, (self, other), lambda g: (g * b, g * a), "*")

    def __pow__(self, k):
        """self ** k for a constant number k."""
        if not isinstance(k, numbers.Number) or isinstance(k, bool):
            raise TypeError(f"exponent k must be a number, got {type(k).__name__}")
        a = self.data
        if k == 0:  # a ** 0 = 1 everywhere, 0 ** 0 included: the slope is 0 (not 0 * 0 ** -1 = nan)
            return self._child(torch.ones_like(a), (self,), lambda g: (torch.zeros_like(g),), "**0")
        return self._child(a ** k, (self,), lambda g: (g * k * a ** (k - 1),), f"**{k}")

    def __neg__(self):
        return self * -1

    def __sub__(self, other):
        return self + (-self._lift(other))

    def __rsub__(self, other):
        return self._lift(other) + (-self)

    def __truediv__(self, other):
        return self * self._lift(other) ** -1

    def __rtruediv__(self, other):
        return self._lift(other) * self ** -1

    __radd__ = __add__
    __rmul__ = __mul__

    def __matmul__(self, other):
        """Matrix product of two 2-D Tensors: (N, D) @ (D, M) -> (N, M)."""
        other = self._lift(other)
        if self.data.dim() != 2 or other.data.dim() != 2:
            raise ValueError(f"matmul needs two 2-D operands, got shapes {tuple(self.shape)} "
                             f"and {tuple(other.shape)}")
        a, b = self.data, other.data
        return self._child(a @ b, (self, other), lambda g: (g @ b.T, a.T @ g), "@")

    # reductions
    def sum(self, dim=None, keepdim=False):
        """Sum over `dim` (an int, a tuple of ints, or None for all axes)."""
        shape = self.shape
        dims = tuple(range(len(shape))) if dim is None else ((dim,) if isinstance(dim, int) else tuple(dim))
        dims = tuple(d % len(shape) for d in dims) if shape else ()

        def grad_fn(g):
            if not keepdim:
                for d in sorted(dims):
                    g = g.unsqueeze(d)
            return (g.expand(shape),)

        out = self.data.sum(dim=dims, keepdim=keepdim) if dims else self.data.clone()
        return self._child(out, (self,), grad_fn, "sum")

    def mean(self, dim=None, keepdim=False):
        """Mean over `dim` (an int, a tuple of ints, or None for all axes)."""
        total = self.sum(dim, keepdim)
        return total * (total.data.numel() / self.data.numel())

    # elementwise functions
    def relu(self):
        a = self.data
        return self._child(a.clamp_min(0), (self,), lambda g: (g * (a > 0).to(a.dtype),), "relu")

    def tanh(self):
        t = torch.tanh(self.data)
        return self._child(t, (self,), lambda g: (g * (1 - t * t),), "tanh")

    def sigmoid(self):
        s = activations.sigmoid(self.data)
        return self._child(s, (self,), lambda g: (g * s * (1 - s),), "sigmoid")

    def exp(self):
        e = torch.exp(self.data)
        return self._child(e, (self,), lambda g: (g * e,), "exp")

    def log(self):
        a = self.data
        return self._child(torch.log(a), (self,), lambda g: (g / a,), "log")

    # the backward pass
    def topological_order(self):
        """Every Tensor this one depends on (itself last), each after all its parents."""
        order, seen, stack = [], set(), [(self, False)]
        while stack:
            node, expanded = stack.pop()
            if expanded:
                order.append(node)
            elif id(node) not in seen:
                seen.add(id(node))
                stack.append((node, True))
                stack.extend((p, False) for p in node.parents if id(p) not in seen)
        return order

    def backward(self, grad=None):
        """Fill .grad of every Tensor that requires grad and that this one depends on.

        grad: gradient of the final objective with respect to this Tensor (a torch tensor of the
        same shape, on the same device); may be left out when this Tensor has a single element
        (it is then 1). Like torch, every leaf's .grad is a tensor of its own, with the dtype,
        device and layout of its data: changing one in place (clipping) changes no other.
        A non-leaf keeps the gradient that reached it, for inspection.
        """
        if not self.requires_grad:
            raise RuntimeError("backward(): this Tensor does not require grad (no leaf with requires_grad=True)")
        if grad is None:
            if self.data.numel() != 1:
                raise RuntimeError(f"backward(): grad must be given for a non-scalar Tensor of shape {tuple(self.shape)}")
            grad = torch.ones_like(self.data)
        elif not isinstance(grad, torch.Tensor) or not grad.is_floating_point():
            raise TypeError(f"grad must be a floating-point torch.Tensor, got "
                            f"{getattr(grad, 'dtype', type(grad).__name__)}")
        elif grad.shape != self.shape or grad.device != self.device:
            raise ValueError(f"grad must have this Tensor's shape {tuple(self.shape)} on {self.device}, got "
                             f"shape {tuple(grad.shape)} on {grad.device}")
        grads = {id(self): grad}
        for node in reversed(self.topological_order()):
            g = grads.pop(id(node), None)
            if g is None:
                continue
            if node.grad_fn is None:  # a leaf: its .grad is a tensor of its own, laid out like its data
                node.grad = torch.empty_like(node.data).copy_(g) if node.grad is None else node.grad.add_(g)
                continue
            node.grad = g
            for parent, pg in zip(node.parents, node.grad_fn(g)):
                if parent.requires_grad:
                    pg = unbroadcast(pg, parent.shape)
                    pg = pg if pg.dtype == parent.dtype else pg.to(parent.dtype)
                    grads[id(parent)] = pg if id(parent) not in grads else grads[id(parent)] + pg

    def zero_grad(self):
        self.grad = None


def cross_entropy(logits, y):
    """Mean softmax cross-entropy built from engine ops (stable: the row max is subtracted).

    logits: (N, C) Tensor; y: (N,) torch integer labels. Returns a 0-D Tensor.
    The subtracted max is a constant: log-softmax does not change when a row is shifted.
    """
    shift = logits - Tensor(logits.data.max(dim=1, keepdim=True).values)
    log_probs = shift - shift.exp().sum(dim=1, keepdim=True).log()
    if not isinstance(logits, Tensor):
        raise TypeError(f"logits must be an autograd Tensor, got {type(logits).__name__}")
    validate.labels(y, "y", logits.shape[0], logits.shape[1])
    onehot = torch.zeros_like(logits.data)
    onehot[torch.arange(y.shape[0], device=y.device), y] = 1
    return -(log_probs * Tensor(onehot)).sum() / y.shape[0]


def numerical_gradient(f, inputs, eps=1e-6):
    """Central finite differences (f(x + eps) - f(x - eps)) / (2 eps), entry by entry.

    f: maps torch tensors (one per input) to a number or a single-element tensor;
    inputs: float64 torch tensors. Returns one torch tensor of gradients per input,
    shaped like that input. Costs 2 evaluations of f per input entry.
    """
    for k, x in enumerate(inputs):
        validate.tensor(x, f"inputs[{k}]")
    inputs = [x.contiguous() for x in inputs]  # entries are perturbed through a flat view
    grads = []
    for k, x in enumerate(inputs):
        g = torch.zeros_like(x)
        for i in range(x.numel()):
            plus, minus = [t.clone() for t in inputs], [t.clone() for t in inputs]
            plus[k].view(-1)[i] += eps
            minus[k].view(-1)[i] -= eps
            g.view(-1)[i] = (float(f(*plus)) - float(f(*minus))) / (2 * eps)
        grads.append(g)
    return grads


def gradcheck(f, inputs, eps=1e-6, rtol=1e-5, atol=1e-8):
    """Compare the engine's gradients of f at `inputs` with central finite differences.

    f: maps Tensors to a single-element Tensor; inputs: float64 torch tensors (float32
    rounding would swamp the differences). Returns the largest absolute difference;
    raises AssertionError naming the input and entry where the two disagree.
    """
    for k, x in enumerate(inputs):
        if not isinstance(x, torch.Tensor) or x.dtype != torch.float64:
            raise TypeError(f"inputs[{k}] must be a float64 torch.Tensor, got "
                            f"{getattr(x, 'dtype', type(x).__name__)}")
    leaves = [Tensor(x.clone(), requires_grad=True) for x in inputs]
    f(*leaves).backward()
    worst = 0.0
    numeric_grads = numerical_gradient(lambda *xs: f(*[Tensor(x) for x in xs]).data, inputs, eps)
    for k, (leaf, numeric) in enumerate(zip(leaves, numeric_grads)):
        analytic = leaf.grad if leaf.grad is not None else torch.zeros_like(numeric)
        bad = ~torch.isclose(analytic, numeric, rtol=rtol, atol=atol)
        if bad.any():
            i = tuple(int(j) for j in torch.nonzero(bad)[0])
            raise AssertionError(f"gradcheck: inputs[{k}]{list(i)}: backward gives {float(analytic[i]):.8g}, "
                                 f"finite differences give {float(numeric[i]):.8g}")
        worst = max(worst, float((analytic - numeric).abs().max()) if numeric.numel() else 0.0)
    return worst
