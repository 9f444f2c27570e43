"""Optimizers and learning-rate schedules, written out, step for step equal to torch.optim.

Same constructor arguments, defaults and semantics as torch.optim (tests/lib/test_optim.py runs
both side by side). Parameters are anything with `.data` and `.grad` tensors: torch leaf
tensors, or lib.autograd Tensors. An optimizer keeps `param_groups` (dicts of
hyper-parameters with their "params") and per-parameter `state`; `step()` updates every
parameter that has a gradient, `zero_grad()` clears the gradients, and
`state_dict()`/`load_state_dict()` save and restore everything needed to continue.
"""
import math

import torch

from lib import validate


def _check_range(group, name, low):
    """group[name] must be a number >= low; a 0-d tensor (torch accepts one, for CUDA graphs)
    is replaced by its value."""
    value = group[name]
    if isinstance(value, torch.Tensor) and value.dim() == 0 and not value.is_complex():
        value = group[name] = value.item()
    validate.number(value, name, low)


# torch.optim's implementation switches: the values that mean the same computation are accepted
# (lib has one implementation, a loop over the parameters); the others are refused with the reason.
SWITCHES = {
    "foreach": ((None, False, True), None),
    "fused": ((None, False, True), None),
    "differentiable": ((False,), "autograd through the step is not supported: lib's step runs under "
                                  "torch.no_grad (use torch.optim)"),
    "capturable": ((False,), "capturing the step in a CUDA graph is not supported (use torch.optim)"),
}


def _check_switches(group):
    for name, (allowed, why) in SWITCHES.items():
        if name in group and not any(group[name] is value for value in allowed):
            reason = why or "expected None, False or True"
            raise ValueError(f"{name}={group[name]!r}: {reason}")


class Optimizer:
    """What every optimizer shares: parameter groups, state, zero_grad, step, state_dict."""

    def __init__(self, params, defaults):
        if isinstance(params, torch.Tensor):
            raise TypeError("params must be an iterable of tensors or of dicts, not a single tensor")
        params = list(params)
        if not params:
            raise ValueError("params is empty: the optimizer got no parameters")
        self.defaults = dict(defaults)
        self.param_groups = []
        self.state = {}
        for group in params if isinstance(params[0], dict) else [{"params": params}]:
            self.add_param_group(group)

    def add_param_group(self, group):
        """Add a dict {"params": [...], hyper-parameter: value, ...}; missing values take the defaults.
        params: tensors, or (name, tensor) pairs as from model.named_parameters() (the names are
        kept in "param_names", like torch)."""
        if not isinstance(group, dict) or "params" not in group:
            raise TypeError(f"a parameter group must be a dict with a 'params' key, got {type(group).__name__}")
        group = dict(group)
        params = group["params"]
        params = [params] if isinstance(params, torch.Tensor) else list(params)
        if params and all(isinstance(p, tuple) and len(p) == 2 and isinstance(p[0], str) for p in params):
            group["param_names"], params = [name for name, _ in params], [p for _, p in params]
        bad = next((p for p in params if not (isinstance(getattr(p, "data", None), torch.Tensor)
                                              and hasattr(p, "grad"))), None)
        if bad is not None or not params:
            raise TypeError("params must hold tensors (or lib.autograd Tensors) with .data and .grad, "
                            f"got {'nothing' if not params else type(bad).__name__}")
        group["params"] = params
        unknown = set(group) - set(self.defaults) - {"params", "initial_lr", "param_names"}
        if unknown:
            raise ValueError(f"unknown hyper-parameter(s) {sorted(unknown)}; "
                             f"{type(self).__name__} takes {sorted(self.defaults)}")
        for key, value in self.defaults.items():
            group.setdefault(key, value)
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        if any(id(p) in seen for p in group["params"]):
            raise ValueError("some parameters appear in more than one parameter group")
        self._check(group)
        self.param_groups.append(group)

    def _check(self, group):
        _check_range(group, "lr", 0.0)
        _check_range(group, "weight_decay", 0.0)
        _check_switches(group)

    def _params(self):
        return [p for g in self.param_groups for p in g["params"]]

    def zero_grad(self, set_to_none=True):
        """Clear every parameter's gradient: to None (the default, like torch) or to zeros."""
        for p in self._params():
            if p.grad is not None:
                if set_to_none:
                    p.grad = None
                else:
                    p.grad.zero_()

    @torch.no_grad()
    def step(self, closure=None):
        """Update every parameter that has a gradient; returns closure() (re-evaluated loss) or None."""
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is not None:
                    grad = -p.grad if group.get("maximize") else p.grad
                    self._update(p.data, grad, self.state.setdefault(p, {}), group)
        return loss

    def _update(self, p, grad, state, group):
        """Change tensor p in place, given its gradient, its state dict and its group."""
        raise NotImplementedError

    def state_dict(self):
        """{"state": {index: {...}}, "param_groups": [{..., "params": [indices]}]}, like torch."""
        index = {id(p): i for i, p in enumerate(self._params())}
        state = {index[id(p)]: {k: v.clone() if isinstance(v, torch.Tensor) else v for k, v in s.items()}
                 for p, s in self.state.items()}
        groups = [{**{k: v for k, v in g.items() if k != "params"}, "params": [index[id(p)] for p in g["params"]]}
                  for g in self.param_groups]
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict):
        """Restore hyper-parameters and state saved by state_dict() from an identical setup."""
        saved_groups = state_dict["param_groups"]
        if [len(g["params"]) for g in saved_groups] != [len(g["params"]) for g in self.param_groups]:
            raise ValueError("state_dict has a different number of parameter groups or of parameters "
                             "per group than this optimizer")
        params = self._params()
        for group, saved in zip(self.param_groups, saved_groups):
            group.update({k: v for k, v in saved.items() if k != "params"})
        self.state = {
            params[int(i)]: {k: v.clone().to(params[int(i)].data.device) if isinstance(v, torch.Tensor) else v
                             for k, v in s.items()}
            for i, s in state_dict["state"].items()
        }


