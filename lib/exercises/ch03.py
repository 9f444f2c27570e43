"""Chapter 03 (losses and optimizers): the definitions of its exercises: oracles are F.* and torch.optim."""

import torch
import torch.nn.functional as F

from lib.exercises import operators as ops
from lib.exercises.base import Case, Exercise, Mistake, randn, unpack
from lib import data

F64 = dict(rtol=1e-9, atol=1e-12)


def _bce_cases(g):
    logits = randn(g, 8, dtype=torch.float32, scale=3)
    target = (torch.rand(8, generator=g) < 0.5).float()
    return [
        Case((logits, target, False), "8 logits ~ 3 N(0, 1), float32"),
        Case(
            (torch.tensor([1e4, -1e4, 100.0, -100.0]), torch.tensor([0.0, 1.0, 1.0, 0.0]), False),
            "logits ±1e4 (no inf)",
        ),
        Case(
            (randn(g, 3, 4, scale=10), torch.rand(3, 4, generator=g, dtype=torch.float64), False),
            "soft targets, float64 (3, 4)",
            rtol=1e-10,
            atol=1e-12,
        ),
        Case(
            (
                torch.tensor([[800.0, -800.0]], dtype=torch.float64),
                torch.tensor([[0.3, 0.6]], dtype=torch.float64),
                False,
            ),
            "logits ±800 with soft targets",
            rtol=1e-10,
            atol=1e-12,
        ),
        Case(
            (randn(g, 6, scale=4), torch.rand(6, generator=g, dtype=torch.float64), True),
            "the autograd gradient of your loss must be (σ(z) - y) / N",
            **F64,
        ),
    ]


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
    return [
        Case((n, b, int(torch.randint(0, 10_000, (), generator=g))), f"minibatches({n}, {b})")
        for n, b in [(10, 4), (1, 1), (7, 7), (100, 32), (5, 16), (64, 1)]
    ]


def _batch_run(fns, n, batch_size, seed):
    got = fns["minibatches"](n, batch_size, torch.Generator().manual_seed(seed))
    if not isinstance(got, list) or not all(isinstance(b, torch.Tensor) for b in got):
        raise TypeError(f"minibatches must return a list of tensors, got {type(got).__name__}")
    return [b.tolist() for b in got]


def _batch_expected(n, batch_size, seed):
    return [
        b.tolist()
        for b in data.minibatch_indices(n, batch_size, torch.Generator().manual_seed(seed))
    ]


def bumpy(p):
    return (torch.sin(3 * p) * torch.cos(p)).sum() + 0.1 * (p**2).sum()


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
    return [
        Case(
            (randn(g, 5, dtype=torch.float32), 10, 0.1, 0.9, False), "lr 0.1, momentum 0.9, float32"
        ),
        Case((randn(g, 3, 2), 40, 0.05, 0.5, False), "lr 0.05, momentum 0.5", **F64),
        Case((randn(g, 4), 40, 0.05, 0.9, True), "lr 0.05, momentum 0.9, Nesterov", **F64),
        Case((randn(g, 1), 5, 0.3, 0.0, False), "lr 0.3, momentum 0", **F64),
    ]


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
        return unpack(
            fns["sgd_momentum_step"](p, grad, buf, lr, momentum, nesterov), 2, "sgd_momentum_step"
        )

    return _follow(update, start, steps)


def _sgd_expected(start, steps, lr, momentum, nesterov):
    return _torch_path(
        start, steps, lambda ps: torch.optim.SGD(ps, lr=lr, momentum=momentum, nesterov=nesterov)
    )


def _rmsprop_cases(g):
    return [
        Case(
            (randn(g, 5, dtype=torch.float32), 10, 0.01, 0.99, 1e-8), "lr 0.01, alpha 0.99, float32"
        ),
        Case((randn(g, 2, 3), 40, 0.02, 0.9, 1e-8), "lr 0.02, alpha 0.9", **F64),
        Case((randn(g, 4), 20, 0.001, 0.5, 1e-3), "lr 0.001, alpha 0.5, eps 1e-3", **F64),
    ]


