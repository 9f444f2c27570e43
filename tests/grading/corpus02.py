"""Chapter 02 submissions for the batch test (see corpus.py): honest ones, and hostile ones that
are specific to backpropagation: answers that reach the gradient an exercise asks the student to
derive through another door: torch.autograd under another name (a renamed import, torch.func's
grad, vjp, jacrev, torch.autograd.functional's vjp and jacobian, backward() on a clone), forward-mode
AD (jacfwd, forward_ad), the lib version (lib.layers, lib.mlp, lib's own engine) or torch's loss
and softmax kernels (an nn module, torch.special, torch.distributions, a mapped call), and the
grader's own reference code in lib.exercises.ch02.

CHEATS are the answers that would be right if calling was allowed: test_cheats checks that each
one gives the reference result when nobody watches, so its zero in the batch is the rule's doing.
Chapter-independent hostility (tampering, forged records, crashes) is in corpus01.py.
"""
from lib import exercises
from tests.grading.conftest import notebooks, solved
from tests.grading.corpus import Batch

CHAPTER = "02_backprop"


def _mistake(gid, what=None):
    """The answer cell of exercise `gid`'s typical mistake named `what` (the first when None)."""
    return next(m.source for m in exercises.get(gid).mistakes if what in (None, m.what))


# A typical mistake per exercise: the first, and for the topological order the breadth-first
# order that this corpus graded before it took its mistakes from the exercises
WRONG = {gid: _mistake(gid) for gid in ("ch02_linear_backward", "ch02_mse", "ch02_softmax_ce", "ch02_mlp_backward",
                                         "ch02_numerical_gradient", "ch02_engine_ops")}
WRONG["ch02_topological_order"] = _mistake("ch02_topological_order", "breadth-first order from the root, reversed")
DW_TRANSPOSED = WRONG["ch02_linear_backward"]
BATCH = Batch(CHAPTER, {"ch02_linear_backward": 2, "ch02_mse": 2, "ch02_softmax_ce": 2, "ch02_mlp_backward": 3,
                        "ch02_numerical_gradient": 2, "ch02_engine_ops": 2, "ch02_topological_order": 2}, WRONG)

# The hand-written parts a cheat is paired with (allowed on their own).
MSE_BACKWARD = """
def mse_backward(dout, cache):
    return dout * 2 * cache / cache.numel()
"""
MSE_FORWARD = """
def mse_forward(pred, target):
    diff = pred - target
    return (diff * diff).mean(), diff
"""
CE_FROM_LOG_P = """
    rows = torch.arange(logits.shape[0], device=logits.device)
    dlogits = torch.exp(log_p)
    dlogits[rows, y] -= 1
    return -log_p[rows, y].mean(), dlogits / logits.shape[0]
"""


def _ce_loss_by(loss, head=""):
    """A softmax_cross_entropy whose gradient is honest and whose loss is the expression `loss`."""
    return head + """
def softmax_cross_entropy(logits, y):
    shifted = logits - logits.max(dim=1, keepdim=True).values
    log_p = shifted - torch.log(torch.exp(shifted).sum(dim=1, keepdim=True))""" + CE_FROM_LOG_P.replace("-log_p[rows, y].mean()", loss)


# A central difference, for the one case (f returns a Python float) that autograd cannot take.
DIFFERENCES = """
def differences(f, x, eps):
    grad = torch.zeros(x.shape, dtype=x.dtype, device=x.device)
    for i in range(x.numel()):
        step = torch.zeros(x.shape, dtype=x.dtype, device=x.device)
        step.view(-1)[i] = eps
        grad.view(-1)[i] = (float(f(x + step)) - float(f(x - step))) / (2 * eps)
    return grad
"""
TANH = """
def tanh(a):
    t = torch.tanh(a.data)
    return Tensor(t, parents=(a,), grad_fn=lambda g: (g * (1 - t * t),), op="tanh")
"""
CE_LOSS = """
    z = torch.tanh(x @ W1 + b1) @ W2 + b2
    shifted = z - z.max(dim=1, keepdim=True).values.detach()
    return -(shifted - torch.log(torch.exp(shifted).sum(dim=1, keepdim=True)))[torch.arange(len(y)), y].mean()
"""

