"""Chapter 04 (training): the definitions of its exercises: oracles are scikit-learn, lib.train.fit
and lib.train.EarlyStopping.

scikit-learn is imported inside the oracles: importing it takes seconds, and every chapter's
kernel imports this module through lib.testing.
"""

import warnings

import numpy as np
import torch

from lib.exercises.base import Case, Exercise, Mistake, call, randn, unpack
from lib import train

F64 = dict(rtol=1e-9, atol=1e-12)


def _labels(g, n, classes):
    y = torch.randint(0, classes, (n,), generator=g)
    y[:3], y[3] = classes, classes + 1  # a class of three examples and a class of one
    return y


def _split_cases(g):
    def seeds():
        """Two different seeds: the split's, and another that must give another split."""
        s = int(torch.randint(0, 10_000, (), generator=g))
        return s, s + 1 + int(torch.randint(0, 10_000, (), generator=g))

    cases = [
        Case(
            (torch.tensor([0] * 50 + [1] * 30 + [2] * 20), [0.6, 0.2, 0.2], *seeds()),
            "100 labels of 3 classes, fractions (0.6, 0.2, 0.2)",
        ),
        Case(
            (torch.tensor([1] * 7 + [0] * 13), [0.5, 0.5], *seeds()),
            "20 labels, class 1 first, halves",
        ),
    ]
    for fractions in (
        [0.5, 0.5],
        [0.8, 0.1, 0.1],
        [0.7, 0.15, 0.15],
        [0.25, 0.25, 0.25, 0.25],
        [0.9, 0.1],
    ):
        cases.append(
            Case(
                (_labels(g, 97, 4), fractions, *seeds()),
                f"97 random labels, fractions {fractions}",
            )
        )
    return cases


def _split_run(fns, y, fractions, seed, other_seed):
    def split(s):
        parts = fns["stratified_split"](y, tuple(fractions), torch.Generator().manual_seed(s))
        if not isinstance(parts, (tuple, list)):
            raise TypeError(f"expected a tuple of index tensors, got {type(parts).__name__}")
        return tuple(parts)

    return split(seed), split(seed), split(other_seed)


def _split_check(got, y, fractions, seed, other_seed):
    first, again, other = got
    for parts in got:
        problem = _split_problem(parts, y, fractions)
        if problem:
            return problem
    if any(not torch.equal(a, b) for a, b in zip(first, again)):
        return "the same seed must give the same split"
    if torch.equal(first[0].sort().values, other[0].sort().values):
        return "different seeds must give different splits (shuffle each class with the generator)"
    return None


def _split_problem(parts, y, fractions):
    if len(parts) != len(fractions):
        return f"expected {len(fractions)} parts, got {len(parts)}"
    for i, part in enumerate(parts):
        if not isinstance(part, torch.Tensor) or part.dim() != 1 or part.dtype != torch.long:
            return f"part {i} must be a 1-D int64 tensor"
    joined = torch.cat(list(parts)).sort().values
    if not torch.equal(joined.cpu(), torch.arange(len(y))):
        return "the parts must hold every index 0..N-1 exactly once"
    for c in torch.unique(y).tolist():
        n_c = int((y == c).sum())
        for i, (part, f) in enumerate(zip(parts, fractions)):
            got = int((y[part] == c).sum())
            if abs(got - f * n_c) >= 1 + 1e-9:
                return (
                    f"class {c} ({n_c} examples): part {i} holds {got}, expected {f * n_c:.2f} ± 1"
                )
    return None


def _impute_cases(g):
    nan = float("nan")
    small = (
        torch.tensor(
            [[1.0, 10.0], [2.0, nan], [4.0, 30.0], [nan, 40.0], [8.0, 20.0]], dtype=torch.float64
        ),
        torch.tensor([[nan, nan], [3.0, 25.0]], dtype=torch.float64),
    )
    x_train = randn(g, 40, 6) * torch.arange(1.0, 7.0, dtype=torch.float64) + 5
    x_train[torch.rand(40, 6, generator=g) < 0.25] = nan
    x_train[:, 2] = 3.0
    x_train[:, 4] = nan
    x_train[:30, 4] = torch.arange(30.0, dtype=torch.float64) ** 2
    x_other = randn(g, 15, 6, scale=4)
    x_other[torch.rand(15, 6, generator=g) < 0.3] = nan
    return [
        Case(small, "a 5x2 table with an even count of values per column", **F64),
        Case(
            (x_train, x_other),
            "random 40x6 float64 tables, a constant column",
            rtol=1e-9,
            atol=1e-10,
        ),
        Case(
            (x_train.float(), x_other.float()), "the same tables in float32", rtol=1e-4, atol=1e-5
        ),
        Case(
            (x_train, x_other + 1000.0),
            "other rows far from the training rows",
            rtol=1e-9,
            atol=1e-8,
        ),
    ]


