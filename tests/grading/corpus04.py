"""Chapter 04 submissions for the batch test (see corpus.py): honest ones, and hostile ones that
are specific to training: answers that reach what an exercise asks the student to write (a
stratified split, imputation and scaling, one-hot encoding, the training loop, a confusion
matrix, precision/recall/F1, early stopping, k-fold indices) through another door: the lib
version under another name, a lib helper it is built from (split_counts, evaluate), another
lib function that calls it (classification_report, precision, recall, f1_score), a bound
method driven by map() or a functools.partial; and doors the judge refuses before running the
cell (scikit-learn, which graded answers may not import, a private attribute, a computed
getattr). The training loop's cases take seconds, so this corpus keeps about two per exercise.

CHEATS are the answers that would be right if calling was allowed: test_cheats checks that each
one gives the reference result when nobody watches, so its zero in the batch is the rule's doing.
Chapter-independent hostility (tampering, forged records, crashes) is in corpus01.py.
"""
from lib import exercises
from tests.grading.conftest import notebooks, solved
from tests.grading.corpus import Batch

CHAPTER = "04_training"
POINTS = {"ch04_stratified_split": 2, "ch04_impute_scale": 2, "ch04_one_hot": 2, "ch04_train_loop": 3,
          "ch04_confusion_matrix": 1, "ch04_precision_recall_f1": 3, "ch04_early_stopping": 2, "ch04_kfold": 2}
# One typical mistake of each exercise (the first its definition lists): a wrong answer.
WRONG = {gid: exercises.get(gid).mistakes[0].source for gid in POINTS}
BATCH = Batch(CHAPTER, POINTS, WRONG)

