"""Chapter 03 submissions for the batch test (see corpus.py): honest ones, and hostile ones that
are specific to losses and optimizers: answers that reach what an exercise asks the student to
write (a stable binary cross-entropy, mini-batches, the SGD, RMSprop, Adam and AdamW steps, a
warm-up cosine schedule) through another door: an nn module or a distribution whose code calls
the forbidden function, the ATen operator under torch's own namespace, an equivalent kernel
(softplus, logsigmoid), a torch.optim class (fused, or another optimizer configured to compute
the same step), a DataLoader whose BatchSampler cuts the batches, torch's schedulers, the lib
version under another name, through another lib function or through its state_dict; and doors
the judge refuses before running the cell (torch._C, private torch.optim helpers, a computed
getattr, importlib).

CHEATS are the answers that would be right if calling was allowed: test_cheats checks that each
one gives the reference result when nobody watches, so its zero in the batch is the rule's doing.
Chapter-independent hostility (tampering, forged records, crashes) is in corpus01.py.
"""
from lib import exercises
from tests.grading.conftest import notebooks, solved
from tests.grading.corpus import Batch

CHAPTER = "03_optimizers"
POINTS = {"ch03_bce_logits": 2, "ch03_minibatches": 2, "ch03_sgd_momentum": 2, "ch03_rmsprop": 2, "ch03_adam": 3,
          "ch03_adamw": 2, "ch03_warmup_cosine": 2}
# One typical mistake of each exercise (the first its definition lists): a wrong answer.
WRONG = {gid: exercises.get(gid).mistakes[0].source for gid in POINTS}
BATCH = Batch(CHAPTER, POINTS, WRONG)


def _torch_step(make, state, returned):
    """An optimizer-step answer cell's body that lets the torch.optim or lib.optim optimizer
    `make` (code building `opt` for [param]) take the step from `state` (code: a dict)."""
    return f"""
    param = p.clone().requires_grad_(True)
    param.grad = grad.clone()
    opt = {make}
    opt.state[param] = {state}
    opt.step()
    return param.detach(), {returned}
"""


RMSPROP_SIGNATURE = "\ndef rmsprop_step(p, grad, square_avg, lr, alpha=0.99, eps=1e-8):"
ADAM_SIGNATURE = "\ndef adam_step(p, grad, m, v, t, lr, betas=(0.9, 0.999), eps=1e-8):"
ADAMW_SIGNATURE = "\ndef adamw_step(p, grad, m, v, t, lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01):"
MOMENTS = 'opt.state[param]["exp_avg"], opt.state[param]["exp_avg_sq"]'
TORCH_MOMENTS = '{"step": torch.tensor(float(t - 1)), "exp_avg": m.clone(), "exp_avg_sq": v.clone()}'
LIB_MOMENTS = '{"step": t - 1, "exp_avg": m.clone(), "exp_avg_sq": v.clone()}'