def _impute_expected(x_train, x_other):
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    pipeline = make_pipeline(SimpleImputer(strategy="median"), StandardScaler()).fit(
        x_train.double().cpu().numpy()
    )
    return tuple(
        torch.as_tensor(pipeline.transform(x.double().cpu().numpy())).to(x.dtype).to(x.device)
        for x in (x_train, x_other)
    )


def _confusion_cases(g):
    cases = [
        Case(
            (torch.tensor([0, 0, 1, 2, 2, 2]), torch.tensor([0, 1, 1, 2, 0, 2]), 3),
            "6 labels",
            rtol=0,
            atol=0,
        ),
        Case(
            (torch.tensor([0, 0, 0]), torch.tensor([1, 1, 1]), 3),
            "every example of class 0 predicted as 1",
            rtol=0,
            atol=0,
        ),
    ]
    for c in (2, 5, 10):
        cases.append(
            Case(
                (
                    torch.randint(0, c - 1, (60,), generator=g),
                    torch.randint(0, c, (60,), generator=g),
                    c,
                ),
                f"{c} classes, the last never occurs",
                rtol=0,
                atol=0,
            )
        )
    return cases


def _confusion_expected(y_true, y_pred, c):
    from sklearn.metrics import confusion_matrix

    cm = confusion_matrix(y_true.cpu().numpy(), y_pred.cpu().numpy(), labels=list(range(c)))
    return torch.as_tensor(cm, dtype=torch.long, device=y_true.device)


def _prf_cases(g):
    cases = [
        Case(
            (torch.tensor([0, 1, 2, 2]), torch.tensor([0, 0, 0, 0]), 4, average),
            f"{average}: classes never predicted, one never occurs",
            **F64,
        )
        for average in ("macro", "micro", "weighted")
    ]
    for _ in range(30):
        c, n = int(torch.randint(2, 7, (), generator=g)), int(torch.randint(1, 25, (), generator=g))
        y_true, y_pred = (
            torch.randint(0, c, (n,), generator=g),
            torch.randint(0, c, (n,), generator=g),
        )
        for average in ("macro", "micro", "weighted"):
            cases.append(
                Case(
                    (y_true, y_pred, c, average),
                    f"{average}, {c} classes, {n} random labels",
                    **F64,
                )
            )
    return cases


def _prf_expected(y_true, y_pred, c, average):
    from sklearn.metrics import precision_recall_fscore_support

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        scores = precision_recall_fscore_support(
            y_true.cpu().numpy(),
            y_pred.cpu().numpy(),
            labels=list(range(c)),
            average=average,
            zero_division=0,
        )[:3]
    return tuple(torch.tensor(float(s), dtype=torch.float64, device=y_true.device) for s in scores)


def _stopping_cases(g):
    cases = [
        Case(([1.0, 0.9, 0.95, 0.96, 0.97], 3, 0.0), "patience 3"),
        Case(([3.0, 2.0, 1.0, 0.5], 2, 0.0), "always improving"),
        Case(([1.0, 0.9, 0.89, 0.88, 0.87], 2, 0.05), "min_delta 0.05"),
        Case(([1.0, 1.0, 1.0, 1.0], 2, 0.0), "equal is not better"),
        Case(([1.0, 0.5, 0.7, 0.4, 0.6, 0.65], 2, 0.0), "counting restarts after an improvement"),
        Case(([2.0], 1, 0.0), "one epoch"),
        Case(
            ([1.0, 0.99, 0.98, 0.97, 0.96, 0.95], 1, 0.011), "steps of 0.01 below min_delta 0.011"
        ),
    ]
    for _ in range(40):
        losses = (1 / torch.arange(1, 31) + 0.05 * torch.randn(30, generator=g)).tolist()
        patience, delta = (
            int(torch.randint(1, 6, (), generator=g)),
            float(torch.rand((), generator=g)) * 0.03,
        )
        cases.append(
            Case(
                (losses, patience, delta),
                f"30 noisy losses, patience {patience}, min_delta {delta:.4f}",
            )
        )
    return cases


