"""The training loop: mini-batches, a validation pass per epoch, a progress bar, history for
plotting, early stopping, an L2 penalty and (through the model) dropout.

fit() does exactly what a hand-written torch loop does (tests/lib/test_train.py runs both
side by side), so a student can read it as the reference loop.
"""
import copy
from dataclasses import dataclass, field

import torch

from lib import losses, metrics, validate
from lib.data import batches


@dataclass
class History:
    """Per-epoch curves of one fit: mean training loss, validation loss and validation metric
    (empty without validation data); best_epoch (1-based, by validation loss) and the epoch
    early stopping ended the run (None if it ran to the end).
    """

    train_loss: list = field(default_factory=list)
    val_loss: list = field(default_factory=list)
    val_metric: list = field(default_factory=list)
    best_epoch: int = None
    stopped_epoch: int = None


class EarlyStopping:
    """Stop when the monitored value (lower is better) has not improved for `patience` epochs.

    An epoch improves when its value is below best - min_delta. step(value) records one epoch
    and returns True when training should stop; best and best_epoch (1-based) say where the
    minimum was.
    """

    def __init__(self, patience=5, min_delta=0.0):
        validate.positive_int(patience, "patience")
        if not min_delta >= 0:
            raise ValueError(f"min_delta must be >= 0, got {min_delta!r}")
        self.patience, self.min_delta = patience, min_delta
        self.best, self.best_epoch, self.epoch, self.wait = float("inf"), None, 0, 0

    def step(self, value):
        self.epoch += 1
        if value < self.best - self.min_delta:
            self.best, self.best_epoch, self.wait = value, self.epoch, 0
        else:
            self.wait += 1
        return self.wait >= self.patience


def accuracy_of_logits(logits, y):
    """Share of rows of logits: (N, C) whose argmax is y: (N,)."""
    validate.tensor(logits, "logits", ndim=2)
    validate.labels(y, "y", logits.shape[0], logits.shape[1])
    return float(metrics.accuracy(y, logits.argmax(1)))


def _check_model(model):
    if not isinstance(model, torch.nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")


def l2_penalty(model):
    """Sum of squared weights of model's weight matrices (parameters with 2+ dims; biases are free)."""
    _check_model(model)
    return sum((p * p).sum() for p in model.parameters() if p.dim() > 1)


def decay_groups(model, weight_decay):
    """Optimizer parameter groups: weight matrices with weight_decay, biases and other 1-D ones without."""
    _check_model(model)
    validate.number(weight_decay, "weight_decay", 0.0)
    params = list(model.parameters())
    return [{"params": [p for p in params if p.dim() > 1], "weight_decay": weight_decay},
            {"params": [p for p in params if p.dim() <= 1], "weight_decay": 0.0}]


@torch.no_grad()
def evaluate(model, x, y, loss_fn=losses.cross_entropy, metric=accuracy_of_logits):
    """(loss, metric) of model on (x (N, ...), y (N, ...)) in eval mode (dropout off), no gradients.

    metric(outputs, y) -> float, or None for the loss alone (then the metric is None).
    """
    _check_model(model)
    was_training = model.training
    model.eval()
    try:
        out = model(x)
        return float(loss_fn(out, y)), (metric(out, y) if metric is not None else None)
    finally:
        model.train(was_training)


def fit(model, optimizer, train, val=None, *, epochs, batch_size=64, loss_fn=losses.cross_entropy,
        metric=accuracy_of_logits, l2=0.0, early_stopping=None, generator=None, progress=True, desc="training"):
    """Train model on train = (x (N, ...), y (N, ...)) for up to `epochs` epochs; returns History.

    Each epoch shuffles train into mini-batches (lib.data.batches with `generator`), and for
    each: optimizer.zero_grad(), loss = loss_fn(model(xb), yb) + l2 * l2_penalty(model),
    backward, optimizer.step(). Then, with val = (x, y), evaluate() in eval mode. With an
    EarlyStopping, training stops when it says so (watching the validation loss) and the
    weights of the best epoch are put back. progress shows a tqdm.auto bar: a widget in
    JupyterLab, a text line elsewhere.
    """
    validate.positive_int(epochs, "epochs")
    _check_model(model)
    for name, pair in (("train", train), ("val", val)):
        if pair is not None and not (isinstance(pair, (tuple, list)) and len(pair) == 2
                                     and all(isinstance(t, torch.Tensor) for t in pair) and len(pair[0]) == len(pair[1])):
            raise TypeError(f"{name} must be a pair (x, y) of tensors with as many rows, got {type(pair).__name__}")
    if early_stopping is not None and val is None:
        raise ValueError("early_stopping needs validation data: pass val=(x_val, y_val)")
    if not l2 >= 0:
        raise ValueError(f"l2 must be >= 0, got {l2!r}")
    from tqdm.auto import trange

    history, best_state = History(), None
    bar = trange(epochs, desc=desc, disable=not progress, leave=True)
    for epoch in bar:
        history.train_loss.append(_train_epoch(model, optimizer, train, batch_size, loss_fn, l2, generator))
        if val is None:
            bar.set_postfix(train_loss=f"{history.train_loss[-1]:.4f}")
            continue
        val_loss, val_metric = evaluate(model, *val, loss_fn=loss_fn, metric=metric)
        history.val_loss.append(val_loss)
        history.val_metric.append(val_metric)
        bar.set_postfix(train_loss=f"{history.train_loss[-1]:.4f}", val_loss=f"{val_loss:.4f}")
        if val_loss == min(history.val_loss):
            history.best_epoch = epoch + 1
            best_state = copy.deepcopy(model.state_dict()) if early_stopping is not None else None
        if early_stopping is not None and early_stopping.step(val_loss):
            history.stopped_epoch = epoch + 1
            break
    bar.close()
    if best_state is not None:
        model.load_state_dict(best_state)
    return history


def _train_epoch(model, optimizer, train, batch_size, loss_fn, l2, generator):
    """One pass over train in shuffled mini-batches; returns the mean data loss per example."""
    model.train()
    total, count = 0.0, 0
    for xb, yb in batches(*train, batch_size, generator=generator):
        optimizer.zero_grad()
        loss = loss_fn(model(xb), yb)
        objective = loss + l2 * l2_penalty(model) if l2 else loss
        objective.backward()
        optimizer.step()
        total += float(loss.detach()) * len(xb)
        count += len(xb)
    return total / count


def plot_history(history, axes=None, label=""):
    """Loss curves (training and validation) and the validation metric per epoch, the best epoch
    marked. axes: two matplotlib Axes, or None for a new figure. Returns the axes.
    """
    import matplotlib.pyplot as plt

    if not isinstance(history, History):
        raise TypeError(f"history must be the lib.train.History that fit() returned, got {type(history).__name__}")
    if axes is None:
        axes = plt.subplots(1, 2, figsize=(10, 3.5))[1]
    loss_ax, metric_ax = axes
    epochs = range(1, len(history.train_loss) + 1)
    prefix = f"{label} " if label else ""
    loss_ax.plot(epochs, history.train_loss, label=f"{prefix}train")
    if history.val_loss:
        loss_ax.plot(epochs, history.val_loss, "--", label=f"{prefix}validation")
        metric_ax.plot(epochs, history.val_metric, label=f"{prefix}validation")
    if history.best_epoch is not None:
        loss_ax.axvline(history.best_epoch, color="grey", lw=0.8, ls=":")
    loss_ax.set(xlabel="epoch", ylabel="loss", title="loss")
    metric_ax.set(xlabel="epoch", ylabel="metric", title="validation metric")
    loss_ax.legend()
    return axes