CHEATS = {
    "linear_from_lib_renamed": ("ch02_linear_backward", """
from lib.layers import linear_backward as chain_rule

def linear_backward(dout, cache):
    return chain_rule(dout, cache)
"""),
    "linear_from_autograd_renamed": ("ch02_linear_backward", """
from torch.autograd import grad as differentiate

def linear_backward(dout, cache):
    x, W = (t.detach().clone().requires_grad_(True) for t in cache)
    b = torch.zeros(W.shape[1], dtype=W.dtype, device=W.device, requires_grad=True)
    return differentiate(x @ W + b, (x, W, b), dout)
"""),
    "linear_from_functional_vjp": ("ch02_linear_backward", """
from torch.autograd.functional import vjp

def linear_backward(dout, cache):
    x, W = cache
    b = torch.zeros(W.shape[1], dtype=W.dtype, device=W.device)
    return vjp(lambda x, W, b: x @ W + b, (x, W, b), dout)[1]
"""),
    "linear_from_the_graders_reference": ("ch02_linear_backward", """
from lib.exercises.ch02 import _linear_expected

def linear_backward(dout, cache):
    return _linear_expected(dout, *cache)
"""),
    "mse_loss_module": ("ch02_mse", """
def mse_forward(pred, target):
    return torch.nn.MSELoss()(pred, target), pred - target
""" + MSE_BACKWARD),
    "mse_from_lib_losses": ("ch02_mse", """
from lib.losses import mse

def mse_forward(pred, target):
    return mse(pred, target), pred - target
""" + MSE_BACKWARD),
    "mse_backward_by_backward": ("ch02_mse", MSE_FORWARD + """
def mse_backward(dout, cache):
    diff = cache.detach().clone().requires_grad_(True)
    (diff * diff).mean().backward(dout)
    return diff.grad
"""),
    "mse_backward_by_functional_vjp": ("ch02_mse", MSE_FORWARD + """
import torch.autograd.functional as AF

def mse_backward(dout, cache):
    return AF.vjp(lambda d: (d * d).mean(), cache, dout)[1]
"""),
    "mse_through_the_c_binding": ("ch02_mse", """
def mse_forward(pred, target):
    return torch._C._nn.mse_loss(pred, target, 1), (pred, target)

def mse_backward(dout, cache):
    return torch.ops.aten.mse_loss_backward(dout, *cache, 1)
"""),
    "ce_from_special_log_softmax": ("ch02_softmax_ce", """
def softmax_cross_entropy(logits, y):
    log_p = torch.special.log_softmax(logits, dim=1)
""" + CE_FROM_LOG_P),
    "ce_loss_module": ("ch02_softmax_ce", _ce_loss_by("torch.nn.CrossEntropyLoss()(logits, y)")),
    "ce_from_categorical": ("ch02_softmax_ce", """
def softmax_cross_entropy(logits, y):
    log_p = torch.distributions.Categorical(logits=logits).logits
""" + CE_FROM_LOG_P),
    "ce_logsumexp_mapped": ("ch02_softmax_ce", """
def softmax_cross_entropy(logits, y):
    log_p = logits - next(map(torch.Tensor.logsumexp, [logits], [1], [True]))
""" + CE_FROM_LOG_P),
    "ce_from_lib_losses": ("ch02_softmax_ce", _ce_loss_by("losses.cross_entropy(logits, y)", head="from lib import losses\n")),
    "ce_through_torch_ops": ("ch02_softmax_ce", """
def softmax_cross_entropy(logits, y):
    log_p = torch.ops.aten._log_softmax(logits, 1, False)
""" + CE_FROM_LOG_P),
    "two_layer_from_lib_renamed": ("ch02_mlp_backward", """
from lib.mlp import mlp_backward as backprop

def two_layer_grads(x, y, W1, b1, W2, b2):
    loss, [(dW1, db1), (dW2, db2)] = backprop(x, y, [(W1, b1), (W2, b2)], "tanh")
    return loss, dW1, db1, dW2, db2
"""),
    "two_layer_from_the_lib_engine": ("ch02_mlp_backward", """
from lib.autograd import Tensor, cross_entropy

def two_layer_grads(x, y, W1, b1, W2, b2):
    params = [Tensor(p, requires_grad=True) for p in (W1, b1, W2, b2)]
    loss = cross_entropy((Tensor(x) @ params[0] + params[1]).tanh() @ params[2] + params[3], y)
    loss.backward()
    return (loss.data, *[p.grad for p in params])
"""),
    "two_layer_from_backward": ("ch02_mlp_backward", """
def two_layer_grads(x, y, W1, b1, W2, b2):
    W1, b1, W2, b2 = params = [p.detach().clone().requires_grad_(True) for p in (W1, b1, W2, b2)]
    loss = loss_of(x, y, *params)
    loss.backward()
    return (loss.detach(), *[p.grad for p in params])

def loss_of(x, y, W1, b1, W2, b2):""" + CE_LOSS),
    "two_layer_from_the_graders_reference": ("ch02_mlp_backward", """
from lib.exercises.ch02 import _two_layer_expected as two_layer_grads
"""),
    "numerical_from_lib_renamed": ("ch02_numerical_gradient", """
from lib.autograd import numerical_gradient as differences

def numerical_gradient(f, x, eps=1e-6):
    return differences(f, [x], eps)[0]
"""),
    "numerical_from_backward": ("ch02_numerical_gradient", DIFFERENCES + """
def numerical_gradient(f, x, eps=1e-6):
    leaf = x.detach().clone().requires_grad_(True)
    out = f(leaf)
    if not isinstance(out, torch.Tensor):
        return differences(f, x, eps)
    out.backward()
    return leaf.grad
"""),
    "numerical_from_forward_ad": ("ch02_numerical_gradient", DIFFERENCES + """
import torch.autograd.forward_ad as fwAD

def numerical_gradient(f, x, eps=1e-6):
    grad = torch.zeros_like(x)
    for i in range(x.numel()):
        direction = torch.zeros_like(x)
        direction.view(-1)[i] = 1
        with fwAD.dual_level():
            out = f(fwAD.make_dual(x, direction))
            if not isinstance(out, torch.Tensor):
                return differences(f, x, eps)
            grad.view(-1)[i] = fwAD.unpack_dual(out).tangent
    return grad
"""),
    "numerical_from_jacobian": ("ch02_numerical_gradient", DIFFERENCES + """
from torch.autograd.functional import jacobian

def numerical_gradient(f, x, eps=1e-6):
    try:
        return jacobian(f, x)
    except Exception:
        return differences(f, x, eps)
"""),
    "numerical_by_computed_name": ("ch02_numerical_gradient", """
def numerical_gradient(f, x, eps=1e-6):
    return getattr(lib.autograd, "numerical_" + "gradient")(f, [x], eps)[0]
"""),
    "matmul_from_the_engine": ("ch02_engine_ops", """
matmul = lambda a, b: a @ b
""" + TANH),
    "matmul_gradient_by_autograd": ("ch02_engine_ops", """
def matmul(a, b):
    A, B = a.data, b.data
    def grad_fn(g):
        A1, B1 = A.clone().requires_grad_(True), B.clone().requires_grad_(True)
        return torch.autograd.grad(A1 @ B1, (A1, B1), g)
    return Tensor(A @ B, parents=(a, b), grad_fn=grad_fn, op="@")
""" + TANH),
    "matmul_gradient_by_functional_vjp": ("ch02_engine_ops", """
from torch.autograd.functional import vjp

def matmul(a, b):
    A, B = a.data, b.data
    return Tensor(A @ B, parents=(a, b), grad_fn=lambda g: vjp(torch.matmul, (A, B), g)[1], op="@")
""" + TANH),
    "matmul_from_the_engines_dunder": ("ch02_engine_ops", """
matmul = Tensor.__matmul__
""" + TANH),
    "order_from_the_engine": ("ch02_topological_order", """
def topological_order(root):
    return root.topological_order()
"""),
    "order_from_the_engine_unbound": ("ch02_topological_order", """
import functools
from lib.autograd import Tensor as Node

topological_order = functools.partial(Node.topological_order)
"""),
    "order_from_graphlib": ("ch02_topological_order", """
import graphlib

def topological_order(root):
    nodes, stack = {id(root): root}, [root]
    while stack:
        for p in stack.pop().parents:
            if id(p) not in nodes:
                nodes[id(p)] = p
                stack.append(p)
    graph = {k: [id(p) for p in n.parents] for k, n in nodes.items()}
    return [nodes[k] for k in graphlib.TopologicalSorter(graph).static_order()]
"""),
    "order_by_computed_name": ("ch02_topological_order", """
def topological_order(root):
    return getattr(root, "topological" + "_order")()
"""),
}
def _two_layer_by(transform):
    """A cheat for ch02_mlp_backward: the gradients from torch.func's `transform` (jacrev, jacfwd)."""
    return ("ch02_mlp_backward", f"""
from torch.func import {transform}

def two_layer_grads(x, y, W1, b1, W2, b2):
    grads = {transform}(lambda *p: loss_of(x, y, *p), argnums=(0, 1, 2, 3))(W1, b1, W2, b2)
    return (loss_of(x, y, W1, b1, W2, b2), *grads)

def loss_of(x, y, W1, b1, W2, b2):""" + CE_LOSS)


