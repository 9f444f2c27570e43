"""lib.data: logic-gate tables and the generated two-blob set."""
import pytest
import torch

from lib import data


@pytest.mark.parametrize("gate, op", [("AND", lambda a, b: a & b), ("OR", lambda a, b: a | b),
                                      ("XOR", lambda a, b: a ^ b)])
def test_logic_gates_follow_python_operators(gate, op):
    x, y = data.logic_gate(gate)
    expected = [float(op(int(a), int(b))) for a, b in x.tolist()]
    assert x.shape == (4, 2) and y.tolist() == expected


def test_unknown_gate():
    with pytest.raises(ValueError, match="name must be one of"):
        data.logic_gate("NOR")


def test_two_blobs_shapes_labels_and_repeatability(device):
    x, y = data.two_blobs(30, distance=4.0, seed=5, device=device)
    assert x.shape == (60, 2) and y.shape == (60,) and x.device.type == device.type
    assert y.sum() == 30
    x2, _ = data.two_blobs(30, distance=4.0, seed=5, device=device)
    assert torch.equal(x, x2)
    assert not torch.equal(x, data.two_blobs(30, distance=4.0, seed=6, device=device)[0])
    means = torch.stack([x[y == 0].mean(0), x[y == 1].mean(0)])
    assert (means[1] - means[0]).min() > 3.0


def test_two_blobs_rejects_bad_arguments():
    with pytest.raises(ValueError, match="n_per_class must be a positive int"):
        data.two_blobs(0)
    with pytest.raises(ValueError, match="std must be > 0"):
        data.two_blobs(5, std=0)


def test_spirals_shapes_labels_radii_and_repeatability(device):
    x, y = data.spirals(40, classes=4, noise=0.0, seed=1, device=device)
    assert x.shape == (160, 2) and y.shape == (160,) and y.dtype == torch.long
    assert x.device.type == device.type
    assert torch.bincount(y.cpu()).tolist() == [40] * 4
    radius = x.double().norm(dim=1).cpu()
    torch.testing.assert_close(radius, torch.linspace(0, 1, 40, dtype=torch.float64).repeat(4), rtol=0, atol=1e-6)
    noisy = data.spirals(40, classes=4, noise=0.3, seed=1, device=device)[0]
    assert torch.equal(noisy, data.spirals(40, classes=4, noise=0.3, seed=1, device=device)[0])
    assert not torch.equal(noisy, data.spirals(40, classes=4, noise=0.3, seed=2, device=device)[0])


def test_spirals_are_not_linearly_separable():
    """The best linear classifier (sklearn's logistic regression) stays far from 100%."""
    from sklearn.linear_model import LogisticRegression

    x, y = data.spirals(100, classes=3, noise=0.1)
    accuracy = LogisticRegression(max_iter=1000).fit(x.numpy(), y.numpy()).score(x.numpy(), y.numpy())
    assert accuracy < 0.7


def test_spirals_reject_bad_arguments():
    with pytest.raises(ValueError, match="classes must be a positive int"):
        data.spirals(10, classes=0)
    with pytest.raises(ValueError, match="noise must be >= 0"):
        data.spirals(10, noise=-1)


@pytest.mark.parametrize("n, batch_size, drop_last", [(10, 3, False), (10, 3, True), (12, 4, True), (5, 8, False)])
def test_minibatch_indices_cover_a_seeded_permutation(n, batch_size, drop_last, device):
    batches = data.minibatch_indices(n, batch_size, torch.Generator().manual_seed(3), drop_last=drop_last,
                                     device=device)
    assert all(b.dtype == torch.long and b.device.type == device.type for b in batches)
    sizes = [len(b) for b in batches]
    full, rest = divmod(n, batch_size)
    assert sizes == [batch_size] * full + ([rest] if rest and not drop_last else [])
    order = torch.cat(batches).cpu()
    assert torch.equal(order, torch.randperm(n, generator=torch.Generator().manual_seed(3))[:len(order)])
    assert len(set(order.tolist())) == len(order)


def test_minibatch_indices_without_shuffle_and_bad_sizes():
    assert [b.tolist() for b in data.minibatch_indices(5, 2, shuffle=False)] == [[0, 1], [2, 3], [4]]
    with pytest.raises(ValueError, match="batch_size must be a positive int"):
        data.minibatch_indices(5, 0)