def _rmsprop_run(fns, start, steps, lr, alpha, eps):
    def update(p, grad, square_avg, t):
        square_avg = torch.zeros_like(p) if square_avg is None else square_avg
        return unpack(fns["rmsprop_step"](p, grad, square_avg, lr, alpha, eps), 2, "rmsprop_step")

    return _follow(update, start, steps)


def _rmsprop_expected(start, steps, lr, alpha, eps):
    return _torch_path(
        start, steps, lambda ps: torch.optim.RMSprop(ps, lr=lr, alpha=alpha, eps=eps)
    )


def _adam_cases(g):
    return [
        Case((randn(g, 5, dtype=torch.float32), 10, 0.1, (0.9, 0.999), 1.0), "lr 0.1, float32"),
        Case((randn(g, 3, 2), 50, 0.01, (0.9, 0.999), 1.0), "lr 0.01", **F64),
        Case((randn(g, 4), 30, 0.05, (0.5, 0.9), 1.0), "lr 0.05, betas (0.5, 0.9)", **F64),
        Case((randn(g, 4), 10, 0.01, (0.9, 0.999), 1e-7), "gradients of size 1e-7", **F64),
    ]


def _follow_moments(step, name, start, steps, scale):
    """_follow for an Adam-like answer: step(p, grad, m, v, t) -> (new p, new m, new v), with m
    and v zeros at t = 1; `name` is the answer's, for the message when it returns something else."""

    def update(p, grad, moments, t):
        m, v = moments or (torch.zeros_like(p), torch.zeros_like(p))
        new_p, m, v = unpack(step(p, grad, m, v, t), 3, name)
        return new_p, (m, v)

    return _follow(update, start, steps, scale)


def _adam_run(fns, start, steps, lr, betas, scale):
    def step(p, grad, m, v, t):
        return fns["adam_step"](p, grad, m, v, t, lr, betas, 1e-8)

    return _follow_moments(step, "adam_step", start, steps, scale)


def _adam_expected(start, steps, lr, betas, scale):
    return _torch_path(
        start, steps, lambda ps: torch.optim.Adam(ps, lr=lr, betas=betas, eps=1e-8), scale
    )


def _adamw_cases(g):
    return [
        Case(
            (randn(g, 5, dtype=torch.float32), 10, 0.1, (0.9, 0.999), 0.1, 1.0),
            "lr 0.1, weight_decay 0.1, float32",
        ),
        Case((randn(g, 3, 2), 50, 0.01, (0.9, 0.999), 0.5, 1.0), "lr 0.01, weight_decay 0.5", **F64),
        Case(
            (randn(g, 4), 30, 0.05, (0.5, 0.9), 2.0, 1.0),
            "lr 0.05, weight_decay 2, betas (0.5, 0.9)",
            **F64,
        ),
        Case((randn(g, 4), 10, 0.01, (0.9, 0.999), 0.0, 1.0), "weight_decay 0 (plain Adam)", **F64),
        Case(
            (randn(g, 4), 10, 0.01, (0.9, 0.999), 0.1, 1e-7),
            "gradients of size 1e-7, weight_decay 0.1",
            **F64,
        ),
    ]


def _adamw_run(fns, start, steps, lr, betas, weight_decay, scale):
    def step(p, grad, m, v, t):
        return fns["adamw_step"](p, grad, m, v, t, lr, betas, 1e-8, weight_decay)

    return _follow_moments(step, "adamw_step", start, steps, scale)


def _adamw_expected(start, steps, lr, betas, weight_decay, scale):
    return _torch_path(
        start,
        steps,
        lambda ps: torch.optim.AdamW(ps, lr=lr, betas=betas, eps=1e-8, weight_decay=weight_decay),
        scale,
    )