# The same doors through torch.func (jacfwd, jacrev, grad, vjp): the harness preloads what their
# first call imports (torch._dynamo), which took longer than a case's time limit under the guard.
CHEATS.update({
    "linear_from_jacfwd": ("ch02_linear_backward", """
from torch.func import jacfwd


def linear_backward(dout, cache):
    x, W = cache
    b = torch.zeros(W.shape[1], dtype=W.dtype, device=W.device)
    jacobians = jacfwd(lambda x, W, b: x @ W + b, argnums=(0, 1, 2))(x, W, b)
    return tuple(torch.tensordot(dout, j, dims=2) for j in jacobians)
"""),
    "mse_backward_by_jacfwd": ("ch02_mse", MSE_FORWARD + """
from torch.func import jacfwd


def mse_backward(dout, cache):
    return dout * jacfwd(lambda d: (d * d).mean())(cache)
"""),
    "two_layer_from_jacrev": _two_layer_by("jacrev"),
    "two_layer_from_jacfwd": _two_layer_by("jacfwd"),
    "numerical_from_jacrev": ("ch02_numerical_gradient", DIFFERENCES + """

def numerical_gradient(f, x, eps=1e-6):
    try:
        return torch.func.jacrev(f)(x)
    except Exception:
        return differences(f, x, eps)
"""),
    "matmul_gradient_by_jacfwd": ("ch02_engine_ops", """
from torch.func import jacfwd


def matmul(a, b):
    A, B = a.data, b.data
    def grad_fn(g):
        jacobians = jacfwd(torch.matmul, argnums=(0, 1))(A, B)
        return tuple(torch.tensordot(g, j, dims=2) for j in jacobians)
    return Tensor(A @ B, parents=(a, b), grad_fn=grad_fn, op="@")
""" + TANH),
})
NAMED = {
    "linear_from_lib_renamed": ("ch02_linear_backward", "calls lib.layers.linear_backward"),
    "linear_from_functional_vjp": ("ch02_linear_backward", "calls torch.autograd.grad"),
    "linear_from_the_graders_reference": ("ch02_linear_backward", "imports lib.exercises.ch02, the grader's own code"),
    "mse_loss_module": ("ch02_mse", "calls torch.nn.functional.mse_loss"),
    "mse_backward_by_backward": ("ch02_mse", "calls torch.Tensor.backward"),
    "ce_from_special_log_softmax": ("ch02_softmax_ce", "aten._log_softmax"),
    "ce_logsumexp_mapped": ("ch02_softmax_ce", "aten.logsumexp"),
    "ce_from_categorical": ("ch02_softmax_ce", "calls torch.Tensor.logsumexp"),
    "mse_backward_by_functional_vjp": ("ch02_mse", "calls torch.autograd.grad"),
    "two_layer_from_the_lib_engine": ("ch02_mlp_backward", "calls lib.autograd.Tensor.backward"),
    "numerical_from_forward_ad": ("ch02_numerical_gradient", "the autograd engine"),
    "numerical_from_lib_renamed": ("ch02_numerical_gradient", "calls lib.autograd.numerical_gradient"),
    "matmul_from_the_engine": ("ch02_engine_ops", "calls lib.autograd.Tensor.__matmul__"),
    "order_from_the_engine_unbound": ("ch02_topological_order", "calls lib.autograd.Tensor.topological_order"),
    "order_from_graphlib": ("ch02_topological_order", "imports graphlib"),
}
STOPPED = {"honest_solved": "graded"}