def test_moons_equal_sklearn_without_noise_and_repeat_with_noise(device):
    from sklearn.datasets import make_moons

    x, y = data.moons(25, noise=0.0, dtype=torch.float64, device=device)
    x_sk, y_sk = make_moons(50, shuffle=False, noise=0.0)
    torch.testing.assert_close(x.cpu(), torch.as_tensor(x_sk), rtol=0, atol=1e-12)
    assert y.dtype == torch.long and y.cpu().tolist() == y_sk.tolist()
    noisy = data.moons(25, noise=0.2, seed=4, device=device)[0]
    assert torch.equal(noisy, data.moons(25, noise=0.2, seed=4, device=device)[0])
    assert 0.1 < float((noisy.double() - x).std()) < 0.3


def test_noisy_line_follows_y_equals_x(device):
    x, y = data.noisy_line(2000, noise=0.05, low=-2.0, high=3.0, seed=1, device=device)
    assert x.shape == y.shape == (2000, 1) and x.device.type == device.type
    assert float(x.min()) >= -2.0 and float(x.max()) <= 3.0
    assert abs(float((y - x).std()) - 0.05) < 0.005
    with pytest.raises(ValueError, match="high must be > low"):
        data.noisy_line(10, low=1.0, high=1.0)


@pytest.mark.parametrize("name", ["digits", "breast_cancer", "wine"])
def test_bundled_datasets_equal_sklearns(name, device):
    import sklearn.datasets

    bunch = getattr(sklearn.datasets, f"load_{name}")()
    ds = data.load(name, dtype=torch.float64, device=device)
    assert torch.equal(ds.x.cpu(), torch.as_tensor(bunch.data))
    assert ds.y.dtype == torch.long and ds.y.cpu().tolist() == bunch.target.tolist()
    assert len(ds.feature_names) == ds.x.shape[1] and len(ds.class_names) == len(set(bunch.target))


def test_load_unknown_name():
    with pytest.raises(ValueError, match="name must be one of"):
        data.load("mnist")


@pytest.mark.parametrize("fractions", [(0.6, 0.2, 0.2), (0.5, 0.5), (0.7, 0.15, 0.15), (0.9, 0.1)])
def test_stratified_split_partitions_and_keeps_class_shares(fractions, gen, device):
    y = torch.randint(0, 5, (337,), generator=gen).to(device)
    y[:3] = 5  # a class with only 3 members
    parts = data.stratified_split(y, fractions, generator=torch.Generator().manual_seed(3))
    assert len(parts) == len(fractions)
    joined = torch.cat(parts).cpu()
    assert joined.sort().values.tolist() == list(range(len(y)))
    for part, f in zip(parts, fractions):
        assert part.dtype == torch.long and part.device.type == device.type
        assert torch.equal(part, part.sort().values)
        for c in range(6):
            n_c = int((y == c).sum())
            assert abs(int((y[part] == c).sum()) - f * n_c) < 1 + 1e-9
    again = data.stratified_split(y, fractions, generator=torch.Generator().manual_seed(3))
    assert all(torch.equal(a, b) for a, b in zip(parts, again))
    other = data.stratified_split(y, fractions, generator=torch.Generator().manual_seed(4))
    assert not torch.equal(parts[0], other[0])


def test_stratified_split_class_counts_match_sklearn_within_one():
    from sklearn.model_selection import train_test_split

    y = data.load("wine").y
    train, test = data.stratified_split(y, (0.75, 0.25), generator=torch.Generator().manual_seed(0))
    _, y_test_sk = train_test_split(y.numpy(), test_size=0.25, stratify=y.numpy(), random_state=0)
    ours = torch.bincount(y[test], minlength=3)
    theirs = torch.bincount(torch.as_tensor(y_test_sk), minlength=3)
    assert (ours - theirs).abs().max() <= 1


def test_split_counts_sum_and_round():
    assert data.split_counts(10, (0.6, 0.2, 0.2)) == [6, 2, 2]
    assert data.split_counts(7, (0.5, 0.5)) == [4, 3]
    for n in range(1, 40):
        counts = data.split_counts(n, (0.7, 0.15, 0.15))
        assert sum(counts) == n and all(abs(c - f * n) < 1 for c, f in zip(counts, (0.7, 0.15, 0.15)))