CHEATS = {
    "bce_through_the_nn_module": ("ch03_bce_logits", """
import torch.nn as nn

def bce_with_logits(logits, target):
    return nn.BCEWithLogitsLoss()(logits, target)
"""),
    "bce_from_the_torch_namespace": ("ch03_bce_logits", """
def bce_with_logits(logits, target):
    return torch.binary_cross_entropy_with_logits(logits, target, None, None, 1)  # 1: reduction "mean"
"""),
    "bce_from_a_softplus_module": ("ch03_bce_logits", """
def bce_with_logits(logits, target):
    return (torch.nn.Softplus()(logits) - logits * target).mean()  # softplus(z) - z y
"""),
    "bce_from_a_logsigmoid_module": ("ch03_bce_logits", """
def bce_with_logits(logits, target):
    log_sigmoid = torch.nn.LogSigmoid()
    return -(target * log_sigmoid(logits) + (1 - target) * log_sigmoid(-logits)).mean()
"""),
    "bce_from_a_bernoulli_distribution": ("ch03_bce_logits", """
from torch.distributions import Bernoulli

def bce_with_logits(logits, target):
    return -Bernoulli(logits=logits, validate_args=False).log_prob(target).mean()
"""),
    "bce_from_lib_renamed": ("ch03_bce_logits", """
from lib.losses import binary_cross_entropy_with_logits as stable_loss

def bce_with_logits(logits, target):
    return stable_loss(logits, target)
"""),
    "softplus_through_the_c_binding": ("ch03_bce_logits", """
def bce_with_logits(logits, target):
    return (torch._C._nn.softplus(logits, 1, 20) - logits * target).mean()
"""),
    "minibatches_from_libs_batches": ("ch03_minibatches", """
import lib.data

def minibatches(n, batch_size, generator):
    every = torch.arange(n)
    return [xb for xb, _ in lib.data.batches(every, every, batch_size, generator)]
"""),
    "minibatches_from_a_dataloader": ("ch03_minibatches", """
from torch.utils.data import DataLoader, RandomSampler

def minibatches(n, batch_size, generator):
    order = RandomSampler(range(n), generator=generator)
    return list(DataLoader(range(n), batch_size=batch_size, sampler=order))
"""),
    "minibatches_from_lib_renamed": ("ch03_minibatches", """
from lib.data import minibatch_indices as chunks

def minibatches(n, batch_size, generator):
    return chunks(n, batch_size, generator)
"""),
    "minibatches_by_computed_name": ("ch03_minibatches", """
import lib.data

def minibatches(n, batch_size, generator):
    return getattr(lib.data, "minibatch_" + "indices")(n, batch_size, generator)
"""),
    "sgd_from_torch_fused": ("ch03_sgd_momentum", "\ndef sgd_momentum_step(p, grad, buf, lr, momentum, nesterov=False):"
                             + _torch_step("torch.optim.SGD([param], lr=lr, momentum=momentum, nesterov=nesterov, "
                                           "fused=True)",
                                           '{} if buf is None else {"momentum_buffer": buf.clone()}',
                                           'opt.state[param]["momentum_buffer"] if momentum else grad.clone()')),
    "sgd_from_lib_renamed": ("ch03_sgd_momentum", "\nfrom lib.optim import SGD as Descent\n\n"
                             "\ndef sgd_momentum_step(p, grad, buf, lr, momentum, nesterov=False):"
                             + _torch_step("Descent([param], lr=lr, momentum=momentum, nesterov=nesterov)",
                                           '{} if buf is None else {"momentum_buffer": buf.clone()}',
                                           'opt.state[param]["momentum_buffer"] if momentum else grad.clone()')),
    "sgd_from_torchs_private_helper": ("ch03_sgd_momentum", """
from torch.optim.sgd import _single_tensor_sgd

def sgd_momentum_step(p, grad, buf, lr, momentum, nesterov=False):
    p, bufs = p.clone(), [None if buf is None else buf.clone()]
    _single_tensor_sgd([p], [grad], bufs, None, None, weight_decay=0.0, momentum=momentum, lr=lr, dampening=0.0,
                       nesterov=nesterov, maximize=False, has_sparse_grad=False)
    return p, bufs[0] if momentum else grad.clone()
"""),
    # Adam with beta1 = 0 is RMSprop once its bias corrections are gone: a step count of a
    # million makes 1 - beta^t equal to 1.
    "rmsprop_as_torch_adam": ("ch03_rmsprop", RMSPROP_SIGNATURE
                              + _torch_step("torch.optim.Adam([param], lr=lr, betas=(0.0, alpha), eps=eps)",
                                            '{"step": torch.tensor(1e6), "exp_avg": torch.zeros_like(p), '
                                            '"exp_avg_sq": square_avg.clone()}',
                                            'opt.state[param]["exp_avg_sq"]')),
    "rmsprop_from_lib": ("ch03_rmsprop", "\nimport lib.optim\n\n" + RMSPROP_SIGNATURE
                         + _torch_step("lib.optim.RMSprop([param], lr=lr, alpha=alpha, eps=eps)",
                                       '{"square_avg": square_avg.clone()}', 'opt.state[param]["square_avg"]')),
    "rmsprop_by_computed_name": ("ch03_rmsprop", "\nimport lib.optim\n\n" + RMSPROP_SIGNATURE
                                 + _torch_step('getattr(lib.optim, "RMS" + "prop")([param], lr=lr, alpha=alpha, '
                                               'eps=eps)',
                                               '{"square_avg": square_avg.clone()}',
                                               'opt.state[param]["square_avg"]')),
    "adam_from_lib_renamed": ("ch03_adam", "\nfrom lib.optim import Adam as Adaptive\n\n" + ADAM_SIGNATURE
                              + _torch_step("Adaptive([param], lr=lr, betas=betas, eps=eps)", LIB_MOMENTS, MOMENTS)),
    "adam_as_torch_fused_adamw": ("ch03_adam", ADAM_SIGNATURE + _torch_step(
        "torch.optim.AdamW([param], lr=lr, betas=betas, eps=eps, weight_decay=0.0, fused=True)",
        TORCH_MOMENTS, MOMENTS)),
    "adam_as_lib_adamw": ("ch03_adam", "\nimport lib.optim\n\n" + ADAM_SIGNATURE + _torch_step(
        "lib.optim.AdamW([param], lr=lr, betas=betas, eps=eps, weight_decay=0.0)", LIB_MOMENTS, MOMENTS)),
    "adam_from_torchs_private_helper": ("ch03_adam", """
from torch.optim import adam

def adam_step(p, grad, m, v, t, lr, betas=(0.9, 0.999), eps=1e-8):
    p, m, v = p.clone(), m.clone(), v.clone()
    adam._single_tensor_adam([p], [grad], [m], [v], [], [torch.tensor(float(t - 1))], None, None, amsgrad=False,
                             has_complex=False, beta1=betas[0], beta2=betas[1], lr=lr, weight_decay=0.0, eps=eps,
                             maximize=False, capturable=False, differentiable=False, decoupled_weight_decay=False)
    return p, m, v
"""),
    "adamw_as_torch_adam_decoupled": ("ch03_adamw", ADAMW_SIGNATURE + _torch_step(
        "torch.optim.Adam([param], lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, "
        "decoupled_weight_decay=True)", TORCH_MOMENTS, MOMENTS)),
    "adamw_decay_then_lib_adam": ("ch03_adamw", """
from lib import optim

def adamw_step(p, grad, m, v, t, lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01):
    param = (p * (1 - lr * weight_decay)).requires_grad_(True)
    param.grad = grad.clone()
    opt = optim.Adam([param], lr=lr, betas=betas, eps=eps)
    opt.state[param] = {"step": t - 1, "exp_avg": m.clone(), "exp_avg_sq": v.clone()}
    opt.step()
    return param.detach(), opt.state[param]["exp_avg"], opt.state[param]["exp_avg_sq"]
"""),
    "adamw_from_lib_through_its_state_dict": ("ch03_adamw", """
import lib.optim

def adamw_step(p, grad, m, v, t, lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01):
    param = p.clone().requires_grad_(True)
    param.grad = grad.clone()
    opt = lib.optim.AdamW([param], lr=lr, betas=betas, eps=eps, weight_decay=weight_decay)
    saved = opt.state_dict()
    saved["state"] = {0: {"step": t - 1, "exp_avg": m, "exp_avg_sq": v}}
    opt.load_state_dict(saved)
    opt.step()
    state = opt.state_dict()["state"][0]
    return param.detach(), state["exp_avg"], state["exp_avg_sq"]
"""),
    "adamw_from_torch_imported_late": ("ch03_adamw", """
import importlib

def adamw_step(p, grad, m, v, t, lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01):
    param = p.clone().requires_grad_(True)
    param.grad = grad.clone()
    opt = importlib.import_module("torch.optim").AdamW([param], lr=lr, betas=betas, eps=eps, weight_decay=weight_decay)
    opt.state[param] = {"step": torch.tensor(float(t - 1)), "exp_avg": m.clone(), "exp_avg_sq": v.clone()}
    opt.step()
    return param.detach(), opt.state[param]["exp_avg"], opt.state[param]["exp_avg_sq"]
"""),
    "schedule_from_lib_schedulers": ("ch03_warmup_cosine", """
import lib.optim

def warmup_cosine(step, base_lr, warmup_steps, total_steps, min_lr=0.0):
    opt = lib.optim.SGD([torch.zeros(1, requires_grad=True)], lr=base_lr)
    if step < warmup_steps:
        return lib.optim.LinearLR(opt, 1 / warmup_steps, 1.0, max(warmup_steps - 1, 1)).lr_at(base_lr, step)
    cosine = lib.optim.CosineAnnealingLR(opt, total_steps - warmup_steps, min_lr)
    return cosine.lr_at(base_lr, min(step, total_steps) - warmup_steps)
"""),
    "schedule_from_torch_schedulers": ("ch03_warmup_cosine", """
def warmup_cosine(step, base_lr, warmup_steps, total_steps, min_lr=0.0):
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=base_lr)
    warm = torch.optim.lr_scheduler.LinearLR(opt, 1 / warmup_steps, 1.0, max(warmup_steps - 1, 1))
    cosine = torch.optim.lr_scheduler.CosineAnnealingLR(opt, total_steps - warmup_steps, min_lr)
    schedule = torch.optim.lr_scheduler.SequentialLR(opt, [warm, cosine], milestones=[warmup_steps])
    for _ in range(min(step, total_steps)):
        opt.step()
        schedule.step()
    return float(schedule.get_last_lr()[0])
"""),
    "schedule_from_lib_imported_late": ("ch03_warmup_cosine", """
import importlib

def warmup_cosine(step, base_lr, warmup_steps, total_steps, min_lr=0.0):
    return importlib.import_module("lib.optim").warmup_cosine(step, base_lr, warmup_steps, total_steps, min_lr)
"""),
    "bce_by_logaddexp": ("ch03_bce_logits", """
def bce_with_logits(logits, target):
    return (torch.logaddexp(torch.zeros_like(logits), logits) - logits * target).mean()
"""),
    "bce_as_two_class_cross_entropy": ("ch03_bce_logits", """
def bce_with_logits(logits, target):
    pair = torch.stack([torch.zeros_like(logits), logits], dim=-1).reshape(-1, 2)
    soft = torch.stack([1 - target, target], dim=-1).reshape(-1, 2)
    return F.cross_entropy(pair, soft)
"""),
    "adam_as_torchs_radam_rescaled": ("ch03_adam", """
import math

def adam_step(p, grad, m, v, t, lr, betas=(0.9, 0.999), eps=1e-8):
    beta1, beta2 = betas
    T = 10 ** 6  # RAdam rectifies (uses sqrt(v)) once rho_T > 5; its bias terms are undone below
    rho_inf = 2 / (1 - beta2) - 1
    rho = rho_inf - 2 * T * beta2 ** T / (1 - beta2 ** T)
    r = math.sqrt((rho - 4) * (rho - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho))
    bc1, bc2, bc1_T, bc2_T = 1 - beta1 ** t, 1 - beta2 ** t, 1 - beta1 ** T, 1 - beta2 ** T
    param = p.clone().requires_grad_(True)
    param.grad = grad.clone()
    opt = torch.optim.RAdam([param], lr=lr * math.sqrt(bc2) / bc1 * bc1_T / (r * math.sqrt(bc2_T)), betas=betas,
                            eps=eps * math.sqrt(bc2), foreach=False)
    opt.state[param] = {"step": torch.tensor(float(T - 1)), "exp_avg": m.clone(), "exp_avg_sq": v.clone()}
    opt.step()
    return param.detach(), opt.state[param]["exp_avg"], opt.state[param]["exp_avg_sq"]
"""),
    "minibatches_from_random_split": ("ch03_minibatches", """
from torch.utils.data import random_split

def minibatches(n, batch_size, generator):
    sizes = [batch_size] * (n // batch_size) + ([n % batch_size] if n % batch_size else [])
    return [torch.tensor(s.indices) for s in random_split(range(n), sizes, generator)]
"""),
}
NAMED = {
    "bce_by_logaddexp": ("ch03_bce_logits", "aten.logaddexp"),
    "bce_as_two_class_cross_entropy": ("ch03_bce_logits", "aten._log_softmax"),
    "adam_as_torchs_radam_rescaled": ("ch03_adam", "torch.optim.radam.radam"),
    "minibatches_from_random_split": ("ch03_minibatches", "random_split"),
    "bce_through_the_nn_module": ("ch03_bce_logits", "calls torch.nn.functional.binary_cross_entropy_with_logits"),
    "bce_from_the_torch_namespace": ("ch03_bce_logits", "calls aten.binary_cross_entropy_with_logits"),
    "bce_from_a_softplus_module": ("ch03_bce_logits", "calls torch.nn.functional.softplus"),
    "bce_from_a_bernoulli_distribution": ("ch03_bce_logits",
                                          "calls torch.distributions.bernoulli.Bernoulli.log_prob"),
    "softplus_through_the_c_binding": ("ch03_bce_logits", "not run: line "),
    "minibatches_from_libs_batches": ("ch03_minibatches", "calls lib.data.batches.minibatch_indices"),
    "minibatches_from_a_dataloader": ("ch03_minibatches", "calls torch.utils.data.BatchSampler.__iter__"),
    "sgd_from_torch_fused": ("ch03_sgd_momentum", "calls torch.optim.sgd.sgd"),
    "rmsprop_as_torch_adam": ("ch03_rmsprop", "calls torch.optim.adam.adam"),
    "adam_as_lib_adamw": ("ch03_adam", "calls lib.optim.Adam._update"),
    "adamw_from_lib_through_its_state_dict": ("ch03_adamw", "calls lib.optim.AdamW._update"),
    "schedule_from_lib_schedulers": ("ch03_warmup_cosine", "calls lib.optim.LinearLR.lr_at"),
    "schedule_from_torch_schedulers": ("ch03_warmup_cosine", "calls torch.optim.lr_scheduler.LRScheduler.step"),
}
STOPPED = {"honest_solved": "graded"}

