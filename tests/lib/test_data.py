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