def _stopping_expected(losses, patience, min_delta):
    rule = train.EarlyStopping(patience, min_delta)
    stop = next((epoch for epoch, loss in enumerate(losses, 1) if rule.step(loss)), None)
    return rule.best_epoch, stop


def _kfold_cases(g):
    return [
        Case((n, k, int(torch.randint(0, 10_000, (), generator=g))), f"kfold_indices({n}, {k})")
        for n, k in [(10, 3), (12, 4), (17, 5), (6, 6), (101, 10), (9, 2), (23, 4)]
    ]


def _kfold_run(fns, n, k, seed):
    folds = fns["kfold_indices"](n, k, torch.Generator().manual_seed(seed))
    if not isinstance(folds, list):
        raise TypeError(f"expected a list of {k} pairs, got {type(folds).__name__}")
    out = []
    for fold in folds:
        train_idx, val_idx = unpack(tuple(fold), 2, "each fold")
        if not isinstance(train_idx, torch.Tensor) or not isinstance(val_idx, torch.Tensor):
            raise TypeError("each fold must be a pair of index tensors")
        out.append((sorted(train_idx.tolist()), sorted(val_idx.tolist())))
    return out


def _kfold_expected(n, k, seed):
    from sklearn.model_selection import KFold

    order = torch.randperm(n, generator=torch.Generator().manual_seed(seed)).numpy()
    return [
        (sorted(order[tr].tolist()), sorted(order[va].tolist()))
        for tr, va in KFold(k).split(np.arange(n))
    ]


_CITIES = (
    "Beijing", "Chengdu", "Hangzhou", "Harbin", "Kunming", "Lhasa", "Nanjing", "Shanghai",
    "Shenzhen", "Tianjin", "Wuhan", "Xiamen", "beijing", "chengdu",
)


def _one_hot_cases(g):
    def draw(n, pool):
        return [pool[int(i)] for i in torch.randint(0, len(pool), (n,), generator=g)]

    cases = [
        Case(
            (["red", "green", "red", "blue"], ["green", "purple", "blue"]),
            "training colours red, green, red, blue; other rows green, purple (unseen), blue",
            rtol=0,
            atol=0,
        ),
        Case(
            (["O"], ["O", "A", "O"]), "one category in training, then an unseen one",
            rtol=0, atol=0,
        ),
        Case(
            (["Paris", "paris", "Lyon", "Paris"], ["paris", "Lyon", "lyon"]),
            "capitals sort before lower case; 'lyon' is not 'Lyon'",
            rtol=0,
            atol=0,
        ),
    ]
    for _ in range(6):
        order = torch.randperm(len(_CITIES), generator=g).tolist()
        k = int(torch.randint(3, 8, (), generator=g))
        seen = [_CITIES[i] for i in order[:k]]
        train_values = draw(int(torch.randint(k, 40, (), generator=g)), seen)
        other = draw(12, [_CITIES[i] for i in order[: k + 3]])
        cases.append(
            Case(
                (train_values, other),
                f"{len(train_values)} training cities drawn from {k}, 12 other rows from {k + 3}",
                rtol=0,
                atol=0,
            )
        )
    return cases


def _one_hot_run(fns, train_values, other_values):
    categories, train_encoded, other_encoded = unpack(
        fns["one_hot_encode"](train_values, other_values), 3, "one_hot_encode"
    )
    if not isinstance(categories, (list, tuple)):
        raise TypeError(f"categories must be a list of str, got {type(categories).__name__}")
    return [str(c) if isinstance(c, str) else c for c in categories], train_encoded, other_encoded


