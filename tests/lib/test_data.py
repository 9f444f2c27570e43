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
