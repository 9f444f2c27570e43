"""lib.train.fit against a hand-written torch loop (torch.optim, F.cross_entropy, nn.Linear),
early stopping, the L2 penalty, dropout's train/eval modes, and lib.mlp.MLP."""
import pytest
import torch
import torch.nn.functional as F

from lib import data, mlp, optim, train


def blobs(device, n=120, d=5, classes=3, seed=0):
    g = torch.Generator().manual_seed(seed)
    y = torch.randint(0, classes, (n,), generator=g)
    x = torch.randn(n, d, generator=g, dtype=torch.float64) + y.unsqueeze(1).double()
    return x.to(device), y.to(device)


def torch_reference(model, train_xy, val_xy, epochs, batch_size, lr, l2, seed):
    """The loop fit() claims to be: torch.optim.SGD(momentum), F.cross_entropy, the same batches."""
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    g = torch.Generator().manual_seed(seed)
    x, y = train_xy
    curves = {"train": [], "val": [], "acc": []}
    for _ in range(epochs):
        model.train()
        total = 0.0
        for idx in torch.randperm(len(x), generator=g).to(x.device).split(batch_size):
            opt.zero_grad()
            loss = F.cross_entropy(model(x[idx]), y[idx])
            penalty = sum((p ** 2).sum() for name, p in model.named_parameters() if name.endswith("weight"))
            (loss + l2 * penalty).backward()
            opt.step()
            total += loss.item() * len(idx)
        curves["train"].append(total / len(x))
        model.eval()
        with torch.no_grad():
            out = model(val_xy[0])
            curves["val"].append(F.cross_entropy(out, val_xy[1]).item())
            curves["acc"].append((out.argmax(1) == val_xy[1]).double().mean().item())
    return curves


@pytest.mark.parametrize("l2, dropout", [(0.0, 0.0), (0.05, 0.0), (0.01, 0.3)])
def test_fit_equals_a_hand_written_torch_loop(l2, dropout, device):
    x, y = blobs(device)
    train_xy, val_xy = (x[:90], y[:90]), (x[90:], y[90:])
    model = mlp.MLP([5, 16, 3], dropout=dropout, generator=torch.Generator().manual_seed(1),
                    dtype=torch.float64).to(device)
    reference = torch.nn.Sequential(torch.nn.Linear(5, 16, dtype=torch.float64), torch.nn.ReLU(),
                                    torch.nn.Dropout(dropout), torch.nn.Linear(16, 3, dtype=torch.float64)).to(device)
    with torch.no_grad():
        for ours, theirs in zip(model.linears, (reference[0], reference[3])):
            theirs.weight.copy_(ours.weight)
            theirs.bias.copy_(ours.bias)
    torch.manual_seed(5)
    history = train.fit(model, optim.SGD(model.parameters(), lr=0.05, momentum=0.9), train_xy, val_xy,
                        epochs=6, batch_size=16, l2=l2, generator=torch.Generator().manual_seed(2), progress=False)
    torch.manual_seed(5)
    curves = torch_reference(reference, train_xy, val_xy, 6, 16, 0.05, l2, seed=2)
    torch.testing.assert_close(history.train_loss, curves["train"], rtol=1e-10, atol=1e-12)
    torch.testing.assert_close(history.val_loss, curves["val"], rtol=1e-10, atol=1e-12)
    assert history.val_metric == curves["acc"]
    assert history.best_epoch == 1 + min(range(6), key=curves["val"].__getitem__)
    assert history.stopped_epoch is None


def test_mlp_initialisation_is_seeded_and_shaped_like_nn_linear():
    a = mlp.MLP([4, 7, 2], generator=torch.Generator().manual_seed(0))
    b = mlp.MLP([4, 7, 2], generator=torch.Generator().manual_seed(0))
    assert [tuple(p.shape) for p in a.parameters()] == [(7, 4), (7,), (2, 7), (2,)]
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters()))
    assert float(a.linears[0].weight.detach().abs().max()) <= 0.5  # U(-1/sqrt(4), 1/sqrt(4))
    x = torch.randn(3, 4)
    params = [(lin.weight.detach().T, lin.bias.detach()) for lin in a.linears]
    torch.testing.assert_close(a(x), mlp.mlp_forward(x, params))
    with pytest.raises(ValueError, match=r"dropout must be in \[0, 1\)"):
        mlp.MLP([4, 2], dropout=1.0)


def test_dropout_is_on_in_training_and_off_in_evaluation():
    model = mlp.MLP([3, 200, 2], dropout=0.5, generator=torch.Generator().manual_seed(0))
    x, y = torch.randn(8, 3), torch.randint(0, 2, (8,))
    model.train()
    assert not torch.equal(model(x), model(x))
    loss, acc = train.evaluate(model, x, y)
    assert model.training  # evaluate() restores the mode
    model.eval()
    assert loss == pytest.approx(F.cross_entropy(model(x), y).item()) and 0 <= acc <= 1


