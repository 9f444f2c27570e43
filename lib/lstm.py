"""Long short-term memory (Hochreiter & Schmidhuber 1997, with the forget gate of Gers et al. 2000)
from scratch: one step of the cell as a function, the cell as a module, and a multi-layer LSTM
that loops over time in Python. Autograd computes the backward pass.

Shapes: B batch, T time steps, I input features, H hidden units, L layers. Parameters and gate
order follow torch.nn.LSTM, so a state_dict copies across without permuting anything:
weight_ih (4H, I), weight_hh (4H, H), bias_ih (4H,), bias_hh (4H,), rows in the order of the
input gate i, forget gate f, cell candidate g, output gate o. One step:

    i, f, g, o = split(x W_ih^T + b_ih + h W_hh^T + b_hh)    each (B, H)
    c' = sigmoid(f) * c + sigmoid(i) * tanh(g)
    h' = sigmoid(o) * tanh(c')

Every parameter starts uniform in [-1/sqrt(H), 1/sqrt(H)], drawn in torch's order, so the same
torch.manual_seed gives the same weights as torch.nn.LSTM and torch.nn.LSTMCell.
The output at step t depends only on steps <= t, so right padding leaves the real positions
unchanged; a caller reads each sequence's state at its last real step.
Tested against torch.nn.LSTM and torch.nn.LSTMCell (outputs, final states, every gradient) in
tests/lib/test_lstm.py.
"""
import math

import torch
import torch.nn.functional as F
from torch import nn

from lib import validate


def _affine(x, weight, bias):
    """x (B, K) @ weight (4H, K)^T + bias (4H,) or nothing -> (B, 4H)."""
    out = x @ weight.T
    return out if bias is None else out + bias


def _step(x, h, c, weight_ih, weight_hh, bias_ih, bias_hh):
    """One LSTM step on checked arguments: x (B, I), h (B, H), c (B, H) -> h' (B, H), c' (B, H)."""
    gates = _affine(x, weight_ih, bias_ih) + _affine(h, weight_hh, bias_hh)  # (B, 4H)
    i, f, g, o = gates.chunk(4, dim=1)  # each (B, H), torch's order
    c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
    h = torch.sigmoid(o) * torch.tanh(c)
    return h, c