class SGD(Optimizer):
    """Stochastic gradient descent with momentum, dampening, Nesterov and weight decay.

    g = grad + weight_decay p;  buf = g at the first step, then buf = momentum buf + (1 - dampening) g;
    g = g + momentum buf (Nesterov) or buf;  p = p - lr g.  Matches torch.optim.SGD.
    """

    def __init__(self, params, lr=1e-3, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False, *,
                 maximize=False, foreach=None, differentiable=False, fused=None):
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay,
                                      nesterov=nesterov, maximize=maximize, foreach=foreach,
                                      differentiable=differentiable, fused=fused))

    def _check(self, group):
        super()._check(group)
        _check_range(group, "momentum", 0.0)
        _check_range(group, "dampening", 0.0)
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError("nesterov=True needs momentum > 0 and dampening = 0")

    def _update(self, p, grad, state, group):
        if group["weight_decay"]:
            grad = grad.add(p, alpha=group["weight_decay"])
        momentum = group["momentum"]
        if momentum:
            buf = state.get("momentum_buffer")
            if buf is None:
                buf = state["momentum_buffer"] = grad.clone()
            else:
                buf.mul_(momentum).add_(grad, alpha=1 - group["dampening"])
            grad = grad.add(buf, alpha=momentum) if group["nesterov"] else buf
        p.add_(grad, alpha=-group["lr"])


class RMSprop(Optimizer):
    """Divide each step by a running root mean square of the gradients.

    s = alpha s + (1 - alpha) g^2;  centered: a = alpha a + (1 - alpha) g, s_hat = s - a^2;
    d = sqrt(s_hat) + eps;  momentum: buf = momentum buf + g / d, p -= lr buf;  else p -= lr g / d.
    Matches torch.optim.RMSprop.
    """

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0, centered=False,
                 capturable=False, foreach=None, maximize=False, differentiable=False):
        super().__init__(params, dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay, momentum=momentum,
                                      centered=centered, capturable=capturable, foreach=foreach,
                                      maximize=maximize, differentiable=differentiable))

    def _check(self, group):
        super()._check(group)
        _check_range(group, "alpha", 0.0)
        _check_range(group, "eps", 0.0)
        _check_range(group, "momentum", 0.0)

    def _update(self, p, grad, state, group):
        if group["weight_decay"]:
            grad = grad.add(p, alpha=group["weight_decay"])
        alpha = group["alpha"]
        state["step"] = state.get("step", 0) + 1
        square_avg = state.setdefault("square_avg", torch.zeros_like(p))
        square_avg.mul_(alpha).addcmul_(grad, grad, value=1 - alpha)
        if group["centered"]:
            grad_avg = state.setdefault("grad_avg", torch.zeros_like(p))
            grad_avg.lerp_(grad, 1 - alpha)
            denom = square_avg.addcmul(grad_avg, grad_avg, value=-1).sqrt_().add_(group["eps"])
        else:
            denom = square_avg.sqrt().add_(group["eps"])
        if group["momentum"] > 0:
            buf = state.setdefault("momentum_buffer", torch.zeros_like(p))
            buf.mul_(group["momentum"]).addcdiv_(grad, denom)
            p.add_(buf, alpha=-group["lr"])
        else:
            p.addcdiv_(grad, denom, value=-group["lr"])


