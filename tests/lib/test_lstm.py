"""lib.lstm against torch: LSTM against torch.nn.LSTM and lstm_cell/LSTMCell against
torch.nn.LSTMCell with copied weights, outputs, final states and the gradients of the input, the
initial state and every parameter (a random upstream gradient on each output), on random sizes,
1-3 layers, batch_first both ways, with and without bias, zero and given initial states, float32
(below 1e-5) and float64 (below 1e-10), on every available device (cuDNN's TF32 off, so torch
computes in float32 too); the same torch seed gives torch's initial weights; dropout between
layers (off in eval, p = 1 cuts the layers apart, p = 0.5 equals torch layers with F.dropout
between them); outputs never depend on later steps (right padding is safe); a one-unit case
worked out by hand."""
import contextlib
import math

import pytest
import torch
import torch.nn.functional as F

from lib import lstm

TOL = {torch.float32: 1e-5, torch.float64: 1e-10}
DTYPES = [torch.float32, torch.float64]


def full_precision(device):
    """Keep cuDNN's RNN in float32 (no TF32 tensor cores) while torch's oracle runs."""
    if device.type != "cuda":
        return contextlib.nullcontext()
    return torch.backends.cudnn.flags(enabled=True, deterministic=True, allow_tf32=False)


def randn(g, shape, dtype, device):
    return torch.randn(shape, generator=g, dtype=torch.float64).to(device=device, dtype=dtype)


def assert_close(ours, theirs, dtype, what):
    assert len(ours) == len(theirs)
    for k, (a, b) in enumerate(zip(ours, theirs)):
        assert a.shape == b.shape, f"{what}: item {k} shape {tuple(a.shape)} != {tuple(b.shape)}"
        err = (a - b).abs().max().item()
        assert err < TOL[dtype] * max(1.0, b.abs().max().item()), f"{what}: item {k} differs by {err}"


def run(module, x, state, g_seed):
    """module(x, state): (out, h_n, c_n) and the gradients of sum(out*u1 + h_n*u2 + c_n*u3) for
    random u (drawn from g_seed) with respect to x, the state (when given) and every parameter."""
    x = x.detach().clone().requires_grad_(True)
    state = None if state is None else tuple(s.detach().clone().requires_grad_(True) for s in state)
    out, (h, c) = module(x, state)
    g = torch.Generator().manual_seed(g_seed)
    loss = sum((t * randn(g, t.shape, t.dtype, t.device)).sum() for t in (out, h, c))
    leaves = [x, *(state or ()), *module.parameters()]
    return [out.detach(), h.detach(), c.detach(), *torch.autograd.grad(loss, leaves)]


def random_case(g, dtype, device):
    """Random sizes and options, a lib LSTM and torch's with the same weights, an input and a state."""
    B, T, I, H, L = (int(torch.randint(1, n, (), generator=g)) for n in (5, 7, 7, 7, 4))
    bias, batch_first, with_state = (bool(torch.randint(0, 2, (), generator=g)) for _ in range(3))
    ours = lstm.LSTM(I, H, L, bias=bias, batch_first=batch_first).to(device=device, dtype=dtype)
    theirs = torch.nn.LSTM(I, H, L, bias=bias, batch_first=batch_first).to(device=device, dtype=dtype)
    theirs.load_state_dict(ours.state_dict())
    x = randn(g, (B, T, I) if batch_first else (T, B, I), dtype, device)
    state = (randn(g, (L, B, H), dtype, device), randn(g, (L, B, H), dtype, device)) if with_state else None
    return ours, theirs, x, state, f"B={B} T={T} I={I} H={H} L={L} bias={bias} batch_first={batch_first} state={with_state}"


@pytest.mark.parametrize("dtype", DTYPES)
def test_lstm_equals_torch_forward_and_backward(dtype, device):
    g = torch.Generator().manual_seed(0)
    for trial in range(16):
        ours, theirs, x, state, what = random_case(g, dtype, device)
        with full_precision(device):
            expected = run(theirs, x, state, trial)
        assert_close(run(ours, x, state, trial), expected, dtype, what)


def test_lstm_cases_cover_every_option():
    """The random cases above reach 1, 2 and 3 layers, both layouts, bias or not, state or not."""
    g = torch.Generator().manual_seed(0)
    seen = set()
    for _ in range(16):
        ours, _, _, state, _ = random_case(g, torch.float64, torch.device("cpu"))
        seen |= {("L", ours.num_layers), ("bias", ours.bias), ("bf", ours.batch_first), ("state", state is None)}
    assert seen >= {("L", 1), ("L", 2), ("L", 3), ("bias", True), ("bias", False), ("bf", True), ("bf", False),
                    ("state", True), ("state", False)}


