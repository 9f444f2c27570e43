"""Judge specs for chapter 03 (losses and optimizers): oracles are F.* and torch.optim."""
import torch
import torch.nn.functional as F

from grading.specs.base import Case, Exercise, randn, unpack
from lib import data

F64 = dict(rtol=1e-9, atol=1e-12)


def _bce_cases(g):
    logits = randn(g, 8, dtype=torch.float32, scale=3)
    target = (torch.rand(8, generator=g) < 0.5).float()
    return [Case((logits, target, False), "8 logits ~ 3 N(0, 1), float32"),
            Case((torch.tensor([1e4, -1e4, 100.0, -100.0]), torch.tensor([0.0, 1.0, 1.0, 0.0]), False),
                 "logits ±1e4 (no inf)"),
            Case((randn(g, 3, 4, scale=10), torch.rand(3, 4, generator=g, dtype=torch.float64), False),
                 "soft targets, float64 (3, 4)", rtol=1e-10, atol=1e-12),
            Case((torch.tensor([[800.0, -800.0]], dtype=torch.float64), torch.tensor([[0.3, 0.6]], dtype=torch.float64),
                  False), "logits ±800 with soft targets", rtol=1e-10, atol=1e-12),
            Case((randn(g, 6, scale=4), torch.rand(6, generator=g, dtype=torch.float64), True),
                 "the autograd gradient of your loss must be (σ(z) - y) / N", **F64)]


def _bce_run(fns, logits, target, differentiate):
    if not differentiate:
        return fns["bce_with_logits"](logits, target)
    z = logits.clone().requires_grad_(True)
    loss = fns["bce_with_logits"](z, target)
    if not isinstance(loss, torch.Tensor) or not loss.requires_grad:
        raise TypeError("bce_with_logits must stay differentiable (autograd)")
    (grad,) = torch.autograd.grad(loss, z)
    return loss.detach(), grad


def _bce_expected(logits, target, differentiate):
    loss = F.binary_cross_entropy_with_logits(logits, target)
    if not differentiate:
        return loss
    return loss, (torch.sigmoid(logits) - target) / logits.numel()


def _batch_cases(g):
    return [Case((n, b, int(torch.randint(0, 10_000, (), generator=g))), f"minibatches({n}, {b})")
            for n, b in [(10, 4), (1, 1), (7, 7), (100, 32), (5, 16), (64, 1)]]


def _batch_run(fns, n, batch_size, seed):
    got = fns["minibatches"](n, batch_size, torch.Generator().manual_seed(seed))
    if not isinstance(got, list) or not all(isinstance(b, torch.Tensor) for b in got):
        raise TypeError(f"minibatches must return a list of tensors, got {type(got).__name__}")
    return [b.tolist() for b in got]


def _batch_expected(n, batch_size, seed):
    return [b.tolist() for b in data.minibatch_indices(n, batch_size, torch.Generator().manual_seed(seed))]


def bumpy(p):
    return (torch.sin(3 * p) * torch.cos(p)).sum() + 0.1 * (p ** 2).sum()


def grad_at(p, scale=1.0):
    q = p.detach().clone().requires_grad_(True)
    (grad,) = torch.autograd.grad(bumpy(q), q)
    return grad * scale


def _torch_path(start, steps, make, scale=1.0):
    p = start.clone().requires_grad_(True)
    opt, path = make([p]), []
    for _ in range(steps):
        p.grad = grad_at(p, scale)
        opt.step()
        path.append(p.detach().clone())
    return path


def _sgd_cases(g):
    return [Case((randn(g, 5, dtype=torch.float32), 10, 0.1, 0.9, False), "lr 0.1, momentum 0.9, float32"),
            Case((randn(g, 3, 2), 40, 0.05, 0.5, False), "lr 0.05, momentum 0.5", **F64),
            Case((randn(g, 4), 40, 0.05, 0.9, True), "lr 0.05, momentum 0.9, Nesterov", **F64),
            Case((randn(g, 1), 5, 0.3, 0.0, False), "lr 0.3, momentum 0", **F64)]


def _follow(update, start, steps, scale=1.0):
    """The parameters after each of `steps` updates from `start` on the bumpy surface.

    update: (p, grad, state, t) -> (new p, new state), with state None at t = 1.
    """
    p, state, path = start.clone(), None, []
    for t in range(1, steps + 1):
        p, state = update(p, grad_at(p, scale), state, t)
        path.append(p)
    return path


def _sgd_run(fns, start, steps, lr, momentum, nesterov):
    def update(p, grad, buf, t):
        return unpack(fns["sgd_momentum_step"](p, grad, buf, lr, momentum, nesterov), 2, "sgd_momentum_step")
    return _follow(update, start, steps)