def _check_weights(weight_ih, weight_hh, bias_ih, bias_hh):
    """(H, I) from checked weights: weight_ih (4H, I), weight_hh (4H, H), biases (4H,) or None."""
    validate.tensor(weight_ih, "weight_ih", ndim=2)
    validate.tensor(weight_hh, "weight_hh", ndim=2)
    rows = weight_ih.shape[0]
    if rows == 0 or rows % 4 or weight_hh.shape != (rows, rows // 4):
        raise ValueError(f"weight_hh must have shape (4H, H) = {(rows, rows // 4)} to match weight_ih "
                         f"(4H, I) {tuple(weight_ih.shape)} with 4H > 0, got {tuple(weight_hh.shape)}")
    for name, bias in (("bias_ih", bias_ih), ("bias_hh", bias_hh)):
        if bias is not None and validate.tensor(bias, name).shape != (rows,):
            raise ValueError(f"{name} must have shape (4H,) = ({rows},) or be None, got {tuple(bias.shape)}")
    return rows // 4, weight_ih.shape[1]


def _check_state(state, shape, x):
    """The pair (h, c), each checked to have `shape` and the device and dtype of the input x."""
    if not isinstance(state, (tuple, list)) or len(state) != 2:
        raise TypeError(f"state must be a pair (h, c) of tensors or None, got {type(state).__name__}")
    for name, t in zip(("state h", "state c"), state):
        if validate.tensor(t, name).shape != shape:
            raise ValueError(f"{name} must have shape {shape}, got {tuple(t.shape)}")
        validate.same_device(x=x, **{name: t})
        validate.same_dtype(x=x, **{name: t})
    return tuple(state)


def lstm_cell(x, state, weight_ih, weight_hh, bias_ih=None, bias_hh=None):
    """One LSTM step: x (B, I), state (h (B, H), c (B, H)), weight_ih (4H, I), weight_hh (4H, H),
    bias_ih and bias_hh (4H,) or None -> (h' (B, H), c' (B, H)), gates i, f, g, o as torch."""
    hidden, inputs = _check_weights(weight_ih, weight_hh, bias_ih, bias_hh)
    validate.tensor(x, "x", ndim=2)
    if x.shape[1] != inputs:
        raise ValueError(f"x must have shape (B, {inputs}) to match weight_ih, got {tuple(x.shape)}")
    named = dict(x=x, weight_ih=weight_ih, weight_hh=weight_hh, bias_ih=bias_ih, bias_hh=bias_hh)
    named = {name: t for name, t in named.items() if t is not None}
    validate.same_device(**named)
    validate.same_dtype(**named)
    h, c = _check_state(state, (x.shape[0], hidden), x)
    return _step(x, h, c, weight_ih, weight_hh, bias_ih, bias_hh)


def _check_sizes(input_size, hidden_size, bias):
    validate.positive_int(input_size, "input_size")
    validate.positive_int(hidden_size, "hidden_size")
    if not isinstance(bias, bool):
        raise TypeError(f"bias must be True or False, got {bias!r}")


def _check_input(x, ndim, input_size, weight_ih):
    """x, checked: rank ndim, last dimension input_size, the dtype and device of weight_ih."""
    validate.tensor(x, "x", ndim=ndim)
    if x.shape[-1] != input_size or 0 in x.shape:
        raise ValueError(f"x must have {input_size} features in its last dimension and no empty "
                         f"dimension, got shape {tuple(x.shape)}")
    validate.same_device(x=x, weight_ih=weight_ih)
    validate.same_dtype(x=x, weight_ih=weight_ih)
    return x


def _uniform_init(module, hidden_size):
    """Every parameter of module uniform in [-1/sqrt(H), 1/sqrt(H)], in registration order (torch's)."""
    bound = 1.0 / math.sqrt(hidden_size)
    with torch.no_grad():
        for p in module.parameters():
            p.uniform_(-bound, bound)


def _gate_parameters(input_size, hidden_size, bias):
    """weight_ih (4H, I), weight_hh (4H, H), bias_ih, bias_hh (4H,) (None without bias), uninitialised."""
    empty = lambda *shape: nn.Parameter(torch.empty(*shape))  # noqa: E731
    biases = (empty(4 * hidden_size), empty(4 * hidden_size)) if bias else (None, None)
    return (empty(4 * hidden_size, input_size), empty(4 * hidden_size, hidden_size), *biases)


class LSTMCell(nn.Module):
    """One LSTM step as a module, with torch.nn.LSTMCell's parameters and initialisation:
    forward(x (B, I), state=None or (h (B, H), c (B, H))) -> (h' (B, H), c' (B, H)); the state
    starts at zeros when None."""

    def __init__(self, input_size, hidden_size, bias=True):
        super().__init__()
        _check_sizes(input_size, hidden_size, bias)
        self.input_size, self.hidden_size, self.bias = input_size, hidden_size, bias
        self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh = _gate_parameters(input_size, hidden_size, bias)
        _uniform_init(self, hidden_size)

    def forward(self, x, state=None):
        _check_input(x, 2, self.input_size, self.weight_ih)
        shape = (x.shape[0], self.hidden_size)
        h, c = (x.new_zeros(shape), x.new_zeros(shape)) if state is None else _check_state(state, shape, x)
        return _step(x, h, c, self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh)

    def extra_repr(self):
        return f"{self.input_size}, {self.hidden_size}, bias={self.bias}"


class LSTM(nn.Module):
    """A stack of L LSTM layers with torch.nn.LSTM's parameters (weight_ih_l{k}, weight_hh_l{k},
    bias_ih_l{k}, bias_hh_l{k}) and initialisation. Layer k > 0 reads layer k - 1's outputs,
    passed through dropout with probability `dropout` in training (none after the last layer).

    forward(x, state=None) -> (out, (h_n, c_n)): x (B, T, I), or (T, B, I) with batch_first=False;
    state None (zeros) or (h_0 (L, B, H), c_0 (L, B, H)); out holds the last layer's h at every
    step, (B, T, H) or (T, B, H); h_n and c_n (L, B, H) each layer's state after the last step.
    """

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=True, dropout=0.0):
        super().__init__()
        _check_sizes(input_size, hidden_size, bias)
        validate.positive_int(num_layers, "num_layers")
        if not isinstance(batch_first, bool):
            raise TypeError(f"batch_first must be True or False, got {batch_first!r}")
        self.dropout = validate.number(dropout, "dropout", 0.0, 1.0)
        self.input_size, self.hidden_size, self.num_layers = input_size, hidden_size, num_layers
        self.bias, self.batch_first = bias, batch_first
        for k in range(num_layers):
            names = (f"weight_ih_l{k}", f"weight_hh_l{k}", f"bias_ih_l{k}", f"bias_hh_l{k}")
            for name, p in zip(names, _gate_parameters(input_size if k == 0 else hidden_size, hidden_size, bias)):
                setattr(self, name, p)
        _uniform_init(self, hidden_size)

    def layer_weights(self, k):
        """Layer k's (weight_ih, weight_hh, bias_ih, bias_hh), biases None without bias."""
        return tuple(getattr(self, f"{name}_l{k}") for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"))

    def layer(self, k, x, h, c):
        """Layer k over all steps: x (B, T, I or H), h and c (B, H) -> its outputs (B, T, H) and
        its state (h, c) after the last step."""
        weights, steps = self.layer_weights(k), []
        for t in range(x.shape[1]):
            h, c = _step(x[:, t], h, c, *weights)
            steps.append(h)
        return torch.stack(steps, dim=1), h, c  # (B, T, H)

    def forward(self, x, state=None):
        x = _check_input(x, 3, self.input_size, self.weight_ih_l0)
        x = x if self.batch_first else x.transpose(0, 1)  # (B, T, I)
        shape = (self.num_layers, x.shape[0], self.hidden_size)
        h0, c0 = (x.new_zeros(shape), x.new_zeros(shape)) if state is None else _check_state(state, shape, x)
        h_n, c_n = [], []
        for k in range(self.num_layers):
            if k > 0:
                x = F.dropout(x, self.dropout, self.training)  # (B, T, H)
            x, h, c = self.layer(k, x, h0[k], c0[k])  # (B, T, H), (B, H), (B, H)
            h_n.append(h)
            c_n.append(c)
        out = x if self.batch_first else x.transpose(0, 1)  # (B, T, H) or (T, B, H)
        return out, (torch.stack(h_n), torch.stack(c_n))  # (L, B, H) each

    def extra_repr(self):
        return (f"{self.input_size}, {self.hidden_size}, num_layers={self.num_layers}, bias={self.bias}, "
                f"batch_first={self.batch_first}, dropout={self.dropout}")