def cell_run(call, x, state, params, g_seed):
    """call(x, state, params) -> (h, c): values and the gradients for x, the state and params."""
    leaves = [t.detach().clone().requires_grad_(True) for t in (x, *state, *params)]
    h, c = call(leaves[0], tuple(leaves[1:3]), leaves[3:])
    g = torch.Generator().manual_seed(g_seed)
    loss = (h * randn(g, h.shape, h.dtype, h.device)).sum() + (c * randn(g, c.shape, c.dtype, c.device)).sum()
    return [h.detach(), c.detach(), *torch.autograd.grad(loss, leaves)]


@pytest.mark.parametrize("dtype", DTYPES)
def test_lstm_cell_and_module_equal_torch_lstm_cell(dtype, device):
    g = torch.Generator().manual_seed(1)
    for trial in range(12):
        B, I, H = (int(torch.randint(1, 7, (), generator=g)) for _ in range(3))
        bias = trial % 2 == 0
        theirs = torch.nn.LSTMCell(I, H, bias=bias).to(device=device, dtype=dtype)
        ours = lstm.LSTMCell(I, H, bias=bias).to(device=device, dtype=dtype)
        ours.load_state_dict(theirs.state_dict())
        x, state = randn(g, (B, I), dtype, device), (randn(g, (B, H), dtype, device), randn(g, (B, H), dtype, device))
        params = [p.detach() for p in theirs.parameters()]
        expected = cell_run(lambda x, s, p: torch.func.functional_call(theirs, dict(zip(names(theirs), p)), (x, s)),
                            x, state, params, trial)
        assert_close(cell_run(lambda x, s, p: lstm.lstm_cell(x, s, *p), x, state, params, trial), expected, dtype, f"lstm_cell B={B} I={I} H={H}")
        module = lambda x, s, p: torch.func.functional_call(ours, dict(zip(names(ours), p)), (x, s))  # noqa: E731
        assert_close(cell_run(module, x, state, params, trial), expected, dtype, f"LSTMCell B={B} I={I} H={H}")
        assert_close(list(ours(x)), list(theirs(x)), dtype, "LSTMCell with a zero state")


def names(module):
    return [name for name, _ in module.named_parameters()]


@pytest.mark.parametrize("num_layers, bias", [(1, True), (3, True), (2, False)])
def test_same_seed_gives_torch_initial_weights(num_layers, bias):
    torch.manual_seed(7)
    ours = lstm.LSTM(5, 9, num_layers, bias=bias)
    torch.manual_seed(7)
    theirs = torch.nn.LSTM(5, 9, num_layers, bias=bias)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    for (name, a), b in zip(ours.state_dict().items(), theirs.state_dict().values()):
        assert torch.equal(a, b), name
        assert a.abs().max() <= 1 / math.sqrt(9), name
    torch.manual_seed(8)
    ours = lstm.LSTMCell(4, 6, bias=bias)
    torch.manual_seed(8)
    theirs = torch.nn.LSTMCell(4, 6, bias=bias)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert all(torch.equal(a, b) for a, b in zip(ours.state_dict().values(), theirs.state_dict().values()))


def layer(model, k, device, dtype):
    """Layer k of lib's LSTM `model` as a one-layer torch.nn.LSTM (batch first)."""
    one = torch.nn.LSTM(model.input_size if k == 0 else model.hidden_size, model.hidden_size, batch_first=True,
                        bias=model.bias).to(device=device, dtype=dtype)
    names = ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0")
    one.load_state_dict({n: p for n, p in zip(names, model.layer_weights(k)) if p is not None})
    return one


def test_dropout_between_layers(device):
    dtype = torch.float64
    g = torch.Generator().manual_seed(2)
    x = randn(g, (3, 5, 4), dtype, device)
    model = lstm.LSTM(4, 6, 3, dropout=0.5).to(device=device, dtype=dtype)
    theirs = torch.nn.LSTM(4, 6, 3, dropout=0.5, batch_first=True).to(device=device, dtype=dtype)
    theirs.load_state_dict(model.state_dict())
    assert_close(list(model.eval()(x)[0:1]), list(theirs.eval()(x)[0:1]), dtype, "eval: no dropout")
    model.train()
    torch.manual_seed(3)
    ours = model(x)[0]
    layers = [layer(model, k, device, dtype) for k in range(3)]  # built first: their init draws too
    with torch.backends.cudnn.flags(enabled=False):  # cuDNN may draw its dropout state's seed
        torch.manual_seed(3)  # the same draws: F.dropout on each contiguous (B, T, H) layer output but the last
        y = layers[0](x)[0]  # (F.dropout draws in memory order; torch's batch-first output is a transposed view)
        y = layers[1](F.dropout(y.contiguous(), 0.5, True))[0]
        y = layers[2](F.dropout(y.contiguous(), 0.5, True))[0]
    assert_close([ours], [y], dtype, "dropout 0.5")
    assert not torch.allclose(ours, model.eval()(x)[0]), "dropout changed nothing in training"


