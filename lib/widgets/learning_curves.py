"""Widget: learning curves and validation accuracy of an MLP on a small slice of the digits, as
the L2 strength, the hidden width and dropout change (under- and overfitting, regularisation).

compute() trains with lib.train.fit, which tests/lib/test_widget_learning_curves.py checks
against a hand-written torch loop; results are cached in `cache`, so moving a slider back is
instant.
"""
import torch

from lib import data, mlp, optim, train
from lib.widgets.live import live_view

WIDTHS = (2, 4, 8, 16, 32, 64, 128, 256, 512)


class LearningCurveWidget:
    """Train a 64-width-10 MLP on n_train digits and validate on n_val others (a stratified split
    drawn from `seed`, standardised on the training part) for `epochs` epochs of Adam.
    """

    def __init__(self, n_train=150, n_val=450, epochs=40, batch_size=50, lr=1e-2, seed=0):
        ds = data.load("digits", dtype=torch.float32)
        n = len(ds.y)
        fractions = (n_train / n, n_val / n, 1 - (n_train + n_val) / n)
        tr, va, _ = data.stratified_split(ds.y, fractions, generator=torch.Generator().manual_seed(seed))
        scaler = data.Standardizer().fit(ds.x[tr])
        self.train = (scaler.transform(ds.x[tr]), ds.y[tr])
        self.val = (scaler.transform(ds.x[va]), ds.y[va])
        self.epochs, self.batch_size, self.lr, self.seed = epochs, batch_size, lr, seed
        self.cache = {}

    def model(self, width, dropout):
        """The untrained network for a setting: the same initial weights for the same width."""
        return mlp.MLP([64, width, 10], dropout=dropout, generator=torch.Generator().manual_seed(self.seed + 1))

    def compute(self, l2, width, dropout=0.0):
        """{"train_loss", "val_loss", "val_accuracy": per-epoch lists, "train_accuracy": final,
        "best_epoch"} for L2 strength l2 (loss + l2 * sum of squared weights), hidden width and
        dropout rate. Dropout's masks come from a seeded generator, so results repeat exactly.
        """
        key = (float(l2), int(width), float(dropout))
        if key not in self.cache:
            self.cache[key] = self._train(*key)
        return self.cache[key]

    def _train(self, l2, width, dropout):
        model = self.model(width, dropout)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(self.seed + 2)
            history = train.fit(model, optim.Adam(model.parameters(), lr=self.lr), self.train, self.val,
                                epochs=self.epochs, batch_size=self.batch_size, l2=l2,
                                generator=torch.Generator().manual_seed(self.seed + 3), progress=False)
        return {"train_loss": history.train_loss, "val_loss": history.val_loss,
                "val_accuracy": history.val_metric, "best_epoch": history.best_epoch,
                "train_accuracy": train.evaluate(model, *self.train)[1]}

    def readout(self, l2, width, dropout):
        """The one-line text the widget prints under the controls."""
        r = self.compute(l2, width, dropout)
        return (f"l2 = {l2:.1e}   width = {width}   dropout = {dropout:.1f}   "
                f"train accuracy = {r['train_accuracy']:.3f}   val accuracy = {r['val_accuracy'][-1]:.3f}   "
                f"best epoch = {r['best_epoch']}")

    def figure(self, l2, width, dropout):
        """Loss curves and validation accuracy for this setting, next to the unregularised run."""
        import matplotlib.pyplot as plt

        fig, axes = plt.subplots(1, 2, figsize=(10, 3.6))
        for setting, style in (((0.0, width, 0.0), ":"), ((l2, width, dropout), "-")):
            r = self.compute(*setting)
            epochs = range(1, len(r["train_loss"]) + 1)
            name = "no regularisation" if style == ":" else "this setting"
            axes[0].plot(epochs, r["train_loss"], style, color="C0", label=f"train, {name}")
            axes[0].plot(epochs, r["val_loss"], style, color="C1", label=f"validation, {name}")
            axes[1].plot(epochs, r["val_accuracy"], style, color="C1", label=name)
        axes[0].set(xlabel="epoch", ylabel="cross-entropy", yscale="log", title="learning curves")
        axes[1].set(xlabel="epoch", ylabel="accuracy", ylim=(0, 1), title="validation accuracy")
        for ax in axes:
            ax.grid(alpha=0.3)
            ax.legend(fontsize=8)
        fig.tight_layout()
        return fig

    def show(self, l2=1e-3, width=64, dropout=0.0):
        """Display the controls, the read-out and the live plot; returns the ipywidgets box."""
        import ipywidgets as widgets

        controls = {
            "l2": widgets.FloatLogSlider(value=l2, base=10, min=-5, max=0, step=0.5, description="l2",
                                         continuous_update=False, readout_format=".0e"),
            "width": widgets.SelectionSlider(options=WIDTHS, value=width, description="width",
                                             continuous_update=False),
            "dropout": widgets.FloatSlider(value=dropout, min=0.0, max=0.8, step=0.1, description="dropout",
                                           continuous_update=False),
        }
        return live_view(controls, self.readout, self.figure, "curves-readout")
