"""Checks used by the exercises' test cells: informative failures and forbidden APIs.

`check_close` and `check_int` raise AssertionError with what was expected and what
came back. `forbidden(grade_id)` watches every call made inside it (sys.setprofile)
and fails if the exercise's answer used an API it is meant to implement itself;
the list of those APIs per exercise lives here, in FORBIDDEN, and nowhere else.
"""
import contextlib
import importlib
import inspect
import sys

import torch

AUTOGRAD = ("torch.autograd.grad", "torch.autograd.backward", "torch.Tensor.backward", "torch.func.grad",
            "torch.func.vjp")

# the optimizers' update rules, in torch (their functional cores) and in lib
OPTIMIZERS = ("torch.optim.sgd.sgd", "torch.optim.rmsprop.rmsprop", "torch.optim.adam.adam",
              "torch.optim.adamw.adamw", "lib.optim.SGD._update", "lib.optim.RMSprop._update",
              "lib.optim.Adam._update")

FORBIDDEN = {
    "ch01_sigmoid": (
        "torch.sigmoid", "torch.Tensor.sigmoid", "torch.special.expit",
        "torch.nn.functional.sigmoid", "lib.activations.sigmoid",
    ),
    "ch01_activation_grads": AUTOGRAD + (
        "lib.activations.sigmoid_grad", "lib.activations.tanh_grad", "lib.activations.relu_grad",
    ),
    "ch01_neuron": ("torch.nn.functional.linear", "lib.neuron.neuron_forward"),
    "ch01_mlp_forward": ("torch.nn.functional.linear", "lib.mlp.mlp_forward"),
    "ch01_neuron_step": AUTOGRAD + (
        "lib.neuron.neuron_mse_grads", "lib.neuron.neuron_step",
    ),
    "ch01_count_params": ("lib.mlp.count_params",),
    "ch02_linear_backward": AUTOGRAD + ("lib.layers.linear_backward",),
    "ch02_softmax_ce": AUTOGRAD + (
        "torch.softmax", "torch.log_softmax", "torch.logsumexp", "torch.Tensor.softmax",
        "torch.Tensor.log_softmax", "torch.Tensor.logsumexp", "torch.special.logsumexp",
        "torch.nn.functional.softmax", "torch.nn.functional.log_softmax",
        "torch.nn.functional.cross_entropy", "torch.nn.functional.nll_loss",
        "lib.layers.log_softmax", "lib.layers.softmax_cross_entropy_forward",
        "lib.layers.softmax_cross_entropy_backward", "lib.autograd.cross_entropy",
    ),
    "ch02_mlp_backward": AUTOGRAD + ("lib.mlp.mlp_backward", "lib.autograd.Tensor.backward"),
    "ch02_numerical_gradient": AUTOGRAD + (
        "torch.autograd.gradcheck", "torch.func.jacrev", "torch.func.jacfwd",
        "lib.autograd.numerical_gradient", "lib.autograd.gradcheck",
    ),
    "ch02_engine_ops": AUTOGRAD + ("lib.autograd.Tensor.__matmul__", "lib.autograd.Tensor.tanh"),
    "ch02_topological_order": ("lib.autograd.Tensor.topological_order", "graphlib.TopologicalSorter.static_order"),
    "ch03_bce_logits": (
        "torch.nn.functional.binary_cross_entropy_with_logits", "torch.nn.functional.binary_cross_entropy",
        "torch.nn.functional.logsigmoid", "torch.nn.functional.softplus",
        "lib.losses.binary_cross_entropy_with_logits",
    ),
    "ch03_minibatches": ("lib.data.batches.minibatch_indices", "torch.utils.data.BatchSampler.__iter__"),
    "ch03_sgd_momentum": OPTIMIZERS,
    "ch03_rmsprop": OPTIMIZERS,
    "ch03_adam": OPTIMIZERS,
    "ch03_warmup_cosine": ("lib.optim.warmup_cosine", "lib.optim.CosineAnnealingLR.lr_at", "lib.optim.LinearLR.lr_at",
                           "torch.optim.lr_scheduler.LRScheduler.step"),
    "ch04_stratified_split": ("lib.data.splits.stratified_split", "lib.data.splits.split_counts",
                              "sklearn.model_selection.train_test_split",
                              "sklearn.model_selection.StratifiedShuffleSplit.split"),
    "ch04_impute_scale": ("lib.data.preprocess.nan_median", "lib.data.preprocess.MedianImputer.fit",
                          "lib.data.preprocess.Standardizer.fit", "sklearn.impute.SimpleImputer.fit",
                          "sklearn.preprocessing.StandardScaler.fit", "sklearn.preprocessing.StandardScaler.partial_fit"),
    "ch04_confusion_matrix": ("lib.metrics.confusion_matrix", "sklearn.metrics.confusion_matrix"),
    "ch04_precision_recall_f1": (
        "lib.metrics.precision_recall_f1", "sklearn.metrics.precision_recall_fscore_support",
        "sklearn.metrics.classification_report",
    ),
    "ch04_kfold": ("lib.data.splits.kfold_indices", "sklearn.model_selection.KFold.split",
                   "sklearn.model_selection._split._BaseKFold.split"),
    "ch04_early_stopping": ("lib.train.EarlyStopping.step",),
}