class Adam(Optimizer):
    """Adaptive moments with bias correction (Kingma and Ba, 2015).

    m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2;  at step t:
    p -= lr / (1 - b1^t) * m / (sqrt(v / (1 - b2^t)) + eps), with v replaced by its running
    maximum when amsgrad. weight_decay adds weight_decay p to g (L2), or with
    decoupled_weight_decay=True shrinks p by lr weight_decay first (AdamW). Matches torch.optim.Adam.
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, amsgrad=False, *,
                 foreach=None, maximize=False, capturable=False, differentiable=False, fused=None,
                 decoupled_weight_decay=False):
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad,
                                      foreach=foreach, maximize=maximize, capturable=capturable,
                                      differentiable=differentiable, fused=fused,
                                      decoupled_weight_decay=decoupled_weight_decay))

    def _check(self, group):
        super()._check(group)
        _check_range(group, "eps", 0.0)
        betas = group["betas"]
        if isinstance(betas, (tuple, list)) and len(betas) == 2:
            betas = group["betas"] = tuple(b.item() if isinstance(b, torch.Tensor) and b.dim() == 0 else b
                                           for b in betas)
        if not (isinstance(betas, tuple) and len(betas) == 2 and all(
                isinstance(b, (int, float)) and not isinstance(b, bool) and 0 <= b < 1 for b in betas)):
            raise ValueError(f"betas must be a pair of numbers in [0, 1), got {betas!r}")

    def _update(self, p, grad, state, group):
        lr, (beta1, beta2), wd = group["lr"], group["betas"], group["weight_decay"]
        state["step"] = step = state.get("step", 0) + 1
        if group["decoupled_weight_decay"]:
            p.mul_(1 - lr * wd)
        elif wd:
            grad = grad.add(p, alpha=wd)
        m = state.setdefault("exp_avg", torch.zeros_like(p))
        v = state.setdefault("exp_avg_sq", torch.zeros_like(p))
        m.lerp_(grad, 1 - beta1)
        v.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
        if group["amsgrad"]:
            v_max = state.setdefault("max_exp_avg_sq", torch.zeros_like(p))
            torch.maximum(v_max, v, out=v_max)
            v = v_max
        denom = (v.sqrt() / (1 - beta2 ** step) ** 0.5).add_(group["eps"])
        p.addcdiv_(m, denom, value=-lr / (1 - beta1 ** step))


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov and Hutter, 2019): p *= 1 - lr weight_decay
    before the Adam step, instead of adding weight_decay p to the gradient. Matches torch.optim.AdamW.
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False, *,
                 maximize=False, foreach=None, capturable=False, differentiable=False, fused=None):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, foreach=foreach, maximize=maximize,
                         capturable=capturable, differentiable=differentiable, fused=fused,
                         decoupled_weight_decay=True)


class LRScheduler:
    """Changes each group's "lr" once per step, like torch.optim.lr_scheduler.

    Constructing a scheduler applies epoch 0; call step() once after each optimizer.step().
    Subclasses give lr_at(base_lr, epoch), the schedule in closed form. Like torch's, each step
    changes the rate the group has now by the schedule's own change from the previous epoch
    (a factor, or for CosineAnnealingLR a factor of the distance to eta_min), rather than
    overwriting it, so several schedulers on one optimizer combine: LinearLR warm-up with StepLR
    gives the product of both. Alone, a scheduler follows lr_at exactly (up to rounding).
    To resume, load the optimizer's state_dict (it holds the rates) and then the scheduler's.
    """

    def __init__(self, optimizer, last_epoch=-1):
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"optimizer must be a lib.optim optimizer, got {type(optimizer).__name__}")
        if isinstance(last_epoch, bool) or not isinstance(last_epoch, int) or last_epoch < -1:
            raise ValueError(f"last_epoch must be an int >= -1, got {last_epoch!r}")
        self.optimizer = optimizer
        for group in optimizer.param_groups:
            if last_epoch == -1:
                group.setdefault("initial_lr", group["lr"])
            elif "initial_lr" not in group:
                raise KeyError("last_epoch is given but a param group has no 'initial_lr': resume only an "
                               "optimizer that a scheduler has already driven")
        self.base_lrs = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch, self._step_count = last_epoch, 0
        self.step()

    def lr_at(self, base_lr, epoch):
        raise NotImplementedError

    def chained(self, lr, base_lr, epoch):
        """The rate at `epoch` for a group whose rate is now `lr`: lr times the schedule's factor
        from epoch - 1 to epoch (from base_lr at epoch 0)."""
        before = base_lr if epoch == 0 else self.lr_at(base_lr, epoch - 1)
        now = self.lr_at(base_lr, epoch)
        return lr * now / before if before else now

    def step(self):
        """Advance one epoch (or iteration) and write the new learning rates into the optimizer."""
        self.last_epoch += 1
        self._step_count += 1
        for group, base in zip(self.optimizer.param_groups, self.base_lrs):
            group["lr"] = self.chained(group["lr"], base, self.last_epoch)
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]

    def get_last_lr(self):
        """The learning rate of every group, as this scheduler's latest step() left it."""
        return list(self._last_lr)

    def state_dict(self):
        return {k: v for k, v in self.__dict__.items() if k != "optimizer"}

    def load_state_dict(self, state_dict):
        """Restore the epoch count and settings (not the rates: those are in the optimizer's state_dict)."""
        self.__dict__.update(state_dict)