def _schedule_cases(g):
    return [
        Case(
            (0.1, 5, 20, 0.0, list(range(21))),
            "base_lr 0.1, 5 warm-up steps of 20",
            rtol=1e-9,
            atol=1e-15,
        ),
        Case(
            (3e-4, 10, 100, 1e-5, list(range(101))),
            "base_lr 3e-4, 10 warm-up steps of 100",
            rtol=1e-9,
            atol=1e-15,
        ),
        Case((1.0, 1, 7, 0.2, list(range(8))), "one warm-up step", rtol=1e-9, atol=1e-15),
        Case(
            (0.1, 5, 20, 0.01, [21, 30, 500]),
            "after total_steps the rate stays at min_lr",
            rtol=1e-9,
            atol=1e-15,
        ),
    ]


def _schedule_run(fns, base_lr, warmup, total, min_lr, steps):
    return [fns["warmup_cosine"](step, base_lr, warmup, total, min_lr) for step in steps]


def _schedule_expected(base_lr, warmup, total, min_lr, steps):
    p = torch.zeros(1, requires_grad=True)
    opt = torch.optim.SGD([p], lr=base_lr)
    schedule = torch.optim.lr_scheduler.SequentialLR(
        opt,
        [
            torch.optim.lr_scheduler.LinearLR(
                opt, start_factor=1 / warmup, end_factor=1.0, total_iters=max(warmup - 1, 1)
            ),
            torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=total - warmup, eta_min=min_lr),
        ],
        milestones=[warmup],
    )
    rates = []
    for _ in range(total + 1):
        rates.append(schedule.get_last_lr()[0])
        opt.step()
        schedule.step()
    return [float(rates[step]) if step <= total else float(min_lr) for step in steps]


OPTIMIZERS = (
    "torch.optim.sgd.sgd",
    "torch.optim.rmsprop.rmsprop",
    "torch.optim.adam.adam",
    "torch.optim.adamw.adamw",
    # every other torch optimizer's step: with its state and rates set just so, RAdam takes
    # Adam's exact step, and with betas (momentum, 0) SGD-with-momentum's
    "torch.optim.radam.radam",
    "torch.optim.nadam.nadam",
    "torch.optim.adamax.adamax",
    "torch.optim.adagrad.adagrad",
    "torch.optim.asgd.asgd",
    "torch.optim.rprop.rprop",
    "torch.optim.adadelta.adadelta",
    "torch.optim.sparse_adam.SparseAdam.step",
    "lib.optim.SGD._update",
    "lib.optim.RMSprop._update",
    "lib.optim.Adam._update",
)


BCE_LOGITS = Exercise(
    "ch03_bce_logits",
    ("bce_with_logits",),
    _bce_cases,
    _bce_run,
    _bce_expected,
    forbidden_ops=ops.BINARY_CROSS_ENTROPY,
    forbidden=(
        "torch.nn.functional.binary_cross_entropy_with_logits",
        "torch.nn.functional.binary_cross_entropy",
        "torch.nn.functional.logsigmoid",
        "torch.nn.functional.softplus",
        "lib.losses.binary_cross_entropy_with_logits",
        "lib.losses.cross_entropy",  # two classes [0, z] with soft targets
        "lib.layers.log_softmax",
        "torch.distributions.bernoulli.Bernoulli.log_prob",
        "torch.distributions.binomial.Binomial.log_prob",
    ),
    mistakes=(
        Mistake(
            "the textbook formula: log(0) = -inf for large logits",
            """
def bce_with_logits(logits, target):
    p = 1 / (1 + torch.exp(-logits))
    return -(target * torch.log(p) + (1 - target) * torch.log(1 - p)).mean()
""",
        ),
        Mistake(
            "sum instead of mean",
            """
def bce_with_logits(logits, target):
    return (logits.clamp_min(0) - logits * target + torch.log1p(torch.exp(-logits.abs()))).sum()
""",
        ),
        Mistake(
            "|z| left out of the exponent: overflows for negative logits",
            """
def bce_with_logits(logits, target):
    return (logits.clamp_min(0) - logits * target + torch.log1p(torch.exp(-logits))).mean()
""",
        ),
        Mistake(
            "torch's own loss",
            """
def bce_with_logits(logits, target):
    return F.binary_cross_entropy_with_logits(logits, target)
""",
        ),
        Mistake(
            "detached through .item(): not differentiable",
            """
def bce_with_logits(logits, target):
    value = (logits.clamp_min(0) - logits * target + torch.log1p(torch.exp(-logits.abs()))).mean().item()
    return torch.tensor(value, dtype=logits.dtype, device=logits.device)
""",
        ),
    ),
)