@pytest.mark.parametrize("fractions, message", [((0.5, 0.6), "must sum to 1"), ((1.0,), "at least 2"),
                                                ((1.2, -0.2), r"numbers in \[0, 1\]")])
def test_stratified_split_rejects_bad_fractions(fractions, message):
    with pytest.raises(ValueError, match=message):
        data.stratified_split(torch.tensor([0, 1, 0, 1]), fractions)


def test_stratified_split_rejects_float_labels():
    with pytest.raises(TypeError, match="y must hold integer class indices"):
        data.stratified_split(torch.tensor([0.0, 1.0]))


@pytest.mark.parametrize("n, k", [(10, 3), (17, 5), (6, 6), (100, 2)])
def test_kfold_equals_sklearn_kfold_on_the_shuffled_order(n, k):
    from sklearn.model_selection import KFold

    order = torch.randperm(n, generator=torch.Generator().manual_seed(9))
    ours = data.kfold_indices(n, k, generator=torch.Generator().manual_seed(9))
    theirs = list(KFold(k).split(range(n)))
    assert len(ours) == k
    for (train, val), (train_sk, val_sk) in zip(ours, theirs):
        assert train.tolist() == order[train_sk].tolist() and val.tolist() == order[val_sk].tolist()
    unshuffled = data.kfold_indices(n, k, shuffle=False)
    assert [v.tolist() for _, v in unshuffled] == [v.tolist() for _, v in theirs]


def test_kfold_rejects_bad_k():
    with pytest.raises(ValueError, match="k must be between 2 and n=5"):
        data.kfold_indices(5, 6)
    with pytest.raises(ValueError, match="k must be a positive int"):
        data.kfold_indices(5, 0)


def test_batches_cover_each_example_once_in_the_generators_order(gen, device):
    x = torch.arange(23.0, device=device).view(23, 1)
    y = torch.arange(23, device=device)
    got = list(data.batches(x, y, 5, generator=torch.Generator().manual_seed(2)))
    order = torch.randperm(23, generator=torch.Generator().manual_seed(2))
    assert [len(xb) for xb, _ in got] == [5, 5, 5, 5, 3]
    assert torch.cat([yb for _, yb in got]).cpu().tolist() == order.tolist()
    assert all(torch.equal(xb.flatten().long(), yb) for xb, yb in got)
    with pytest.raises(ValueError, match="same number of examples"):
        list(data.batches(x, y[:-1], 5))


def test_standardizer_equals_sklearn_and_fits_on_train_only(gen, device):
    from sklearn.preprocessing import StandardScaler

    x = (torch.randn(40, 4, generator=gen, dtype=torch.float64) * 3 + 7)
    x[:, 2] = 5.0  # a constant column keeps scale 1
    other = torch.randn(10, 4, generator=gen, dtype=torch.float64)
    scaler = data.Standardizer().fit(x.to(device))
    sk = StandardScaler().fit(x.numpy())
    torch.testing.assert_close(scaler.transform(other.to(device)).cpu(), torch.as_tensor(sk.transform(other.numpy())))
    torch.testing.assert_close(scaler.inverse_transform(scaler.transform(other.to(device))).cpu(), other)
    with pytest.raises(ValueError, match="x must have 4 columns"):
        scaler.transform(other[:, :3].to(device))


def test_standardizer_treats_a_nearly_constant_column_as_constant_like_sklearn(gen):
    from sklearn.preprocessing import StandardScaler

    x = torch.randn(10, 3, generator=gen, dtype=torch.float64)
    x[:, 1] = 0.1 * 3
    x[5, 1] = 0.3  # 0.1 * 3 != 0.3 in binary: the column's std is about 2e-17, rounding noise
    x[:, 2] = 1 + 2.0 ** -52 * torch.arange(10)
    scaler, sk = data.Standardizer().fit(x), StandardScaler().fit(x.numpy())
    torch.testing.assert_close(scaler.std_, torch.as_tensor(sk.scale_))
    torch.testing.assert_close(scaler.transform(x), torch.as_tensor(sk.transform(x.numpy())))
    with pytest.raises(ValueError, match="x must hold at least one row"):
        data.Standardizer().fit(x[:0])