def _resolve(path):
    """The object named by a dotted path such as "torch.Tensor.sigmoid"."""
    parts = path.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for attr in parts[cut:]:
            obj = getattr(obj, attr)
        return obj
    raise ImportError(f"cannot resolve {path!r}")


def _matcher(paths):
    """A function frame-event -> forbidden path or None, for the given dotted paths."""
    codes, builtins, methods = {}, {}, {}
    for path in paths:
        obj = _resolve(path)
        code = getattr(inspect.unwrap(obj), "__code__", None)  # a decorator's wrapper is shared
        if code is not None:
            codes[code] = path
        elif path.startswith("torch.Tensor."):
            methods[obj.__name__] = path
        else:
            builtins[id(obj)] = path

    def match(frame, event, arg):
        if event == "call":
            return codes.get(frame.f_code)
        if event == "c_call":
            if id(arg) in builtins:
                return builtins[id(arg)]
            if isinstance(getattr(arg, "__self__", None), torch.Tensor):
                return methods.get(getattr(arg, "__name__", None))
        return None

    return match


class Guard:
    """Watches calls for one exercise's FORBIDDEN APIs; `with guard:` fails if the block used one.

    Built before any answer code runs, it keeps its own references to the matcher and to
    sys.setprofile/sys.getprofile, so an answer that later rebinds those names, or edits
    FORBIDDEN, does not switch the watch off.
    """

    def __init__(self, grade_id):
        self.grade_id, self.paths = grade_id, tuple(FORBIDDEN[grade_id])
        self._match = _matcher(self.paths)
        self._setprofile, self._getprofile = sys.setprofile, sys.getprofile

    @contextlib.contextmanager
    def watching(self):
        __tracebackhide__ = True
        used, match = [], self._match

        def profile(frame, event, arg):
            hit = match(frame, event, arg)
            if hit is not None:
                used.append(hit)

        previous = self._getprofile()
        self._setprofile(profile)
        try:
            yield
        finally:
            tampered = self._getprofile() is not profile
            self._setprofile(previous)
        if tampered:
            _fail(f"{self.grade_id}: your answer changed sys.setprofile, which the test relies on.")
        if used:
            _fail(
                f"{self.grade_id}: your answer calls {used[0]}, which this exercise asks you to write "
                f"yourself. Not allowed here: {', '.join(self.paths)}."
            )


def forbidden(grade_id):
    """Fail the exercise `grade_id` if code run inside the block calls one of its FORBIDDEN APIs."""
    return Guard(grade_id).watching()


def _fail(message):
    """Raise the AssertionError a student sees; the checks calling this hide their own frames."""
    raise AssertionError(message)


def check_close(got, expected, name, rtol=1e-5, atol=1e-6):
    """Assert that tensor `got` matches tensor `expected` in type, shape, dtype, device and values.

    got: what the student's function returned; expected: (*) the reference tensor;
    name: how to call `got` in the message (e.g. "sigmoid(x)").
    """
    __tracebackhide__ = True  # IPython and pytest skip this frame and show the message
    if not isinstance(got, torch.Tensor):
        _fail(f"{name}: expected a torch.Tensor, got {type(got).__name__}")
    got = got.detach()
    if tuple(got.shape) != tuple(expected.shape):
        _fail(f"{name}: expected shape {tuple(expected.shape)}, got {tuple(got.shape)}")
    if got.dtype != expected.dtype:
        _fail(f"{name}: expected dtype {expected.dtype}, got {got.dtype}")
    if got.device != expected.device:
        _fail(f"{name}: expected a tensor on {expected.device}, got one on {got.device}")
    bad = ~torch.isclose(got, expected, rtol=rtol, atol=atol)
    if bad.any():
        i = tuple(int(k) for k in torch.nonzero(bad)[0])
        where = f" at index {i}" if i else ""
        n_bad, n = int(bad.sum()), got.numel()
        _fail(
            f"{name}: wrong values in {n_bad} of {n} entries; first{where}: "
            f"expected {expected[i].item():.6g}, got {got[i].item():.6g}"
        )


def check_int(got, expected, name):
    """Assert that `got` is a Python int (or 0-D integer tensor) equal to the int `expected`."""
    __tracebackhide__ = True
    if isinstance(got, torch.Tensor) and got.dim() == 0 and not got.is_floating_point():
        got = int(got)
    if isinstance(got, bool) or not isinstance(got, int):
        _fail(f"{name}: expected an int, got {type(got).__name__} {got!r}")
    if got != expected:
        _fail(f"{name}: expected {expected}, got {got}")