def _one_hot_expected(train_values, other_values):
    from sklearn.preprocessing import OneHotEncoder

    def column(values):
        return np.array(values, dtype=object).reshape(-1, 1)

    encoder = OneHotEncoder(handle_unknown="ignore", sparse_output=False).fit(column(train_values))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "unknown categories will be encoded as all zeros"
        encoded = [
            torch.as_tensor(encoder.transform(column(v))) for v in (train_values, other_values)
        ]
    return [str(c) for c in encoder.categories_[0]], *encoded


_MODES = {
    (True, True): "train mode, gradients on",
    (True, False): "train mode, gradients off",
    (False, True): "eval mode, gradients on",
    (False, False): "eval mode, gradients off",
}


class _LoopNet(torch.nn.Module):
    """inputs -> ReLU hidden layer with dropout -> logits, from given weights. Its dropout masks
    come from its own seeded generator (results repeat exactly on any device), and it notes in
    which mode (train or eval) and with or without gradients each forward pass ran."""

    def __init__(self, weights, dropout, seed):
        super().__init__()
        self.w1, self.b1, self.w2, self.b2 = (
            torch.nn.Parameter(w.detach().clone()) for w in weights
        )
        self.p, self.masks, self.passes = dropout, torch.Generator().manual_seed(seed), set()

    def forward(self, x):
        self.passes.add((self.training, torch.is_grad_enabled()))
        h = torch.relu(x @ self.w1 + self.b1)
        if self.training and self.p > 0:
            keep = torch.rand(h.shape, generator=self.masks, dtype=h.dtype).to(h.device) >= self.p
            h = h * keep / (1 - self.p)
        return h @ self.w2 + self.b2


def _loop_setup(weights, settings):
    model = _LoopNet(weights, settings["dropout"], settings["seed"] + 1)
    return model, torch.optim.SGD(model.parameters(), lr=settings["lr"], momentum=0.9)


def _loop_result(model, train_losses, val_losses):
    def curve(losses):
        return torch.tensor([float(v) for v in losses], dtype=torch.float64)

    weights = torch.cat([p.detach().flatten() for p in model.parameters()])
    return curve(train_losses), curve(val_losses), weights, sorted(_MODES[m] for m in model.passes)


def _loop_cases(g):
    def case(n, n_val, dropout, lr, epochs, batch_size, note):
        d, h, c = 4, 8, 3
        data = (
            randn(g, n, d),
            torch.randint(0, c, (n,), generator=g),
            randn(g, n_val, d),
            torch.randint(0, c, (n_val,), generator=g),
        )
        weights = tuple(randn(g, *shape, scale=0.5) for shape in [(d, h), (h,), (h, c), (c,)])
        settings = dict(
            dropout=dropout, lr=lr, epochs=epochs, batch_size=batch_size,
            seed=int(torch.randint(0, 10_000, (), generator=g)),
        )
        return Case((data, weights, settings), note, rtol=1e-6, atol=1e-9)

    cases = [
        case(20, 10, 0.5, 0.1, 3, 6, "20 examples in batches of 6 (the last holds 2), dropout 0.5"),
        case(16, 8, 0.0, 0.1, 3, 4, "no dropout, 16 examples in batches of 4"),
        case(12, 6, 0.3, 0.05, 2, 12, "one batch per epoch, dropout 0.3"),
    ]
    for _ in range(5):
        n = int(torch.randint(10, 31, (), generator=g))
        batch_size = int(torch.randint(3, 9, (), generator=g))
        dropout = (0.0, 0.3, 0.5)[int(torch.randint(0, 3, (), generator=g))]
        epochs = int(torch.randint(2, 5, (), generator=g))
        cases.append(
            case(n, 9, dropout, 0.05, epochs, batch_size,
                 f"{n} examples, batches of {batch_size}, dropout {dropout}, {epochs} epochs")
        )
    return cases


def _loop_run(fns, data, weights, settings):
    model, optimizer = _loop_setup(weights, settings)
    out = fns["train_model"](
        model, optimizer, data[:2], data[2:], settings["epochs"], settings["batch_size"],
        torch.Generator().manual_seed(settings["seed"]),
    )
    out = tuple(out) if isinstance(out, list) else out
    train_losses, val_losses = unpack(out, 2, "train_model")
    return _loop_result(model, train_losses, val_losses)


