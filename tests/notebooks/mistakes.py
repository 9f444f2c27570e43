"""Typical wrong answers per exercise (grade_id -> [(what is wrong, answer cell source)]).

The round-trip test submits each through nbgrader autograde and requires the exercise's
graded test cell to give it zero points. Every autograded exercise needs at least one.
"""
_CORRECT_GRADS = {
    "sigmoid_grad": "return sigmoid(x) * (1 - sigmoid(x))",
    "tanh_grad": "return 1 - torch.tanh(x) ** 2",
    "relu_grad": "return (x > 0).to(x.dtype)",
}


def _grads(**wrong):
    """The three derivative functions, correct except for the bodies given in `wrong`."""
    return "\n".join(f"def {name}(x):\n    {wrong.get(name, body)}\n"
                     for name, body in _CORRECT_GRADS.items())


_OP_SIGNATURES = {"matmul": ("a, b", "A, B = a.data, b.data"), "tanh": ("a", "t = torch.tanh(a.data)")}
_OP_RETURNS = {
    "matmul": "return Tensor(A @ B, parents=(a, b), grad_fn=lambda g: (g @ B.T, A.T @ g), op='@')",
    "tanh": "return Tensor(t, parents=(a,), grad_fn=lambda g: (g * (1 - t * t),), op='tanh')",
}


def _ops(**wrong):
    """The two engine ops of exercise 5.1, correct except for the return lines given in `wrong`."""
    return "\n".join(f"def {name}({args}):\n    {setup}\n    {wrong.get(name, _OP_RETURNS[name])}\n"
                     for name, (args, setup) in _OP_SIGNATURES.items())


_MEDIAN = ("counts = (~x_train.isnan()).sum(0)\n    ordered = x_train.sort(dim=0).values\n    "
           "median = ((ordered.gather(0, ((counts - 1) // 2)[None]) + ordered.gather(0, (counts // 2)[None])) / 2)[0]")
_STD_GUARD = "std = torch.where(std > 0, std, torch.ones_like(std))"


def _impute_scale(median=_MEDIAN, std="train_filled.std(0, correction=0)", guard=_STD_GUARD):
    """Exercise 2.2's answer, correct except for the median, the std or the std-0 guard given."""
    return (f"\ndef impute_and_scale(x_train, x_other):\n    {median}\n"
            "    train_filled = torch.where(x_train.isnan(), median, x_train)\n"
            "    other_filled = torch.where(x_other.isnan(), median, x_other)\n"
            f"    mean, std = train_filled.mean(0), {std}\n    {guard}\n"
            "    return (train_filled - mean) / std, (other_filled - mean) / std\n")


_RATIO = "ratio = lambda a, b: torch.where(b > 0, a / b.clamp_min(1), torch.zeros_like(a))"


def _prf(scores="ratio(tp, predicted), ratio(tp, actual), ratio(2 * tp, predicted + actual)", weights="actual",
         ratio=_RATIO):
    """Exercise 4.2's answer, correct except for the per-class scores or the weighting given."""
    return ("\ndef precision_recall_f1(y_true, y_pred, num_classes, average):\n"
            "    cm = confusion_matrix(y_true, y_pred, num_classes).double()\n"
            "    tp, predicted, actual = cm.diagonal(), cm.sum(0), cm.sum(1)\n"
            "    if average == \"micro\":\n        tp, predicted, actual = tp.sum(), predicted.sum(), actual.sum()\n"
            f"    {ratio}\n    scores = {scores}\n"
            f"    if average == \"weighted\":\n        return tuple((s * {weights}).sum() / {weights}.sum() for s in scores)\n"
            "    return tuple(s.mean() for s in scores)\n")


def _early_stopping(improves="loss < best - min_delta", stops="wait >= patience"):
    """Exercise 6.1's answer, correct except for the improvement or the stopping test given."""
    return ("\ndef early_stopping(val_losses, patience, min_delta=0.0):\n"
            "    best, best_epoch, wait = math.inf, None, 0\n"
            "    for epoch, loss in enumerate(val_losses, start=1):\n"
            f"        if {improves}:\n            best, best_epoch, wait = loss, epoch, 0\n"
            f"        else:\n            wait += 1\n            if {stops}:\n                return best_epoch, epoch\n"
            "    return best_epoch, None\n")