CHEATS = {
    "split_from_lib_renamed": ("ch04_stratified_split", """
from lib.data import stratified_split as keep_shares

def stratified_split(y, fractions, generator):
    return keep_shares(y, fractions, generator)
"""),
    "split_with_libs_counts": ("ch04_stratified_split", """
from lib.data import split_counts as shares

def stratified_split(y, fractions, generator):
    parts = [[] for _ in fractions]
    for c in torch.unique(y):
        members = torch.nonzero(y == c).flatten()
        members = members[torch.randperm(len(members), generator=generator).to(y.device)]
        for part, chunk in zip(parts, members.split(shares(len(members), list(fractions)))):
            part.append(chunk)
    return tuple(torch.cat(p) for p in parts)
"""),
    "impute_with_libs_imputer": ("ch04_impute_scale", """
import lib.data

def impute_and_scale(x_train, x_other):
    imputer = lib.data.MedianImputer().fit(x_train)
    scaler = lib.data.Standardizer().fit(imputer.transform(x_train))
    return scaler.transform(imputer.transform(x_train)), scaler.transform(imputer.transform(x_other))
"""),
    "impute_with_sklearn": ("ch04_impute_scale", """
from sklearn.impute import SimpleImputer
from sklearn.preprocessing import StandardScaler

def impute_and_scale(x_train, x_other):
    imputer = SimpleImputer(strategy="median").fit(x_train.double().cpu().numpy())
    scaler = StandardScaler().fit(imputer.transform(x_train.double().cpu().numpy()))
    return tuple(torch.as_tensor(scaler.transform(imputer.transform(x.double().cpu().numpy()))).to(x.dtype)
                 for x in (x_train, x_other))
"""),
    "one_hot_from_libs_encoder_as_a_partial": ("ch04_one_hot", """
import functools

import lib.data

def one_hot_encode(train_values, other_values):
    categories = sorted(set(train_values))
    encode = functools.partial(lib.data.OneHotEncoder.transform, lib.data.OneHotEncoder().fit(categories))
    return categories, encode(train_values), encode(other_values)
"""),
    "one_hot_encoder_state_forged": ("ch04_one_hot", """
import lib.data

def one_hot_encode(train_values, other_values):
    encoder = lib.data.OneHotEncoder()
    encoder.categories_ = sorted(set(train_values))
    setattr(encoder, "_column", {c: i for i, c in enumerate(encoder.categories_)})
    return encoder.categories_, encoder.transform(train_values), encoder.transform(other_values)
"""),
    "train_with_libs_fit": ("ch04_train_loop", """
import lib.train

def train_model(model, optimizer, train_data, val_data, epochs, batch_size, generator):
    history = lib.train.fit(model, optimizer, train_data, val_data, epochs=epochs, batch_size=batch_size,
                            generator=generator, progress=False)
    return history.train_loss, history.val_loss
"""),
    "train_validating_with_libs_evaluate": ("ch04_train_loop", """
import torch.nn.functional as F

import lib.train

def train_model(model, optimizer, train_data, val_data, epochs, batch_size, generator):
    (x, y), (x_val, y_val) = train_data, val_data
    train_losses, val_losses = [], []
    for epoch in range(epochs):
        model.train()
        total = 0.0
        for idx in torch.randperm(len(x), generator=generator).split(batch_size):
            idx = idx.to(x.device)
            optimizer.zero_grad()
            loss = F.cross_entropy(model(x[idx]), y[idx])
            loss.backward()
            optimizer.step()
            total += loss.item() * len(idx)
        train_losses.append(total / len(x))
        val_losses.append(lib.train.evaluate(model, x_val, y_val, loss_fn=F.cross_entropy, metric=None)[0])
    return train_losses, val_losses
"""),
    "confusion_from_lib_as_a_partial": ("ch04_confusion_matrix", """
import functools

import lib.metrics

def confusion_matrix(y_true, y_pred, num_classes):
    count = functools.partial(lib.metrics.confusion_matrix, num_classes=num_classes)
    return count(y_true, y_pred)
"""),
    "confusion_from_sklearn": ("ch04_confusion_matrix", """
import sklearn.metrics

def confusion_matrix(y_true, y_pred, num_classes):
    counts = sklearn.metrics.confusion_matrix(y_true.cpu().numpy(), y_pred.cpu().numpy(),
                                              labels=list(range(num_classes)))
    return torch.as_tensor(counts, dtype=torch.long, device=y_true.device)
"""),
    "scores_from_libs_classification_report": ("ch04_precision_recall_f1", """
import lib.metrics

def precision_recall_f1(y_true, y_pred, num_classes, average):
    report = lib.metrics.classification_report(y_true, y_pred, num_classes, output_dict=True)
    if average == "micro":  # with every class counted, micro precision, recall and F1 are the accuracy
        return tuple(torch.tensor(report["accuracy"], dtype=torch.float64) for _ in range(3))
    row = report[average + " avg"]
    return tuple(torch.tensor(row[k], dtype=torch.float64) for k in ("precision", "recall", "f1-score"))
"""),
    "scores_from_libs_single_metrics": ("ch04_precision_recall_f1", """
from lib import metrics

def precision_recall_f1(y_true, y_pred, num_classes, average):
    args = (y_true, y_pred, num_classes, average)
    return metrics.precision(*args), metrics.recall(*args), metrics.f1_score(*args)
"""),
    "stopping_by_mapping_libs_rule": ("ch04_early_stopping", """
import lib.train

def early_stopping(val_losses, patience, min_delta=0.0):
    rule, stop = lib.train.EarlyStopping(patience, min_delta), None
    for epoch, stops in enumerate(map(rule.step, val_losses), start=1):
        if stops:
            stop = epoch
            break
    return rule.best_epoch, stop
"""),
    "stopping_from_lib_renamed": ("ch04_early_stopping", """
from lib.train import EarlyStopping as Patience

def early_stopping(val_losses, patience, min_delta=0.0):
    rule = Patience(patience, min_delta)
    for epoch, loss in enumerate(val_losses, start=1):
        if rule.step(loss):
            return rule.best_epoch, epoch
    return rule.best_epoch, None
"""),
    "kfold_from_lib_renamed": ("ch04_kfold", """
from lib.data import kfold_indices as folds

def kfold_indices(n, k, generator):
    return folds(n, k, generator)
"""),
    "kfold_from_sklearn": ("ch04_kfold", """
from sklearn.model_selection import KFold

def kfold_indices(n, k, generator):
    order = torch.randperm(n, generator=generator)
    return [(order[tr], order[va]) for tr, va in KFold(k).split(order.numpy())]
"""),
    "kfold_from_random_split": ("ch04_kfold", """
from torch.utils.data import random_split

def kfold_indices(n, k, generator):
    folds = [torch.tensor(s.indices) for s in random_split(range(n), [1 / k] * k, generator)]
    return [(torch.cat(folds[:i] + folds[i + 1:]), folds[i]) for i in range(k)]
"""),
}
NAMED = {
    "kfold_from_random_split": ("ch04_kfold", "random_split"),
    "split_with_libs_counts": ("ch04_stratified_split", "calls lib.data.splits.split_counts"),
    "impute_with_libs_imputer": ("ch04_impute_scale", "calls lib.data.preprocess.MedianImputer.fit"),
    "impute_with_sklearn": ("ch04_impute_scale", "not run: line "),
    "one_hot_from_libs_encoder_as_a_partial": ("ch04_one_hot", "calls lib.data.preprocess.OneHotEncoder.fit"),
    "one_hot_encoder_state_forged": ("ch04_one_hot", "`._column` is a private attribute"),
    "train_validating_with_libs_evaluate": ("ch04_train_loop", "calls lib.train.evaluate"),
    "confusion_from_lib_as_a_partial": ("ch04_confusion_matrix", "calls lib.metrics.confusion_matrix"),
    "scores_from_libs_classification_report": ("ch04_precision_recall_f1", "calls lib.metrics.precision_recall_f1"),
    "stopping_by_mapping_libs_rule": ("ch04_early_stopping", "calls lib.train.EarlyStopping.step"),
}
STOPPED = {"honest_solved": "graded"}