ALTERNATIVES = {
    "ch03_bce_logits": """
def bce_with_logits(logits, target):
    positive_part = torch.maximum(logits, torch.zeros_like(logits))
    return torch.mean(positive_part - logits * target + torch.log1p(torch.exp(-torch.abs(logits))))
""",
    "ch03_minibatches": """
def minibatches(n, batch_size, generator):
    order = torch.randperm(n, generator=generator)
    return list(order.tensor_split(list(range(batch_size, n, batch_size))))
""",
    "ch03_adam": """
def adam_step(p, grad, m, v, t, lr, betas=(0.9, 0.999), eps=1e-8):
    beta1, beta2 = betas
    m = torch.lerp(m, grad, 1 - beta1)
    v = torch.addcmul(v * beta2, grad, grad, value=1 - beta2)
    denom = (v / (1 - beta2 ** t)).sqrt().add(eps)
    return torch.addcdiv(p, m, denom, value=-lr / (1 - beta1 ** t)), m, v
""",
    "ch03_warmup_cosine": """
import lib.optim

print(lib.optim.warmup_cosine(0, 0.1, 5, 20))  # looking at the lib version outside the answer is allowed

def warmup_cosine(step, base_lr, warmup_steps, total_steps, min_lr=0.0):
    if step < warmup_steps:
        return base_lr * (step + 1) / warmup_steps
    progress = (min(step, total_steps) - warmup_steps) / (total_steps - warmup_steps)
    return min_lr + (base_lr - min_lr) * (1 + math.cos(math.pi * progress)) / 2
""",
}


def corpus(root):
    """{student: (file name, content, expected scores, honest?)}; `root` is the course root."""
    name, release = BATCH.name, notebooks(CHAPTER)[0]
    honest = {
        "honest_solved": (name, solved(CHAPTER), BATCH.scores()),
        "honest_untouched": (name, release, BATCH.scores(*BATCH.points)),
        "honest_partial": (name, BATCH.with_answers(ch03_adam=WRONG["ch03_adam"]), BATCH.scores("ch03_adam")),
        "honest_other_routes": (name, BATCH.with_answers(**ALTERNATIVES), BATCH.scores()),
    }
    bad = {student: BATCH.hostile(gid, "", source) for student, (gid, source) in CHEATS.items()}
    failed = {student: [gid] for student, (gid, _) in CHEATS.items()}
    return BATCH.entries(honest, bad, failed)