def _loop_expected(data, weights, settings):
    model, optimizer = _loop_setup(weights, settings)
    history = train.fit(
        model, optimizer, data[:2], data[2:], epochs=settings["epochs"],
        batch_size=settings["batch_size"],
        generator=torch.Generator().manual_seed(settings["seed"]), progress=False,
    )
    return _loop_result(model, history.train_loss, history.val_loss)


_MEDIAN = (
    "counts = (~x_train.isnan()).sum(0)\n    ordered = x_train.sort(dim=0).values\n    "
    "median = ((ordered.gather(0, ((counts - 1) // 2)[None]) + ordered.gather(0, (counts // 2)[None])) / 2)[0]"
)

_STD_GUARD = "std = torch.where(std > 0, std, torch.ones_like(std))"


def _impute_scale(median=_MEDIAN, std="train_filled.std(0, correction=0)", guard=_STD_GUARD):
    """Exercise 2.2's answer, correct except for the median, the std or the std-0 guard given."""
    return (
        f"\ndef impute_and_scale(x_train, x_other):\n    {median}\n"
        "    train_filled = torch.where(x_train.isnan(), median, x_train)\n"
        "    other_filled = torch.where(x_other.isnan(), median, x_other)\n"
        f"    mean, std = train_filled.mean(0), {std}\n    {guard}\n"
        "    return (train_filled - mean) / std, (other_filled - mean) / std\n"
    )


_RATIO = "ratio = lambda a, b: torch.where(b > 0, a / b.clamp_min(1), torch.zeros_like(a))"


def _prf(
    scores="ratio(tp, predicted), ratio(tp, actual), ratio(2 * tp, predicted + actual)",
    weights="actual",
    ratio=_RATIO,
):
    """Exercise 4.2's answer, correct except for the per-class scores or the weighting given."""
    return (
        "\ndef precision_recall_f1(y_true, y_pred, num_classes, average):\n"
        "    cm = confusion_matrix(y_true, y_pred, num_classes).double()\n"
        "    tp, predicted, actual = cm.diagonal(), cm.sum(0), cm.sum(1)\n"
        '    if average == "micro":\n        tp, predicted, actual = tp.sum(), predicted.sum(), actual.sum()\n'
        f"    {ratio}\n    scores = {scores}\n"
        f'    if average == "weighted":\n        return tuple((s * {weights}).sum() / {weights}.sum() for s in scores)\n'
        "    return tuple(s.mean() for s in scores)\n"
    )


def _early_stopping(improves="loss < best - min_delta", stops="wait >= patience"):
    """Exercise 6.1's answer, correct except for the improvement or the stopping test given."""
    return (
        "\ndef early_stopping(val_losses, patience, min_delta=0.0):\n"
        "    best, best_epoch, wait = math.inf, None, 0\n"
        "    for epoch, loss in enumerate(val_losses, start=1):\n"
        f"        if {improves}:\n            best, best_epoch, wait = loss, epoch, 0\n"
        f"        else:\n            wait += 1\n            if {stops}:\n                return best_epoch, epoch\n"
        "    return best_epoch, None\n"
    )


def _one_hot(categories="sorted(set(train_values))", unseen="None", other_categories="categories",
             dtype="torch.float64"):
    """Exercise 2.3's answer, correct except for the categories, unseen rule or dtype given."""
    return (
        "\ndef one_hot_encode(train_values, other_values):\n"
        f"    categories = {categories}\n"
        "    def encode(values, categories):\n"
        "        column = {c: i for i, c in enumerate(categories)}\n"
        f"        out = torch.zeros(len(values), len(categories), dtype={dtype})\n"
        "        for row, v in enumerate(values):\n"
        f"            i = column.get(v, {unseen})\n"
        "            if i is not None:\n"
        "                out[row, i] = 1\n"
        "        return out\n"
        "    return categories, encode(train_values, categories), "
        f"encode(other_values, {other_categories})\n"
    )