MINIBATCHES = Exercise(
    "ch03_minibatches",
    ("minibatches",),
    _batch_cases,
    _batch_run,
    _batch_expected,
    forbidden=("lib.data.batches.minibatch_indices", "torch.utils.data.BatchSampler.__iter__",
               "torch.utils.data.dataset.random_split"),
    mistakes=(
        Mistake(
            "no shuffling",
            """
def minibatches(n, batch_size, generator):
    return list(torch.arange(n).split(batch_size))
""",
        ),
        Mistake(
            "the global random generator instead of the given one",
            """
def minibatches(n, batch_size, generator):
    return list(torch.randperm(n).split(batch_size))
""",
        ),
        Mistake(
            "the last, shorter batch dropped",
            """
def minibatches(n, batch_size, generator):
    order = torch.randperm(n, generator=generator)
    return [order[i:i + batch_size] for i in range(0, n - batch_size + 1, batch_size)]
""",
        ),
        Mistake(
            "a tuple, not a list",
            """
def minibatches(n, batch_size, generator):
    return torch.randperm(n, generator=generator).split(batch_size)
""",
        ),
    ),
)

SGD_MOMENTUM = Exercise(
    "ch03_sgd_momentum",
    ("sgd_momentum_step",),
    _sgd_cases,
    _sgd_run,
    _sgd_expected,
    forbidden_ops=ops.FUSED_OPTIMIZERS,
    forbidden=OPTIMIZERS,
    mistakes=(
        Mistake(
            "the buffer starts at zero, not at the first gradient",
            """
def sgd_momentum_step(p, grad, buf, lr, momentum, nesterov=False):
    buf = momentum * (torch.zeros_like(grad) if buf is None else buf) + (1 - momentum) * grad
    return p - lr * (grad + momentum * buf if nesterov else buf), buf
""",
        ),
        Mistake(
            "Nesterov ignored",
            """
def sgd_momentum_step(p, grad, buf, lr, momentum, nesterov=False):
    buf = grad.clone() if buf is None else momentum * buf + grad
    return p - lr * buf, buf
""",
        ),
        Mistake(
            "steps with the gradient, not the buffer",
            """
def sgd_momentum_step(p, grad, buf, lr, momentum, nesterov=False):
    buf = grad.clone() if buf is None else momentum * buf + grad
    return p - lr * grad, buf
""",
        ),
        Mistake(
            "torch.optim.SGD does the step",
            """
def sgd_momentum_step(p, grad, buf, lr, momentum, nesterov=False):
    param = p.clone().requires_grad_(True)
    param.grad = grad
    opt = torch.optim.SGD([param], lr=lr, momentum=momentum, nesterov=nesterov)
    if buf is not None:
        opt.state[param] = {"momentum_buffer": buf.clone()}
    opt.step()
    return param.detach(), opt.state[param]["momentum_buffer"]
""",
        ),
    ),
)