ALTERNATIVES = {
    "ch02_linear_backward": """
def linear_backward(dout, cache):
    x, W = cache
    return torch.einsum("nm,dm->nd", dout, W), torch.einsum("nd,nm->dm", x, dout), torch.einsum("nm->m", dout)
""",
    "ch02_mse": """
def mse_forward(pred, target):
    diff = pred - target
    return torch.square(diff).sum() / diff.numel(), diff

def mse_backward(dout, cache):
    return cache * (2 * dout / cache.numel())
""",
    "ch02_numerical_gradient": """
def numerical_gradient(f, x, eps=1e-6):
    flat, grad = x.reshape(-1), torch.zeros_like(x).reshape(-1)
    for i in range(flat.numel()):
        plus, minus = flat.clone(), flat.clone()
        plus[i] += eps
        minus[i] -= eps
        grad[i] = (float(f(plus.reshape(x.shape))) - float(f(minus.reshape(x.shape)))) / (2 * eps)
    return grad.reshape(x.shape)
""",
    "ch02_topological_order": """
def topological_order(root):
    # Kahn's algorithm from the root: a node is ready once every child that uses it is placed
    nodes, stack, users = {id(root): root}, [root], {}
    while stack:
        node = stack.pop()
        for p in node.parents:
            users[id(p)] = users.get(id(p), 0) + 1
            if id(p) not in nodes:
                nodes[id(p)] = p
                stack.append(p)
    reverse, ready = [], [root]
    while ready:
        node = ready.pop()
        reverse.append(node)
        for p in node.parents:
            users[id(p)] -= 1
            if users[id(p)] == 0:
                ready.append(p)
    return reverse[::-1]
""",
}


def corpus(root):
    """{student: (file name, content, expected scores, honest?)}; `root` is the course root."""
    name, release = BATCH.name, notebooks(CHAPTER)[0]
    honest = {
        "honest_solved": (name, solved(CHAPTER), BATCH.scores()),
        "honest_untouched": (name, release, BATCH.scores(*BATCH.points)),
        "honest_partial": (name, BATCH.with_answers(ch02_linear_backward=DW_TRANSPOSED),
                           BATCH.scores("ch02_linear_backward")),
        "honest_other_routes": (name, BATCH.with_answers(**ALTERNATIVES), BATCH.scores()),
    }
    bad = {student: BATCH.hostile(gid, "", source) for student, (gid, source) in CHEATS.items()}
    failed = {student: [gid] for student, (gid, _) in CHEATS.items()}
    return BATCH.entries(honest, bad, failed)
