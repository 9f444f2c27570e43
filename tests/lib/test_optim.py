"""lib.optim against torch.optim: 100 steps side by side for every option combination,
state_dict round trips, parameter groups, schedules, and clear errors."""
import itertools

import pytest
import torch

from lib import optim
from lib.autograd import Tensor


def combos(**options):
    """Every combination of the given option values, as kwargs dicts."""
    names = list(options)
    return [dict(zip(names, values)) for values in itertools.product(*options.values())]


SGD_OPTIONS = [kw for kw in combos(lr=[0.05], momentum=[0.0, 0.9], dampening=[0.0, 0.3], nesterov=[False, True],
                                   weight_decay=[0.0, 0.05], maximize=[False, True])
               if not (kw["nesterov"] and (kw["momentum"] == 0 or kw["dampening"] != 0))]
RMSPROP_OPTIONS = combos(lr=[0.01], alpha=[0.9], centered=[False, True], momentum=[0.0, 0.5],
                         weight_decay=[0.0, 0.05], maximize=[False, True])
ADAM_OPTIONS = combos(lr=[0.02], betas=[(0.9, 0.999), (0.5, 0.8)], amsgrad=[False, True],
                      weight_decay=[0.0, 0.1], maximize=[False, True])
CASES = ([(optim.SGD, torch.optim.SGD, kw) for kw in SGD_OPTIONS]
         + [(optim.RMSprop, torch.optim.RMSprop, kw) for kw in RMSPROP_OPTIONS]
         + [(optim.Adam, torch.optim.Adam, kw) for kw in ADAM_OPTIONS]
         + [(optim.AdamW, torch.optim.AdamW, kw) for kw in ADAM_OPTIONS])
IDS = [f"{ours.__name__}-" + "-".join(f"{k}={v}" for k, v in kw.items() if k != "lr") for ours, _, kw in CASES]


def objective(params):
    """A bounded, bumpy function of the parameters: gradients change from step to step, and
    neither minimising nor maximising it runs off to infinity."""
    a, b = params
    return (torch.sin(3 * a) * torch.cos(a)).sum() + torch.tanh(b - 1).sum() + torch.sin(a[0, :3] * b[:3]).sum()


def initial(device, gen):
    return [torch.randn(3, 4, generator=gen, dtype=torch.float64).to(device),
            torch.randn(5, generator=gen, dtype=torch.float64).to(device)]


def leaves(tensors):
    return [t.clone().requires_grad_(True) for t in tensors]


def run(optimizer, params, steps):
    """steps optimizer steps on objective(params); returns the parameter values after each step."""
    history = []
    for _ in range(steps):
        optimizer.zero_grad()
        objective(params).backward()
        optimizer.step()
        history.append([p.detach().clone() for p in params])
    return history


def max_difference(history_a, history_b):
    """Largest absolute difference between two parameter histories (inf if either is not finite)."""
    if not all(torch.isfinite(t).all() for step in history_a + history_b for t in step):
        return float("inf")
    return max(float((a - b).abs().max()) for step_a, step_b in zip(history_a, history_b)
               for a, b in zip(step_a, step_b))


@pytest.mark.parametrize("ours, theirs, kwargs", CASES, ids=IDS)
def test_100_steps_match_torch_optim(ours, theirs, kwargs, device, gen):
    start = initial(device, gen)
    mine, reference = leaves(start), leaves(start)
    got = run(ours(mine, **kwargs), mine, 100)
    expected = run(theirs(reference, **kwargs), reference, 100)
    assert max_difference(got, expected) < 1e-6
    assert max_difference(got[-1:], [start]) > 1e-3, "the parameters did not move"