RMSPROP = Exercise(
    "ch03_rmsprop",
    ("rmsprop_step",),
    _rmsprop_cases,
    _rmsprop_run,
    _rmsprop_expected,
    forbidden_ops=ops.FUSED_OPTIMIZERS,
    forbidden=OPTIMIZERS,
    mistakes=(
        Mistake(
            "eps inside the square root",
            """
def rmsprop_step(p, grad, square_avg, lr, alpha=0.99, eps=1e-8):
    square_avg = alpha * square_avg + (1 - alpha) * grad * grad
    return p - lr * grad / (square_avg + eps).sqrt(), square_avg
""",
        ),
        Mistake(
            "alpha and 1 - alpha swapped",
            """
def rmsprop_step(p, grad, square_avg, lr, alpha=0.99, eps=1e-8):
    square_avg = (1 - alpha) * square_avg + alpha * grad * grad
    return p - lr * grad / (square_avg.sqrt() + eps), square_avg
""",
        ),
        Mistake(
            "divides by the mean square, not its root",
            """
def rmsprop_step(p, grad, square_avg, lr, alpha=0.99, eps=1e-8):
    square_avg = alpha * square_avg + (1 - alpha) * grad * grad
    return p - lr * grad / (square_avg + eps), square_avg
""",
        ),
    ),
)

ADAM = Exercise(
    "ch03_adam",
    ("adam_step",),
    _adam_cases,
    _adam_run,
    _adam_expected,
    forbidden_ops=ops.FUSED_OPTIMIZERS,
    forbidden=OPTIMIZERS,
    mistakes=(
        Mistake(
            "no bias correction",
            """
def adam_step(p, grad, m, v, t, lr, betas=(0.9, 0.999), eps=1e-8):
    beta1, beta2 = betas
    m = beta1 * m + (1 - beta1) * grad
    v = beta2 * v + (1 - beta2) * grad * grad
    return p - lr * m / (v.sqrt() + eps), m, v
""",
        ),
        Mistake(
            "eps inside the square root",
            """
def adam_step(p, grad, m, v, t, lr, betas=(0.9, 0.999), eps=1e-8):
    beta1, beta2 = betas
    m = beta1 * m + (1 - beta1) * grad
    v = beta2 * v + (1 - beta2) * grad * grad
    return p - lr * (m / (1 - beta1 ** t)) / (v / (1 - beta2 ** t) + eps).sqrt(), m, v
""",
        ),
        Mistake(
            "bias correction off by one step (t + 1)",
            """
def adam_step(p, grad, m, v, t, lr, betas=(0.9, 0.999), eps=1e-8):
    beta1, beta2 = betas
    m = beta1 * m + (1 - beta1) * grad
    v = beta2 * v + (1 - beta2) * grad * grad
    t = t + 1
    return p - lr * (m / (1 - beta1 ** t)) / ((v / (1 - beta2 ** t)).sqrt() + eps), m, v
""",
        ),
        Mistake(
            "the second moment of the raw gradient, not squared",
            """
def adam_step(p, grad, m, v, t, lr, betas=(0.9, 0.999), eps=1e-8):
    beta1, beta2 = betas
    m = beta1 * m + (1 - beta1) * grad
    v = beta2 * v + (1 - beta2) * grad.abs()
    return p - lr * (m / (1 - beta1 ** t)) / ((v / (1 - beta2 ** t)).sqrt() + eps), m, v
""",
        ),
        Mistake(
            "torch.optim.Adam does the step",
            """
def adam_step(p, grad, m, v, t, lr, betas=(0.9, 0.999), eps=1e-8):
    param = p.clone().requires_grad_(True)
    param.grad = grad
    opt = torch.optim.Adam([param], lr=lr, betas=betas, eps=eps)
    opt.state[param] = {"step": torch.tensor(float(t - 1)), "exp_avg": m.clone(), "exp_avg_sq": v.clone()}
    opt.step()
    return param.detach(), opt.state[param]["exp_avg"], opt.state[param]["exp_avg_sq"]
""",
        ),
    ),
)

# an AdamW answer cell with `before` the Adam step and `result` returned as the new parameters
_ADAMW_ANSWER = """
def adamw_step(p, grad, m, v, t, lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01):
    beta1, beta2 = betas
    {before}
    m = beta1 * m + (1 - beta1) * grad
    v = beta2 * v + (1 - beta2) * grad * grad
    p = p - lr * (m / (1 - beta1 ** t)) / ((v / (1 - beta2 ** t)).sqrt() + eps)
    return {result}, m, v
"""

