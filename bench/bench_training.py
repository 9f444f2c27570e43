"""Chapter 04's library against the references: lib.train.fit vs a hand-written torch loop,
and lib.metrics vs scikit-learn. Prints medians and the ratio lib / reference.

    python bench/bench_training.py [--repeats 20]

fit: one epoch of the digits MLP (64-256-10, Adam, batch 64, 1078 training images, plus the
validation pass) against the same epoch written with nn.Sequential, torch.optim.Adam and
F.cross_entropy, on every device present. metrics: macro precision/recall/F1 and the
confusion matrix of 100,000 random labels over 10 classes against sklearn.metrics.
"""
import argparse

import torch
import torch.nn.functional as F
from sklearn import metrics as skm

from lib import data, metrics, mlp, optim, train
from timing import add_device_argument, alternating_medians, chosen_devices


def digits(device):
    ds = data.load("digits")
    tr, va, _ = data.stratified_split(ds.y, (0.6, 0.2, 0.2), generator=torch.Generator().manual_seed(0))
    x = data.Standardizer().fit(ds.x[tr]).transform(ds.x).to(device)
    y = ds.y.to(device)
    return (x[tr], y[tr]), (x[va], y[va])


def lib_epoch(train_xy, val_xy, device):
    model = mlp.MLP([64, 256, 10]).to(device)
    opt = optim.Adam(model.parameters(), lr=1e-3)
    return lambda: train.fit(model, opt, train_xy, val_xy, epochs=1, batch_size=64, progress=False)


def torch_epoch(train_xy, val_xy, device):
    model = torch.nn.Sequential(torch.nn.Linear(64, 256), torch.nn.ReLU(), torch.nn.Linear(256, 10)).to(device)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    (x, y), (xv, yv) = train_xy, val_xy

    def epoch():
        model.train()
        for idx in torch.randperm(len(x)).to(device).split(64):
            opt.zero_grad()
            F.cross_entropy(model(x[idx]), y[idx]).backward()
            opt.step()
        model.eval()
        with torch.no_grad():
            out = model(xv)
            return F.cross_entropy(out, yv).item(), (out.argmax(1) == yv).double().mean().item()
    return epoch


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=20)
    add_device_argument(parser)
    args = parser.parse_args()
    print(f"torch {torch.__version__}, {torch.get_num_threads()} CPU threads; medians of {args.repeats}")
    for device in chosen_devices(args.device):
        train_xy, val_xy = digits(device)
        ours, ref = alternating_medians([lib_epoch(train_xy, val_xy, device), torch_epoch(train_xy, val_xy, device)],
                                        device, args.repeats)
        print(f"{device:>4} fit, one digits epoch:   lib {ours * 1e3:8.2f} ms   torch loop {ref * 1e3:8.2f} ms   "
              f"lib/torch {ours / ref:5.2f}")
    g = torch.Generator().manual_seed(0)
    y_true, y_pred = torch.randint(0, 10, (100_000,), generator=g), torch.randint(0, 10, (100_000,), generator=g)
    t_np, p_np = y_true.numpy(), y_pred.numpy()
    cases = [
        ("precision/recall/F1, macro", lambda: metrics.precision_recall_f1(y_true, y_pred, 10, "macro"),
         lambda: skm.precision_recall_fscore_support(t_np, p_np, labels=list(range(10)), average="macro")),
        ("confusion matrix", lambda: metrics.confusion_matrix(y_true, y_pred, 10),
         lambda: skm.confusion_matrix(t_np, p_np, labels=list(range(10)))),
    ]
    for name, ours_call, sk_call in cases:
        ours, ref = alternating_medians([ours_call, sk_call], "cpu", args.repeats)
        print(f" cpu {name}, 100k labels:   lib {ours * 1e3:8.2f} ms   sklearn {ref * 1e3:8.2f} ms   "
              f"lib/sklearn {ours / ref:5.2f}")


if __name__ == "__main__":
    main()