@pytest.mark.parametrize("ours, theirs, kwargs", CASES[::3], ids=IDS[::3])
def test_state_dict_round_trip_continues_identically(ours, theirs, kwargs, device, gen):
    start = initial(device, gen)
    first, reference = leaves(start), leaves(start)
    optimizer = ours(first, **kwargs)
    run(optimizer, first, 50)
    saved = optimizer.state_dict()
    resumed_params = leaves([p.detach() for p in first])
    resumed = ours(resumed_params, **kwargs)
    resumed.load_state_dict(saved)
    for state in optimizer.state.values():  # the saved copy must not share tensors with the original
        for value in state.values():
            if isinstance(value, torch.Tensor):
                value.add_(1e3)
    got = run(resumed, resumed_params, 50)
    expected = run(theirs(reference, **kwargs), reference, 100)[50:]
    assert max_difference(got, expected) < 1e-6


def test_param_groups_get_their_own_hyper_parameters(device, gen):
    a, b = initial(device, gen)
    mine, reference = leaves([a, b]), leaves([a, b])
    groups = lambda p: [{"params": [p[0]], "lr": 0.1, "momentum": 0.9}, {"params": p[1]}]  # noqa: E731
    got = run(optim.SGD(groups(mine), lr=0.01), mine, 30)
    expected = run(torch.optim.SGD(groups(reference), lr=0.01), reference, 30)
    assert max_difference(got, expected) < 1e-9


def test_parameters_without_gradient_are_left_alone_and_zero_grad_modes(gen):
    a, b = leaves(initial("cpu", gen))
    optimizer = optim.Adam([a, b], lr=0.1)
    (a ** 2).sum().backward()
    b_before = b.detach().clone()
    optimizer.step()
    assert torch.equal(b.detach(), b_before) and b not in optimizer.state
    optimizer.zero_grad(set_to_none=False)
    assert torch.equal(a.grad, torch.zeros_like(a))
    optimizer.zero_grad()
    assert a.grad is None


def test_optimizer_drives_lib_autograd_tensors_like_torch(gen):
    start = initial("cpu", gen)[0]
    ours = Tensor(start.clone(), requires_grad=True)
    theirs = start.clone().requires_grad_(True)
    opt_ours, opt_theirs = optim.Adam([ours], lr=0.05), torch.optim.Adam([theirs], lr=0.05)
    for _ in range(20):
        opt_ours.zero_grad()
        ((ours * ours).tanh() * ours).sum().backward()
        opt_ours.step()
        opt_theirs.zero_grad()
        (torch.tanh(theirs * theirs) * theirs).sum().backward()
        opt_theirs.step()
    torch.testing.assert_close(ours.data, theirs.detach(), rtol=1e-10, atol=1e-12)


def schedule_pairs():
    return [
        (lambda o: optim.StepLR(o, step_size=7, gamma=0.5), lambda o: torch.optim.lr_scheduler.StepLR(o, 7, 0.5)),
        (lambda o: optim.CosineAnnealingLR(o, T_max=30, eta_min=0.01),
         lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max=30, eta_min=0.01)),
        (lambda o: optim.LinearLR(o, start_factor=0.1, end_factor=1.0, total_iters=10),
         lambda o: torch.optim.lr_scheduler.LinearLR(o, start_factor=0.1, end_factor=1.0, total_iters=10)),
        (lambda o: optim.LinearLR(o), lambda o: torch.optim.lr_scheduler.LinearLR(o)),
    ]


@pytest.mark.parametrize("k", range(4), ids=["step", "cosine", "linear-warmup", "linear-defaults"])
def test_schedules_match_torch_with_their_optimizer(k, device, gen):
    make_ours, make_theirs = schedule_pairs()[k]
    start = initial(device, gen)
    mine, reference = leaves(start), leaves(start)
    opt_ours = optim.SGD(mine, lr=0.1, momentum=0.9)
    opt_theirs = torch.optim.SGD(reference, lr=0.1, momentum=0.9)
    sched_ours, sched_theirs = make_ours(opt_ours), make_theirs(opt_theirs)
    for step in range(100):
        assert sched_ours.get_last_lr() == pytest.approx(sched_theirs.get_last_lr(), rel=1e-12, abs=1e-15), step
        for opt, params in ((opt_ours, mine), (opt_theirs, reference)):
            opt.zero_grad()
            objective(params).backward()
            opt.step()
        sched_ours.step()
        sched_theirs.step()
        if step == 49:  # resuming half way, as torch does: the optimizer's state, then the scheduler's
            saved, saved_opt = sched_ours.state_dict(), opt_ours.state_dict()
            sched_ours = make_ours(opt_ours)
            opt_ours.load_state_dict(saved_opt)
            sched_ours.load_state_dict(saved)
    assert max_difference([[p.detach() for p in mine]], [[p.detach() for p in reference]]) < 1e-6