ADAMW = Exercise(
    "ch03_adamw",
    ("adamw_step",),
    _adamw_cases,
    _adamw_run,
    _adamw_expected,
    forbidden_ops=ops.FUSED_OPTIMIZERS,
    forbidden=OPTIMIZERS + ("lib.optim.AdamW._update",),
    mistakes=(
        Mistake(
            "weight decay added to the gradient (L2, what Adam's weight_decay does) instead of decoupled",
            _ADAMW_ANSWER.format(before="grad = grad + weight_decay * p", result="p"),
        ),
        Mistake(
            "the decay applied after the Adam step instead of before it",
            _ADAMW_ANSWER.format(before="# (no decay yet)", result="p * (1 - lr * weight_decay)"),
        ),
        Mistake(
            "the decay not scaled by the learning rate: p * (1 - weight_decay)",
            _ADAMW_ANSWER.format(before="p = p * (1 - weight_decay)", result="p"),
        ),
        Mistake(
            "torch.optim.AdamW does the step",
            """
def adamw_step(p, grad, m, v, t, lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01):
    param = p.clone().requires_grad_(True)
    param.grad = grad
    opt = torch.optim.AdamW([param], lr=lr, betas=betas, eps=eps, weight_decay=weight_decay)
    opt.state[param] = {"step": torch.tensor(float(t - 1)), "exp_avg": m.clone(), "exp_avg_sq": v.clone()}
    opt.step()
    return param.detach(), opt.state[param]["exp_avg"], opt.state[param]["exp_avg_sq"]
""",
        ),
    ),
)

WARMUP_COSINE = Exercise(
    "ch03_warmup_cosine",
    ("warmup_cosine",),
    _schedule_cases,
    _schedule_run,
    _schedule_expected,
    forbidden=(
        "lib.optim.warmup_cosine",
        "lib.optim.CosineAnnealingLR.lr_at",
        "lib.optim.LinearLR.lr_at",
        "torch.optim.lr_scheduler.LRScheduler.step",
    ),
    mistakes=(
        Mistake(
            "warm-up from step, not step + 1: the first rate is 0",
            """
def warmup_cosine(step, base_lr, warmup_steps, total_steps, min_lr=0.0):
    if step < warmup_steps:
        return base_lr * step / warmup_steps
    progress = min(1.0, (step - warmup_steps) / (total_steps - warmup_steps))
    return min_lr + (base_lr - min_lr) * (1 + math.cos(math.pi * progress)) / 2
""",
        ),
        Mistake(
            "the cosine counted from step 0, not from the end of warm-up",
            """
def warmup_cosine(step, base_lr, warmup_steps, total_steps, min_lr=0.0):
    if step < warmup_steps:
        return base_lr * (step + 1) / warmup_steps
    progress = min(1.0, step / total_steps)
    return min_lr + (base_lr - min_lr) * (1 + math.cos(math.pi * progress)) / 2
""",
        ),
        Mistake(
            "min_lr ignored",
            """
def warmup_cosine(step, base_lr, warmup_steps, total_steps, min_lr=0.0):
    if step < warmup_steps:
        return base_lr * (step + 1) / warmup_steps
    progress = min(1.0, (step - warmup_steps) / (total_steps - warmup_steps))
    return base_lr * (1 + math.cos(math.pi * progress)) / 2
""",
        ),
        Mistake(
            "no cap after total_steps: the rate climbs again",
            """
def warmup_cosine(step, base_lr, warmup_steps, total_steps, min_lr=0.0):
    if step < warmup_steps:
        return base_lr * (step + 1) / warmup_steps
    progress = (step - warmup_steps) / (total_steps - warmup_steps)
    return min_lr + (base_lr - min_lr) * (1 + math.cos(math.pi * progress)) / 2
""",
        ),
    ),
)

EXERCISES = [BCE_LOGITS, MINIBATCHES, SGD_MOMENTUM, RMSPROP, ADAM, ADAMW, WARMUP_COSINE]