class StepLR(LRScheduler):
    """lr = base_lr * gamma ** (epoch // step_size); matches torch's StepLR."""

    def __init__(self, optimizer, step_size, gamma=0.1, last_epoch=-1):
        validate.positive_int(step_size, "step_size")
        validate.number(gamma, "gamma", 0.0)
        self.step_size, self.gamma = step_size, gamma
        super().__init__(optimizer, last_epoch)

    def lr_at(self, base_lr, epoch):
        return base_lr * self.gamma ** (epoch // self.step_size)


class CosineAnnealingLR(LRScheduler):
    """lr = eta_min + (base_lr - eta_min) (1 + cos(pi epoch / T_max)) / 2; matches torch's
    CosineAnnealingLR (which computes the same curve recursively)."""

    def __init__(self, optimizer, T_max, eta_min=0.0, last_epoch=-1):
        validate.positive_int(T_max, "T_max")
        validate.number(eta_min, "eta_min", 0.0)
        self.T_max, self.eta_min = T_max, eta_min
        super().__init__(optimizer, last_epoch)

    def lr_at(self, base_lr, epoch):
        return self.eta_min + (base_lr - self.eta_min) * (1 + math.cos(math.pi * epoch / self.T_max)) / 2

    def chained(self, lr, base_lr, epoch):
        """Scale the distance to eta_min by the curve's factor; step by the curve's rise when the
        previous epoch was at the bottom (a zero distance cannot be scaled), as torch does."""
        if epoch == 0:
            return lr
        if self._step_count == 1:  # resumed at last_epoch >= 0: nothing to chain from
            return self.lr_at(base_lr, epoch)
        before, now = self.lr_at(base_lr, epoch - 1) - self.eta_min, self.lr_at(base_lr, epoch) - self.eta_min
        if (epoch - 1 - self.T_max) % (2 * self.T_max) == 0:
            return lr + now - before
        return self.eta_min + (lr - self.eta_min) * now / before


class LinearLR(LRScheduler):
    """Linear warm-up: lr = base_lr * factor, the factor going from start_factor to end_factor in
    total_iters steps, then staying there; matches torch's LinearLR."""

    def __init__(self, optimizer, start_factor=1 / 3, end_factor=1.0, total_iters=5, last_epoch=-1):
        if not 0 < start_factor <= 1 or not 0 <= end_factor <= 1:
            raise ValueError(f"start_factor must be in (0, 1] and end_factor in [0, 1], got {start_factor!r} "
                             f"and {end_factor!r}")
        validate.positive_int(total_iters, "total_iters")
        self.start_factor, self.end_factor, self.total_iters = start_factor, end_factor, total_iters
        super().__init__(optimizer, last_epoch)

    def lr_at(self, base_lr, epoch):
        progress = min(epoch, self.total_iters) / self.total_iters
        return base_lr * (self.start_factor + (self.end_factor - self.start_factor) * progress)


def warmup_cosine(step, base_lr, warmup_steps, total_steps, min_lr=0.0):
    """Learning rate at `step` (0-based): linear warm-up from 0, then a cosine decay to min_lr.

    step < warmup_steps: base_lr (step + 1) / warmup_steps; afterwards, with
    progress = (step - warmup_steps) / (total_steps - warmup_steps), clipped to [0, 1]:
    min_lr + (base_lr - min_lr) (1 + cos(pi progress)) / 2. The schedule transformers use.
    """
    validate.number(step, "step", 0)
    if not 0 <= warmup_steps < total_steps:
        raise ValueError(f"need 0 <= warmup_steps < total_steps, got {warmup_steps!r} and {total_steps!r}")
    if step < warmup_steps:
        return base_lr * (step + 1) / warmup_steps
    progress = min(1.0, (step - warmup_steps) / (total_steps - warmup_steps))
    return min_lr + (base_lr - min_lr) * (1 + math.cos(math.pi * progress)) / 2