@pytest.mark.parametrize("values, patience, min_delta, stop_at, best", [
    ([1.0, 0.9, 0.95, 0.96, 0.97], 3, 0.0, 5, 2),
    ([1.0, 0.9, 0.89, 0.88, 0.87], 2, 0.05, 4, 2),   # improvements smaller than min_delta do not count
    ([3.0, 2.0, 1.0, 0.5], 1, 0.0, None, 4),
    ([1.0, 1.0, 1.0], 2, 0.0, 3, 1),                  # equal is not better
])
def test_early_stopping_rule(values, patience, min_delta, stop_at, best):
    rule = train.EarlyStopping(patience, min_delta)
    stopped = next((epoch for epoch, v in enumerate(values, 1) if rule.step(v)), None)
    assert stopped == stop_at and rule.best_epoch == best


def test_fit_stops_early_and_restores_the_best_weights():
    x, y = blobs("cpu", n=200, seed=3)
    y_noise = y.clone()
    y_noise[:100] = torch.randint(0, 3, (100,), generator=torch.Generator().manual_seed(0))  # memorisable noise
    model = mlp.MLP([5, 256, 3], generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    history = train.fit(model, optim.Adam(model.parameters(), lr=0.01), (x[:100], y_noise[:100]), (x[100:], y[100:]),
                        epochs=200, batch_size=20, early_stopping=train.EarlyStopping(patience=5),
                        generator=torch.Generator().manual_seed(1), progress=False)
    assert history.stopped_epoch is not None and history.stopped_epoch < 200
    assert history.stopped_epoch == history.best_epoch + 5
    assert len(history.val_loss) == history.stopped_epoch
    assert train.evaluate(model, x[100:], y[100:])[0] == pytest.approx(min(history.val_loss), rel=1e-12)


def test_l2_penalty_counts_weight_matrices_only():
    model = mlp.MLP([2, 3, 1], generator=torch.Generator().manual_seed(0))
    expected = sum(float((lin.weight.detach() ** 2).sum()) for lin in model.linears)
    assert float(train.l2_penalty(model).detach()) == pytest.approx(expected)
    groups = train.decay_groups(model, 0.1)
    assert [len(g["params"]) for g in groups] == [2, 2] and [g["weight_decay"] for g in groups] == [0.1, 0.0]


def test_fit_without_validation_and_bad_arguments():
    x, y = blobs("cpu", n=30)
    model = mlp.MLP([5, 4, 3], dtype=torch.float64)
    history = train.fit(model, optim.SGD(model.parameters(), lr=0.1), (x, y), epochs=3, progress=False)
    assert len(history.train_loss) == 3 and history.val_loss == [] and history.best_epoch is None
    with pytest.raises(ValueError, match="early_stopping needs validation data"):
        train.fit(model, optim.SGD(model.parameters(), lr=0.1), (x, y), epochs=3,
                  early_stopping=train.EarlyStopping(), progress=False)
    with pytest.raises(ValueError, match="epochs must be a positive int"):
        train.fit(model, optim.SGD(model.parameters(), lr=0.1), (x, y), epochs=0, progress=False)
    with pytest.raises(ValueError, match="patience must be a positive int"):
        train.EarlyStopping(patience=0)


def test_progress_bar_is_plain_text_outside_jupyter(capsys):
    x, y = blobs("cpu", n=30)
    model = mlp.MLP([5, 4, 3], dtype=torch.float64)
    train.fit(model, optim.SGD(model.parameters(), lr=0.1), (x, y), (x, y), epochs=2, desc="demo")
    err = capsys.readouterr().err
    assert "demo: 100%" in err and "val_loss=" in err


def test_plot_history_draws_both_panels():
    import matplotlib

    matplotlib.use("Agg")
    history = train.History([1.0, 0.5], [1.1, 0.7], [0.5, 0.8], best_epoch=2)
    loss_ax, metric_ax = train.plot_history(history)
    assert [list(line.get_ydata()) for line in loss_ax.get_lines()[:2]] == [[1.0, 0.5], [1.1, 0.7]]
    assert list(metric_ax.get_lines()[0].get_ydata()) == [0.5, 0.8]


def test_a_lib_mlp_reaches_97_percent_on_digits():
    ds = data.load("digits")
    tr, va, te = data.stratified_split(ds.y, (0.6, 0.2, 0.2), generator=torch.Generator().manual_seed(0))
    scaler = data.Standardizer().fit(ds.x[tr])
    x = scaler.transform(ds.x)
    model = mlp.MLP([64, 256, 10], dropout=0.2, generator=torch.Generator().manual_seed(1))
    opt = optim.AdamW(train.decay_groups(model, 1e-2), lr=1e-3)
    torch.manual_seed(0)
    train.fit(model, opt, (x[tr], ds.y[tr]), (x[va], ds.y[va]), epochs=60, early_stopping=train.EarlyStopping(10),
              generator=torch.Generator().manual_seed(2), progress=False)
    assert train.evaluate(model, x[te], ds.y[te])[1] >= 0.97