def test_median_imputer_equals_sklearn_even_counts_included(gen, device):
    from sklearn.impute import SimpleImputer

    x = torch.randn(30, 6, generator=gen, dtype=torch.float64)
    x[torch.rand(30, 6, generator=gen) < 0.3] = float("nan")
    x[:5, 0] = float("nan")
    x[5:, 0] = torch.arange(25.0, dtype=torch.float64)  # an even number of values, 25 - 5 = 20
    x = x[:-5]
    other = torch.randn(8, 6, generator=gen, dtype=torch.float64)
    other[::2, ::2] = float("nan")
    imputer = data.MedianImputer().fit(x.to(device))
    sk = SimpleImputer(strategy="median").fit(x.numpy())
    torch.testing.assert_close(imputer.median_.cpu(), torch.as_tensor(sk.statistics_))
    torch.testing.assert_close(imputer.transform(other.to(device)).cpu(), torch.as_tensor(sk.transform(other.numpy())))
    x[:, 3] = float("nan")
    with pytest.raises(ValueError, match=r"columns with no values \(all NaN\): \[3\]"):
        data.MedianImputer().fit(x)


def test_clipper_clamps_to_training_quantiles(gen):
    import numpy as np

    x = torch.randn(200, 3, generator=gen, dtype=torch.float64)
    x[0, 0] = float("nan")
    clipper = data.Clipper(q=0.05).fit(x)
    low, high = np.nanquantile(x.numpy(), [0.05, 0.95], axis=0)
    wild = torch.tensor([[100.0, -100.0, 0.0]], dtype=torch.float64)
    got = clipper.transform(wild)
    assert got.tolist() == [[high[0], low[1], 0.0]]
    with pytest.raises(ValueError, match=r"q must be in \[0, 0.5\)"):
        data.Clipper(q=0.5)


def test_duplicate_rows_marks_later_copies_nan_included(device):
    nan = float("nan")
    x = torch.tensor([[1.0, 2.0], [3.0, nan], [1.0, 2.0], [3.0, nan], [3.0, 4.0], [1.0, 2.0]], device=device)
    expected = [seen in [tuple(map(repr, r)) for r in x.tolist()[:i]]
                for i, seen in enumerate(tuple(map(repr, r)) for r in x.tolist())]
    assert data.duplicate_rows(x).cpu().tolist() == expected == [False, False, True, True, False, True]


def test_dirty_copy_adds_missing_values_duplicates_and_outliers(device):
    ds = data.load("wine", dtype=torch.float64, device=device)
    x, y = data.dirty_copy(ds.x, ds.y, missing=0.05, duplicates=15, outliers=8, seed=3)
    assert x.shape == (len(ds.y) + 15, ds.x.shape[1]) and y.shape == (len(ds.y) + 15,)
    assert 0.03 < float(x.isnan().double().mean()) < 0.07
    assert int(data.duplicate_rows(x).sum()) >= 15 - 2  # copies of NaN-free rows stay exact
    clean_rows = {tuple(r) for r in ds.x.cpu().tolist()}
    assert sum(tuple(r) not in clean_rows and not any(v != v for v in r) for r in x.cpu().tolist()) >= 1
    again = data.dirty_copy(ds.x, ds.y, missing=0.05, duplicates=15, outliers=8, seed=3)
    assert torch.equal(x.nan_to_num(-1), again[0].nan_to_num(-1)) and torch.equal(y, again[1])


def test_shift_images_moves_every_image_by_its_own_offset(device):
    images = torch.arange(2 * 4 * 5, dtype=torch.float64, device=device).view(2, 4, 5) + 1
    g = torch.Generator().manual_seed(7)
    shifts = torch.randint(-2, 3, (2, 2), generator=torch.Generator().manual_seed(7))
    got = data.shift_images(images, 2, generator=g)
    for img, out, (dy, dx) in zip(images.cpu(), got.cpu(), shifts.tolist()):
        expected = torch.zeros_like(img)
        for r in range(4):
            for c in range(5):
                if 0 <= r - dy < 4 and 0 <= c - dx < 5:
                    expected[r, c] = img[r - dy, c - dx]
        assert torch.equal(out, expected)
    assert torch.equal(data.shift_images(images, 0), images)
    with pytest.raises(ValueError, match="max_shift must be an int >= 0"):
        data.shift_images(images, -1)