ALTERNATIVES = {
    "ch04_one_hot": """
import torch.nn.functional as F

def one_hot_encode(train_values, other_values):
    categories = sorted(set(train_values))
    column = {c: i for i, c in enumerate(categories)}
    unseen = len(categories)  # an extra column, dropped: an unseen value gets a row of zeros

    def encode(values):
        index = torch.tensor([column.get(v, unseen) for v in values], dtype=torch.long)
        return F.one_hot(index, unseen + 1)[:, :unseen].double()

    return categories, encode(train_values), encode(other_values)
""",
    "ch04_confusion_matrix": """
def confusion_matrix(y_true, y_pred, num_classes):
    counts = torch.zeros(num_classes, num_classes, dtype=torch.long, device=y_true.device)
    return counts.index_put_((y_true, y_pred), torch.ones_like(y_true), accumulate=True)
""",
    "ch04_early_stopping": """
import lib.train

print(lib.train.EarlyStopping(2).step(1.0))  # trying the lib version outside the answer is allowed

def early_stopping(val_losses, patience, min_delta=0.0):
    best_epoch = None  # the epochs since the best one are the epochs without improvement
    for epoch, loss in enumerate(val_losses, start=1):
        if best_epoch is None or loss < val_losses[best_epoch - 1] - min_delta:
            best_epoch = epoch
        elif epoch - best_epoch >= patience:
            return best_epoch, epoch
    return best_epoch, None
""",
    "ch04_kfold": """
def kfold_indices(n, k, generator):
    folds = torch.randperm(n, generator=generator).tensor_split(k)  # the first n % k folds one longer
    return [(torch.cat(folds[:i] + folds[i + 1:]), fold) for i, fold in enumerate(folds)]
""",
}


def corpus(root):
    """{student: (file name, content, expected scores, honest?)}; `root` is the course root."""
    name, release = BATCH.name, notebooks(CHAPTER)[0]
    honest = {
        "honest_solved": (name, solved(CHAPTER), BATCH.scores()),
        "honest_untouched": (name, release, BATCH.scores(*BATCH.points)),
        "honest_partial": (name, BATCH.with_answers(ch04_precision_recall_f1=WRONG["ch04_precision_recall_f1"]),
                           BATCH.scores("ch04_precision_recall_f1")),
        "honest_other_routes": (name, BATCH.with_answers(**ALTERNATIVES), BATCH.scores()),
    }
    bad = {student: BATCH.hostile(gid, "", source) for student, (gid, source) in CHEATS.items()}
    failed = {student: [gid] for student, (gid, _) in CHEATS.items()}
    return BATCH.entries(honest, bad, failed)
