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
}