STACKS = {
    "warmup+step": lambda lr_scheduler, o: [lr_scheduler.LinearLR(o, start_factor=0.1, total_iters=8),
                                             lr_scheduler.StepLR(o, step_size=5, gamma=0.7)],
    "warmup+cosine": lambda lr_scheduler, o: [lr_scheduler.LinearLR(o, start_factor=0.25, total_iters=12),
                                               lr_scheduler.CosineAnnealingLR(o, T_max=20, eta_min=0.01)],
    "step+cosine": lambda lr_scheduler, o: [lr_scheduler.StepLR(o, step_size=9, gamma=0.5),
                                             lr_scheduler.CosineAnnealingLR(o, T_max=15)],
}


@pytest.mark.parametrize("name", STACKS)
def test_stacked_schedulers_combine_like_torch(name):
    """Two schedulers on one optimizer: each changes the rate the other left (warm-up is kept)."""
    mine, theirs = optim.SGD(leaves([torch.zeros(2)]), lr=0.3), torch.optim.SGD(leaves([torch.zeros(2)]), lr=0.3)
    ours, reference = STACKS[name](optim, mine), STACKS[name](torch.optim.lr_scheduler, theirs)
    for step in range(70):
        assert mine.param_groups[0]["lr"] == pytest.approx(theirs.param_groups[0]["lr"], rel=1e-9, abs=1e-15), step
        assert [s.get_last_lr()[0] for s in ours] == pytest.approx([s.get_last_lr()[0] for s in reference], rel=1e-9), step
        theirs.step()
        for a, b in zip(ours, reference):
            a.step()
            b.step()


def test_warmup_cosine_matches_torch_linear_then_cosine():
    warmup, total, base, floor = 10, 100, 0.5, 0.01
    p = torch.zeros(1, requires_grad=True)
    opt = torch.optim.SGD([p], lr=base)
    torch_schedule = torch.optim.lr_scheduler.SequentialLR(opt, [
        torch.optim.lr_scheduler.LinearLR(opt, start_factor=1 / warmup, end_factor=1.0, total_iters=warmup - 1),
        torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=total - warmup, eta_min=floor),
    ], milestones=[warmup])
    for step in range(total + 1):
        assert optim.warmup_cosine(step, base, warmup, total, floor) == pytest.approx(
            torch_schedule.get_last_lr()[0], rel=1e-9), step
        opt.step()
        torch_schedule.step()
    assert optim.warmup_cosine(10 * total, base, warmup, total, floor) == pytest.approx(floor)


@pytest.mark.parametrize("make, match", [
    (lambda p: optim.SGD(p, lr=-0.1), r"lr must be a number in \[0.0, inf\]"),
    (lambda p: optim.SGD(p, lr=0.1, nesterov=True), "nesterov=True needs momentum > 0"),
    (lambda p: optim.Adam(p, betas=(0.9, 1.0)), r"betas must be a pair of numbers in \[0, 1\)"),
    (lambda p: optim.RMSprop(p, alpha=-1), "alpha must be"),
    (lambda p: optim.SGD([], lr=0.1), "params is empty"),
    (lambda p: optim.SGD([{"params": p, "lrr": 0.1}]), r"unknown hyper-parameter\(s\) \['lrr'\]"),
    (lambda p: optim.SGD([{"params": p}, {"params": p[:1]}]), "more than one parameter group"),
    (lambda p: optim.StepLR(optim.SGD(p), step_size=0), "step_size must be a positive int"),
    (lambda p: optim.warmup_cosine(0, 0.1, 10, 10), "warmup_steps < total_steps"),
])
def test_bad_arguments_are_named(make, match):
    with pytest.raises(ValueError, match=match):
        make(leaves([torch.zeros(2), torch.zeros(3)]))