def _train_model(
    train_mode="model.train()",
    before="",
    zero_grad="optimizer.zero_grad()",
    eval_mode="model.eval()",
    epoch_loss="sum(l * n for l, n in zip(losses, sizes)) / sum(sizes)",
):
    """Exercise 3.1's answer, correct except for the line given."""
    return (
        "\ndef train_model(model, optimizer, train_data, val_data, epochs, batch_size,"
        " generator):\n"
        "    (x, y), (x_val, y_val) = train_data, val_data\n"
        "    train_losses, val_losses = [], []\n"
        f"    {before or 'pass'}\n"
        "    for epoch in range(epochs):\n"
        f"        {train_mode}\n"
        "        losses, sizes = [], []\n"
        "        for idx in torch.randperm(len(x), generator=generator).split(batch_size):\n"
        "            idx = idx.to(x.device)\n"
        f"            {zero_grad}\n"
        "            loss = F.cross_entropy(model(x[idx]), y[idx])\n"
        "            loss.backward()\n"
        "            optimizer.step()\n"
        "            losses.append(loss.item())\n"
        "            sizes.append(len(idx))\n"
        f"        train_losses.append({epoch_loss})\n"
        f"        {eval_mode}\n"
        "        with torch.no_grad():\n"
        "            val_losses.append(F.cross_entropy(model(x_val), y_val).item())\n"
        "    return train_losses, val_losses\n"
    )


_VALIDATE_WITH = (
    "        model.eval()\n"
    "        val_losses.append(F.cross_entropy(model(x_val), y_val).item())\n"
)
_VALIDATE_AND_STEP = (
    "        model.eval()\n"
    "        optimizer.zero_grad()\n"
    "        val_loss = F.cross_entropy(model(x_val), y_val)\n"
    "        val_loss.backward()\n"
    "        optimizer.step()\n"
    "        val_losses.append(val_loss.item())\n"
)
_VALIDATE_RIGHT = (
    "        model.eval()\n"
    "        with torch.no_grad():\n"
    "            val_losses.append(F.cross_entropy(model(x_val), y_val).item())\n"
)


STRATIFIED_SPLIT = Exercise(
    "ch04_stratified_split",
    ("stratified_split",),
    _split_cases,
    _split_run,
    check=_split_check,
    forbidden=(
        "lib.data.splits.stratified_split",
        "lib.data.splits.split_counts",
        "sklearn.model_selection.train_test_split",
        "sklearn.model_selection.StratifiedShuffleSplit.split",
        "torch.utils.data.dataset.random_split",  # per class, it keeps each share within one
    ),
    mistakes=(
        Mistake(
            "a plain random split: class shares drift",
            """
def stratified_split(y, fractions, generator):
    order = torch.randperm(len(y), generator=generator).to(y.device)
    counts = [int(f * len(y)) for f in fractions]
    counts[0] += len(y) - sum(counts)
    return tuple(order.split(counts))
""",
        ),
        Mistake(
            "each part rounded on its own: examples lost or repeated",
            """
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
""",
        ),
        Mistake(
            "no shuffling: the first examples of each class always train",
            """
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
""",
        ),
        Mistake(
            "scikit-learn does the split",
            """
def stratified_split(y, fractions, generator):
    from sklearn.model_selection import train_test_split
    idx = torch.arange(len(y))
    rest, test = train_test_split(idx.numpy(), test_size=fractions[-1], stratify=y.cpu().numpy())
    return torch.as_tensor(rest), torch.as_tensor(test)
""",
        ),
    ),
)

IMPUTE_SCALE = Exercise(
    "ch04_impute_scale",
    ("impute_and_scale",),
    _impute_cases,
    lambda fns, a, b: unpack(fns["impute_and_scale"](a, b), 2, "impute_and_scale"),
    _impute_expected,
    forbidden=(
        "lib.data.preprocess.nan_median",
        "lib.data.preprocess.MedianImputer.fit",
        "lib.data.preprocess.Standardizer.fit",
        "sklearn.impute.SimpleImputer.fit",
        "sklearn.preprocessing.StandardScaler.fit",
        "sklearn.preprocessing.StandardScaler.partial_fit",
    ),
    mistakes=(
        Mistake(
            "torch.nanmedian: the lower middle value for an even count",
            _impute_scale(median="median = x_train.nanmedian(dim=0).values"),
        ),
        Mistake(
            "statistics fitted on all rows: leakage",
            """
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
""",
        ),
        Mistake(
            "the sample standard deviation (divide by N - 1)",
            _impute_scale(std="train_filled.std(0)"),
        ),
        Mistake("imputing with the mean", _impute_scale(median="median = x_train.nanmean(0)")),
        Mistake("a constant column divided by 0", _impute_scale(guard="pass")),
    ),
)