def _sgd_expected(start, steps, lr, momentum, nesterov):
    return _torch_path(start, steps, lambda ps: torch.optim.SGD(ps, lr=lr, momentum=momentum, nesterov=nesterov))


def _rmsprop_cases(g):
    return [Case((randn(g, 5, dtype=torch.float32), 10, 0.01, 0.99, 1e-8), "lr 0.01, alpha 0.99, float32"),
            Case((randn(g, 2, 3), 40, 0.02, 0.9, 1e-8), "lr 0.02, alpha 0.9", **F64),
            Case((randn(g, 4), 20, 0.001, 0.5, 1e-3), "lr 0.001, alpha 0.5, eps 1e-3", **F64)]


def _rmsprop_run(fns, start, steps, lr, alpha, eps):
    def update(p, grad, square_avg, t):
        square_avg = torch.zeros_like(p) if square_avg is None else square_avg
        return unpack(fns["rmsprop_step"](p, grad, square_avg, lr, alpha, eps), 2, "rmsprop_step")
    return _follow(update, start, steps)


def _rmsprop_expected(start, steps, lr, alpha, eps):
    return _torch_path(start, steps, lambda ps: torch.optim.RMSprop(ps, lr=lr, alpha=alpha, eps=eps))


def _adam_cases(g):
    return [Case((randn(g, 5, dtype=torch.float32), 10, 0.1, (0.9, 0.999), 1.0), "lr 0.1, float32"),
            Case((randn(g, 3, 2), 50, 0.01, (0.9, 0.999), 1.0), "lr 0.01", **F64),
            Case((randn(g, 4), 30, 0.05, (0.5, 0.9), 1.0), "lr 0.05, betas (0.5, 0.9)", **F64),
            Case((randn(g, 4), 10, 0.01, (0.9, 0.999), 1e-7), "gradients of size 1e-7", **F64)]


def _adam_run(fns, start, steps, lr, betas, scale):
    def update(p, grad, moments, t):
        m, v = moments or (torch.zeros_like(p), torch.zeros_like(p))
        new_p, m, v = unpack(fns["adam_step"](p, grad, m, v, t, lr, betas, 1e-8), 3, "adam_step")
        return new_p, (m, v)
    return _follow(update, start, steps, scale)


def _adam_expected(start, steps, lr, betas, scale):
    return _torch_path(start, steps, lambda ps: torch.optim.Adam(ps, lr=lr, betas=betas, eps=1e-8), scale)


def _schedule_cases(g):
    return [Case((0.1, 5, 20, 0.0, list(range(21))), "base_lr 0.1, 5 warm-up steps of 20", **F64),
            Case((3e-4, 10, 100, 1e-5, list(range(101))), "base_lr 3e-4, 10 warm-up steps of 100", **F64),
            Case((1.0, 1, 7, 0.2, list(range(8))), "one warm-up step", **F64),
            Case((0.1, 5, 20, 0.01, [21, 30, 500]), "after total_steps the rate stays at min_lr", **F64)]


def _schedule_run(fns, base_lr, warmup, total, min_lr, steps):
    return [fns["warmup_cosine"](step, base_lr, warmup, total, min_lr) for step in steps]


def _schedule_expected(base_lr, warmup, total, min_lr, steps):
    p = torch.zeros(1, requires_grad=True)
    opt = torch.optim.SGD([p], lr=base_lr)
    schedule = torch.optim.lr_scheduler.SequentialLR(opt, [
        torch.optim.lr_scheduler.LinearLR(opt, start_factor=1 / warmup, end_factor=1.0,
                                          total_iters=max(warmup - 1, 1)),
        torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=total - warmup, eta_min=min_lr),
    ], milestones=[warmup])
    rates = []
    for _ in range(total + 1):
        rates.append(schedule.get_last_lr()[0])
        opt.step()
        schedule.step()
    return [float(rates[step]) if step <= total else float(min_lr) for step in steps]


EXERCISES = [
    Exercise("ch03_bce_logits", ("bce_with_logits",), _bce_cases, _bce_run, _bce_expected),
    Exercise("ch03_minibatches", ("minibatches",), _batch_cases, _batch_run, _batch_expected),
    Exercise("ch03_sgd_momentum", ("sgd_momentum_step",), _sgd_cases, _sgd_run, _sgd_expected),
    Exercise("ch03_rmsprop", ("rmsprop_step",), _rmsprop_cases, _rmsprop_run, _rmsprop_expected),
    Exercise("ch03_adam", ("adam_step",), _adam_cases, _adam_run, _adam_expected),
    Exercise("ch03_warmup_cosine", ("warmup_cosine",), _schedule_cases, _schedule_run, _schedule_expected),
]