def test_single_tensor_and_foreign_optimizer_are_type_errors():
    with pytest.raises(TypeError, match="not a single tensor"):
        optim.SGD(torch.zeros(2, requires_grad=True))
    with pytest.raises(TypeError, match="must be a lib.optim optimizer"):
        optim.StepLR(torch.optim.SGD([torch.zeros(1, requires_grad=True)]), step_size=1)


TORCH_ARGUMENTS = [
    (optim.SGD, torch.optim.SGD, dict(lr=0.05, momentum=0.9, foreach=True)),
    (optim.SGD, torch.optim.SGD, dict(lr=0.05, foreach=False, fused=None, differentiable=False)),
    (optim.RMSprop, torch.optim.RMSprop, dict(lr=0.01, foreach=True, capturable=False)),
    (optim.Adam, torch.optim.Adam, dict(lr=0.02, betas=[0.8, 0.99], foreach=False)),
    (optim.Adam, torch.optim.Adam, dict(lr=torch.tensor(0.02, dtype=torch.float64),
                                        betas=(torch.tensor(0.8, dtype=torch.float64), torch.tensor(0.99, dtype=torch.float64)))),
    (optim.Adam, torch.optim.Adam, dict(lr=0.02, weight_decay=0.1, decoupled_weight_decay=True)),
    (optim.AdamW, torch.optim.AdamW, dict(lr=0.02, fused=None, foreach=True)),
]


@pytest.mark.parametrize("ours, theirs, kwargs", TORCH_ARGUMENTS,
                         ids=[f"{o.__name__}-{'-'.join(kw)}" for o, _, kw in TORCH_ARGUMENTS])
def test_torch_constructor_arguments_are_accepted_and_mean_the_same(ours, theirs, kwargs, gen):
    start = initial("cpu", gen)
    mine, reference = leaves(start), leaves(start)
    assert max_difference(run(ours(mine, **kwargs), mine, 30), run(theirs(reference, **kwargs), reference, 30)) < 1e-10


def test_named_parameters_are_accepted_like_torch(gen):
    model = torch.nn.Linear(3, 2).double()
    copy = torch.nn.Linear(3, 2).double()
    copy.load_state_dict(model.state_dict())
    ours, theirs = optim.Adam(model.named_parameters(), lr=0.1), torch.optim.Adam(copy.named_parameters(), lr=0.1)
    assert ours.param_groups[0]["param_names"] == theirs.param_groups[0]["param_names"] == ["weight", "bias"]
    x = torch.randn(4, 3, generator=gen, dtype=torch.float64)
    for opt, m in ((ours, model), (theirs, copy)):
        m(x).pow(2).sum().backward()
        opt.step()
    torch.testing.assert_close(model.weight, copy.weight)


@pytest.mark.parametrize("make, error, match", [
    (lambda p: optim.SGD(p, differentiable=True), ValueError, "differentiable=True: autograd through the step"),
    (lambda p: optim.Adam(p, capturable=True), ValueError, "capturable=True: capturing the step in a CUDA graph"),
    (lambda p: optim.SGD(p, foreach="yes"), ValueError, "foreach='yes': expected None, False or True"),
    (lambda p: optim.SGD([1.0, 2.0]), TypeError, "params must hold tensors .* got float"),
    (lambda p: optim.SGD(p, lr="0.1"), ValueError, "lr must be a number"),
    (lambda p: optim.Adam(p, betas=[0.9]), ValueError, "betas must be a pair"),
])
def test_what_lib_cannot_do_is_refused_with_the_reason(make, error, match):
    with pytest.raises(error, match=match):
        make(leaves([torch.zeros(2)]))