ONE_HOT = Exercise(
    "ch04_one_hot",
    ("one_hot_encode",),
    _one_hot_cases,
    _one_hot_run,
    _one_hot_expected,
    forbidden=(
        "lib.data.preprocess.OneHotEncoder.fit",
        "lib.data.preprocess.OneHotEncoder.transform",
        "sklearn.preprocessing.OneHotEncoder.fit",
        "sklearn.preprocessing.OneHotEncoder.transform",
        "sklearn.preprocessing.LabelBinarizer.fit",
    ),
    mistakes=(
        Mistake(
            "categories taken from all rows: categories that occur only in validation leak in",
            _one_hot(categories="sorted(set(train_values) | set(other_values))"),
        ),
        Mistake(
            "categories in order of first appearance instead of sorted",
            _one_hot(categories="list(dict.fromkeys(train_values))"),
        ),
        Mistake(
            "an unseen category put in the first column instead of an all-zero row",
            _one_hot(unseen="0"),
        ),
        Mistake(
            "the other rows encoded with their own categories: their columns mean something else",
            _one_hot(other_categories="sorted(set(other_values))"),
        ),
        Mistake(
            "int64 zeros and ones (as F.one_hot gives), not float64", _one_hot(dtype="torch.long")
        ),
    ),
)

TRAIN_LOOP = Exercise(
    "ch04_train_loop",
    ("train_model",),
    _loop_cases,
    _loop_run,
    _loop_expected,
    forbidden=("lib.train.fit", "lib.train._train_epoch", "lib.train.evaluate"),
    mistakes=(
        Mistake(
            "no optimizer.zero_grad(): each step uses the gradients of all batches so far",
            _train_model(zero_grad="pass"),
        ),
        Mistake(
            "validation in training mode (no model.eval()): dropout is still on",
            _train_model(eval_mode="pass"),
        ),
        Mistake(
            "model.train() called once, before the loop: dropout off after the first validation",
            _train_model(train_mode="pass", before="model.train()"),
        ),
        Mistake(
            "validation without torch.no_grad(): a graph is built for nothing",
            _train_model().replace(_VALIDATE_RIGHT, _VALIDATE_WITH),
        ),
        Mistake(
            "a step on the validation loss: the model trains on the validation data",
            _train_model().replace(_VALIDATE_RIGHT, _VALIDATE_AND_STEP),
        ),
        Mistake(
            "the epoch's loss as the mean of batch means: a short last batch counts as a full one",
            _train_model(epoch_loss="sum(losses) / len(losses)"),
        ),
    ),
)

CONFUSION_MATRIX = Exercise(
    "ch04_confusion_matrix",
    ("confusion_matrix",),
    _confusion_cases,
    call("confusion_matrix"),
    _confusion_expected,
    forbidden=("lib.metrics.confusion_matrix", "sklearn.metrics.confusion_matrix"),
    mistakes=(
        Mistake(
            "rows and columns swapped",
            """
def confusion_matrix(y_true, y_pred, num_classes):
    return torch.bincount(y_pred * num_classes + y_true, minlength=num_classes ** 2).view(num_classes, num_classes)
""",
        ),
        Mistake(
            "size taken from the labels seen, not num_classes",
            """
def confusion_matrix(y_true, y_pred, num_classes):
    c = int(torch.cat([y_true, y_pred]).max()) + 1
    return torch.bincount(y_true * c + y_pred, minlength=c * c).view(c, c)
""",
        ),
        Mistake(
            "float counts",
            """
def confusion_matrix(y_true, y_pred, num_classes):
    cm = torch.zeros(num_classes, num_classes, device=y_true.device)
    for t, p in zip(y_true.tolist(), y_pred.tolist()):
        cm[t, p] += 1
    return cm
""",
        ),
    ),
)