MISTAKES = {
    "ch01_count_params": [
        ("weights only, biases forgotten", '''
def count_params(sizes):
    return sum(a * b for a, b in zip(sizes[:-1], sizes[1:]))
'''),
        ("a bias for every unit, inputs included", '''
def count_params(sizes):
    return sum(a * b for a, b in zip(sizes[:-1], sizes[1:])) + sum(sizes)
'''),
        ("returns a float", '''
def count_params(sizes):
    return float(sum(a * b + b for a, b in zip(sizes[:-1], sizes[1:])))
'''),
    ],
    "ch01_sigmoid": [
        ("sign flipped in the exponent", '''
def sigmoid(x):
    return 1 / (1 + torch.exp(x))
'''),
        ("textbook e^x / (1 + e^x): inf / inf = nan for large x", '''
def sigmoid(x):
    return torch.exp(x) / (1 + torch.exp(x))
'''),
        ("calls torch.sigmoid", '''
def sigmoid(x):
    return torch.sigmoid(x)
'''),
        ("goes through numpy and returns an ndarray", '''
def sigmoid(x):
    return 1 / (1 + np.exp(-x.cpu().numpy()))
'''),
    ],
    "ch01_activation_grads": [
        ("sigmoid'(x) written as sigmoid(x)", _grads(sigmoid_grad="return sigmoid(x)")),
        ("tanh'(x) = 1 - tanh(x), square missing", _grads(tanh_grad="return 1 - torch.tanh(x)")),
        ("relu'(0) = 1", _grads(relu_grad="return (x >= 0).to(x.dtype)")),
        ("relu' returned as a bool tensor", _grads(relu_grad="return x > 0")),
        ("derivatives taken with autograd", _grads(
            sigmoid_grad="return _autograd(sigmoid, x)", tanh_grad="return _autograd(torch.tanh, x)",
            relu_grad="return _autograd(torch.relu, x)",
        ) + """
def _autograd(f, x):
    x = x.detach().clone().requires_grad_(True)
    return torch.autograd.grad(f(x).sum(), x)[0]
"""),
    ],
    "ch01_neuron": [
        ("bias added after the activation", '''
def neuron(x, w, b, activation):
    return activation(x @ w) + b
'''),
        ("bias forgotten", '''
def neuron(x, w, b, activation):
    return activation(x @ w)
'''),
        ("activation forgotten", '''
def neuron(x, w, b, activation):
    return x @ w + b
'''),
    ],
    "ch01_mlp_forward": [
        ("activation after the output layer too", '''
def mlp_forward(x, params, activation):
    h = x
    for W, b in params:
        h = activation(h @ W + b)
    return h
'''),
        ("no activation at all (a linear model)", '''
def mlp_forward(x, params, activation):
    h = x
    for W, b in params:
        h = h @ W + b
    return h
'''),
        ("only the first layer used", '''
def mlp_forward(x, params, activation):
    W, b = params[0]
    return x @ W + b
'''),
    ],
    "ch01_neuron_step": [
        ("sigmoid'(z) factor forgotten", '''
def neuron_step(x, y, w, b, lr):
    p = sigmoid(x @ w + b)
    loss = ((p - y) ** 2).mean()
    dz = 2 * (p - y) / x.shape[0]
    return w - lr * (x.T @ dz), b - lr * dz.sum(), loss
'''),
        ("steps uphill (+ instead of -)", '''
def neuron_step(x, y, w, b, lr):
    p = sigmoid(x @ w + b)
    loss = ((p - y) ** 2).mean()
    dz = 2 * (p - y) / x.shape[0] * p * (1 - p)
    return w + lr * (x.T @ dz), b + lr * dz.sum(), loss
'''),
        ("sum instead of mean: gradient N times too large", '''
def neuron_step(x, y, w, b, lr):
    p = sigmoid(x @ w + b)
    loss = ((p - y) ** 2).mean()
    dz = 2 * (p - y) * p * (1 - p)
    return w - lr * (x.T @ dz), b - lr * dz.sum(), loss
'''),
        ("reports the loss after the step", '''
def neuron_step(x, y, w, b, lr):
    p = sigmoid(x @ w + b)
    dz = 2 * (p - y) / x.shape[0] * p * (1 - p)
    w, b = w - lr * (x.T @ dz), b - lr * dz.sum()
    return w, b, ((sigmoid(x @ w + b) - y) ** 2).mean()
'''),
        ("gradients from backward()", '''
def neuron_step(x, y, w, b, lr):
    w, b = w.clone().requires_grad_(True), b.clone().requires_grad_(True)
    loss = ((sigmoid(x @ w + b) - y) ** 2).mean()
    loss.backward()
    return (w - lr * w.grad).detach(), (b - lr * b.grad).detach(), loss.detach()
'''),
    ],
    "ch02_linear_backward": [
        ("dW transposed: dout^T x", '''
def linear_backward(dout, cache):
    x, W = cache
    return dout @ W.T, dout.T @ x, dout.sum(dim=0)
'''),
        ("db averaged over the batch instead of summed", '''
def linear_backward(dout, cache):
    x, W = cache
    return dout @ W.T, x.T @ dout, dout.mean(dim=0)
'''),
        ("dx without the transpose of W", '''
def linear_backward(dout, cache):
    x, W = cache
    return dout @ W, x.T @ dout, dout.sum(dim=0)
'''),
        ("gradients from torch.autograd", '''
def linear_backward(dout, cache):
    x, W = cache
    x, W = x.clone().requires_grad_(True), W.clone().requires_grad_(True)
    b = torch.zeros(W.shape[1], dtype=W.dtype, device=W.device, requires_grad=True)
    return torch.autograd.grad(x @ W + b, (x, W, b), dout)
'''),
    ],
    "ch02_softmax_ce": [
        ("no max shift: inf / inf = nan for large logits", '''
def softmax_cross_entropy(logits, y):
    p = torch.exp(logits) / torch.exp(logits).sum(dim=1, keepdim=True)
    rows = torch.arange(logits.shape[0], device=logits.device)
    dlogits = p.clone()
    dlogits[rows, y] -= 1
    return -torch.log(p[rows, y]).mean(), dlogits / logits.shape[0]
'''),
        ("gradient not divided by N", '''
def softmax_cross_entropy(logits, y):
    shifted = logits - logits.max(dim=1, keepdim=True).values
    log_p = shifted - torch.log(torch.exp(shifted).sum(dim=1, keepdim=True))
    rows = torch.arange(logits.shape[0], device=logits.device)
    dlogits = torch.exp(log_p)
    dlogits[rows, y] -= 1
    return -log_p[rows, y].mean(), dlogits
'''),
        ("the label index subtracted from every entry instead of a one-hot", '''
def softmax_cross_entropy(logits, y):
    shifted = logits - logits.max(dim=1, keepdim=True).values
    log_p = shifted - torch.log(torch.exp(shifted).sum(dim=1, keepdim=True))
    rows = torch.arange(logits.shape[0], device=logits.device)
    return -log_p[rows, y].mean(), (torch.exp(log_p) - y[:, None]) / logits.shape[0]
'''),
        ("softmax from torch.softmax", '''
def softmax_cross_entropy(logits, y):
    p = torch.softmax(logits, dim=1)
    rows = torch.arange(logits.shape[0], device=logits.device)
    dlogits = p.clone()
    dlogits[rows, y] -= 1
    return -torch.log(p[rows, y]).mean(), dlogits / logits.shape[0]
'''),
    ],
    "ch02_mlp_backward": [
        ("tanh' taken at the pre-activation: 1 - z1^2", '''
def two_layer_grads(x, y, W1, b1, W2, b2):
    z1 = x @ W1 + b1
    h = torch.tanh(z1)
    loss, dz2 = softmax_cross_entropy(h @ W2 + b2, y)
    dh, dW2, db2 = linear_backward(dz2, (h, W2))
    _, dW1, db1 = linear_backward(dh * (1 - z1 * z1), (x, W1))
    return loss, dW1, db1, dW2, db2
'''),
        ("tanh' factor left out", '''
def two_layer_grads(x, y, W1, b1, W2, b2):
    h = torch.tanh(x @ W1 + b1)
    loss, dz2 = softmax_cross_entropy(h @ W2 + b2, y)
    dh, dW2, db2 = linear_backward(dz2, (h, W2))
    _, dW1, db1 = linear_backward(dh, (x, W1))
    return loss, dW1, db1, dW2, db2
'''),
        ("sign flipped: y - p", '''
def two_layer_grads(x, y, W1, b1, W2, b2):
    h = torch.tanh(x @ W1 + b1)
    loss, dz2 = softmax_cross_entropy(h @ W2 + b2, y)
    dh, dW2, db2 = linear_backward(-dz2, (h, W2))
    _, dW1, db1 = linear_backward(dh * (1 - h * h), (x, W1))
    return loss, dW1, db1, dW2, db2
'''),
        ("divided by N twice", '''
def two_layer_grads(x, y, W1, b1, W2, b2):
    h = torch.tanh(x @ W1 + b1)
    loss, dz2 = softmax_cross_entropy(h @ W2 + b2, y)
    dh, dW2, db2 = linear_backward(dz2 / x.shape[0], (h, W2))
    _, dW1, db1 = linear_backward(dh * (1 - h * h), (x, W1))
    return loss, dW1, db1, dW2, db2
'''),
        ("gradients from backward()", '''
def two_layer_grads(x, y, W1, b1, W2, b2):
    params = [p.clone().requires_grad_(True) for p in (W1, b1, W2, b2)]
    loss = torch.nn.functional.cross_entropy(torch.tanh(x @ params[0] + params[1]) @ params[2] + params[3], y)
    loss.backward()
    return (loss.detach(), *[p.grad for p in params])
'''),
    ],
    "ch02_numerical_gradient": [
        ("forward difference (f(x + eps) - f(x)) / eps", '''
def numerical_gradient(f, x, eps=1e-6):
    grad = torch.zeros(x.shape, dtype=x.dtype, device=x.device)
    for i in range(x.numel()):
        step = torch.zeros(x.shape, dtype=x.dtype, device=x.device)
        step.view(-1)[i] = eps
        grad.view(-1)[i] = (float(f(x + step)) - float(f(x))) / eps
    return grad
'''),
        ("divides by eps instead of 2 eps", '''
def numerical_gradient(f, x, eps=1e-6):
    grad = torch.zeros(x.shape, dtype=x.dtype, device=x.device)
    for i in range(x.numel()):
        step = torch.zeros(x.shape, dtype=x.dtype, device=x.device)
        step.view(-1)[i] = eps
        grad.view(-1)[i] = (float(f(x + step)) - float(f(x - step))) / eps
    return grad
'''),
        ("perturbs x in place and never puts it back", '''
def numerical_gradient(f, x, eps=1e-6):
    grad = torch.zeros(x.shape, dtype=x.dtype, device=x.device)
    flat = x.view(-1)
    for i in range(x.numel()):
        flat[i] += eps
        plus = float(f(x))
        flat[i] -= 2 * eps
        grad.view(-1)[i] = (plus - float(f(x))) / (2 * eps)
    return grad
'''),
        ("returns a flat tensor", '''
def numerical_gradient(f, x, eps=1e-6):
    grad = torch.zeros(x.numel(), dtype=x.dtype, device=x.device)
    for i in range(x.numel()):
        step = torch.zeros(x.shape, dtype=x.dtype, device=x.device)
        step.view(-1)[i] = eps
        grad[i] = (float(f(x + step)) - float(f(x - step))) / (2 * eps)
    return grad
'''),
    ],
    "ch02_engine_ops": [
        ("matmul's gradients in the wrong order: A^T g for a", _ops(
            matmul="return Tensor(A @ B, parents=(a, b), grad_fn=lambda g: (A.T @ g, g @ B.T), op='@')")),
        ("tanh' written with the input: 1 - a^2", _ops(
            tanh="return Tensor(t, parents=(a,), grad_fn=lambda g: (g * (1 - a.data ** 2),), op='tanh')")),
        ("tanh's closure returns a bare tensor, not a tuple", _ops(
            tanh="return Tensor(t, parents=(a,), grad_fn=lambda g: g * (1 - t * t), op='tanh')")),
        ("the engine's own @ and .tanh()", _ops(matmul="return a @ b", tanh="return a.tanh()")),
        ("matmul forgets its parents", _ops(
            matmul="return Tensor(A @ B, grad_fn=lambda g: (g @ B.T, A.T @ g), op='@')")),
    ],
    "ch02_topological_order": [
        ("recursive depth-first search: RecursionError on a 10,000-node chain", '''
def topological_order(root):
    order, seen = [], set()
    def visit(node):
        if id(node) not in seen:
            seen.add(id(node))
            for p in node.parents:
                visit(p)
            order.append(node)
    visit(root)
    return order
'''),
        ("no visited set: shared nodes repeated", '''
def topological_order(root):
    order, stack = [], [(root, False)]
    while stack:
        node, done = stack.pop()
        if done:
            order.append(node)
        else:
            stack.append((node, True))
            stack.extend((p, False) for p in node.parents)
    return order
'''),
        ("root first: the order reversed", '''
def topological_order(root):
    order, seen, stack = [], set(), [(root, False)]
    while stack:
        node, done = stack.pop()
        if done:
            order.append(node)
        elif id(node) not in seen:
            seen.add(id(node))
            stack.append((node, True))
            stack.extend((p, False) for p in node.parents if id(p) not in seen)
    return order[::-1]
'''),
        ("breadth-first order from the root, reversed", '''
def topological_order(root):
    order, seen, i = [root], {id(root)}, 0
    while i < len(order):
        for p in order[i].parents:
            if id(p) not in seen:
                seen.add(id(p))
                order.append(p)
        i += 1
    return order[::-1]
'''),
    ],
    "ch03_bce_logits": [
        ("the textbook formula: log(0) = -inf for large logits", '''
def bce_with_logits(logits, target):
    p = 1 / (1 + torch.exp(-logits))
    return -(target * torch.log(p) + (1 - target) * torch.log(1 - p)).mean()
'''),
        ("sum instead of mean", '''
def bce_with_logits(logits, target):
    return (logits.clamp_min(0) - logits * target + torch.log1p(torch.exp(-logits.abs()))).sum()
'''),
        ("|z| left out of the exponent: overflows for negative logits", '''
def bce_with_logits(logits, target):
    return (logits.clamp_min(0) - logits * target + torch.log1p(torch.exp(-logits))).mean()
'''),
        ("torch's own loss", '''
def bce_with_logits(logits, target):
    return F.binary_cross_entropy_with_logits(logits, target)
'''),
        ("detached through .item(): not differentiable", '''
def bce_with_logits(logits, target):
    value = (logits.clamp_min(0) - logits * target + torch.log1p(torch.exp(-logits.abs()))).mean().item()
    return torch.tensor(value, dtype=logits.dtype, device=logits.device)
'''),
    ],
    "ch03_minibatches": [
        ("no shuffling", '''
def minibatches(n, batch_size, generator):
    return list(torch.arange(n).split(batch_size))
'''),
        ("the global random generator instead of the given one", '''
def minibatches(n, batch_size, generator):
    return list(torch.randperm(n).split(batch_size))
'''),
        ("the last, shorter batch dropped", '''
def minibatches(n, batch_size, generator):
    order = torch.randperm(n, generator=generator)
    return [order[i:i + batch_size] for i in range(0, n - batch_size + 1, batch_size)]
'''),
        ("a tuple, not a list", '''
def minibatches(n, batch_size, generator):
    return torch.randperm(n, generator=generator).split(batch_size)
'''),
    ],
    "ch03_sgd_momentum": [
        ("the buffer starts at zero, not at the first gradient", '''
def sgd_momentum_step(p, grad, buf, lr, momentum, nesterov=False):
    buf = momentum * (torch.zeros_like(grad) if buf is None else buf) + (1 - momentum) * grad
    return p - lr * (grad + momentum * buf if nesterov else buf), buf
'''),
        ("Nesterov ignored", '''
def sgd_momentum_step(p, grad, buf, lr, momentum, nesterov=False):
    buf = grad.clone() if buf is None else momentum * buf + grad
    return p - lr * buf, buf
'''),
        ("steps with the gradient, not the buffer", '''
def sgd_momentum_step(p, grad, buf, lr, momentum, nesterov=False):
    buf = grad.clone() if buf is None else momentum * buf + grad
    return p - lr * grad, buf
'''),
        ("torch.optim.SGD does the step", '''
def sgd_momentum_step(p, grad, buf, lr, momentum, nesterov=False):
    param = p.clone().requires_grad_(True)
    param.grad = grad
    opt = torch.optim.SGD([param], lr=lr, momentum=momentum, nesterov=nesterov)
    if buf is not None:
        opt.state[param] = {"momentum_buffer": buf.clone()}
    opt.step()
    return param.detach(), opt.state[param]["momentum_buffer"]
'''),
    ],
    "ch03_rmsprop": [
        ("eps inside the square root", '''
def rmsprop_step(p, grad, square_avg, lr, alpha=0.99, eps=1e-8):
    square_avg = alpha * square_avg + (1 - alpha) * grad * grad
    return p - lr * grad / (square_avg + eps).sqrt(), square_avg
'''),
        ("alpha and 1 - alpha swapped", '''
def rmsprop_step(p, grad, square_avg, lr, alpha=0.99, eps=1e-8):
    square_avg = (1 - alpha) * square_avg + alpha * grad * grad
    return p - lr * grad / (square_avg.sqrt() + eps), square_avg
'''),
        ("divides by the mean square, not its root", '''
def rmsprop_step(p, grad, square_avg, lr, alpha=0.99, eps=1e-8):
    square_avg = alpha * square_avg + (1 - alpha) * grad * grad
    return p - lr * grad / (square_avg + eps), square_avg
'''),
    ],
    "ch03_adam": [
        ("no bias correction", '''
def adam_step(p, grad, m, v, t, lr, betas=(0.9, 0.999), eps=1e-8):
    beta1, beta2 = betas
    m = beta1 * m + (1 - beta1) * grad
    v = beta2 * v + (1 - beta2) * grad * grad
    return p - lr * m / (v.sqrt() + eps), m, v
'''),
        ("eps inside the square root", '''
def adam_step(p, grad, m, v, t, lr, betas=(0.9, 0.999), eps=1e-8):
    beta1, beta2 = betas
    m = beta1 * m + (1 - beta1) * grad
    v = beta2 * v + (1 - beta2) * grad * grad
    return p - lr * (m / (1 - beta1 ** t)) / (v / (1 - beta2 ** t) + eps).sqrt(), m, v
'''),
        ("bias correction off by one step (t + 1)", '''
def adam_step(p, grad, m, v, t, lr, betas=(0.9, 0.999), eps=1e-8):
    beta1, beta2 = betas
    m = beta1 * m + (1 - beta1) * grad
    v = beta2 * v + (1 - beta2) * grad * grad
    t = t + 1
    return p - lr * (m / (1 - beta1 ** t)) / ((v / (1 - beta2 ** t)).sqrt() + eps), m, v
'''),
        ("the second moment of the raw gradient, not squared", '''
def adam_step(p, grad, m, v, t, lr, betas=(0.9, 0.999), eps=1e-8):
    beta1, beta2 = betas
    m = beta1 * m + (1 - beta1) * grad
    v = beta2 * v + (1 - beta2) * grad.abs()
    return p - lr * (m / (1 - beta1 ** t)) / ((v / (1 - beta2 ** t)).sqrt() + eps), m, v
'''),
        ("torch.optim.Adam does the step", '''
def adam_step(p, grad, m, v, t, lr, betas=(0.9, 0.999), eps=1e-8):
    param = p.clone().requires_grad_(True)
    param.grad = grad
    opt = torch.optim.Adam([param], lr=lr, betas=betas, eps=eps)
    opt.state[param] = {"step": torch.tensor(float(t - 1)), "exp_avg": m.clone(), "exp_avg_sq": v.clone()}
    opt.step()
    return param.detach(), opt.state[param]["exp_avg"], opt.state[param]["exp_avg_sq"]
'''),
    ],
    "ch03_warmup_cosine": [
        ("warm-up from step, not step + 1: the first rate is 0", '''
def warmup_cosine(step, base_lr, warmup_steps, total_steps, min_lr=0.0):
    if step < warmup_steps:
        return base_lr * step / warmup_steps
    progress = min(1.0, (step - warmup_steps) / (total_steps - warmup_steps))
    return min_lr + (base_lr - min_lr) * (1 + math.cos(math.pi * progress)) / 2
'''),
        ("the cosine counted from step 0, not from the end of warm-up", '''
def warmup_cosine(step, base_lr, warmup_steps, total_steps, min_lr=0.0):
    if step < warmup_steps:
        return base_lr * (step + 1) / warmup_steps
    progress = min(1.0, step / total_steps)
    return min_lr + (base_lr - min_lr) * (1 + math.cos(math.pi * progress)) / 2
'''),
        ("min_lr ignored", '''
def warmup_cosine(step, base_lr, warmup_steps, total_steps, min_lr=0.0):
    if step < warmup_steps:
        return base_lr * (step + 1) / warmup_steps
    progress = min(1.0, (step - warmup_steps) / (total_steps - warmup_steps))
    return base_lr * (1 + math.cos(math.pi * progress)) / 2
'''),
        ("no cap after total_steps: the rate climbs again", '''
def warmup_cosine(step, base_lr, warmup_steps, total_steps, min_lr=0.0):
    if step < warmup_steps:
        return base_lr * (step + 1) / warmup_steps
    progress = (step - warmup_steps) / (total_steps - warmup_steps)
    return min_lr + (base_lr - min_lr) * (1 + math.cos(math.pi * progress)) / 2
'''),
    ],
    "ch04_stratified_split": [
        ("a plain random split: class shares drift", """
def stratified_split(y, fractions, generator):
    order = torch.randperm(len(y), generator=generator).to(y.device)
    counts = [int(f * len(y)) for f in fractions]
    counts[0] += len(y) - sum(counts)
    return tuple(order.split(counts))
"""),
        ("each part rounded on its own: examples lost or repeated", """
def stratified_split(y, fractions, generator):
    parts = [[] for _ in fractions]
    for c in torch.unique(y):
        members = torch.nonzero(y == c).flatten()
        members = members[torch.randperm(len(members), generator=generator).to(y.device)]
        start = 0
        for part, f in zip(parts, fractions):
            stop = start + round(f * len(members))
            part.append(members[start:stop])
            start = stop
    return tuple(torch.cat(p) for p in parts)
"""),
        ("no shuffling: the first examples of each class always train", """
def stratified_split(y, fractions, generator):
    parts = [[] for _ in fractions]
    for c in torch.unique(y):
        members = torch.nonzero(y == c).flatten()
        exact = [f * len(members) for f in fractions]
        counts = [math.floor(e) for e in exact]
        for i in sorted(range(len(exact)), key=lambda i: counts[i] - exact[i])[: len(members) - sum(counts)]:
            counts[i] += 1
        for part, chunk in zip(parts, members.split(counts)):
            part.append(chunk)
    return tuple(torch.cat(p) for p in parts)
"""),
        ("scikit-learn does the split", """
def stratified_split(y, fractions, generator):
    from sklearn.model_selection import train_test_split
    idx = torch.arange(len(y))
    rest, test = train_test_split(idx.numpy(), test_size=fractions[-1], stratify=y.cpu().numpy())
    return torch.as_tensor(rest), torch.as_tensor(test)
"""),
    ],
    "ch04_impute_scale": [
        ("torch.nanmedian: the lower middle value for an even count", _impute_scale(median="median = x_train.nanmedian(dim=0).values")),
        ("statistics fitted on all rows: leakage", """
def impute_and_scale(x_train, x_other):
    both = torch.cat([x_train, x_other])
    counts = (~both.isnan()).sum(0)
    ordered = both.sort(dim=0).values
    median = ((ordered.gather(0, ((counts - 1) // 2)[None]) + ordered.gather(0, (counts // 2)[None])) / 2)[0]
    filled = torch.where(both.isnan(), median, both)
    mean, std = filled.mean(0), filled.std(0, correction=0)
    std = torch.where(std > 0, std, torch.ones_like(std))
    z = (filled - mean) / std
    return z[:len(x_train)], z[len(x_train):]
"""),
        ("the sample standard deviation (divide by N - 1)", _impute_scale(std="train_filled.std(0)")),
        ("imputing with the mean", _impute_scale(median="median = x_train.nanmean(0)")),
        ("a constant column divided by 0", _impute_scale(guard="pass")),
    ],
    "ch04_confusion_matrix": [
        ("rows and columns swapped", """
def confusion_matrix(y_true, y_pred, num_classes):
    return torch.bincount(y_pred * num_classes + y_true, minlength=num_classes ** 2).view(num_classes, num_classes)
"""),
        ("size taken from the labels seen, not num_classes", """
def confusion_matrix(y_true, y_pred, num_classes):
    c = int(torch.cat([y_true, y_pred]).max()) + 1
    return torch.bincount(y_true * c + y_pred, minlength=c * c).view(c, c)
"""),
        ("float counts", """
def confusion_matrix(y_true, y_pred, num_classes):
    cm = torch.zeros(num_classes, num_classes, device=y_true.device)
    for t, p in zip(y_true.tolist(), y_pred.tolist()):
        cm[t, p] += 1
    return cm
"""),
    ],
    "ch04_precision_recall_f1": [
        ("F1 as the arithmetic mean of precision and recall", _prf(scores="ratio(tp, predicted), ratio(tp, actual), (ratio(tp, predicted) + ratio(tp, actual)) / 2")),
        ("macro F1 from the averaged precision and recall", """
def precision_recall_f1(y_true, y_pred, num_classes, average):
    cm = confusion_matrix(y_true, y_pred, num_classes).double()
    tp, predicted, actual = cm.diagonal(), cm.sum(0), cm.sum(1)
    if average == "micro":
        tp, predicted, actual = tp.sum(), predicted.sum(), actual.sum()
    p = torch.where(predicted > 0, tp / predicted.clamp_min(1), torch.zeros_like(tp))
    r = torch.where(actual > 0, tp / actual.clamp_min(1), torch.zeros_like(tp))
    if average == "weighted":
        p, r = (p * actual).sum() / actual.sum(), (r * actual).sum() / actual.sum()
    else:
        p, r = p.mean(), r.mean()
    f = torch.where(p + r > 0, 2 * p * r / (p + r), torch.zeros_like(p))
    return p, r, f
"""),
        ("0/0 left as nan", _prf(ratio="ratio = lambda a, b: a / b")),
        ("weighted by the predicted counts", _prf(weights="predicted")),
        ("scikit-learn computes it", """
def precision_recall_f1(y_true, y_pred, num_classes, average):
    from sklearn.metrics import precision_recall_fscore_support
    p, r, f, _ = precision_recall_fscore_support(y_true.cpu().numpy(), y_pred.cpu().numpy(),
                                                 labels=list(range(num_classes)), average=average, zero_division=0)
    return tuple(torch.tensor(v, dtype=torch.float64, device=y_true.device) for v in (p, r, f))
"""),
    ],
    "ch04_early_stopping": [
        ("an equal loss counts as an improvement", _early_stopping(improves="loss <= best - min_delta")),
        ("min_delta ignored", _early_stopping(improves="loss < best")),
        ("one epoch too patient", _early_stopping(stops="wait > patience")),
        ("compared with the previous epoch instead of the best", """
def early_stopping(val_losses, patience, min_delta=0.0):
    previous, best, best_epoch, wait = math.inf, math.inf, None, 0
    for epoch, loss in enumerate(val_losses, start=1):
        if loss < previous - min_delta:
            wait = 0
            if loss < best:
                best, best_epoch = loss, epoch
        else:
            wait += 1
            if wait >= patience:
                return best_epoch, epoch
        previous = loss
    return best_epoch, None
"""),
    ],
    "ch04_kfold": [
        ("the left-over examples all go to the last fold", """
def kfold_indices(n, k, generator):
    order = torch.randperm(n, generator=generator)
    size = n // k
    folds = [order[i * size:(i + 1) * size] for i in range(k - 1)] + [order[(k - 1) * size:]]
    return [(torch.cat(folds[:i] + folds[i + 1:]), folds[i]) for i in range(k)]
"""),
        ("the left-over examples dropped", """
def kfold_indices(n, k, generator):
    order = torch.randperm(n, generator=generator)
    folds = list(order[: (n // k) * k].split(n // k))
    return [(torch.cat(folds[:i] + folds[i + 1:]), folds[i]) for i in range(k)]
"""),
        ("the validation fold also trains", """
def kfold_indices(n, k, generator):
    order = torch.randperm(n, generator=generator)
    folds = order.split([n // k + (1 if i < n % k else 0) for i in range(k)])
    return [(order, folds[i]) for i in range(k)]
"""),
        ("no shuffling", """
def kfold_indices(n, k, generator):
    order = torch.arange(n)
    folds = order.split([n // k + (1 if i < n % k else 0) for i in range(k)])
    return [(torch.cat(folds[:i] + folds[i + 1:]), folds[i]) for i in range(k)]
"""),
    ],
}