def test_add_noise_has_the_requested_spread(device):
    x = torch.zeros(20000, device=device)
    noisy = data.add_noise(x, 0.5, generator=torch.Generator().manual_seed(0))
    assert noisy.device.type == device.type and abs(float(noisy.std()) - 0.5) < 0.02
    assert torch.equal(data.add_noise(x, 0.0), x)


@pytest.mark.parametrize("step", [data.MedianImputer(), data.Clipper(), data.Standardizer(), data.OneHotEncoder()])
def test_transform_before_fit_says_so(step):
    with pytest.raises(RuntimeError, match=f"{type(step).__name__} is not fitted yet: call fit"):
        step.transform(torch.zeros(2, 3))


def test_mislabel_moves_exactly_the_share_to_other_classes_uniformly(device):
    y = torch.arange(10, device=device).repeat(3000)
    noisy = data.mislabel(y, 0.4, seed=5)
    wrong = noisy != y
    assert noisy.device.type == device.type and noisy.dtype == torch.long
    assert int(wrong.sum()) == round(0.4 * len(y)) and torch.equal(y, torch.arange(10, device=device).repeat(3000))
    assert int(noisy.min()) >= 0 and int(noisy.max()) <= 9
    # each class's wrong labels spread evenly over the 9 other classes (1200 per class, ~133 each)
    for c in range(10):
        counts = torch.bincount(noisy[wrong & (y == c)].cpu(), minlength=10).double()
        assert counts[c] == 0
        others = counts[torch.arange(10) != c]
        assert float(((others - others.mean()) ** 2 / others.mean()).sum()) < 30  # chi-square, 8 dof
    assert torch.equal(data.mislabel(y, 0.4, seed=5), noisy)
    assert not torch.equal(data.mislabel(y, 0.4, seed=6), noisy)
    assert torch.equal(data.mislabel(y, 0.0), y)
    assert bool((data.mislabel(y[:20], 1.0, num_classes=12) != y[:20]).all())


def test_mislabel_rejects_bad_arguments():
    y = torch.tensor([0, 1, 2, 1])
    with pytest.raises(ValueError, match="share must be a number in"):
        data.mislabel(y, 1.5)
    with pytest.raises(ValueError, match="num_classes must be >= 2 and above every label"):
        data.mislabel(y, 0.5, num_classes=2)
    with pytest.raises(TypeError, match="y must hold integer class indices"):
        data.mislabel(y.double(), 0.5)


@pytest.mark.parametrize("train, other", [
    (["paris", "lyon", "paris", "Nice", "brest", "lyon"], ["lyon", "rome", "Nice", "paris", "oslo"]),
    ([7, 3, 3, 12, 7], [3, 5, 12, 7, 100]),
    (["x"], ["x", "y"]),
])
def test_one_hot_encoder_equals_sklearn_with_unknown_categories_ignored(train, other):
    import numpy as np
    from sklearn.preprocessing import OneHotEncoder

    sk = OneHotEncoder(handle_unknown="ignore", sparse_output=False).fit(np.array(train, dtype=object).reshape(-1, 1))
    ours = data.OneHotEncoder().fit(train)
    assert ours.categories_ == sk.categories_[0].tolist()
    for values in (train, other):
        expected = torch.as_tensor(sk.transform(np.array(values, dtype=object).reshape(-1, 1)))
        assert torch.equal(ours.transform(values), expected)
    assert torch.equal(data.OneHotEncoder(torch.float32).fit_transform(train), ours.transform(train).float())


def test_one_hot_encoder_takes_integer_tensors_and_rejects_mixed_values():
    encoder = data.OneHotEncoder().fit(torch.tensor([4, 1, 4]))
    assert encoder.categories_ == [1, 4]
    assert encoder.transform(torch.tensor([1, 2])).tolist() == [[1.0, 0.0], [0.0, 0.0]]
    assert encoder.transform([]).shape == (0, 2)
    with pytest.raises(TypeError, match="values must hold only str or only int"):
        data.OneHotEncoder().fit(["a", 1])
    with pytest.raises(TypeError, match="values must be ints like the data it was fitted on"):
        encoder.transform(["a"])
    with pytest.raises(ValueError, match="values must hold at least one value"):
        data.OneHotEncoder().fit([])