PRECISION_RECALL_F1 = Exercise(
    "ch04_precision_recall_f1",
    ("precision_recall_f1",),
    _prf_cases,
    lambda fns, *args: unpack(fns["precision_recall_f1"](*args), 3, "precision_recall_f1"),
    _prf_expected,
    forbidden=(
        "lib.metrics.precision_recall_f1",
        "sklearn.metrics.precision_recall_fscore_support",
        "sklearn.metrics.classification_report",
    ),
    context={"confusion_matrix": "lib.metrics.confusion_matrix"},
    mistakes=(
        Mistake(
            "F1 as the arithmetic mean of precision and recall",
            _prf(
                scores="ratio(tp, predicted), ratio(tp, actual), (ratio(tp, predicted) + ratio(tp, actual)) / 2"
            ),
        ),
        Mistake(
            "macro F1 from the averaged precision and recall",
            """
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
""",
        ),
        Mistake("0/0 left as nan", _prf(ratio="ratio = lambda a, b: a / b")),
        Mistake("weighted by the predicted counts", _prf(weights="predicted")),
        Mistake(
            "scikit-learn computes it",
            """
def precision_recall_f1(y_true, y_pred, num_classes, average):
    from sklearn.metrics import precision_recall_fscore_support
    p, r, f, _ = precision_recall_fscore_support(y_true.cpu().numpy(), y_pred.cpu().numpy(),
                                                 labels=list(range(num_classes)), average=average, zero_division=0)
    return tuple(torch.tensor(v, dtype=torch.float64, device=y_true.device) for v in (p, r, f))
""",
        ),
    ),
)

EARLY_STOPPING = Exercise(
    "ch04_early_stopping",
    ("early_stopping",),
    _stopping_cases,
    lambda fns, *args: tuple(fns["early_stopping"](*args)),
    _stopping_expected,
    forbidden=("lib.train.EarlyStopping.step",),
    mistakes=(
        Mistake(
            "an equal loss counts as an improvement",
            _early_stopping(improves="loss <= best - min_delta"),
        ),
        Mistake("min_delta ignored", _early_stopping(improves="loss < best")),
        Mistake("one epoch too patient", _early_stopping(stops="wait > patience")),
        Mistake(
            "compared with the previous epoch instead of the best",
            """
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
""",
        ),
    ),
)

KFOLD = Exercise(
    "ch04_kfold",
    ("kfold_indices",),
    _kfold_cases,
    _kfold_run,
    _kfold_expected,
    forbidden=(
        "lib.data.splits.kfold_indices",
        "sklearn.model_selection.KFold.split",
        "sklearn.model_selection._split._BaseKFold.split",
        "torch.utils.data.dataset.random_split",  # fractions [1/k] * k give KFold's folds exactly
    ),
    mistakes=(
        Mistake(
            "the left-over examples all go to the last fold",
            """
def kfold_indices(n, k, generator):
    order = torch.randperm(n, generator=generator)
    size = n // k
    folds = [order[i * size:(i + 1) * size] for i in range(k - 1)] + [order[(k - 1) * size:]]
    return [(torch.cat(folds[:i] + folds[i + 1:]), folds[i]) for i in range(k)]
""",
        ),
        Mistake(
            "the left-over examples dropped",
            """
def kfold_indices(n, k, generator):
    order = torch.randperm(n, generator=generator)
    folds = list(order[: (n // k) * k].split(n // k))
    return [(torch.cat(folds[:i] + folds[i + 1:]), folds[i]) for i in range(k)]
""",
        ),
        Mistake(
            "the validation fold also trains",
            """
def kfold_indices(n, k, generator):
    order = torch.randperm(n, generator=generator)
    folds = order.split([n // k + (1 if i < n % k else 0) for i in range(k)])
    return [(order, folds[i]) for i in range(k)]
""",
        ),
        Mistake(
            "no shuffling",
            """
def kfold_indices(n, k, generator):
    order = torch.arange(n)
    folds = order.split([n // k + (1 if i < n % k else 0) for i in range(k)])
    return [(torch.cat(folds[:i] + folds[i + 1:]), folds[i]) for i in range(k)]
""",
        ),
    ),
)

EXERCISES = [
    STRATIFIED_SPLIT,
    IMPUTE_SCALE,
    ONE_HOT,
    TRAIN_LOOP,
    CONFUSION_MATRIX,
    PRECISION_RECALL_F1,
    EARLY_STOPPING,
    KFOLD,
]