def test_dropout_one_cuts_the_layers_apart(device):
    """With p = 1 every layer after the first reads zeros: its state equals a one-layer LSTM on zeros."""
    dtype = torch.float64
    g = torch.Generator().manual_seed(4)
    x = randn(g, (2, 4, 3), dtype, device)
    model = lstm.LSTM(3, 5, 3, dropout=1.0).to(device=device, dtype=dtype).train()
    _, (h_n, c_n) = model(x)
    _, (h, c) = layer(model, 0, device, dtype)(x)
    assert_close([h_n[0], c_n[0]], [h[0], c[0]], dtype, "layer 0")
    for k in (1, 2):
        _, (h, c) = layer(model, k, device, dtype)(x.new_zeros(2, 4, 5))
        assert_close([h_n[k], c_n[k]], [h[0], c[0]], dtype, f"layer {k}")


@pytest.mark.parametrize("batch_first", [True, False])
def test_outputs_do_not_depend_on_later_steps(batch_first, device):
    """Right padding is safe: changing the inputs from step t on leaves every output before t."""
    g = torch.Generator().manual_seed(5)
    model = lstm.LSTM(3, 4, 2, batch_first=batch_first).to(device=device, dtype=torch.float64)
    x = randn(g, (2, 6, 3), torch.float64, device)
    for t in range(6):
        changed = x.clone()
        changed[:, t:] = randn(g, (2, 6 - t, 3), torch.float64, device)
        time_first = (lambda v: v) if batch_first else (lambda v: v.transpose(0, 1))
        a, b = (model(time_first(v))[0] for v in (x, changed))
        assert torch.equal(time_first(a)[:, :t], time_first(b)[:, :t])
        assert t == 6 or not torch.equal(time_first(a)[:, t:], time_first(b)[:, t:])


def test_one_unit_by_hand():
    """H = I = B = 1, zero weights: the gates are sigmoid/tanh of their biases b_i, b_f, b_g, b_o
    (bias_hh zero), so c' = s(b_f) c + s(b_i) tanh(b_g) and h' = s(b_o) tanh(c')."""
    s = lambda v: 1 / (1 + math.exp(-v))  # noqa: E731
    b_i, b_f, b_g, b_o, c = 0.5, -1.0, 2.0, 1.5, 0.25
    bias = torch.tensor([b_i, b_f, b_g, b_o], dtype=torch.float64)
    zero = torch.zeros(4, 1, dtype=torch.float64)
    h1, c1 = lstm.lstm_cell(torch.ones(1, 1, dtype=torch.float64), (torch.zeros(1, 1, dtype=torch.float64),
                            torch.full((1, 1), c, dtype=torch.float64)), zero, zero, bias, torch.zeros_like(bias))
    expected_c = s(b_f) * c + s(b_i) * math.tanh(b_g)  # 0.2689*0.25 + 0.6225*0.9640
    assert abs(c1.item() - expected_c) < 1e-12 and abs(expected_c - 0.6673) < 1e-4
    assert abs(h1.item() - s(b_o) * math.tanh(expected_c)) < 1e-12


@pytest.mark.parametrize("call, match", [
    (lambda: lstm.LSTM(3, 4)(torch.randn(2, 5, 4)), "x"),
    (lambda: lstm.LSTM(3, 4)(torch.randn(2, 5, 3, dtype=torch.float64)), "x"),
    (lambda: lstm.LSTM(3, 4, 2)(torch.randn(2, 5, 3), (torch.zeros(1, 2, 4), torch.zeros(1, 2, 4))), "state h"),
    (lambda: lstm.LSTM(3, 4)(torch.randn(2, 0, 3)), "x"),
    (lambda: lstm.LSTMCell(3, 4)(torch.randn(2, 3), (torch.zeros(2, 4),)), "state"),
    (lambda: lstm.lstm_cell(torch.randn(2, 3), (torch.zeros(2, 4), torch.zeros(2, 4)), torch.randn(16, 3),
                            torch.randn(16, 3)), "weight_hh"),
    (lambda: lstm.lstm_cell(torch.randn(2, 3), (torch.zeros(2, 4), torch.zeros(2, 4)), torch.randn(16, 3),
                            torch.randn(16, 4), torch.randn(4)), "bias_ih"),
    (lambda: lstm.lstm_cell(torch.randn(2, 3), (torch.zeros(2, 4), torch.zeros(2, 4, dtype=torch.float64)),
                            torch.randn(16, 3), torch.randn(16, 4)), "state c"),
])
def test_bad_input_is_named(call, match):
    with pytest.raises((TypeError, ValueError), match=match):
        call()
